-- 基层诊疗人次占比, denominator: every current outpatient or emergency visit at any county
-- facility (admissions are not visits; cancelled visits are already gone from ehr).
select
    encounter_key,
    person_key,
    facility_code,
    facility_level,
    is_primary_care,
    encounter_date as period_date
from {{ ref('encounter') }}
where is_visit
