-- Each value measured at a current chronic-disease follow-up as one observation: the
-- followup_measurements seed names the columns and their LOINC codes (blood pressure as
-- vital signs, fasting glucose as a laboratory value), so adding a measurement is a seed
-- row, not SQL. Empty values are not observations; the person is the follow-up's
-- (ehr.observation joins ehr.chronic_followup). Incremental: a night measures again only the
-- follow-ups changed since the table's newest batch; their old values go first (a
-- correction may empty a value, a cancellation takes them all).
{{ config(materialized='incremental', unique_key='observation_key',
          incremental_strategy='delete+insert', on_schema_change='fail',
          indexes=[{'columns': ['observation_key'], 'unique': true},
                   {'columns': ['followup_key']}, {'columns': ['batch_id']}],
          pre_hook="{{ delete_changed_followup_measurements() }}") }}
with measured as (
    select
        followups.*,
        codes.source_column,
        codes.category,
        codes.loinc_code,
        codes.display,
        codes.unit,
        to_jsonb(followups) ->> codes.source_column                       as value_text
    from {{ ref('int_chronic_followups__latest') }} as followups
    cross join {{ ref('followup_measurements') }} as codes
    where not followups.is_cancelled
    {%- if is_incremental() %}
      and followups.batch_id > {{ ehr_watermark() }}
    {%- endif %}
)

select
    md5(record_key || '|' || source_column)                           as observation_key,
    record_key                                                        as followup_key,
    facility_code,
    category,
    source_column                                                     as local_code,
    loinc_code,
    display,
    value_text::numeric                                               as value_numeric,
    value_text,
    unit,
    followup_date::timestamp                                          as effective_at,
    export_date,
    batch_id
from measured
where value_text is not null
