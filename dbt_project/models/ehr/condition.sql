-- Every current diagnosis (FHIR Condition), on the person's record across the county.
-- The ICD-10 code stays as the facility sent it, with its version; cancelled diagnoses are
-- absent; codes outside ICD-10 are here, flagged (code_in_value_set), and counted in
-- quality.terminology_coverage.
select
    condition_key::text,
    person_key::text,
    encounter_key::text,
    facility_code::text,
    icd10_code::text                  as code,
    code_system::text,
    diagnosis_name::text              as display,
    diagnosis_rank::text,
    icd10_block::text,
    icd10_chapter::text,
    code_in_value_set::boolean,
    recorded_at::timestamp,
    export_date::date
from {{ ref('int_conditions__latest') }}
