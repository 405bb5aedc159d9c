-- 基层医保基金支出占比, numerator: the denominator's payments at township health centres and
-- village clinics.
{{ indicator_part('fund_primary_care_share__denominator', where='is_primary_care') }}
