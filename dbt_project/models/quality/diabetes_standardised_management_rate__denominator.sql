-- 糖尿病患者规范管理率, denominator: managed diabetes patients.
select * from {{ ref('diabetes_management_rate__numerator') }}
