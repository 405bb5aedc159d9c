-- 高血压患者规范管理率, denominator: managed hypertension patients.
{{ indicator_part('hypertension_management_rate__numerator') }}
