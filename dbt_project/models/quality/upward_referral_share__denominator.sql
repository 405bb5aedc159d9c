-- 基层上转率, denominator: every current visit at township health centres and village
-- clinics.
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('indicator_visits') }}
where is_primary_care
