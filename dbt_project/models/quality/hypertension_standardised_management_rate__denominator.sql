-- 高血压患者规范管理率, denominator: managed hypertension patients.
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('hypertension_management_rate__numerator') }}
