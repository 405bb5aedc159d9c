-- The current version of every lab result, its local test code mapped to the common list
-- (LOINC) through the lab_map seed; an unmapped code is flagged and kept, never dropped.
-- Cancelled results and those of cancelled encounters disappear (current_clinical_records).
with current_records as (
    {{ current_clinical_records(ref('stg_facility__lab_results'), 'lab_source_id') }}
)

select
    current_records.record_key                                        as observation_key,
    current_records.encounter_key,
    current_records.person_key,
    current_records.facility_code,
    current_records.test_code                                         as local_code,
    current_records.test_name,
    map.loinc_code,
    map.loinc_code is not null                                        as code_mapped,
    case when current_records.value_text ~ '^-?[0-9]+(\.[0-9]+)?$'
         then current_records.value_text::numeric end                 as value_numeric,
    current_records.value_text,
    coalesce(current_records.unit, map.unit)                          as unit,
    current_records.abnormal_flag,
    coalesce(current_records.collected_at, current_records.reported_at,
             current_records.updated_at)                              as effective_at,
    current_records.export_date
from current_records
left join {{ ref('stg_ingest__facilities') }} as facility
    on facility.facility_code = current_records.facility_code
left join {{ ref('lab_map') }} as map
    on map.facility_level = facility.facility_level
   and map.local_code = current_records.test_code
