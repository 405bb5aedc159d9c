-- 糖尿病患者规范管理率, numerator: managed diabetes patients followed up at least four times in the
-- last twelve months (the national basic public health service protocol).
{{ indicator_part('diabetes_standardised_management_rate__denominator',
                   where='followups_12m >= 4') }}
