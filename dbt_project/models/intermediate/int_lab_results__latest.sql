-- The current version of every lab result, its local test code mapped to the common list
-- (LOINC) through the lab_map seed; an unmapped code is flagged and kept, never dropped.
-- Cancelled results and the results of cancelled encounters disappear here.
with latest as (
    {{ latest_version(ref('stg_facility__lab_results'), ['facility_code', 'lab_source_id']) }}
)

select
    md5(latest.facility_code || '|' || latest.lab_source_id)         as observation_key,
    md5(latest.facility_code || '|' || latest.encounter_source_id)   as encounter_key,
    {{ person_of('latest.facility_code', 'latest.local_patient_id', 'identity') }}
                                                                      as person_key,
    latest.facility_code,
    latest.test_code                                                  as local_code,
    latest.test_name,
    map.loinc_code,
    map.loinc_code is not null                                        as code_mapped,
    case when latest.value_text ~ '^-?[0-9]+(\.[0-9]+)?$'
         then latest.value_text::numeric end                          as value_numeric,
    latest.value_text,
    coalesce(latest.unit, map.unit)                                   as unit,
    latest.abnormal_flag,
    coalesce(latest.collected_at, latest.reported_at, latest.updated_at) as effective_at,
    latest.export_date
from latest
left join {{ ref('stg_ingest__facilities') }} as facility
    on facility.facility_code = latest.facility_code
left join {{ ref('lab_map') }} as map
    on map.facility_level = facility.facility_level
   and map.local_code = latest.test_code
left join {{ ref('int_person_identity') }} as identity
    on identity.facility_code = latest.facility_code
   and identity.local_patient_id = latest.local_patient_id
where latest.change_flag <> 3
  and md5(latest.facility_code || '|' || latest.encounter_source_id) not in (
      select encounter_key from {{ ref('int_encounters__cancelled') }})
