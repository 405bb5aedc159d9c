-- 医保基金县域内支出占比, numerator: the denominator's payments at county facilities.
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('fund_in_county_share__denominator') }}
where in_county
