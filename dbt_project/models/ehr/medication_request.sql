-- Every current prescription line (FHIR MedicationRequest) with its national insurance
-- drug code; cancelled lines and those of cancelled encounters are absent.
select
    medication_request_key::text,
    person_key::text,
    encounter_key::text,
    facility_code::text,
    drug_code::text,
    code_system::text,
    drug_name::text                   as display,
    dose::text,
    frequency::text,
    days_supply::numeric,
    quantity::numeric,
    authored_at::timestamp,
    export_date::date
from {{ ref('int_medication_requests__latest') }}
