-- 下转人次, a count: every current referral to a lower tier (county hospitals -> township
-- -> village), placed by the referring facility; its growth against the same period last
-- year is in indicator_summary.
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('indicator_referrals') }}
where direction = 'down'
