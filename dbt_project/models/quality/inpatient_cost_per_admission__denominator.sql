-- 县域内住院人均费用, denominator: every current admission at a county facility with a
-- reported total cost (the cost as last reported; final once the discharge is sent).
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('indicator_admissions') }}
where total_cost is not null
