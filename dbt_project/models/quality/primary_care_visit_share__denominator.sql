-- 基层诊疗人次占比, denominator: every current outpatient or emergency visit at any county
-- facility.
{{ indicator_part('indicator_visits') }}
