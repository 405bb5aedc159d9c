-- Every current lab result (FHIR Observation, category laboratory), its local code mapped
-- to LOINC where the lab map knows it; unmapped results are here, flagged (code_mapped),
-- and counted in quality.terminology_coverage.
select
    observation_key::text,
    person_key::text,
    encounter_key::text,
    facility_code::text,
    'laboratory'::text                as category,
    local_code::text,
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
