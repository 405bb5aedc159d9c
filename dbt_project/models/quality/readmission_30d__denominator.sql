-- 30天再入院率, denominator: index discharges: admissions at county facilities that ended
-- in a discharge, less the exclusions (deaths, transfers, windows still open), placed by
-- the discharging facility on the discharge day.
select
    {{ indicator_row('admission.subject_key', 'admission.end_time', 'admission.facility_code',
                     'admission.facility_level', 'admission.township_code') }},
    admission.person_key,
    admission.end_time
from {{ ref('indicator_admissions') }} as admission
where admission.end_time is not null
  and admission.subject_key not in (select subject_key from {{ ref('readmission_30d__exclusions') }})
