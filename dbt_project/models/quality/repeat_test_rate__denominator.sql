-- 重复检验率 (the other side of 检查检验结果互认), denominator: every current lab result with a
-- common (LOINC) code, placed by the facility that produced it.
-- Incremental: a night writes the results changed since (macros/indicator_row_tables.sql);
-- rebuilt whole, it read every result of the year.
{{ indicator_rows_config('lab_result_rows_to_rewrite()') }}
select
    {{ indicator_row('observation.observation_key', 'observation.effective_at',
                     'observation.facility_code', 'facility.facility_level',
                     'facility.township_code') }},
    observation.person_key,
    observation.loinc_code,
    observation.effective_at,
    {{ newest_loaded_batch() }}::bigint                                 as batch_id
from {{ ref('observation') }} as observation
left join {{ ref('stg_ingest__facilities') }} as facility
    on facility.facility_code = observation.facility_code
where observation.category = 'laboratory'
  and observation.followup_key is null
  and observation.loinc_code is not null
  and observation.effective_at is not null
{{- rows_to_rewrite_only('observation.observation_key', lab_result_rows_to_rewrite()) }}
