-- Every current observation (FHIR Observation):
--   results, a code sent as LOINC kept as LOINC, a facility's own code mapped through
--   the lab_map seed (unmapped ones are here, flagged by code_mapped, and counted in
--   quality.terminology_coverage); a result whose LOINC code is a vital sign in the
--   followup_measurements seed (a FHIR blood-pressure component) is category vital-signs;
--   cancelled results and those of cancelled encounters are absent (macro
--   current_clinical_records);
--   the blood pressure and glucose measured at current chronic-disease follow-ups
--   (int_followup_measurements), on the follow-up's person.
-- Incremental (macros in ehr_incremental.sql). Follow-up measurements: those of follow-ups
-- changed since the watermark are deleted first and written again (a corrected follow-up
-- may have lost a value); the measurements of every follow-up ehr.chronic_followup rewrites
-- (a new version, or its person changed by ID number) are written again on the follow-up's
-- person. Found by index, not by comparing every measurement of the year with its
-- follow-up (3.5 s of a year's night).
-- The pre-hook finds the measurements to delete by a partial index of followup_key (lab
-- results have none); without it, it read the whole table (814 MB at a year).
{{ ehr_incremental_config('observation_key', 'int_lab_results__latest', encounter_bound=true,
     extra_pre_hooks=["{{ delete_changed_followup_measurements() }}"],
     extra_post_hooks=["{{ index_if_missing(['followup_key'], where='followup_key is not null') }}",
                       "{{ keep_code_counts('not code_mapped', 'followup_key is null') }}"]) }}
-- depends_on: {{ ref('int_chronic_followups__latest') }}  (read by the pre-hook above)
with labs as (
    {{ current_clinical_records(ref('int_lab_results__latest')) }}
),

coded_labs as (
    select
        labs.*,
        {{ code_system_uri('labs.test_code_system', 'code_system',
                           "'urn:chw:facility:' || labs.facility_code || ':lab'") }}
                                                                      as code_system
    from labs
    left join {{ ref('code_system_aliases') }} as code_system
        on code_system.alias = labs.test_code_system
),

mapped_labs as (
    select
        coded_labs.*,
        coalesce(case when coded_labs.code_system = 'http://loinc.org'
                      then coded_labs.test_code end,
                 map.loinc_code)                                      as loinc_code,
        map.unit                                                      as map_unit,
        -- a result coded as a vital sign the seed knows (a FHIR blood-pressure component)
        coalesce(vital.category, 'laboratory')                        as category
    from coded_labs
    left join {{ ref('stg_ingest__facilities') }} as facility
        on facility.facility_code = coded_labs.facility_code
    left join {{ ref('lab_map') }} as map
        on map.facility_level = facility.facility_level
       and map.local_code = coded_labs.test_code
    left join {{ ref('followup_measurements') }} as vital
        on vital.loinc_code = coalesce(case when coded_labs.code_system = 'http://loinc.org'
                                            then coded_labs.test_code end, map.loinc_code)
       and vital.category = 'vital-signs'
)

select
    record_key::text                                                  as observation_key,
    person_key::text,
    encounter_key::text,
    null::text                                                        as followup_key,
    facility_code::text,
    category::text,
    test_code::text                                                   as local_code,
    code_system::text,
    loinc_code::text,
    (loinc_code is not null)::boolean                                 as code_mapped,
    test_name::text                                                   as display,
    (case when value_text ~ '^-?[0-9]+(\.[0-9]+)?$'
          then value_text::numeric end)::numeric                      as value_numeric,
    value_text::text,
    coalesce(unit, map_unit)::text                                    as unit,
    abnormal_flag::text,
    coalesce(collected_at, reported_at, updated_at)::timestamp        as effective_at,
    export_date::date,
    batch_id::bigint
from mapped_labs

union all

select
    measurement.observation_key::text,
    followup.person_key::text,
    null::text                                                        as encounter_key,
    measurement.followup_key::text,
    measurement.facility_code::text,
    measurement.category::text,
    measurement.local_code::text,
    'urn:chw:chronic-followup'::text                                  as code_system,
    measurement.loinc_code::text,
    true                                                              as code_mapped,
    measurement.display::text,
    measurement.value_numeric::numeric,
    measurement.value_text::text,
    measurement.unit::text,
    null::text                                                        as abnormal_flag,
    measurement.effective_at::timestamp,
    measurement.export_date::date,
    measurement.batch_id::bigint
from {{ ref('int_followup_measurements') }} as measurement
inner join {{ ref('chronic_followup') }} as followup
    on followup.followup_key = measurement.followup_key
where true
{{- rows_to_rewrite_only('measurement.followup_key',
        changed_record_keys_by_id_number(ref('int_chronic_followups__latest'))) }}
