{#- The value of the one-value query `query`, read when the model runs, for a filter: the
    planner then sees a constant. Given a subquery instead it guesses a third of the table
    for `column >= (subquery)`, and for `column = (subquery)` one row in n_distinct. After
    a backfill every row of a table holds one batch (n_distinct 1), so a filter on the newest
    batch was planned as a scan of the whole table: 4.3 million settlements read (0.4-3.5 s)
    to find the night's 20,000 rows, docs/benchmarks.md part 22. When dbt only parses or
    compiles (nothing runs), the subquery itself. -#}
{% macro value_now(query) -%}
{%- if execute -%}
{{ run_query(query).columns[0].values()[0] }}
{%- else -%}
({{ query }})
{%- endif -%}
{%- endmacro %}
