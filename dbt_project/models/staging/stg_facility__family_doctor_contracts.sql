select
    _facility                                as facility_code,
    record_id                                as contract_source_id,
    upper(trim(id_number))                   as id_number,
    nullif(trim(team_code), '')              as team_code,
    nullif(trim(township_code), '')          as township_code,
    signed_date::date                        as signed_date,
    end_date::date                           as end_date,
    nullif(trim(priority_groups), '')        as priority_groups,
    updated_at::timestamp                    as updated_at,
    change_flag::smallint                    as change_flag,
    {{ ingest_lineage() }}
from {{ source('facility', 'family_doctor_contracts') }}
