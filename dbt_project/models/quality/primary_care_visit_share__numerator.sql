-- 基层诊疗人次占比, numerator: the denominator's visits made at township health centres and
-- village clinics.
{{ indicator_part('primary_care_visit_share__denominator', where='is_primary_care') }}
