-- 基层医保基金支出占比, denominator: the fund's payments (yuan) at county facilities, placed
-- by the facility, its level and its township.
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select subject_key, period_date, facility_code, facility_level,
       care_township_code as township_code, fund_paid as amount, is_primary_care
from {{ ref('indicator_settlements') }}
where in_county
