{#- The cells of a row table (macros/indicator_cells.sql) hold every row of it once and
    every measure's sum: their counts and sums equal the row table's. One row, with both
    sides, when they do not: a cell lost or counted twice would change every indicator
    summed from it without a sound. No cells add up to no rows (an empty row table). -#}
{% test cells_add_up(model, rows, measures) %}
with cells as (
    select coalesce(sum(row_count), 0) as row_count
        {%- for measure in measures %}, sum({{ measure }}) as {{ measure }}{% endfor %}
    from {{ model }}
),

row_table as (
    select count(*) as row_count
        {%- for measure in measures %}, sum({{ measure }}) as {{ measure }}{% endfor %}
    from {{ ref(rows) }}
)

select cells.*, row_table.*
from cells cross join row_table
where cells.row_count is distinct from row_table.row_count
{%- for measure in measures %}
   or cells.{{ measure }} is distinct from row_table.{{ measure }}
{%- endfor %}
{% endtest %}
