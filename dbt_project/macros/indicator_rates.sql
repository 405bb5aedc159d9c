{#- The one formula of every indicator. Each indicator has a denominator model and a
    numerator model (Tuva's pattern) listing what is counted, one row each, with the same
    columns:
        subject_key    what the row counts (a visit, a settlement, a person, ...)
        period_date    the day it falls on
        facility_code, facility_level, township_code   where it happened (null: not
                       meaningful for this indicator; the breakdown then has no row)
        amount         what the row adds: 1 for a count, yuan for money, a prevalence for
                       an expected number of patients
    numerator = sum(amount) of the numerator rows, denominator = sum(amount) of the
    denominator rows (summed from their row table's cells where it has them:
    macros/indicator_cells.sql), per period (day, month) and per breakdown (the whole county, each
    facility, township and facility level), in one pass with grouping sets. An indicator
    that is a plain count has no denominator model. The value, target, last year's value
    and growth are derived from these in indicator_summary, nowhere else. -#}
{% macro indicator_measure(indicator_id, numerator, denominator=none, grains=['month'],
                           months=none) -%}
{#- grains finest first: the rows are summed once, at the finest grain; each coarser grain
    adds up those sums (a sum of sums is the sum), so a table is read once, not per grain.
    `months` (first days, 'YYYY-MM-DD'): only the periods of those months (a summary's
    incremental run, macros/summary_incremental.sql); none: every period. -#}
{%- set parts = [('numerator', numerator)] -%}
{%- if denominator -%}{%- do parts.append(('denominator', denominator)) -%}{%- endif -%}
{%- set finest = grains[0] -%}
{%- set conditions = [] if months is none else
        ["date_trunc('month', period_date)::date in ('" ~ months | join("', '") ~ "')"
         if months else 'false'] -%}
with
{%- for part, model in parts %}
{%- set cells = indicator_cells_source(model) %}
{{ part }}_cells as (  -- one pass over the rows (or their cells): a sum per period and place
    select
        {#- a day is the date itself: date_trunc goes through a timestamp with time zone
            per row (a sixth of the pass over a year's 4 million settlements) #}
        {% if finest == 'day' %}period_date{% else %}date_trunc('{{ finest }}', period_date)::date{% endif %}
                                                                  as period_start,
        {%- if cells %}
        facility_code, {{ cells.township }} as township_code, facility_level,
        sum({{ cells.amount }})::numeric                          as total
    from {{ cells.relation }}  -- {{ model }}, summed from its row table's cells
    {%- set where = ([cells.where] if cells.where else []) + conditions %}
        {%- else %}
        facility_code, township_code, facility_level,
        sum(amount)::numeric                                      as total
    from {{ ref(model) }}
    {%- set where = conditions %}
        {%- endif %}
    {%- if where %}
    where {{ where | join(' and ') }}
    {%- endif %}
    group by 1, 2, 3, 4
),

{{ part }}_{{ finest }} as (
    select
        '{{ finest }}'::text                                      as period_grain,
        period_start,
        case when grouping(facility_code) = 0 then 'facility'
             when grouping(township_code) = 0 then 'township'
             when grouping(facility_level) = 0 then 'level'
             else 'county' end                                    as breakdown,
        coalesce(facility_code, township_code, facility_level, 'all')::text as breakdown_value,
        sum(total)                                                as total
    from {{ part }}_cells
    group by grouping sets ((period_start), (period_start, facility_code),
                            (period_start, township_code), (period_start, facility_level))
),

{{ part }}_sums as (
    select * from {{ part }}_{{ finest }}
    {%- for grain in grains[1:] %}
    union all
    select '{{ grain }}'::text, date_trunc('{{ grain }}', period_start)::date, breakdown,
           breakdown_value, sum(total)
    from {{ part }}_{{ finest }}
    group by 2, 3, 4
    {%- endfor %}
){% if not loop.last %},{% endif %}
{%- endfor %}

select
    '{{ indicator_id }}'::text                                    as indicator_id,
    coalesce(d.period_grain, n.period_grain)                      as period_grain,
    coalesce(d.period_start, n.period_start)                      as period_start,
    coalesce(d.breakdown, n.breakdown)                            as breakdown,
    coalesce(d.breakdown_value, n.breakdown_value)                as breakdown_value,
    coalesce(n.total, 0)                                          as numerator,
    {% if denominator %}coalesce(d.total, 0){% else %}null::numeric{% endif %} as denominator
{%- if denominator %}
from denominator_sums as d
full join numerator_sums as n
    using (period_grain, period_start, breakdown, breakdown_value)
{%- else %}
from numerator_sums as n
cross join (select null::text as period_grain, null::date as period_start,
                   null::text as breakdown, null::text as breakdown_value) as d
{%- endif %}
-- a group whose breakdown column is null is not a facility, township or level: dropped;
-- so is a facility, township or level the denominator does not place rows by (numerator
-- rows there have nothing to be divided by: the county row still counts them)
where not (coalesce(d.breakdown, n.breakdown) <> 'county'
           and coalesce(d.breakdown_value, n.breakdown_value) = 'all')
{%- if denominator %}
  and not (n.breakdown <> 'county' and d.breakdown is null)
{%- endif %}
{%- endmacro %}


{#- The six columns every indicator row model starts with (the shape indicator_measure
    sums): what the row counts, its day, where it is placed, what it adds. -#}
{% macro indicator_row(subject_key, period_date, facility_code='null', facility_level='null',
                       township_code='null', amount='1') -%}
    ({{ subject_key }})::text                                        as subject_key,
    ({{ period_date }})::date                                        as period_date,
    ({{ facility_code }})::text                                      as facility_code,
    ({{ facility_level }})::text                                     as facility_level,
    ({{ township_code }})::text                                      as township_code,
    ({{ amount }})::numeric                                          as amount
{%- endmacro %}
