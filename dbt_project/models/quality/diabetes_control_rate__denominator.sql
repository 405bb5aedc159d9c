-- 糖尿病患者控制率, denominator: managed diabetes patients.
{{ indicator_part('diabetes_management_rate__numerator') }}
