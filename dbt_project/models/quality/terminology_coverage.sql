-- How much of what facilities send maps onto the county's code lists, per facility and
-- code list: the unmapped are counted here, never dropped from ehr. The counts are kept by
-- ehr.condition and ehr.observation themselves with each write (macros/code_counts.sql),
-- not counted again from every record each night.
select 'icd10_blocks'::text as code_list, counts.*
from ({{ code_counts_of(ref('condition')) }}) as counts
union all
select 'lab_map', counts.*  -- lab results; follow-up measurements are coded by their seed
from ({{ code_counts_of(ref('observation')) }}) as counts
