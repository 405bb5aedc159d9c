{#- The current version of each record of a staging relation: one row per key, the newest by
    update time, then by the order of delivery (export night, file, position), with its
    record_key (md5 of the key columns) and is_cancelled (change flag 3). Cancelled records
    stay here, flagged, so an incremental run can replace a record by its cancellation.

    In an incremental run only the keys that batches newer than the table's latest brought
    are ranked again, with ALL their versions, so a late-arriving older version never wins
    over a newer one already here; dbt's delete+insert on record_key then replaces them.
    A full refresh ranks everything: the same rule, the same rows.
    `by_id_number`: the records name people by ID number (column id_number); they get
    id_number_18, the valid ID's 18-character form, the key their person is found by. -#}
{% macro latest_version(relation, key_columns, by_id_number=false) -%}
{%- set keys = key_columns | join(', ') -%}
select
    md5({{ key_columns | join(" || '|' || ") }})                      as record_key,
    ranked.*,
    ranked.change_flag = 3                                            as is_cancelled
    {%- if by_id_number %},
    {{ id_number_18('ranked.id_number') }}                            as id_number_18
    {%- endif %}
from (
    select
        src.*,
        row_number() over (
            partition by {{ keys }}
            order by updated_at desc nulls last, export_date desc, file_id desc, row_position desc
        ) as version_rank
    from {{ relation }} as src
    {%- if is_incremental() %}
    where ({{ keys }}) in (
        select {{ keys }}
        from {{ relation }}
        where batch_id > {{ ehr_watermark() }})
    {%- endif %}
) as ranked
where ranked.version_rank = 1
{%- endmacro %}


{#- The configuration every incremental latest-version model shares. -#}
{#- `by_patient`: the model names patients by local id (an index on facility_code,
    local_patient_id); `by_encounter`: its records belong to encounters (an index on
    facility_code, encounter_source_id). The incremental ehr models find a night's changed
    records through them (changed_since_watermark); `by_id_number`: it names people by ID
    number (an index on id_number_18, latest_version(by_id_number=true)).
    `drop_cancelled_of`: the model keeps no cancelled record (it selects `where not
    is_cancelled`) of the staging model so named, whose records `keys` identify: an
    incremental run first deletes every record its new batches touched, then inserts what
    is current of them. `more_indexes`: the model's own (columns lists). -#}
{% macro latest_version_config(by_patient=false, by_encounter=false, by_id_number=false,
                               drop_cancelled_of=none, keys=[], more_indexes=[]) -%}
{#- record_key: unique by its hash index (macros/hashed_keys.sql) -#}
{%- set indexes = [{'columns': ['batch_id']}] -%}
{%- if by_patient -%}
{%- do indexes.append({'columns': ['facility_code', 'local_patient_id']}) -%}
{%- endif -%}
{%- if by_encounter -%}
{%- do indexes.append({'columns': ['facility_code', 'encounter_source_id']}) -%}
{%- endif -%}
{%- if by_id_number -%}
{%- do indexes.append({'columns': ['id_number_18']}) -%}
{%- endif -%}
{%- for columns in more_indexes -%}
{%- do indexes.append({'columns': columns}) -%}
{%- endfor -%}
{%- set pre_hooks = ["{{ warm_hashed_key('record_key') }}"] -%}
{%- if drop_cancelled_of -%}
{%- do pre_hooks.append("{{ delete_touched_versions('" ~ drop_cancelled_of ~ "', "
                        ~ (keys | tojson) ~ ") }}") -%}
{%- endif -%}
{{ config(materialized='incremental', unique_key='record_key',
          incremental_strategy='delete+insert', on_schema_change='fail', indexes=indexes,
          pre_hook=pre_hooks,
          post_hook=["{{ hashed_key('record_key') }}", "{{ add_missing_indexes() }}"]) }}
{%- endmacro %}


{#- The pre-hook of a latest-version model that keeps no cancelled record: the records the
    batches after its watermark touched go, the run inserts what is current of them (a
    cancelled one then stays out). Rendered when the model runs. -#}
{% macro delete_touched_versions(source, keys) -%}
{%- if is_incremental() -%}
delete from {{ this }}
where ({{ keys | join(', ') }}) in (
    select {{ keys | join(', ') }} from {{ ref(source) }}
    where batch_id > {{ ehr_watermark() }})
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}


{#- The records of an encounter-bound clinical table (diagnoses, results, prescriptions) as
    ehr publishes them: not cancelled, not recorded in a cancelled encounter, each on its
    person (the EMPI's, or a local key while the registration has not arrived). In an
    incremental ehr model only the records changed since its watermark come out (macro
    changed_since_watermark: a new version, a changed encounter, a changed person link), so
    a cancellation, a relinked person or a cancelled encounter reaches every record, however
    old, without rewriting the rest. One place for the rule that a cancellation takes
    everything built on it. -#}
{% macro current_clinical_records(relation) -%}
select
    latest.*,
    md5(latest.facility_code || '|' || latest.encounter_source_id)     as encounter_key,
    {{ person_of('latest.facility_code', 'latest.local_patient_id', 'identity') }} as person_key
from {{ relation }} as latest
{{ join_identity('latest') }}
left join {{ ref('int_encounters__latest') }} as encounter
    on encounter.record_key = md5(latest.facility_code || '|' || latest.encounter_source_id)
where not latest.is_cancelled
  and not coalesce(encounter.is_cancelled, false)
  {{- changed_since_watermark('latest', relation, encounter_bound=true) }}
{%- endmacro %}

{#- The records of a table that names people by ID number (contracts, follow-ups,
    settlements) as ehr publishes them: not cancelled, each on its person
    (person_of_id_number). In an incremental ehr model only the records changed since its
    watermark come out (macro changed_by_id_number_since_watermark). -#}
{% macro current_records_by_id_number(relation, source_id) -%}
select
    latest.*,
    {{ person_of_id_number('latest.id_number_18', 'by_id', 'latest.facility_code',
                           'latest.' ~ source_id) }}                   as person_key,
    by_id.person_key is not null                                       as person_registered
from {{ relation }} as latest
left join {{ ref('int_person_by_id_number') }} as by_id
    on by_id.id_number_18 = latest.id_number_18
where not latest.is_cancelled
  {{- changed_by_id_number_since_watermark('latest', relation) }}
{%- endmacro %}
