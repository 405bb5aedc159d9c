-- 高血压患者控制率, denominator: managed hypertension patients.
{{ indicator_part('hypertension_management_rate__numerator') }}
