{#- How a row table keeps its cells (macros/indicator_cells.sql) up to date.

    The cells were a table rebuilt from the whole row table each night: a read of four to
    seven million rows per row table at a year (3.6-5.5 s each), growing with every day.
    Cells are sums, so a night can move them by what it changed instead: minus the rows it
    deleted, plus the rows it wrote. The row table does it itself, in the transaction of its
    own incremental run (dbt runs a model's pre-hooks, its insert and its post-hooks in one):
      - each delete of the pre-hook (delete_counting_cells) returns the rows it deletes,
        summed by cell into a temporary table (chw_cells_delta, dropped at commit);
      - the post-hook (cells_upkeep) adds the rows the run wrote, which are exactly the
        rows of the table this transaction inserted (xmin, read among the newest batch's by
        its index), and writes the merged cells back; a cell left with no row goes.
    Either the row table and its cells move together or neither does (a failed run rolls
    both back). The cells live beside their row table, `<row table>__cells` in the same
    schema, so each recycled candidate (countyhealth.publish) carries its own; the dbt
    model of the same name in chw_intermediate is the view the summary reads them by. A
    full build of the row table (no delta table: the pre-hook only makes one in an
    incremental run), a row table without cells yet (an upgrade), or cells declared with
    other columns since, sums every row once.

    A row table declares its cells in its config (meta.cells: the dimensions a formula may
    filter on beside period and place, and the measures summed), in the one place.

    Beside the cells, `<row table>__cells_moved` keeps, for each month, the newest batch
    whose run changed a cell of it (the run's deletes and writes not cancelling out): the
    months indicator_summary sums again (macros/summary_incremental.sql). A run that sums
    every row again (no delta) writes the month '-infinity': every month may have moved. -#}


{#- The cells declaration of the model being run: {'dimensions', 'measures'} or none. -#}
{% macro cells_spec() -%}
{%- set cells = (config.get('meta') or {}).get('cells') -%}
{%- if cells is none -%}{%- do return(none) -%}{%- endif -%}
{%- set places = ['period_date', 'facility_code', 'facility_level', 'township_code'] -%}
{%- do return({'dimensions': places + (cells.get('dimensions', []) | reject('in', places)
                                        | list),
               'measures': cells.get('measures', ['amount'])}) -%}
{%- endmacro %}


{#- The table holding the cells of the row table `relation`, in its schema. -#}
{% macro cells_table(relation) -%}
{%- do return(api.Relation.create(database=relation.database, schema=relation.schema,
                                  identifier=relation.identifier ~ '__cells')) -%}
{%- endmacro %}


{#- The table of the months whose cells moved, beside the cells of `relation`. -#}
{% macro cells_moved_table(relation) -%}
{%- do return(api.Relation.create(database=relation.database, schema=relation.schema,
                                  identifier=relation.identifier ~ '__cells_moved')) -%}
{%- endmacro %}


{#- `rows` (a query or relation of the row table's rows, or of rows it returned) summed
    by cell; `sign` -1 to subtract them. -#}
{% macro sum_cells(cells, rows, sign=1) -%}
select
    {%- for column in cells.dimensions %}
    {{ column }},
    {%- endfor %}
    {%- for measure in cells.measures %}
    ({{ sign }} * sum({{ measure }}))::numeric as {{ measure }},
    {%- endfor %}
    ({{ sign }} * count(*))::bigint as row_count
from {{ rows }}
group by {{ cells.dimensions | join(', ') }}
{%- endmacro %}


{#- The first statement of an incremental run's pre-hook: the delta table its deletes
    count into. Nothing for a model without cells. -#}
{% macro cells_delta_begin() -%}
{%- set cells = cells_spec() -%}
{%- if cells is not none -%}
create temporary table chw_cells_delta on commit drop as
{{ sum_cells(cells, '(select * from ' ~ this ~ ' where false) as no_rows') }};
{% endif -%}
{%- endmacro %}


{#- `delete from this where <where>`, the rows it deletes subtracted from the delta table
    when the model has cells. -#}
{% macro delete_counting_cells(where) -%}
{%- set cells = cells_spec() -%}
{%- if cells is none -%}
delete from {{ this }}
where {{ where }}
{%- else -%}
with removed as (
    delete from {{ this }}
    where {{ where }}
    returning {{ (cells.dimensions + cells.measures) | join(', ') }}
)
insert into chw_cells_delta
{{ sum_cells(cells, 'removed', sign=-1) }}
{%- endif -%}
{%- endmacro %}


{#- The post-hook of a row table with cells (see the top). -#}
{% macro cells_upkeep() -%}
{%- set cells = cells_spec() -%}
{%- if cells is none -%}
select 1
{%- else -%}
{%- set cells_relation = cells_table(this) -%}
{%- set moved_relation = cells_moved_table(this) -%}
{%- set names = cells.dimensions + cells.measures + ['row_count'] -%}
{%- set columns = names | join(', ') -%}
{#- a number, so that the rows written are found by the batch_id index (macro value_now) -#}
{%- set batch = newest_loaded_batch_number() | trim -%}
do $cells_upkeep$
begin
    if to_regclass('pg_temp.chw_cells_delta') is null
       or to_regclass('{{ cells_relation }}') is null
       or array(select attname::text from pg_attribute
                where attrelid = to_regclass('{{ cells_relation }}')
                  and attnum > 0 and not attisdropped
                order by attnum)
          <> array['{{ names | join("', '") }}']
    then
        drop table if exists {{ cells_relation }};
        create table {{ cells_relation }} as
        {{ sum_cells(cells, this) | indent(8) }};
        drop table if exists {{ moved_relation }};  -- made again below, every month moved
    else
        insert into chw_cells_delta
        {{ sum_cells(cells, '(select * from ' ~ this ~ ' where batch_id = '
                            ~ batch ~ ' and xmin = pg_current_xact_id()::xid)'
                            ~ ' as written') | indent(8) }};
        create temporary table chw_cells_merged on commit drop as
        select {{ cells.dimensions | join(', ') }},
               {%- for measure in cells.measures %}
               sum({{ measure }})::numeric as {{ measure }},
               {%- endfor %}
               sum(row_count)::bigint as row_count
        from (select {{ columns }} from {{ cells_relation }}
              union all
              select {{ columns }} from chw_cells_delta) as cells
        group by {{ cells.dimensions | join(', ') }}
        having sum(row_count) <> 0;
        truncate {{ cells_relation }};
        insert into {{ cells_relation }} ({{ columns }})
        select {{ columns }} from chw_cells_merged;
    end if;
    -- cells summed from every row, or from before the months were recorded: all moved
    if to_regclass('{{ moved_relation }}') is null then
        create table {{ moved_relation }} (period_month date primary key,
                                           batch_id bigint not null);
        insert into {{ moved_relation }}
        select '-infinity'::date, {{ batch }};
    end if;
    if to_regclass('pg_temp.chw_cells_delta') is not null then
        insert into {{ moved_relation }} (period_month, batch_id)
        select distinct date_trunc('month', period_date)::date, {{ batch }}
        from (select {{ cells.dimensions | join(', ') }}
              from chw_cells_delta
              group by {{ cells.dimensions | join(', ') }}
              having sum(row_count) <> 0
                  {%- for measure in cells.measures %} or sum({{ measure }}) <> 0{% endfor %}
             ) as moved
        on conflict (period_month) do update set batch_id = excluded.batch_id;
    end if;
end
$cells_upkeep$
{%- endif -%}
{%- endmacro %}
