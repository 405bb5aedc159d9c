-- Every indicator in one long table (Tuva's pattern): one row per indicator, period grain,
-- period and breakdown (the county, each facility, township, facility level), with its
-- numerator, denominator, value, last year's value for the same period, growth, target and
-- whether it is met. The sums come from the one formula in macros/indicator_rates.sql; the
-- value, growth and target check are computed here and nowhere else.
-- Add an indicator: its numerator (and denominator) models, a row in
-- seeds/indicator_definitions.csv and one entry in summary_indicators().
-- Incremental by month: a night writes again the months whose cells moved, and every row
-- of an indicator summed from its own rows (macros/summary_incremental.sql).
-- Most parts are summed from their row table's cells (macros/indicator_cells.sql):
-- depends_on: {{ ref('indicator_settlements__cells') }}
-- depends_on: {{ ref('indicator_visits__cells') }}
-- depends_on: {{ ref('indicator_managed_patients__cells') }}
-- depends_on: {{ ref('indicator_contracted_residents__cells') }}
-- depends_on: {{ ref('indicator_referrals__cells') }}
-- depends_on: {{ ref('managed_chronic_admission_rate__denominator__cells') }}
-- and the months they moved are read beside their row tables (macros/cells_upkeep.sql):
-- depends_on: {{ ref('indicator_settlements') }}
-- depends_on: {{ ref('indicator_visits') }}
-- depends_on: {{ ref('indicator_managed_patients') }}
-- depends_on: {{ ref('indicator_contracted_residents') }}
-- depends_on: {{ ref('indicator_referrals') }}
{{ config(materialized='incremental', incremental_strategy='append',
          on_schema_change='append_new_columns',
          indexes=[{'columns': ['indicator_id', 'period_grain', 'period_start', 'breakdown',
                                'breakdown_value'], 'unique': true},
                   {'columns': ['batch_id']}],
          pre_hook="{{ delete_summary_rows_to_rebuild() }}",
          post_hook="{{ add_missing_indexes() }}") }}
{%- set plan = summary_rebuild_plan() %}

with measures as (
    {%- for indicator_id, has_denominator, grains in summary_indicators() %}
    {%- set months = plan.get(indicator_id) if plan is not none else none %}
    select * from (
        {{ indicator_measure(indicator_id, indicator_id ~ '__numerator',
                             indicator_id ~ '__denominator' if has_denominator else none,
                             grains, months.read if months is not none else none)
           | indent(8) }}
    ) as {{ indicator_id }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

valued as (
    select
        measures.*,
        case when definitions.kind = 'count' then measures.numerator
             when measures.denominator > 0
             then round(measures.numerator / measures.denominator, 6) end   as value
    from measures
    inner join {{ ref('indicator_definitions') }} as definitions
        using (indicator_id)
)

select
    valued.indicator_id,
    definitions.indicator_name_en,
    definitions.indicator_name_zh,
    definitions.kind,
    definitions.unit,
    valued.period_grain,
    valued.period_start,
    valued.breakdown,
    valued.breakdown_value,
    valued.numerator,
    valued.denominator,
    valued.value,
    last_year.value                                                   as value_last_year,
    case when last_year.value <> 0
         then round(valued.value / last_year.value - 1, 6) end        as growth_vs_last_year,
    definitions.target,
    definitions.target_direction,
    case
        when valued.value is null or definitions.target is null then null
        when definitions.target_direction = 'at_least' then valued.value >= definitions.target
        else valued.value <= definitions.target
    end                                                               as meets_target,
    {{ newest_loaded_batch() }}::bigint                               as batch_id
from valued
inner join {{ ref('indicator_definitions') }} as definitions
    using (indicator_id)
left join valued as last_year
    on last_year.indicator_id = valued.indicator_id
   and last_year.period_grain = valued.period_grain
   and last_year.period_start = (valued.period_start - interval '1 year')::date
   and last_year.breakdown = valued.breakdown
   and last_year.breakdown_value = valued.breakdown_value
{%- if plan is not none %}
where {{ summary_rows_in_plan(plan, 'valued') }}
{%- endif %}
