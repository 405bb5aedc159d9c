-- 家庭医生签约率, denominator: the county's residents alive on the month's measuring day,
-- per month and township (quality.indicator_residents).
select
    {{ indicator_row('township_code', 'month_start', township_code='township_code',
                     amount='count(*)') }}
from {{ ref('indicator_residents') }}
group by month_start, township_code
