-- 上转人次, a count: every current referral to a higher tier (village -> township -> county
-- hospitals), placed by the referring facility.
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('indicator_referrals') }}
where direction = 'up'
