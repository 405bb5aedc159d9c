-- 糖尿病患者规范管理率, denominator: managed diabetes patients.
{{ indicator_part('diabetes_management_rate__numerator') }}
