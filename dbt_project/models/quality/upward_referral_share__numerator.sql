-- 基层上转率, numerator: upward referrals made by township health centres and village
-- clinics (referrals, not a subset of the visit rows: the rate is referrals per visit).
{{ indicator_part('upward_referrals__numerator', where='from_primary_care') }}
