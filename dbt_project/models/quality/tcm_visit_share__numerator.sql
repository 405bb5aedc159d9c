-- 中医类诊疗量占比, numerator: the denominator's visits at the TCM hospital or in a TCM
-- department (中医, 针灸 acupuncture, 推拿 tuina) of any facility.
{{ indicator_part('tcm_visit_share__denominator', where='is_tcm') }}
