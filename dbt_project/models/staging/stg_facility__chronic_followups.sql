select
    _facility                                as facility_code,
    record_id                                as followup_source_id,
    upper(trim(id_number))                   as id_number,
    lower(trim(disease))                     as disease,
    followup_date::date                      as followup_date,
    nullif(trim(sbp), '')::numeric           as sbp,
    nullif(trim(dbp), '')::numeric           as dbp,
    nullif(trim(fasting_glucose), '')::numeric as fasting_glucose,
    nullif(trim(managing_facility), '')      as managing_facility_code,
    updated_at::timestamp                    as updated_at,
    change_flag::smallint                    as change_flag,
    {{ ingest_lineage() }}
from {{ source('facility', 'chronic_followups') }}
