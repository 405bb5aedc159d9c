{#- The totals of each quality row table with cells (macros/cells_upkeep.sql): its rows
    and the sum of each measure, kept by the table itself (macros/kept_sums.sql) in
    chw_intermediate.row_table_totals (per table oid and measure; 'row_count' counts the
    rows). The cells_add_up test holds the cells to them. It summed the whole row table
    each night instead: at a year of a million residents 2 GB read and 5 s for the five
    tables, the most of any test. The totals and the cells are kept apart, by triggers and
    by the runs' hooks, so a write one of them misses still shows. -#}


{#- The store of the totals. -#}
{% macro row_totals_relation() -%}
{%- do return(kept_sums_relation('row_table_totals')) -%}
{%- endmacro %}


{#- The post-hook of a row table: its totals kept (nothing for a table without cells). -#}
{% macro keep_row_totals() -%}
{%- set cells = cells_spec() -%}
{%- if cells is none -%}
select 1
{%- else -%}
{{ keep_sums('row_totals', row_totals_relation(),
             'relid oid not null,
measure text not null,
total numeric not null,
primary key (relid, measure)',
             _add_row_totals, {'measures': cells.measures}) }}
{%- endif -%}
{%- endmacro %}


{#- Add the `rows` to the totals of the table `relid`, `sign` -1 to subtract them
    (keep_sums' `add`): one pass over them, one row per measure. -#}
{% macro _add_row_totals(totals, relid, rows, sign, spec) -%}
insert into {{ totals }} as totals (relid, measure, total)
select {{ relid }}, kept.measure, {{ sign }} * kept.total
from (select count(*)::numeric as row_count
             {%- for measure in spec.measures %},
             coalesce(sum({{ measure }}::numeric), 0) as {{ measure }}
             {%- endfor %}
      from {{ rows }}) as summed
cross join lateral (values ('row_count', summed.row_count)
                    {%- for measure in spec.measures %},
                           ('{{ measure }}', summed.{{ measure }})
                    {%- endfor %}) as kept (measure, total)
on conflict (relid, measure) do update set total = totals.total + excluded.total
{%- endmacro %}


{#- The totals of the row table `relation`, as one row: row_count and each of `measures`
    (0 for a table with no rows). -#}
{% macro row_totals_of(relation, measures) -%}
select coalesce(sum(total) filter (where measure = 'row_count'), 0) as row_count
       {%- for measure in measures %},
       coalesce(sum(total) filter (where measure = '{{ measure }}'), 0) as {{ measure }}
       {%- endfor %}
from {{ row_totals_relation() }}
where relid = '{{ relation }}'::regclass
{%- endmacro %}
