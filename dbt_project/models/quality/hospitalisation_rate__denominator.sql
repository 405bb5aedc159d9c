-- 住院率, denominator: the county's residents per month and township (the same count as the
-- contract rate's).
select * from {{ ref('family_doctor_contract_rate__denominator') }}
