-- 家庭医生签约率, numerator: residents with a contract in force on the month's measuring day,
-- each person once.
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('indicator_contracted_residents') }}
where is_contracted
