-- 糖尿病患者管理率, denominator: the expected number of diabetes patients, residents of the
-- prevalence's age (seed chronic_prevalence) times the prevalence, per month and township.
{{ expected_patients('diabetes') }}
