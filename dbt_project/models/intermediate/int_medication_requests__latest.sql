-- The current version of every prescription line; cancelled lines and those of cancelled
-- encounters disappear (current_clinical_records).
with current_records as (
    {{ current_clinical_records(ref('stg_facility__prescriptions'), 'prescription_source_id') }}
)

select
    record_key                                      as medication_request_key,
    encounter_key,
    person_key,
    facility_code,
    drug_code,
    {{ code_system_uri('drug_code_system', 'code_system', "'urn:chw:nhsa:drug'") }} as code_system,
    drug_name,
    dose,
    frequency,
    days_supply,
    quantity,
    coalesce(prescribed_at, updated_at)             as authored_at,
    export_date
from current_records
left join {{ ref('code_system_aliases') }} as code_system
    on code_system.alias = current_records.drug_code_system
