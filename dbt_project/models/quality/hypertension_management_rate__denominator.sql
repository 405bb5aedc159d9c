-- 高血压患者管理率, denominator: the expected number of hypertension patients, residents of the
-- prevalence's age (seed chronic_prevalence) times the prevalence, per month and township.
{{ expected_patients('hypertension') }}
