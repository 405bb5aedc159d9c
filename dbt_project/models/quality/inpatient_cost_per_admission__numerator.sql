-- 县域内住院人均费用, numerator: the total cost (yuan) of the denominator's admissions.
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select subject_key, period_date, facility_code, facility_level, township_code,
       total_cost as amount
from {{ ref('inpatient_cost_per_admission__denominator') }}
