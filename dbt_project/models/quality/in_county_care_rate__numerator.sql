-- 县域内就诊率, numerator: the denominator's visits and admissions at county facilities.
{{ indicator_part('in_county_care_rate__denominator', where='in_county') }}
