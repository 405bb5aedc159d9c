-- 30天再入院率, numerator: index discharges followed by another admission of the same person
-- at any county facility (through the EMPI) within 30 days after the discharge.
select discharge.*
from {{ ref('readmission_30d__denominator') }} as discharge
where exists (
    select 1
    from {{ ref('indicator_admissions') }} as next
    where next.person_key = discharge.person_key
      and next.subject_key <> discharge.subject_key
      and next.start_time > discharge.end_time
      and next.start_time::date <= discharge.end_time::date + 30)
