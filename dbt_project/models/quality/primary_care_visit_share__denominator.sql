-- 基层诊疗人次占比, denominator: every current outpatient or emergency visit at any county
-- facility.
select * from {{ ref('indicator_visits') }}
