-- How much of what facilities send maps onto the county's code lists, per facility and
-- code list: the unmapped are counted here, never dropped from ehr.
select 'icd10_blocks'::text as code_list, facility_code,
       count(*) as records, count(*) filter (where not code_in_value_set) as unmapped
from {{ ref('condition') }}
group by facility_code
union all
select 'lab_map', facility_code,
       count(*), count(*) filter (where not code_mapped)
from {{ ref('observation') }}
where followup_key is null  -- lab results; follow-up measurements are coded by their seed
group by facility_code
