-- 医保基金县域内支出占比, numerator: the denominator's payments at county facilities.
{{ indicator_part('fund_in_county_share__denominator', where='in_county') }}
