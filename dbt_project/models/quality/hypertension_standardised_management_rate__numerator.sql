-- 高血压患者规范管理率, numerator: managed hypertension patients followed up at least four times in the
-- last twelve months (the national basic public health service protocol).
{{ indicator_part('hypertension_standardised_management_rate__denominator',
                   where='followups_12m >= 4') }}
