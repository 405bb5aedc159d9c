-- 医保基金县域内支出占比, denominator: the fund's payments (yuan) for every settled visit and
-- admission of the county's insured residents, inside or outside the county (pharmacies
-- excluded).
{{ indicator_part('indicator_settlements', amount='fund_paid', keep=['in_county']) }}
