-- Visits (outpatient + emergency) and admissions per day and facility level: the visits
-- summed from indicator_visits' cells, the admissions counted from indicator_admissions,
-- so a visit and an admission are defined in one place each. Read from the encounters, it
-- read every encounter of the year each night (733 MB at a year). A day and level with
-- neither (only encounters of an unmapped class) has no row.
with visits as (
    select period_date, facility_level, sum(row_count) as visits
    from {{ ref('indicator_visits__cells') }}
    group by period_date, facility_level
),

admissions as (
    select period_date, facility_level, count(*) as admissions
    from {{ ref('indicator_admissions') }}
    group by period_date, facility_level
),

levels as (
    select facility_level, bool_or(is_primary_care) as is_primary_care
    from {{ ref('stg_ingest__facilities') }}
    group by facility_level
)

select
    period_date                                      as visit_date,
    facility_level,
    coalesce(levels.is_primary_care, false)          as is_primary_care,
    coalesce(visits.visits, 0)::bigint               as visits,
    coalesce(admissions.admissions, 0)::bigint       as admissions
from visits
full join admissions using (period_date, facility_level)
left join levels using (facility_level)
