-- 住院率, numerator: admissions of the county's residents: at county facilities (ehr) and,
-- for the insured, outside the county (settlements; no county facility sees those).
-- Placed by the resident's township; a month's rate is not annualised.
select
    {{ indicator_row('admission.subject_key', 'admission.period_date',
                     township_code='patient.township_code') }}
from {{ ref('indicator_admissions') }} as admission
inner join {{ ref('patient') }} as patient
    on patient.person_key = admission.person_key
   and patient.lives_in_county
union all
select subject_key, period_date, null, null, township_code, amount
from {{ ref('indicator_settlements') }}
where {{ admitted_outside_county() }}  -- by its partial index
