-- 糖尿病患者管理率, numerator: managed diabetes patients (a current follow-up in the last twelve
-- months; indicator_managed_patients).
{{ indicator_part('indicator_managed_patients', where="disease = 'diabetes'") }}
