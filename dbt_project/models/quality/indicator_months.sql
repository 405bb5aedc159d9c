-- The months the indicators of a state (managed patients, contracts, residents) are
-- measured in: every month with published encounters (care the county gave), each measured
-- as of its last day, or the newest export night for the month still running. Follow-ups
-- back-dated into months without care do not add months of their own.
-- Analysed when built: the person-month models plan their incremental runs by it.
{{ config(post_hook='analyze {{ this }}') }}
with data_days as (
    select encounter_date as day from {{ ref('encounter') }}
),

newest as (
    select max(export_date) as export_date from {{ ref('encounter') }}
)

select
    months.month_start,
    least((months.month_start + interval '1 month - 1 day')::date,
          greatest(newest.export_date, months.last_day))                as as_of_date
from (
    select date_trunc('month', day)::date as month_start, max(day) as last_day
    from data_days
    where day is not null
    group by 1
) as months
cross join newest
