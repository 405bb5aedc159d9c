select
    _facility                                as facility_code,
    record_id                                as prescription_source_id,
    encounter_id                             as encounter_source_id,
    patient_id                               as local_patient_id,
    trim(drug_code)                          as drug_code,
    nullif(trim(drug_code_system), '')       as drug_code_system,
    drug_name,
    dose,
    frequency,
    nullif(trim(days_supply), '')::numeric   as days_supply,
    nullif(trim(quantity), '')::numeric      as quantity,
    prescribed_at::timestamp                 as prescribed_at,
    updated_at::timestamp                    as updated_at,
    change_flag::smallint                    as change_flag,
    {{ ingest_lineage() }}
from {{ source('facility', 'prescriptions') }}
