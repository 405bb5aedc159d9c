{#- The ehr tables that grow with history (encounters, diagnoses, observations,
    prescriptions, referrals) are incremental in their candidate schema. Publishing keeps
    the schema it retires as the next night's candidate (countyhealth.publish), so a night
    applies only what changed after that candidate's newest batch, its watermark: records
    with a newer version, records of an encounter that changed, records of a person whose
    registration or EMPI link changed. Cancelled ones are deleted first (pre-hook). The
    rest of each table is neither read for writing nor rewritten. -#}

{#- The newest batch an incremental model has taken: a number, read when the model runs, so
    the planner sees a constant (a subquery's value it must guess: a third of the table,
    and then it scans the whole history instead of reading the new rows by index). -#}
{% macro ehr_watermark() -%}
{%- if execute and is_incremental() -%}
{#- 0 for a table from before it had batch_id (an upgrade: every record is then changed,
    the run writes them all once; on_schema_change adds the column) -#}
{%- set stamped = run_query("select count(*) from pg_attribute where attrelid = '" ~ this
                            ~ "'::regclass and attname = 'batch_id' and not attisdropped")
                  .columns[0].values()[0] -%}
{{ value_now('select coalesce(max(batch_id), 0) from ' ~ this) if stamped else 0 }}
{%- else -%}
(select coalesce(max(batch_id), 0) from {{ this }})
{%- endif -%}
{%- endmacro %}


{#- config for an incremental ehr table keyed by `key`, built from the latest versions in
    the model `latest_model`. The pre-hooks are Jinja strings, rendered when the model runs
    (not when it is parsed): first ehr_delete_cancelled, then `extra_pre_hooks`.
    `extra_indexes`: more of the table's own (columns lists); `extra_post_hooks`: run
    after the key's and the indexes' (a partial index, as Jinja strings too).
    An encounter-bound table (diagnoses, results, prescriptions) has no index on
    encounter_key: its md5 values put a night's rows on random pages of an index as large
    as the key's (300 MB each on a year's diagnoses and prescriptions, read back from disk
    every night), and only the deletes of cancelled encounters looked anything up by it;
    they find the records through the latest model's encounter index instead. A table
    built with that index loses it (drop_retired_index). -#}
{% macro ehr_incremental_config(key, latest_model, encounter_bound=false,
                                extra_pre_hooks=[], extra_indexes=[], extra_post_hooks=[]) -%}
{#- the key: unique by its hash index (macros/hashed_keys.sql) -#}
{%- set indexes = [{'columns': ['batch_id']}] -%}
{%- for columns in extra_indexes -%}
{%- do indexes.append({'columns': columns}) -%}
{%- endfor -%}
{%- set delete_cancelled = "{{ ehr_delete_cancelled('" ~ key ~ "', ref('" ~ latest_model
                           ~ "'), " ~ (encounter_bound | string | lower) ~ ") }}" -%}
{%- set post_hooks = ["{{ hashed_key('" ~ key ~ "') }}", "{{ add_missing_indexes() }}"] -%}
{%- if encounter_bound -%}
{%- do post_hooks.append("{{ drop_retired_index(['encounter_key']) }}") -%}
{%- endif -%}
{{ config(materialized='incremental', unique_key=key, incremental_strategy='delete+insert',
          on_schema_change='fail', indexes=indexes,
          pre_hook=["{{ warm_hashed_key('" ~ key ~ "') }}", delete_cancelled]
                   + extra_pre_hooks,
          post_hook=post_hooks + extra_post_hooks) }}
{%- endmacro %}


{#- The delete an incremental run starts with: records whose latest version (in
    `latest_relation`) cancels them since the watermark and, for encounter-bound records,
    the records of encounters cancelled since: found by the latest model's (facility_code,
    encounter_source_id) index and deleted by key, so that a record moved into a cancelled
    encounter by a correction goes too. -#}
{% macro ehr_delete_cancelled(key, latest_relation, encounter_bound=false) -%}
{%- if is_incremental() -%}
{#- two statements, each by index (one with `or` between them scans the whole table) -#}
{%- set watermark = ehr_watermark() -%}
delete from {{ this }}
where {{ key }} in (select record_key from {{ latest_relation }}
                    where is_cancelled and batch_id > {{ watermark }})
{%- if encounter_bound %};
delete from {{ this }}
where {{ key }} in (
    select records.record_key from {{ latest_relation }} as records
    where (records.facility_code, records.encounter_source_id) in (
        select facility_code, encounter_source_id from {{ ref('int_encounters__latest') }}
        where is_cancelled and batch_id > {{ watermark }}))
{%- endif %}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}


{#- The other delete ehr.observation starts with, and the one int_followup_measurements
    starts with: the measurements of follow-ups changed since the watermark (a correction
    may take a value out, a cancellation all of them); they are written again. -#}
{% macro delete_changed_followup_measurements() -%}
{%- if is_incremental() -%}
delete from {{ this }}
where followup_key in (select record_key from {{ ref('int_chronic_followups__latest') }}
                       where batch_id > {{ ehr_watermark() }})
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}


{#- The filter an incremental run adds: the record (`alias`, a row of the int_*__latest
    model `relation`) has a newer version, or its person's EMPI link changed or went (its
    registration cancelled), or (`encounter_bound`) its encounter changed. Written as the set of changed record keys,
    each part found by index (the model's batch_id; its (facility_code, local_patient_id)
    and (facility_code, encounter_source_id) indexes, latest_version_config), so a night
    reads what changed, not every record of every year (an `or` of the four conditions
    scanned the whole table). -#}
{% macro changed_since_watermark(alias, relation, encounter_bound=false) -%}
{{ rows_to_rewrite_only(alias ~ '.record_key', changed_record_keys(relation, encounter_bound)) }}
{%- endmacro %}


