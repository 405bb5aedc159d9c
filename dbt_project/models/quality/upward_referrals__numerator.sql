-- 上转人次, a count: every current referral to a higher tier (village -> township -> county
-- hospitals), placed by the referring facility.
{{ indicator_part('indicator_referrals', where="direction = 'up'") }}
