-- Residents with a family-doctor contract in force on the month's measuring day (signed on
-- or before it, not yet ended), one row per person and month however many contracts they
-- hold, with the priority groups that make them a priority resident (重点人群): 65 and
-- over or 0-6 years old then, or a known hypertension or diabetes patient (a current
-- diagnosis I10-I15 / E10-E14 or a follow-up for it: int_indicator_people.chronic_since).
-- Incremental by month and person (macros/person_months.sql); the running month slides:
-- a night measures only the residents born, dead, changing priority or with a contract
-- starting or ending since the day it was measured as of (macros/residents.sql); a closed
-- month, only the people whose place, dates, contracts or known chronic disease changed
-- (int_indicator_people.resident_changed_batch_id: not a follow-up alone). Found in:
-- depends_on: {{ ref('patient') }}
{{ person_month_config(cells={'dimensions': ['is_contracted', 'is_priority']},
                       moves='contracted_resident_moves',
                       changed_by='resident_changed_batch_id') }}
with residents as (
    {%- for part in person_month_parts('residents.month_start', 'residents.person_key') %}
    select residents.*, people.chronic_since
    from {{ ref('indicator_residents') }} as residents
    inner join {{ ref('int_indicator_people') }} as people
        on people.person_key = residents.person_key
       and not people.gone
    where {{ part }}
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
),

contracted as (
    select distinct residents.month_start, residents.person_key
    from residents
    inner join {{ ref('family_doctor_contract') }} as contract
        on contract.person_key = residents.person_key
       and {{ contract_in_force_on('contract', 'residents.as_of_date') }}
)

select
    {{ indicator_row("md5(residents.person_key || '|' || residents.month_start)",
                     'residents.month_start', township_code='residents.township_code') }},
    residents.person_key,
    contracted.person_key is not null                                 as is_contracted,
    {{ is_priority_resident('residents.age_years', 'residents.chronic_since',
                            'residents.as_of_date') }}                   as is_priority,
    residents.as_of_date,
    {{ newest_loaded_batch() }}                                           as batch_id
from residents
left join contracted
    on contracted.month_start = residents.month_start
   and contracted.person_key = residents.person_key
where contracted.person_key is not null
   or {{ is_priority_resident('residents.age_years', 'residents.chronic_since',
                              'residents.as_of_date') }}
