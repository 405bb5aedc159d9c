-- Every current admission at a county facility, in the shape every indicator model has
-- (macro indicator_measure): the rows the admission-based indicators count.
select
    {{ indicator_row('encounter_key', 'encounter_date', 'facility_code', 'facility_level',
                     'township_code') }},
    person_key,
    start_time,
    end_time,
    disposition,
    total_cost
from {{ ref('encounter') }}
where encounter_class = 'inpatient'
