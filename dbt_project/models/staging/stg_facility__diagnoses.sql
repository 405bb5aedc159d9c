select
    _facility                                as facility_code,
    record_id                                as diagnosis_source_id,
    encounter_id                             as encounter_source_id,
    patient_id                               as local_patient_id,
    nullif(trim(diagnosis_type), '')         as diagnosis_type,
    upper(trim(icd10_code))                  as icd10_code,
    nullif(trim(icd10_version), '')          as icd10_version,
    diagnosis_name,
    diagnosed_at::timestamp                  as diagnosed_at,
    updated_at::timestamp                    as updated_at,
    change_flag::smallint                    as change_flag,
    {{ ingest_lineage() }}
from {{ source('facility', 'diagnoses') }}
