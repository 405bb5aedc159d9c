-- 慢病管理人群住院率, numerator: the denominator's patients admitted to any county facility
-- in the month (across facilities through the EMPI's person key).
select managed.subject_key, managed.period_date, managed.facility_code, managed.facility_level,
       managed.township_code, managed.amount, managed.person_key
from {{ ref('managed_chronic_admission_rate__denominator') }} as managed
where exists (
    select 1
    from {{ ref('indicator_admissions') }} as admission
    where admission.person_key = managed.person_key
      and date_trunc('month', admission.period_date) = managed.period_date)
