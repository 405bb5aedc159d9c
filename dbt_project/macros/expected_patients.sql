{#- The expected number of patients of a chronic disease per month and township: residents
    at or above the prevalence's age (quality.indicator_population counts them for every
    age of seed chronic_prevalence) times the prevalence. One row per month and township,
    amount = the expected count. -#}
{% macro expected_patients(disease) -%}
select
    {{ indicator_row('population.township_code', 'population.month_start',
                     township_code='population.township_code',
                     amount='population.residents * prevalence.prevalence') }}
from {{ ref('indicator_population') }} as population
inner join {{ ref('chronic_prevalence') }} as prevalence
    on prevalence.disease = '{{ disease }}'
   and population.min_age = prevalence.min_age
{%- endmacro %}
