{#- indicator_summary is incremental by month. Rebuilt whole, each night summed every
    day of the year again for every indicator from its cells: 10.9 s of a year's night at
    200,000 residents (1.9 s at a month), though a night moves the cells of a few months.

    An indicator summed from cells (both its parts read a row table's cells) is written
    again only for the months whose cells moved since the summary's watermark (max
    batch_id: every row carries the batch that wrote it), as its row tables' runs recorded
    them (`<row table>__cells_moved`, macros/cells_upkeep.sql), and for the same months a
    year later (their growth compares with them). Every row of such a month is written
    again (each day, the month, every breakdown) by the same SQL as a full build, reading
    the cells of those months and of the months a year before (last year's values). An
    indicator with a part summed from its own rows (readmissions, repeat tests, people of
    a month: a small fraction of the work) is written again whole each night.
    An indicator new to the summary, or whose definition changed (a target edited in
    seeds/indicator_definitions.csv), is written again whole. The whole table is written
    again on the upgrade night (a summary without batch_id), on a full refresh, and when a
    row table summed all its cells again (the month '-infinity'). tests/integration/test_incremental.py proves the nights end where a full
    build does. -#}


{#- The indicators of the summary: (id, whether it has a denominator, its grains finest
    first). Add an indicator: its numerator (and denominator) models, a row in
    seeds/indicator_definitions.csv and one entry here. -#}
{% macro summary_indicators() -%}
{%- set daily = ['day', 'month'] -%}
{%- do return([
    ('in_county_care_rate', true, daily),
    ('in_county_admission_share', true, daily),
    ('primary_care_visit_share', true, daily),
    ('fund_in_county_share', true, daily),
    ('fund_primary_care_share', true, daily),
    ('inpatient_cost_per_admission', true, daily),
    ('tcm_visit_share', true, daily),
    ('upward_referrals', false, daily),
    ('downward_referrals', false, daily),
    ('upward_referral_share', true, daily),
    ('managed_chronic_admission_rate', true, ['month']),
    ('hypertension_management_rate', true, ['month']),
    ('hypertension_standardised_management_rate', true, ['month']),
    ('hypertension_control_rate', true, ['month']),
    ('diabetes_management_rate', true, ['month']),
    ('diabetes_standardised_management_rate', true, ['month']),
    ('diabetes_control_rate', true, ['month']),
    ('family_doctor_contract_rate', true, ['month']),
    ('priority_contract_rate', true, ['month']),
    ('hospitalisation_rate', true, ['month']),
    ('readmission_30d', true, ['month']),
    ('repeat_test_rate', true, ['month']),
]) -%}
{%- endmacro %}


{#- The part models of an indicator: its numerator, and its denominator if it has one. -#}
{% macro indicator_parts(indicator_id, has_denominator) -%}
{%- do return([('numerator', indicator_id ~ '__numerator')]
              + ([('denominator', indicator_id ~ '__denominator')] if has_denominator
                 else [])) -%}
{%- endmacro %}


{#- The row tables whose cells both parts of an indicator are summed from, or none when a
    part is summed from its own rows. Needs the graph (execution). -#}
{% macro indicator_cells_row_tables(indicator_id, has_denominator) -%}
{%- set row_tables = [] -%}
{%- for part, model in indicator_parts(indicator_id, has_denominator) -%}
    {%- set cells = indicator_cells_source(model) -%}
    {%- if cells is none -%}{%- do return(none) -%}{%- endif -%}
    {%- if cells.rows not in row_tables -%}{%- do row_tables.append(cells.rows) -%}{%- endif -%}
{%- endfor -%}
{%- do return(row_tables) -%}
{%- endmacro %}


{#- What an incremental run writes again: {indicator id: {'write': the months (first
    days, 'YYYY-MM-DD') whose rows it writes again, 'read': those and the months a year
    before}, or none for an indicator written whole}; none when the run writes every row
    (see the top). -#}
{% macro summary_rebuild_plan() -%}
{%- if not execute or not is_incremental() or previous_build('batch_id') is none -%}
    {%- do return(none) -%}
{%- endif -%}
{%- set watermark = ehr_watermark() -%}
{%- set row_tables_of, row_tables = {}, [] -%}
{%- for indicator_id, has_denominator, grains in summary_indicators() -%}
    {%- set found = indicator_cells_row_tables(indicator_id, has_denominator) -%}
    {%- do row_tables_of.update({indicator_id: found}) -%}
    {%- for row_table in found or [] if row_table not in row_tables -%}
        {%- do row_tables.append(row_table) -%}
    {%- endfor -%}
{%- endfor -%}
{%- set moved = {} -%}
{%- if row_tables -%}
    {%- set query -%}
    {%- for row_table in row_tables %}
    select '{{ row_table }}' as row_table, period_month::text as period_month
    from {{ cells_moved_table(ref(row_table)) }}
    where batch_id > {{ watermark }}
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
    {%- endset -%}
    {%- for row in run_query(query).rows -%}
        {%- if row[1] == '-infinity' -%}{%- do return(none) -%}{%- endif -%}
        {%- do moved.setdefault(row[0], []).append(row[1]) -%}
    {%- endfor -%}
{%- endif -%}
{#- an indicator the summary has no row of yet, or whose rows carry another definition
    (names, kind, unit, target: seeds/indicator_definitions.csv, which a county may edit)
    is written whole. One row of each tells: an indicator's rows are written with the
    definition of their night, and whole when it changes, so they all carry the same
    (a probe of the unique index each: 1 ms; comparing every row took 3 s at a year of
    200,000 residents). -#}
{%- set definition = 'indicator_name_en, indicator_name_zh, kind, unit, target, '
                     ~ 'target_direction' -%}
{%- set query -%}
select definitions.indicator_id
from {{ ref('indicator_definitions') }} as definitions
left join lateral (
    select summary.indicator_id, summary.{{ definition | replace(', ', ', summary.') }}
    from {{ this }} as summary
    where summary.indicator_id = definitions.indicator_id
    order by summary.period_grain, summary.period_start  -- by the index (else a scan)
    limit 1) as written on true
where written.indicator_id is null
   or (written.{{ definition | replace(', ', ', written.') }})
      is distinct from (definitions.{{ definition | replace(', ', ', definitions.') }})
{%- endset -%}
{%- set stale = run_query(query).columns[0].values() -%}
{%- set plan = {} -%}
{%- for indicator_id, found in row_tables_of.items() -%}
    {%- if found is none or indicator_id in stale -%}
        {%- do plan.update({indicator_id: none}) -%}
    {%- else -%}
        {%- set write, read = [], [] -%}
        {%- for row_table in found -%}{%- for month in moved.get(row_table, []) -%}
            {%- set first = modules.datetime.date.fromisoformat(month) -%}
            {%- for day in [first, first.replace(year=first.year + 1)] -%}
                {%- if day.isoformat() not in write -%}{%- do write.append(day.isoformat()) -%}{%- endif -%}
            {%- endfor -%}
        {%- endfor -%}{%- endfor -%}
        {%- for month in write -%}
            {%- set first = modules.datetime.date.fromisoformat(month) -%}
            {%- for day in [first, first.replace(year=first.year - 1)] -%}
                {%- if day.isoformat() not in read -%}{%- do read.append(day.isoformat()) -%}{%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- do plan.update({indicator_id: {'write': write | sort, 'read': read | sort}}) -%}
    {%- endif -%}
{%- endfor -%}
{%- do return(plan) -%}
{%- endmacro %}


{#- The condition on a summary row (columns of `alias`, or unqualified) that it is one the
    plan writes again. -#}
{% macro summary_rows_in_plan(plan, alias=none) -%}
{%- set column = (alias ~ '.') if alias else '' -%}
{%- set whole = [] -%}{%- set conditions = [] -%}
{%- for indicator_id, months in plan.items() -%}
    {%- if months is none -%}
        {%- do whole.append("'" ~ indicator_id ~ "'") -%}
    {%- elif months.write -%}
        {%- do conditions.append('(' ~ column ~ "indicator_id = '" ~ indicator_id ~ "' and "
            ~ "date_trunc('month', " ~ column ~ "period_start)::date in ('"
            ~ months.write | join("', '") ~ "'))") -%}
    {%- endif -%}
{%- endfor -%}
{%- if whole -%}
    {%- do conditions.insert(0, column ~ 'indicator_id in (' ~ whole | join(', ') ~ ')') -%}
{%- endif -%}
({{ conditions | join('\n    or ') if conditions else 'false' }})
{%- endmacro %}


{#- Pre-hook: delete the rows the run writes again (every row when it writes them all). -#}
{% macro delete_summary_rows_to_rebuild() -%}
{%- if is_incremental() -%}
{%- set plan = summary_rebuild_plan() -%}
delete from {{ this }}
{%- if plan is not none %}
where {{ summary_rows_in_plan(plan) }}
{%- endif %}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}
