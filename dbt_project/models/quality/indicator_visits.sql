-- Every current outpatient or emergency visit (诊疗人次) at a county facility, in the shape
-- every indicator model has (macro indicator_measure): the rows the visit-based indicators
-- count. Admissions are not visits; cancelled visits are already gone from ehr.
-- Incremental: a night writes the visits changed since (macros/indicator_row_tables.sql).
{{ indicator_rows_config('encounter_rows_to_rewrite()',
    cells={'dimensions': ['is_primary_care', 'is_tcm']}) }}
select
    {{ indicator_row('encounter_key', 'encounter_date', 'facility_code', 'facility_level',
                     'township_code') }},
    person_key,
    is_primary_care,
    (facility_level = 'tcm_hospital' or department ~ '中医|针灸|推拿')    as is_tcm,
    {{ newest_loaded_batch() }}::bigint                                 as batch_id
from {{ ref('encounter') }}
where is_visit
{{- rows_to_rewrite_only('encounter_key', encounter_rows_to_rewrite()) }}
