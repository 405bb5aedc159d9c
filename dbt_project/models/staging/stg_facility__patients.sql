select
    _facility                    as facility_code,
    record_id                    as local_patient_id,
    nullif(trim(id_type), '')    as id_type,
    upper(trim(id_number))       as id_number,
    name                         as patient_name,
    trim(sex)                    as sex_source_value,
    birth_date::date             as birth_date,
    phone,
    address_code,
    nullif(trim(health_card_no), '')    as health_card_no,
    nullif(trim(health_record_no), '')  as health_record_no,
    death_date::date             as death_date,
    updated_at::timestamp        as updated_at,
    change_flag::smallint        as change_flag,
    {{ ingest_lineage() }}
from {{ source('facility', 'patients') }}
