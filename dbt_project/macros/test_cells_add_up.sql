{#- The cells of a row table (macros/indicator_cells.sql) hold every row of it once and
    every measure's sum: their counts and sums equal the row table's totals, which the
    table keeps by triggers on every write (macros/row_totals.sql), apart from the cells.
    One row, with both sides, when they do not: a cell lost or counted twice would change
    every indicator summed from it without a sound. No cells add up to no rows (an empty
    row table); a measure with no value sums to 0 on both sides. -#}
{% test cells_add_up(model, rows, measures) %}
with cells as (
    select coalesce(sum(row_count), 0) as row_count
        {%- for measure in measures %}, coalesce(sum({{ measure }}), 0) as {{ measure }}{% endfor %}
    from {{ model }}
),

row_table as (
    {{ row_totals_of(ref(rows), measures) | indent(4) }}
)

select cells.*, row_table.*
from cells cross join row_table
where cells.row_count <> row_table.row_count
{%- for measure in measures %}
   or cells.{{ measure }} <> row_table.{{ measure }}
{%- endfor %}
{% endtest %}
