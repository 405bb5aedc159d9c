-- Every current hypertension or diabetes follow-up (FHIR Encounter + Observations of the
-- public-health programme), on the person's record by ID number (macro
-- current_records_by_id_number): blood pressure and fasting glucose as measured.
with current_records as (
    {{ current_records_by_id_number(ref('int_chronic_followups__latest'), 'followup_source_id') }}
)

select
    record_key::text                                                  as followup_key,
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
from current_records
