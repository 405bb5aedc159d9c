{#- Latest version wins: one row per key, the newest by update time, then by the order of
    delivery (export night, file, position). Cancelled records (change flag 3) are dropped
    by the caller after this, so a cancellation removes every earlier version. -#}
{% macro latest_version(relation, key_columns) -%}
select *
from (
    select
        src.*,
        row_number() over (
            partition by {{ key_columns | join(', ') }}
            order by updated_at desc nulls last, export_date desc, file_id desc, row_position desc
        ) as version_rank
    from {{ relation }} as src
) as ranked
where version_rank = 1
{%- endmacro %}

