-- Every current hypertension or diabetes follow-up (FHIR Encounter + Observations of the
-- public-health programme), on the person's record by ID number (macro
-- current_records_by_id_number): blood pressure and fasting glucose as measured.
-- Incremental (macros in ehr_incremental.sql): a night writes the follow-ups it changed and
-- those whose person may have changed (changed_by_id_number_since_watermark).
-- Indexed by person: the managed-patient models measure a night's changed people from
-- their follow-ups (a scan of all 1.2 million at a year, once per part, without it), as
-- an analyst follows one patient.
{{ ehr_incremental_config('followup_key', 'int_chronic_followups__latest',
                          extra_indexes=[['person_key', 'followup_date']]) }}
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
    export_date::date,
    batch_id::bigint
from current_records
