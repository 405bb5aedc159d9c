-- 糖尿病患者控制率, denominator: managed diabetes patients.
select * from {{ ref('diabetes_management_rate__numerator') }}
