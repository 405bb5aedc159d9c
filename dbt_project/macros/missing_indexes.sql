{#- dbt creates a model's configured indexes only when it creates the table. An incremental
    table built before an index joined its config would never get it: the recycled
    candidate schemas are never created again. The post-hook of the incremental ehr tables
    creates each configured index the table lacks (the same columns in the same order, the
    same uniqueness); a table that has them all costs one catalogue query per index. -#}
{% macro add_missing_indexes() -%}
{%- if is_incremental() -%}
{%- for index in config.get('indexes', []) -%}
{%- set unique = index.get('unique', false) %}
do $add_missing_index$ begin
    if not exists (
        select 1 from pg_index as ix
        where ix.indrelid = '{{ this }}'::regclass
          and ix.indisunique = {{ unique | string | lower }}
          and array(select attribute.attname::text
                    from unnest(ix.indkey::int2[]) with ordinality as key(attnum, position)
                    inner join pg_attribute as attribute
                        on attribute.attrelid = ix.indrelid
                       and attribute.attnum = key.attnum
                    order by key.position)
              = array['{{ index.columns | join("', '") }}']::text[])
    then
        create {{ 'unique ' if unique }}index on {{ this }} ({{ index.columns | join(', ') }});
    end if;
end $add_missing_index$;
{%- endfor -%}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}
