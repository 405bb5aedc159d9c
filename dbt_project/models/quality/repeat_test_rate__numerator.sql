-- 重复检验率, numerator: results that repeat the same test (LOINC) for the same person at
-- another facility within var('repeat_test_window_days') days after an earlier result: the
-- tests mutual recognition of results would have avoided.
select result.*
from {{ ref('repeat_test_rate__denominator') }} as result
where exists (
    select 1
    from {{ ref('repeat_test_rate__denominator') }} as earlier
    where earlier.person_key = result.person_key
      and earlier.loinc_code = result.loinc_code
      and earlier.facility_code <> result.facility_code
      and earlier.effective_at < result.effective_at
      and earlier.effective_at >= result.effective_at
          - make_interval(days => {{ var('repeat_test_window_days') }}))
