{#- The expected number of patients of a chronic disease per month and township: residents
    at or above the prevalence's age (quality.indicator_residents) times the prevalence
    (seed chronic_prevalence). One row per month and township, amount = the expected count. -#}
{% macro expected_patients(disease) -%}
select
    {{ indicator_row('residents.township_code', 'residents.month_start',
                     township_code='residents.township_code',
                     amount='count(*) * max(prevalence.prevalence)') }}
from {{ ref('indicator_residents') }} as residents
inner join {{ ref('chronic_prevalence') }} as prevalence
    on prevalence.disease = '{{ disease }}'
   -- age_years >= min_age, said on the birth date: the planner compares dates instead of
   -- computing the age of every resident in every month (13 million at a year: 2.7 s ->
   -- 1.3 s per disease); the same people, leap days included (age() and date - interval
   -- agree on every birthday within three days of each age 0-90 over three years)
   and residents.birth_date <= residents.as_of_date - make_interval(years => prevalence.min_age)
group by residents.month_start, residents.township_code
{%- endmacro %}
