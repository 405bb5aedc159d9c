-- 高血压患者控制率, denominator: managed hypertension patients.
select * from {{ ref('hypertension_management_rate__numerator') }}
