-- 高血压患者规范管理率, denominator: managed hypertension patients.
select * from {{ ref('hypertension_management_rate__numerator') }}
