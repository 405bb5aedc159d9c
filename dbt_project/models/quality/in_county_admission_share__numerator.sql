-- 参保人县域内住院人次占比, numerator: the denominator's admissions at county facilities.
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('in_county_admission_share__denominator') }}
where in_county
