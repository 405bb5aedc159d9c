-- 参保人县域内住院人次占比, numerator: the denominator's admissions at county facilities.
{{ indicator_part('in_county_admission_share__denominator', where='in_county') }}
