-- 基层医保基金支出占比, numerator: the denominator's payments at township health centres and
-- village clinics.
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('fund_primary_care_share__denominator') }}
where is_primary_care