{#- The filter an incremental model's select adds: in an incremental run, only the rows
    whose `key_column` is among `keys` (a query); otherwise nothing. -#}
{% macro rows_to_rewrite_only(key_column, keys) -%}
{%- if is_incremental() %}
  and {{ key_column }} in ({{ keys | indent(6) }})
{%- endif %}
{%- endmacro %}


{#- The record keys of `relation` changed since the watermark of the model being built
    (changed_since_watermark); a query, rendered in an incremental run only (the refs are
    made either way, so dbt sees the dependencies when it parses). -#}
{% macro changed_record_keys(relation, encounter_bound=false) -%}
{#- each way a record can change: (the table, the column it shares with the record beside
    facility_code, that table's batch column) -#}
{%- set identity = ref('int_person_identity') -%}
{%- set depends_on = ref('stg_facility__patients') -%}
{%- set ways = [(identity, 'local_patient_id', 'linked_batch_id')] -%}
{%- if encounter_bound -%}
{%- do ways.append((ref('int_encounters__latest'), 'encounter_source_id', 'batch_id')) -%}
{%- endif -%}
{%- if is_incremental() -%}
{%- set watermark = ehr_watermark() -%}
select changed.record_key from {{ relation }} as changed
where changed.batch_id > {{ watermark }}
{%- for table, column, batch in ways %}
union
select changed.record_key
from {{ table }} as cause
inner join {{ relation }} as changed
    on changed.facility_code = cause.facility_code
   and changed.{{ column }} = cause.{{ column }}
where cause.{{ batch }} > {{ watermark }}
{%- endfor %}
{#- a registration cancelled: its EMPI link went, so no linked_batch_id tells. (Counting
    every new version instead, a year's night rewrote every visit of the year of each
    patient seen again: ehr.encounter 0.8 s at a month, 6.2 s at a year, 200,000
    residents; a new person comes with a new linked_batch_id, the way above.) #}
union
select changed.record_key
from ({{ registrations_changed_since(watermark) | indent(4) }}) as cause
inner join {{ relation }} as changed
    on changed.facility_code = cause.facility_code
   and changed.local_patient_id = cause.local_patient_id
where not exists (select 1 from {{ identity }} as linked
                  where linked.facility_code = cause.facility_code
                    and linked.local_patient_id = cause.local_patient_id)
{%- endif -%}
{%- endmacro %}


{#- The filter an incremental run adds to a table that names people by ID number
    (current_records_by_id_number; `relation` a latest-version model with id_number_18):
    the record has a newer version, or the person its ID number leads to changed
    (int_person_by_id_number.changed_batch_id: linked to another person, registered for the
    first time, no longer registered). Each part by index, as changed_since_watermark.
    Outside an incremental run: nothing. -#}
{% macro changed_by_id_number_since_watermark(alias, relation) -%}
{{ rows_to_rewrite_only(alias ~ '.record_key', changed_record_keys_by_id_number(relation)) }}
{%- endmacro %}


{#- The record keys of `relation` (records named by ID number) changed since the watermark
    of the model being built (changed_by_id_number_since_watermark); a query, rendered in
    an incremental run only. A person is all such a record takes from its ID number, so
    the ID numbers whose person changed are all it rewrites besides new versions (a year's
    night: every ID number of a registration written again had been taken, 5,347, and
    24,955 settlements rewritten besides the night's 8,066). The ID numbers are gathered
    first, then looked up by index (`= any(array(...))`: as a join the planner guessed
    thousands of them and read every record of the year instead). `watermark`: the
    caller's, when it has read it already (default: read here). -#}
{% macro changed_record_keys_by_id_number(relation, watermark=none) -%}
{%- set by_id_number = ref('int_person_by_id_number') -%}
{%- if is_incremental() -%}
{%- set watermark = watermark if watermark is not none else ehr_watermark() -%}
select changed.record_key from {{ relation }} as changed
where changed.batch_id > {{ watermark }}
union
select changed.record_key
from {{ relation }} as changed
where changed.id_number_18 = any(array(
    select by_id.id_number_18 from {{ by_id_number }} as by_id
    where by_id.changed_batch_id > {{ watermark }}))
{%- endif -%}
{%- endmacro %}
