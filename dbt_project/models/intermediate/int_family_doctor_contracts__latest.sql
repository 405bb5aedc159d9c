-- The current version of every family-doctor contract, on its person (by ID number,
-- current_records_by_id_number); cancelled contracts disappear.
with current_records as (
    {{ current_records_by_id_number(ref('stg_facility__family_doctor_contracts'), 'contract_source_id') }}
)

select
    record_key                                                        as contract_key,
    person_key,
    person_registered,
    facility_code,
    team_code,
    township_code,
    signed_date,
    end_date,
    coalesce(string_to_array(priority_groups, ';'), '{}')             as priority_groups,
    export_date
from current_records
