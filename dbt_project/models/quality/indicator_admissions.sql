-- Every current admission at a county facility, in the shape every indicator model has
-- (macro indicator_measure): the rows the admission-based indicators count.
-- Incremental: a night writes the admissions changed since (macros/indicator_row_tables.sql);
-- rebuilt whole, it read every encounter of the year (723 MB) for 115,000 admissions.
{{ indicator_rows_config('encounter_rows_to_rewrite()') }}
select
    {{ indicator_row('encounter_key', 'encounter_date', 'facility_code', 'facility_level',
                     'township_code') }},
    person_key,
    start_time,
    end_time,
    disposition,
    total_cost,
    {{ newest_loaded_batch() }}::bigint                                 as batch_id
from {{ ref('encounter') }}
where encounter_class = 'inpatient'
{{- rows_to_rewrite_only('encounter_key', encounter_rows_to_rewrite()) }}
