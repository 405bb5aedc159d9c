{#- The one formula of every rate indicator: numerator rows / denominator rows per period,
    at day and month grain. Numerator and denominator models list the counted rows, so an
    auditor can see exactly what was counted (Tuva's pattern). -#}
{% macro indicator_rates(indicator_id, denominator, numerator) -%}
{%- for grain in ['day', 'month'] %}
select
    '{{ indicator_id }}'::text                                as indicator_id,
    '{{ grain }}'::text                                       as period_grain,
    date_trunc('{{ grain }}', d.period_date)::date            as period_start,
    count(*) filter (where n.encounter_key is not null)       as numerator,
    count(*)                                                  as denominator
from {{ ref(denominator) }} as d
left join {{ ref(numerator) }} as n using (encounter_key)
group by date_trunc('{{ grain }}', d.period_date)::date
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- endmacro %}
