{#- dbt creates a model's configured indexes only when it creates the table. An incremental
    table built before an index joined its config would never get it: the recycled
    candidate schemas are never created again. The post-hook of the incremental ehr tables
    creates each configured index the table lacks (the same columns in the same order, the
    same uniqueness); a table that has them all costs one catalogue query per index. -#}
{% macro add_missing_indexes() -%}
{%- if is_incremental() -%}
{%- for index in config.get('indexes', []) %}
{{ index_if_missing(index.columns, index.get('unique', false)) }};
{%- endfor -%}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}


{#- Create the index on `columns` (`unique`, or partial: `where`) when the model's table
    has no such index (the same columns in that order, the same uniqueness, partial or
    not). -#}
{% macro index_if_missing(columns, unique=false, where=none) -%}
do $index_if_missing$ begin
    if not exists (
        select 1 from pg_index as ix
        where {{ index_of_this_on('ix', columns) }}
          and ix.indisunique = {{ unique | string | lower }}
          and (ix.indpred is not null) = {{ (where is not none) | string | lower }})
    then
        create {{ 'unique ' if unique }}index on {{ this }} ({{ columns | join(', ') }})
        {%- if where is not none %} where {{ where }}{% endif %};
    end if;
end $index_if_missing$
{%- endmacro %}


{#- The post-hook that drops a btree index a model no longer declares (on exactly
    `columns`, in that order, `unique` or not), from a table built when it did: the recycled
    candidates are never created again, so without it an upgraded table would keep
    writing it. -#}
{% macro drop_retired_index(columns, unique=false) -%}
{%- if is_incremental() -%}
do $drop_retired_index$ declare retired regclass; begin
    for retired in
        select ix.indexrelid::regclass from pg_index as ix
        where {{ index_of_this_on('ix', columns, method='btree') }}
          and ix.indisunique = {{ unique | string | lower }}
    loop
        execute format('drop index %s', retired);
    end loop;
end $drop_retired_index$;
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}


{#- The condition that the index `ix` (a pg_index row) is one of the model's table, on
    exactly `columns` in that order, and (`method`) of that access method. -#}
{% macro index_of_this_on(ix, columns, method=none) -%}
{{ ix }}.indrelid = '{{ this }}'::regclass
          and array(select attribute.attname::text
                    from unnest({{ ix }}.indkey::int2[]) with ordinality as key(attnum, position)
                    inner join pg_attribute as attribute
                        on attribute.attrelid = {{ ix }}.indrelid
                       and attribute.attnum = key.attnum
                    order by key.position)
              = array['{{ columns | join("', '") }}']::text[]
{%- if method %}
          and (select am.amname from pg_class as index_class
               inner join pg_am as am on am.oid = index_class.relam
               where index_class.oid = {{ ix }}.indexrelid) = '{{ method }}'
{%- endif %}
{%- endmacro %}
