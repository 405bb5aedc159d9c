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
   and residents.age_years >= prevalence.min_age
group by residents.month_start, residents.township_code
{%- endmacro %}
