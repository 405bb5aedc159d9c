-- 基层上转率, denominator: every current visit at township health centres and village
-- clinics.
{{ indicator_part('indicator_visits', where='is_primary_care') }}
