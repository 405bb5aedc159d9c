-- 30天再入院率, exclusions: discharges from county facilities that are not index discharges,
-- with the reason: died in hospital (LYFS 5), transferred (the person is admitted to
-- another county facility on the day of discharge: one stay, whose last discharge is the
-- index), or the 30 days after it are not all published yet (window_open).
with discharges as (
    select
        admission.*,
        exists (
            select 1 from {{ ref('indicator_admissions') }} as next
            where next.person_key = admission.person_key
              and next.subject_key <> admission.subject_key
              and next.facility_code <> admission.facility_code
              and next.start_time >= admission.start_time
              and next.start_time::date = admission.end_time::date) as transferred
    from {{ ref('indicator_admissions') }} as admission
    where admission.end_time is not null
)

select
    discharges.subject_key,
    case when discharges.disposition = '5' then 'died'
         when discharges.transferred then 'transferred'
         else 'window_open' end                                      as reason
from discharges
cross join (select max(export_date) as newest from {{ ref('encounter') }}) as published
where discharges.disposition = '5'
   or discharges.transferred
   or discharges.end_time::date + 30 > published.newest
