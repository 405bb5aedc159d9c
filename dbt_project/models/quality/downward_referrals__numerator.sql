-- 下转人次, a count: every current referral to a lower tier (county hospitals -> township
-- -> village), placed by the referring facility; its growth against the same period last
-- year is in indicator_summary.
{{ indicator_part('indicator_referrals', where="direction = 'down'") }}
