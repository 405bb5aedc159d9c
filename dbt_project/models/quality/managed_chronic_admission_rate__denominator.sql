-- 慢病管理人群住院率, denominator: managed hypertension or diabetes patients per month (a
-- person managed for both counts once), placed by the managing facility of the latest
-- follow-up.
select distinct on (period_date, person_key)
    md5(person_key || '|' || period_date)                             as subject_key,
    period_date, facility_code, facility_level, township_code, amount, person_key
from {{ ref('indicator_managed_patients') }}
order by period_date, person_key, disease desc
