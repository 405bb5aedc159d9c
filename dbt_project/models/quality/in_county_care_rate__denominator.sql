-- 县域内就诊率, denominator: every settled visit and admission of the county's insured
-- residents, inside or outside the county (pharmacy purchases excluded).
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('indicator_settlements') }}
