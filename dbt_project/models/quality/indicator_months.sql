-- The months the indicators of a state (managed patients, contracts, residents) are
-- measured in: every month with published encounters (care the county gave), each measured
-- as of its last day, or the newest export night for the month still running. Follow-ups
-- back-dated into months without care do not add months of their own.
-- The months are walked on ehr.encounter's date index, a probe or two each (grouping every
-- visit of every year by month read the whole table: 1.7 s of a year's night); the newest
-- export night is the top of its export_date index.
-- Analysed when built: the person-month models plan their incremental runs by it.
{{ config(post_hook='analyze {{ this }}') }}
with recursive months as (
    select date_trunc('month', min(encounter_date))::date as month_start
    from {{ ref('encounter') }}
    union all
    select (select date_trunc('month', min(later.encounter_date))::date
            from {{ ref('encounter') }} as later
            where later.encounter_date >= (months.month_start + interval '1 month')::date)
    from months
    where months.month_start is not null
),

newest as (
    select max(export_date) as export_date from {{ ref('encounter') }}
)

select
    months.month_start,
    least((months.month_start + interval '1 month - 1 day')::date,
          greatest(newest.export_date, (
              select max(day.encounter_date) from {{ ref('encounter') }} as day
              where day.encounter_date >= months.month_start
                and day.encounter_date < (months.month_start + interval '1 month')::date)))
                                                                        as as_of_date
from months
cross join newest
where months.month_start is not null
