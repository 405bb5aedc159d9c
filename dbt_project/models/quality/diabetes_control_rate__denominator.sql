-- 糖尿病患者控制率, denominator: managed diabetes patients.
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('diabetes_management_rate__numerator') }}
