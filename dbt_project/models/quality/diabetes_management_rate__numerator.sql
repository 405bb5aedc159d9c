-- 糖尿病患者管理率, numerator: managed diabetes patients (a current follow-up in the last twelve
-- months; indicator_managed_patients).
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('indicator_managed_patients') }}
where disease = 'diabetes'
