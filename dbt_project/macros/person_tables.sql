{#- The person-level tables (ehr.patient, ehr.patient_registration, pii.person) aggregate
    every registration of a person through the EMPI. Rebuilt whole each night they cost
    ~40 s at a year (3.4 million registrations). They are incremental: a night rewrites the
    persons whose registrations or EMPI links changed after the table's newest batch, the
    persons an identity left included (int_identity_links keeps every link an identity has
    had: int_person_identity knows only the current one), and a person with no registration
    left loses their rows. In the ehr candidate (recycled, countyhealth.publish) that is
    everything changed since the night it was built. Each row carries the batch that wrote
    it (batch_id, the watermark). -#}

{#- `key`: the columns that make a row unique (the person first). append: the pre-hook has
    deleted every person the run writes (dbt's delete+insert would look each key up
    again); the unique index fails the run loudly should a row be written twice.
    `more_indexes`: the table's own, in dbt's form. -#}
{% macro person_table_config(key=['person_key'], more_indexes=[]) -%}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          indexes=[{'columns': key, 'unique': true}, {'columns': ['batch_id']}] + more_indexes,
          pre_hook="{{ delete_changed_persons() }}") }}
{%- endmacro %}


{#- The persons whose rows change after batch `watermark`: every person ever linked to an
    identity that was linked again or whose registration has a new version (a correction, a
    cancellation) since. Each part by index: the links by batch and by identity, the
    registrations by batch. -#}
{% macro changed_persons(watermark) -%}
select links.person_key
from {{ ref('int_identity_links') }} as links
where (links.facility_code, links.local_patient_id) in (
    select facility_code, local_patient_id from {{ ref('int_identity_links') }}
    where linked_batch_id > {{ watermark }}
    union
    select facility_code, local_patient_id from {{ ref('stg_facility__patients') }}
    where batch_id > {{ watermark }})
{%- endmacro %}


{#- The filter a person table's select adds (`person_column` the person of the row): in an
    incremental run, only the changed persons; otherwise nothing. -#}
{% macro changed_persons_only(person_column) -%}
{{ rows_to_rewrite_only(person_column, changed_persons(ehr_watermark())) }}
{%- endmacro %}


{#- The pre-hook: delete the changed persons' rows (the select writes those who still have
    a registration). The model's select read the same watermark when it was compiled, before
    this delete. -#}
{% macro delete_changed_persons() -%}
{%- if is_incremental() -%}
delete from {{ this }}
where person_key in ({{ changed_persons(ehr_watermark()) | indent(4) }})
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}


{#- The batch the person tables, the person-month rows and int_indicator_people are stamped
    with: the newest that loaded a file. Not the newest run: re-running a night opens a
    batch that loads nothing, and must publish exactly what was published. -#}
{% macro newest_loaded_batch() -%}
(select coalesce(max(batch_id), 0) from {{ source('ingest', 'files') }})
{%- endmacro %}


{#- The first day of the month of the newest export night an ingest run took (up to batch
    `batch`, when given), a date literal read when the model runs (macro value_now);
    '-infinity' before any. int_indicator_people splits a person's follow-ups at it; a
    person-month model finds with it the months a follow-up loaded since its watermark can
    change. From ingest.runs, a row per batch (files has 238,000 rows at a year). -#}
{% macro newest_night_month_start(batch=none) -%}
{%- set query = "select coalesce(date_trunc('month', max(export_date))::date::text, "
                ~ "'-infinity') from " ~ source('ingest', 'runs')
                ~ (" where batch_id <= " ~ batch if batch is not none else "") -%}
{%- if execute -%}
'{{ value_now(query) }}'::date
{%- else -%}
({{ query }})::date
{%- endif -%}
{%- endmacro %}


{#- The same batch as a number, for a filter (macro value_now): a row table's post-hook
    finds the rows its run wrote by it. -#}
{% macro newest_loaded_batch_number() -%}
{{ value_now("select coalesce(max(batch_id), 0) from " ~ source('ingest', 'files')) }}
{%- endmacro %}
