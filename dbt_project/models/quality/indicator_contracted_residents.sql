-- Residents with a family-doctor contract in force on the month's measuring day (signed on
-- or before it, not yet ended), one row per person and month however many contracts they
-- hold, with the priority groups that make them a priority resident (重点人群): 65 and
-- over or 0-6 years old then, or a known hypertension or diabetes patient (a current
-- diagnosis I10-I15 / E10-E14 or a follow-up for it).
with known_chronic as (
    select person_key, min(recorded_date) as since
    from (
        select person_key, recorded_at::date as recorded_date
        from {{ ref('condition') }}
        where code ~ '^(I1[0-5]|E1[0-4])'
        union all
        select person_key, followup_date
        from {{ ref('chronic_followup') }}
        where disease in ('hypertension', 'diabetes')
    ) as records
    group by person_key
),

contracted as (
    select distinct residents.month_start, residents.person_key
    from {{ ref('indicator_residents') }} as residents
    inner join {{ ref('family_doctor_contract') }} as contract
        on contract.person_key = residents.person_key
       and contract.signed_date <= residents.as_of_date
       and (contract.end_date is null or contract.end_date >= residents.as_of_date)
)

select
    {{ indicator_row("md5(residents.person_key || '|' || residents.month_start)",
                     'residents.month_start', township_code='residents.township_code') }},
    residents.person_key,
    contracted.person_key is not null                                 as is_contracted,
    (residents.age_years >= 65 or residents.age_years <= 6
     or coalesce(known_chronic.since <= residents.as_of_date, false)) as is_priority
from {{ ref('indicator_residents') }} as residents
left join contracted
    on contracted.month_start = residents.month_start
   and contracted.person_key = residents.person_key
left join known_chronic
    on known_chronic.person_key = residents.person_key
where contracted.person_key is not null
   or residents.age_years >= 65 or residents.age_years <= 6
   or known_chronic.since <= residents.as_of_date
