-- The current version of every encounter, with its person, class and facility level.
-- Cancelled encounters (change flag 3) disappear here, and so from everything downstream.
with latest as (
    {{ latest_version(ref('stg_facility__encounters'), ['facility_code', 'encounter_source_id']) }}
)

select
    md5(latest.facility_code || '|' || latest.encounter_source_id)   as encounter_key,
    latest.facility_code,
    latest.encounter_source_id,
    latest.local_patient_id,
    {{ person_of('latest.facility_code', 'latest.local_patient_id', 'identity') }}
                                                                      as person_key,
    identity.person_key is null                                       as patient_unregistered,
    coalesce(class.encounter_class, 'unknown')                        as encounter_class,
    coalesce(class.fhir_class_code, 'UNK')                            as fhir_class_code,
    coalesce(class.is_visit, false)                                   as is_visit,
    latest.department,
    latest.start_time,
    latest.end_time,
    latest.start_time::date                                           as encounter_date,
    latest.disposition,
    latest.total_cost,
    facility.facility_level,
    facility.is_primary_care,
    facility.township_code,
    latest.updated_at,
    latest.export_date
from latest
left join {{ ref('stg_ingest__facilities') }} as facility
    on facility.facility_code = latest.facility_code
left join {{ ref('encounter_class_map') }} as class
    on class.source_value = latest.encounter_class_source_value
left join {{ ref('int_person_identity') }} as identity
    on identity.facility_code = latest.facility_code
   and identity.local_patient_id = latest.local_patient_id
where latest.change_flag <> 3
