-- 医保基金县域内支出占比, denominator: the fund's payments (yuan) for every settled visit and
-- admission of the county's insured residents, inside or outside the county (pharmacies
-- excluded).
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select subject_key, period_date, facility_code, facility_level, township_code,
       fund_paid as amount, in_county
from {{ ref('indicator_settlements') }}
