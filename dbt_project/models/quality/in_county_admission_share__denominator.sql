-- 参保人县域内住院人次占比, denominator: every settled admission of the county's insured
-- residents, inside or outside the county.
{{ indicator_part('indicator_settlements', where='is_inpatient') }}
