{#- Who the county counts as a resident on a day, and what makes one a priority resident
    (重点人群), each in one place: indicator_residents and indicator_contracted_residents
    read them, and so does the slide of the contracted residents' running month
    (contracted_resident_moves), which must move exactly when they do. -#}

{#- Born, and not yet dead, on `day` (an unknown birth date counts as born). -#}
{% macro is_alive_on(patient, day) -%}
({{ patient }}.death_date is null or {{ patient }}.death_date > {{ day }})
and ({{ patient }}.birth_date is null or {{ patient }}.birth_date <= {{ day }})
{%- endmacro %}


{#- Age in whole years on `day`. -#}
{% macro age_on(birth_date, day) -%}
extract(year from age({{ day }}, {{ birth_date }}))::int
{%- endmacro %}


{#- The ages that make a priority resident: `old` and over, or under `young_until`. -#}
{% macro priority_ages() -%}
{%- do return({'old': 65, 'young_until': 7}) -%}
{%- endmacro %}


{#- A priority resident on `day`: 65 and over or 0-6 years old then, or a known
    hypertension or diabetes patient by then (int_indicator_people.chronic_since). -#}
{% macro is_priority_resident(age_years, chronic_since, day) -%}
{%- set ages = priority_ages() -%}
({{ age_years }} >= {{ ages.old }} or {{ age_years }} < {{ ages.young_until }}
 or coalesce({{ chronic_since }} <= {{ day }}, false))
{%- endmacro %}


{#- A family-doctor contract in force on `day`: signed on or before it, not yet ended. -#}
{% macro contract_in_force_on(contract, day) -%}
{{ contract }}.signed_date <= {{ day }}
and ({{ contract }}.end_date is null or {{ contract }}.end_date >= {{ day }})
{%- endmacro %}


{#- The `moves` of indicator_contracted_residents (macros/person_months.sql): the residents
    of each moved month who were born, died, changed priority (a birthday at 7 or 65, a
    first chronic diagnosis dated between) or had a contract start or end between its two
    measuring days. Every other resident's row reads the same on both days. `moved`: a
    relation of month_start, measured_as_of and as_of_date.
    The residents are first narrowed by their dates alone (a birth, death or chronic
    diagnosis between the two days, a birth date a priority age before them, a day's
    margin either side), then held to the rules themselves: age() on every resident, twice,
    cost 1.7 s a night. -#}
{% macro contracted_resident_moves(moved) -%}
{%- set first = 'least(moved.measured_as_of, moved.as_of_date)' -%}
{%- set last = 'greatest(moved.measured_as_of, moved.as_of_date)' -%}
select moved.month_start, patient.person_key
from {{ moved }}
cross join {{ ref('patient') }} as patient
left join {{ ref('int_indicator_people') }} as people
    on people.person_key = patient.person_key
where patient.lives_in_county
  and (patient.birth_date between {{ first }} and {{ last }}
       or patient.death_date between {{ first }} and {{ last }}
       or people.chronic_since between {{ first }} and {{ last }}
       {%- for age in priority_ages().values() %}
       or patient.birth_date between {{ first }} - interval '{{ age }} years 1 day'
                                 and {{ last }} - interval '{{ age }} years' + interval '1 day'
       {%- endfor %})
  and (({{ is_alive_on('patient', 'moved.as_of_date') }})
       is distinct from ({{ is_alive_on('patient', 'moved.measured_as_of') }})
       or {{ is_priority_resident(age_on('patient.birth_date', 'moved.as_of_date'),
                                  'people.chronic_since', 'moved.as_of_date') }}
          is distinct from
          {{ is_priority_resident(age_on('patient.birth_date', 'moved.measured_as_of'),
                                  'people.chronic_since', 'moved.measured_as_of') }})
union
select moved.month_start, contract.person_key
from {{ moved }}
cross join {{ ref('family_doctor_contract') }} as contract
where ({{ contract_in_force_on('contract', 'moved.as_of_date') }})
      is distinct from ({{ contract_in_force_on('contract', 'moved.measured_as_of') }})
{%- endmacro %}
