-- 重点人群签约率, numerator: the denominator's residents with a contract in force.
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('priority_contract_rate__denominator') }}
where is_contracted
