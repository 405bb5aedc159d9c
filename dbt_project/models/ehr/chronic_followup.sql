-- Every current hypertension or diabetes follow-up (FHIR Encounter + Observations of the
-- public-health programme): blood pressure and fasting glucose as measured.
select
    followup_key::text,
    person_key::text,
    person_registered::boolean,
    facility_code::text,
    disease::text,
    followup_date::date,
    sbp::numeric,
    dbp::numeric,
    fasting_glucose::numeric,
    managing_facility_code::text,
    export_date::date
from {{ ref('int_chronic_followups__latest') }}
