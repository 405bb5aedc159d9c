-- Every indicator in one long table: one row per indicator, grain and period, with its
-- target and whether it is met. Add an indicator by adding its numerator/denominator models,
-- a row in seeds/indicator_definitions.csv and one union branch here.
with rates as (
    {{ indicator_rates('primary_care_visit_share',
                       'primary_care_visit_share__denominator',
                       'primary_care_visit_share__numerator') }}
)

select
    rates.indicator_id,
    definitions.indicator_name_en,
    definitions.indicator_name_zh,
    rates.period_grain,
    rates.period_start,
    rates.numerator,
    rates.denominator,
    case when rates.denominator > 0
         then round(rates.numerator::numeric / rates.denominator, 6) end    as value,
    definitions.target,
    definitions.target_direction,
    case
        when rates.denominator = 0 or definitions.target is null then null
        when definitions.target_direction = 'at_least'
            then rates.numerator::numeric / rates.denominator >= definitions.target
        else rates.numerator::numeric / rates.denominator <= definitions.target
    end                                                                  as meets_target
from rates
left join {{ ref('indicator_definitions') }} as definitions
    using (indicator_id)
