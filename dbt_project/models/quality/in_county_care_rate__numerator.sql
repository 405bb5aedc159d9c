-- 县域内就诊率, numerator: the denominator's visits and admissions at county facilities.
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('in_county_care_rate__denominator') }}
where in_county
