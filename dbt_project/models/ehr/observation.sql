-- Every current observation (FHIR Observation): lab results, their local codes mapped to
-- LOINC where the lab map knows them (unmapped ones are here, flagged by code_mapped, and
-- counted in quality.terminology_coverage), and the blood pressure and glucose measured at
-- chronic-disease follow-ups (int_followup_measurements).
select
    observation_key::text,
    person_key::text,
    encounter_key::text,
    null::text                        as followup_key,
    facility_code::text,
    'laboratory'::text                as category,
    local_code::text,
    code_system::text,
    loinc_code::text,
    code_mapped::boolean,
    test_name::text                   as display,
    value_numeric::numeric,
    value_text::text,
    unit::text,
    abnormal_flag::text,
    effective_at::timestamp,
    export_date::date
from {{ ref('int_lab_results__latest') }}

union all

select
    observation_key::text,
    person_key::text,
    null::text                        as encounter_key,
    followup_key::text,
    facility_code::text,
    category::text,
    local_code::text,
    'urn:chw:chronic-followup'::text  as code_system,
    loinc_code::text,
    true                              as code_mapped,
    display::text,
    value_numeric::numeric,
    value_text::text,
    unit::text,
    null::text                        as abnormal_flag,
    effective_at::timestamp,
    export_date::date
from {{ ref('int_followup_measurements') }}
