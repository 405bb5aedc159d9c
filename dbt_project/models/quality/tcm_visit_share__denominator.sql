-- 中医类诊疗量占比, denominator: every current outpatient or emergency visit at any county
-- facility.
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('indicator_visits') }}
