-- Every current family-doctor contract (FHIR Contract / CarePlan team), on the person's
-- record by ID number (macro current_records_by_id_number): team, township, term and the
-- priority groups it was signed under. Cancelled contracts are absent.
-- Incremental (macros in ehr_incremental.sql): a night writes the contracts it changed and
-- those whose person may have changed (changed_by_id_number_since_watermark).
{{ ehr_incremental_config('contract_key', 'int_family_doctor_contracts__latest') }}
with current_records as (
    {{ current_records_by_id_number(ref('int_family_doctor_contracts__latest'), 'contract_source_id') }}
)

select
    record_key::text                                                  as contract_key,
    person_key::text,
    person_registered::boolean,
    facility_code::text,
    team_code::text,
    township_code::text,
    signed_date::date,
    end_date::date,
    coalesce(string_to_array(priority_groups, ';'), '{}')::text[]     as priority_groups,
    export_date::date,
    batch_id::bigint
from current_records
