-- 30天再入院率, exclusions: discharges from county facilities that are not index discharges,
-- with the reason: died in hospital (LYFS 5), transferred (the person is admitted to
-- another county facility on the day of discharge: one stay, whose last discharge is the
-- index), or the 30 days after it are not all published yet (window_open).
-- Transfers are found by one join on (person, day): an `exists` in the select list ran once
-- per discharge over every admission, and a year of a million residents took 25 minutes.
with transfers as (
    select distinct admission.subject_key
    from {{ ref('indicator_admissions') }} as admission
    inner join {{ ref('indicator_admissions') }} as next
        on next.person_key = admission.person_key
       and next.start_time::date = admission.end_time::date
    where admission.end_time is not null
      and next.subject_key <> admission.subject_key
      and next.facility_code <> admission.facility_code
      and next.start_time >= admission.start_time
),

discharges as (
    select
        admission.*,
        transfers.subject_key is not null                            as transferred
    from {{ ref('indicator_admissions') }} as admission
    left join transfers
        on transfers.subject_key = admission.subject_key
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
