-- 家庭医生签约率, denominator: the county's residents alive on the month's measuring day,
-- per month and township (quality.indicator_population, every resident).
select
    {{ indicator_row('township_code', 'month_start', township_code='township_code',
                     amount='residents') }}
from {{ ref('indicator_population') }}
where min_age is null
