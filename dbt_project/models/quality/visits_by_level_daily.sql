-- Visits (outpatient + emergency) and admissions per day and facility level.
select
    encounter_date                                   as visit_date,
    facility_level,
    bool_or(is_primary_care)                         as is_primary_care,
    count(*) filter (where is_visit)                 as visits,
    count(*) filter (where encounter_class = 'inpatient') as admissions
from {{ ref('encounter') }}
group by encounter_date, facility_level
