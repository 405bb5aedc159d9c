{#- The person-month indicator models (indicator_contracted_residents,
    indicator_managed_patients) grow with months × residents (6.75 million rows at a year of
    a million residents) and were rebuilt whole each night. They are incremental in the
    recycled quality candidate (countyhealth.publish): a night rewrites
      - every row of a month whose measuring day moved or that is new (the running month:
        its measuring day is the newest export night), and
      - every row of a person whose indicator inputs changed after the table's newest
        batch (int_indicator_people.changed_batch_id: address, birth and death, contracts,
        known chronic disease, follow-ups, a person gone into another by an EMPI relink).
    A closed month of an unchanged person depends on nothing else, so its row stays. Each
    row carries the month's measuring day (as_of_date) and the batch that wrote it
    (batch_id, the watermark). Facility levels and townships come from the county config:
    changing them needs a full refresh, as for the ehr tables. -#}

{#- `key`: the columns that make a row unique, month and person first. Every index is one
    a night's rows land at the end of (the new month, the night's batch) or near (a few
    changed people): a unique index on the md5 subject_key took a random page per row, and
    the inserts of a year's night ran for 68 s (443,534 rows into 6.75 million). -#}
{% macro person_month_config(key=['period_date', 'person_key'], cells=none) -%}
{#- append: the pre-hook has deleted every row the run writes (dbt's delete+insert would
    look each new key up again: 41 s for that night); the unique index fails the run
    loudly should a row ever be written twice. `cells`: the table's cells
    (macros/cells_upkeep.sql), or none. -#}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          indexes=[{'columns': key, 'unique': true},
                   {'columns': ['period_date', 'as_of_date']},
                   {'columns': ['batch_id']}],
          meta={'cells': cells} if cells else {},
          pre_hook="{{ delete_person_months_to_rewrite() }}",
          post_hook="{{ cells_upkeep() }}") }}
{%- endmacro %}


{#- The months to measure again: new, or their measuring day moved since `this` measured
    them (no row of the month with the same as_of_date). -#}
{% macro months_to_remeasure() -%}
select months.month_start
from {{ ref('indicator_months') }} as months
where not exists (select 1 from {{ this }} as measured
                  where measured.period_date = months.month_start
                    and measured.as_of_date = months.as_of_date)
{%- endmacro %}


{#- The people whose rows are rewritten in every month (see the top). -#}
{% macro people_to_rewrite(watermark) -%}
select person_key from {{ ref('int_indicator_people') }}
where changed_batch_id > {{ watermark }}
{%- endmacro %}


{#- The parts a person-month model's rows are selected in, each a union all branch with
    its own condition (person_month_part): in an incremental run, the months to measure
    again (every person) and the people to rewrite (the other months); otherwise all. Two
    branches, not one `or`: an `or` of two IN lists cannot become two semi-joins, and with
    a freshly built table's unknown size the planner may run a subquery per row. -#}
{% macro person_month_parts() -%}
{%- do return(['months', 'people'] if is_incremental() else ['all']) -%}
{%- endmacro %}


{% macro person_month_part(part, month_column, person_column) -%}
{%- set depends_on = [ref('indicator_months'), ref('int_indicator_people')] -%}
{#- (refs outside the branches: dependencies dbt sees when it parses) -#}
{%- if part == 'months' -%}
{{ month_column }} in ({{ months_to_remeasure() | indent(4) }})
{%- elif part == 'people' -%}
{{ person_column }} in ({{ people_to_rewrite(ehr_watermark()) | indent(4) }})
and {{ month_column }} not in ({{ months_to_remeasure() | indent(4) }})
{%- else -%}
true
{%- endif -%}
{%- endmacro %}


{#- The pre-hook: delete what the run rewrites (a person who no longer qualifies in a month,
    or is gone, has no row to replace theirs), and the months no longer measured. One
    watermark for all three (read before any delete). -#}
{% macro delete_person_months_to_rewrite() -%}
{%- if is_incremental() -%}
{%- set watermark = ehr_watermark() -%}
{{ cells_delta_begin() }}
{{ delete_counting_cells('period_date in (' ~ months_to_remeasure() ~ ')') }};
{#- by the unique index: each month of each such person -#}
{{ delete_counting_cells(
    '(period_date, person_key) in (
    select months.month_start, people.person_key
    from ' ~ ref('indicator_months') ~ ' as months
    cross join (' ~ people_to_rewrite(watermark) ~ ') as people)') }};
{#- its months walked on the unique index, not every row read -#}
{{ delete_counting_cells(
    'period_date in (
    with recursive measured as (
        select min(period_date) as period_date from ' ~ this ~ '
        union all
        select (select min(later.period_date) from ' ~ this ~ ' as later
                where later.period_date > measured.period_date)
        from measured
        where measured.period_date is not null
    )
    select period_date from measured where period_date is not null
    except
    select month_start from ' ~ ref('indicator_months') ~ ')') }}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}
