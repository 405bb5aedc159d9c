{#- Indicator parts read through cells. The numerator and denominator models of most
    indicators are filters of a few row tables (indicator_settlements, indicator_visits,
    indicator_managed_patients, indicator_contracted_residents: 2.8 to 6.8 million rows each
    at a year of a million residents). indicator_summary summed each part over its row table
    again: 24 passes, 20 of its 25 seconds a night, growing with every day of history.

    A row table's cells (<row table>__cells, macro indicator_cells) hold the same sums with
    the subjects left out: one row per combination of the columns a formula may filter or
    place by, each measure summed (4.25 million settlements: 71,000 cells; 6.75 million
    contracted resident-months: 468). A filter of the rows is the same filter of the cells,
    and a sum over the rows of a measure is the sum of its cells' sums, so each part is
    summed from the cells of its row table (indicator_measure), one pass over that table a
    night instead of one per part.

    The formula stays in the part model, written with indicator_part: which model it
    filters, the condition, and (only the part reading a row table) what the row adds and
    where it is placed. The summary follows the chain from a part to its row table in the
    graph; a part whose row table has no cells is summed from its own rows as before. An
    amount must be a sum of the row table's measures (a count, yuan): that is what adding
    up cells preserves; a condition may name only the cells' dimensions (any other column
    fails the summary's build, loudly). -#}


{#- A numerator or denominator model that filters `of` (a row table, or another part):
    `select * from of where <where>`. Reading a row table it may also say what each row adds
    (`amount`, an expression of the row table's measures) and where it is placed
    (`township`, a column), keeping the columns `keep` beside the six every part has (and
    the row table's batch_id when it is incremental: a night's tests read a part's new
    rows by it, macros/test_scope.sql). A view: rows listed, not copied. -#}
{% macro indicator_part(of, where=none, amount=none, township=none, keep=[]) -%}
{{ config(materialized='view',
          meta={'indicator_part': {'of': of, 'where': where, 'amount': amount,
                                   'township': township}}) }}
{%- if amount is none and township is none %}
select * from {{ ref(of) }}
{%- else %}
select subject_key, period_date, facility_code, facility_level,
       {{ township or 'township_code' }} as township_code, {{ amount or 'amount' }} as amount
       {%- for column in keep %}, {{ column }}{% endfor %}
       {%- if execute and _chw_model(of).config.materialized == 'incremental' %}, batch_id{% endif %}
from {{ ref(of) }}
{%- endif %}
{%- if where %}
where {{ where }}
{%- endif %}
{%- endmacro %}


{#- The cells model of the row table `rows`: a view of the cells the row table keeps
    beside itself (`<rows>__cells` in its schema, declared in its config and moved with
    each of its runs: macros/cells_upkeep.sql), in chw_intermediate where the summary
    reads them. -#}
{% macro indicator_cells(rows) -%}
{{ config(materialized='view', schema='chw_intermediate') }}
select * from {{ cells_table(ref(rows)) }}
{%- endmacro %}


{#- How indicator_measure sums the part `model`: from the cells of its row table
    ({'relation', 'rows': the row table, 'where', 'amount', 'township'}), or none (its own
    rows). A part that is a row table with cells itself (the person-months of
    managed_chronic_admission_rate__denominator) is summed from its own cells. Only when
    the graph is there (execution); parsing sees the part's own ref. -#}
{% macro indicator_cells_source(model) -%}
{%- if not execute -%}{%- do return(none) -%}{%- endif -%}
{%- set found = indicator_part_chain(model) -%}
{%- if _chw_model(found.rows ~ '__cells') is none -%}
    {%- do return(none) -%}
{%- endif -%}
{%- do return({'relation': ref(found.rows ~ '__cells'), 'rows': found.rows,
               'where': found.where | join(' and ') if found.where else none,
               'amount': found.amount or 'amount',
               'township': found.township or 'township_code'}) -%}
{%- endmacro %}


{#- The chain of parts from `model` down to the row table it filters: {'rows': the row
    table's name (`model` itself when it is no part), 'where': the conditions on the way,
    'amount', 'township': what the part reading the row table says (or none)}. Needs the
    graph (execution). -#}
{% macro indicator_part_chain(model) -%}
{%- set found = {'name': model, 'where': [], 'amount': none, 'township': none,
                 'rows': none} -%}
{%- for step in range(20) -%}{%- if found.rows is none -%}
    {%- set part = _chw_indicator_part(found.name) -%}
    {%- if part is none -%}
        {%- do found.update({'rows': found.name}) -%}
    {%- else -%}
        {%- if part.where -%}{%- do found.where.append('(' ~ part.where ~ ')') -%}{%- endif -%}
        {%- if part.amount or part.township -%}
            {%- if _chw_indicator_part(part.of) is not none -%}
                {{ exceptions.raise_compiler_error(found.name ~ ': only a part reading a '
                   ~ 'row table may say its amount or township (it filters ' ~ part.of ~ ')') }}
            {%- endif -%}
            {%- do found.update({'amount': part.amount, 'township': part.township}) -%}
        {%- endif -%}
        {%- do found.update({'name': part.of}) -%}
    {%- endif -%}
{%- endif -%}{%- endfor -%}
{%- if found.rows is none -%}
    {{ exceptions.raise_compiler_error(model ~ ': a chain of more than 20 parts') }}
{%- endif -%}
{%- do return(found) -%}
{%- endmacro %}


{#- The model node named `name` in the graph, or none. -#}
{% macro _chw_model(name) -%}
{%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.name == name -%}
    {%- do return(node) -%}
{%- endfor -%}
{%- do return(none) -%}
{%- endmacro %}


{#- The indicator_part meta of the model `name` (what it filters, how), or none. -#}
{% macro _chw_indicator_part(name) -%}
{%- set node = _chw_model(name) -%}
{%- do return(node.config.meta.get('indicator_part') if node is not none else none) -%}
{%- endmacro %}
