{#- The rules of chronic disease management (hypertension and diabetes) the indicators
    share, each in one place. -#}

{#- A diagnosis that makes a person a known hypertension or diabetes patient (a current
    I10-I15 / E10-E14; int_indicator_people.chronic_since). -#}
{% macro is_chronic_diagnosis(code) -%}
{{ code }} ~ '^(I1[0-5]|E1[0-4])'
{%- endmacro %}


{#- The post-hook of ehr.condition: a partial index of the chronic diagnoses by person, which
    int_indicator_people reads each night (by an index-only scan: 0.3 s, where reading all
    4.6 million diagnoses of a year for the quarter that are chronic took 2.9 s). Made
    when missing, also on a table from before it. -#}
{% macro chronic_diagnoses_index() -%}
{{ index_if_missing(['person_key', 'recorded_at'], where=is_chronic_diagnosis('code')) }}
{%- endmacro %}


{#- The twelve months a managed chronic patient's follow-ups count in, up to a month's
    measuring day (纳入管理: a current follow-up in the twelve months up to it), the one
    place indicator_managed_patients and its slide read it from. -#}
{% macro in_followup_window(followup_date, as_of_date) -%}
{{ followup_date }} <= {{ as_of_date }}
and {{ followup_date }} > {{ as_of_date }} - interval '12 months'
{%- endmacro %}


{#- The diseases a managed patient is managed for. -#}
{% macro managed_diseases() -%}
('hypertension', 'diabetes')
{%- endmacro %}


{#- The `moves` of the managed-patient person-month models (macros/person_months.sql): the
    people of each moved month with a follow-up that is in the window on one of the two
    measuring days and not on the other (it entered or left). Every other person's
    follow-ups in the window are the same on both days, and so are their rows. `moved`: a
    relation of month_start, measured_as_of and as_of_date. -#}
{% macro followup_window_moves(moved) -%}
select distinct moved.month_start, followup.person_key
from {{ moved }}
inner join {{ ref('chronic_followup') }} as followup
    on ({{ in_followup_window('followup.followup_date', 'moved.as_of_date') }})
       is distinct from
       ({{ in_followup_window('followup.followup_date', 'moved.measured_as_of') }})
where followup.disease in {{ managed_diseases() }}
{%- endmacro %}
