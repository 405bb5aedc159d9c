{#- Which rows a night's data tests read. dbt_project.yml sets `where: chw_new_batches` on
    every data test; here (dbt's get_where_subquery, overridden) that means:
      - raw tables (the `facility` source) and the staging views over them, append-only:
        the rows of batches not yet published;
      - incremental models (int_*__latest, the growing ehr tables, the quality row
        tables) and the indicator parts that filter them (views): the rows whose version
        came in a batch not yet published (the parts' tests read every row of a row
        table of 4 to 7 million at a year, each night);
      - every other model (rebuilt whole each night: the EMPI, patients, quality): all rows.
    A row of a published batch was tested the night it came, and an append-only table or
    an incremental model does not rewrite it; testing it again every night made a night's
    tests grow with the years of history behind it. Rows an incremental model re-attaches
    to a relinked person keep their batch and are not re-tested: their person key comes
    from the same join that the new rows' tests check. With nothing published yet (a new
    warehouse, a backfill's first run) every row is tested. Any other `where` works as dbt's. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where == 'chw_new_batches' -%}
        {%- set column = _chw_batch_column(relation) if execute else none -%}
        {%- if column -%}
            {#- offset 0: a fence the planner cannot flatten. Flattened, a uniqueness test
                grouped by the table's unique index: a walk of the whole table in key
                order, a random page per row (a year's patient_registration: 20 minutes
                and counting, where a scan and a hash take seconds) -#}
            {%- do return('(select * from ' ~ relation ~ ' where ' ~ column ~ ' > '
                          ~ chw_published_batch() ~ ' offset 0) dbt_subquery') -%}
        {%- endif -%}
        {%- do return(relation) -%}
    {%- elif where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}


{#- The newest batch loaded before the last publication (0 when nothing is published): a
    number, so the planner reads the new rows by the batch index instead of guessing. -#}
{% macro chw_published_batch() -%}
{%- set query -%}
select coalesce(max(chw_run.batch_id), 0) from ingest.runs as chw_run
where chw_run.started_at < (select max(chw_pub.published_at) from ingest.publications as chw_pub)
{%- endset -%}
{{ value_now(query) }}
{%- endmacro %}


{#- The batch column of a relation whose old batches never change, or none: batch_id, or
    what the model's meta.batch_column names. -#}
{% macro _chw_batch_column(relation) -%}
    {%- for node in graph.sources.values()
            if node.schema == relation.schema and node.identifier == relation.identifier
               and node.source_name == 'facility' -%}
        {%- do return('_batch_id') -%}
    {%- endfor -%}
    {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.alias == relation.identifier
               and (node.config.materialized == 'incremental'
                    or node.original_file_path.startswith('models/staging/stg_facility__')
                    or node.original_file_path.startswith('models/staging/stg_insurance__')) -%}
        {%- do return(node.config.meta.get('batch_column', 'batch_id')) -%}
    {%- endfor -%}
    {#- an indicator part (a view filtering a row table, macros/indicator_cells.sql) whose
        row table is incremental: its rows are that table's, with their batch -#}
    {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.alias == relation.identifier
               and node.config.meta.get('indicator_part') -%}
        {%- set root = _chw_model(indicator_part_chain(node.name).rows) -%}
        {%- if root is not none and root.config.materialized == 'incremental' -%}
            {%- do return('batch_id') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(none) -%}
{%- endmacro %}
