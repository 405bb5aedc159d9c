-- Every current insurance settlement of a resident insured in the county, except pharmacy
-- purchases, in the shape every indicator model has (macro indicator_measure; amount 1,
-- fund_paid beside it for the fund indicators). Care outside the county is seen only here.
-- Placed by the resident's township (ehr.patient) and, for care inside the county, by the
-- facility that gave it.
-- Incremental: a night writes the settlements changed since, and those of persons whose
-- township may have moved (macros/indicator_row_tables.sql).
-- The admissions outside the county (hospitalisation_rate__numerator) are found by a partial
-- index: a few of 4.5 million rows at a year, which that model read whole each night.
{{ indicator_rows_config('settlement_rows_to_rewrite()',
    cells={'dimensions': ['in_county', 'is_inpatient', 'is_primary_care', 'care_township_code'],
           'measures': ['amount', 'fund_paid']},
    extra_post_hooks=["{{ index_if_missing(['period_date'], where=admitted_outside_county()) }}"]) }}
select
    {{ indicator_row('settlement.settlement_key', 'settlement.admit_date',
                     'case when settlement.in_county then settlement.care_facility_code end',
                     'case when settlement.in_county then settlement.care_facility_level end',
                     'patient.township_code') }},
    settlement.person_key,
    settlement.in_county,
    settlement.is_inpatient,
    settlement.is_primary_care,
    settlement.care_township_code,
    coalesce(settlement.fund_paid, 0)               as fund_paid,
    settlement.total_cost,
    {{ newest_loaded_batch() }}::bigint             as batch_id
from {{ ref('insurance_settlement') }} as settlement
left join {{ ref('patient') }} as patient
    on patient.person_key = settlement.person_key
where settlement.insured_in_county
  and not settlement.is_pharmacy
  and settlement.admit_date is not null
{{- rows_to_rewrite_only('settlement.settlement_key', settlement_rows_to_rewrite()) }}
