-- 县域内就诊率, denominator: every settled visit and admission of the county's insured
-- residents, inside or outside the county (pharmacy purchases excluded).
{{ indicator_part('indicator_settlements') }}
