{#- The ehr tables that grow with history (encounters, diagnoses, observations,
    prescriptions, referrals) are incremental in their candidate schema. Publishing keeps
    the schema it retires as the next night's candidate (countyhealth.publish), so a night
    applies only what changed after that candidate's newest batch, its watermark: records
    with a newer version, records of an encounter that changed, records of a person whose
    registration or EMPI link changed. Cancelled ones are deleted first (pre-hook). The
    rest of each table is neither read for writing nor rewritten. -#}

{% macro ehr_watermark() -%}
(select coalesce(max(batch_id), 0) from {{ this }})
{%- endmacro %}


{#- config for an incremental ehr table keyed by `key`, built from the latest versions in
    the model `latest_model`. The pre-hooks are Jinja strings, rendered when the model runs
    (not when it is parsed): first ehr_delete_cancelled, then `extra_pre_hooks`. -#}
{% macro ehr_incremental_config(key, latest_model, encounter_bound=false,
                                extra_pre_hooks=[]) -%}
{%- set indexes = [{'columns': [key], 'unique': true}, {'columns': ['batch_id']}] -%}
{%- if encounter_bound -%}
{%- do indexes.append({'columns': ['encounter_key']}) -%}
{%- endif -%}
{%- set delete_cancelled = "{{ ehr_delete_cancelled('" ~ key ~ "', ref('" ~ latest_model
                           ~ "'), " ~ (encounter_bound | string | lower) ~ ") }}" -%}
{{ config(materialized='incremental', unique_key=key, incremental_strategy='delete+insert',
          on_schema_change='fail', indexes=indexes,
          pre_hook=[delete_cancelled] + extra_pre_hooks) }}
{%- endmacro %}


{#- The delete an incremental run starts with: records whose latest version (in
    `latest_relation`) cancels them since the watermark and, for encounter-bound records,
    those of encounters cancelled since. -#}
{% macro ehr_delete_cancelled(key, latest_relation, encounter_bound=false) -%}
{%- if is_incremental() -%}
delete from {{ this }}
where {{ key }} in (select record_key from {{ latest_relation }}
                    where is_cancelled and batch_id > {{ ehr_watermark() }})
{%- if encounter_bound %}
   or encounter_key in (select record_key from {{ ref('int_encounters__latest') }}
                        where is_cancelled and batch_id > {{ ehr_watermark() }})
{%- endif %}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}


{#- The other delete ehr.observation starts with: the measurements of follow-ups changed
    since the watermark (a correction may take a value out); they are written again. -#}
{% macro ehr_delete_changed_followup_measurements() -%}
{%- if is_incremental() -%}
delete from {{ this }}
where followup_key in (select record_key from {{ ref('int_chronic_followups__latest') }}
                       where batch_id > {{ ehr_watermark() }})
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}


{#- The filter an incremental run adds: the record (`alias`, an int_*__latest row) has a
    newer version, or its person's registration or EMPI link changed (`identity` joined),
    or (`encounter` joined, encounter-bound records) its encounter changed. -#}
{% macro changed_since_watermark(alias, identity, encounter=none) -%}
{#- the ref outside the condition, so dbt sees the dependency when it parses -#}
{%- set registrations = ref('stg_facility__patients') -%}
{%- if is_incremental() %}
  and ({{ alias }}.batch_id > {{ ehr_watermark() }}
       or {{ identity }}.linked_batch_id > {{ ehr_watermark() }}
       or ({{ alias }}.facility_code, {{ alias }}.local_patient_id) in (
           select facility_code, local_patient_id from {{ registrations }}
           where batch_id > {{ ehr_watermark() }})
       {%- if encounter %}
       or {{ encounter }}.batch_id > {{ ehr_watermark() }}
       {%- endif %})
{%- endif %}
{%- endmacro %}
