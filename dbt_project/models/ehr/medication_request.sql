-- Every current prescription line (FHIR MedicationRequest) with its drug code and the code's
-- system (national insurance codes unless the sender names another); cancelled lines and
-- those of cancelled encounters are absent (macro current_clinical_records). Incremental
-- (macros in ehr_incremental.sql).
{{ ehr_incremental_config('medication_request_key', 'int_medication_requests__latest',
                          encounter_bound=true) }}
with current_records as (
    {{ current_clinical_records(ref('int_medication_requests__latest')) }}
)

select
    current_records.record_key::text                                  as medication_request_key,
    current_records.person_key::text,
    current_records.encounter_key::text,
    current_records.facility_code::text,
    current_records.drug_code::text,
    {{ code_system_uri('current_records.drug_code_system', 'code_system',
                       "'urn:chw:nhsa:drug'") }}::text                 as code_system,
    current_records.drug_name::text                                   as display,
    current_records.dose::text,
    current_records.frequency::text,
    current_records.days_supply::numeric,
    current_records.quantity::numeric,
    coalesce(current_records.prescribed_at, current_records.updated_at)::timestamp
                                                                      as authored_at,
    current_records.export_date::date,
    current_records.batch_id::bigint
from current_records
left join {{ ref('code_system_aliases') }} as code_system
    on code_system.alias = current_records.drug_code_system
