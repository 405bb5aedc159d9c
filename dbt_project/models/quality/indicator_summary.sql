-- Every indicator in one long table (Tuva's pattern): one row per indicator, period grain,
-- period and breakdown (the county, each facility, township, facility level), with its
-- numerator, denominator, value, last year's value for the same period, growth, target and
-- whether it is met. The sums come from the one formula in macros/indicator_rates.sql; the
-- value, growth and target check are computed here and nowhere else.
-- Add an indicator: its numerator (and denominator) models, a row in
-- seeds/indicator_definitions.csv and one entry below.
-- Most parts are summed from their row table's cells (macros/indicator_cells.sql):
-- depends_on: {{ ref('indicator_settlements__cells') }}
-- depends_on: {{ ref('indicator_visits__cells') }}
-- depends_on: {{ ref('indicator_managed_patients__cells') }}
-- depends_on: {{ ref('indicator_contracted_residents__cells') }}
{%- set daily = ['day', 'month'] %}
{%- set indicators = [
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
] %}

with measures as (
    {%- for indicator_id, has_denominator, grains in indicators %}
    select * from (
        {{ indicator_measure(indicator_id, indicator_id ~ '__numerator',
                             indicator_id ~ '__denominator' if has_denominator else none,
                             grains) | indent(8) }}
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
    end                                                               as meets_target
from valued
inner join {{ ref('indicator_definitions') }} as definitions
    using (indicator_id)
left join valued as last_year
    on last_year.indicator_id = valued.indicator_id
   and last_year.period_grain = valued.period_grain
   and last_year.period_start = (valued.period_start - interval '1 year')::date
   and last_year.breakdown = valued.breakdown
   and last_year.breakdown_value = valued.breakdown_value
