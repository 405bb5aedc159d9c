select
    _facility                                as facility_code,
    record_id                                as lab_source_id,
    encounter_id                             as encounter_source_id,
    patient_id                               as local_patient_id,
    trim(test_code)                          as test_code,
    nullif(trim(test_code_system), '')       as test_code_system,
    test_name,
    trim(value)                              as value_text,
    nullif(trim(unit), '')                   as unit,
    reference_range,
    nullif(trim(abnormal_flag), '')          as abnormal_flag,
    collected_at::timestamp                  as collected_at,
    reported_at::timestamp                   as reported_at,
    updated_at::timestamp                    as updated_at,
    change_flag::smallint                    as change_flag,
    {{ ingest_lineage() }}
from {{ source('facility', 'lab_results') }}
