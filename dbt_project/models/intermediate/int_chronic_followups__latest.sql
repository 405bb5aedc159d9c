-- The current version of every hypertension and diabetes follow-up, on its person (by ID
-- number, current_records_by_id_number); cancelled follow-ups disappear.
with current_records as (
    {{ current_records_by_id_number(ref('stg_facility__chronic_followups'), 'followup_source_id') }}
)

select
    record_key                                                        as followup_key,
    person_key,
    person_registered,
    facility_code,
    disease,
    followup_date,
    sbp,
    dbp,
    fasting_glucose,
    managing_facility_code,
    export_date
from current_records
