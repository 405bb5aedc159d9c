{#- The ingest lineage every raw row carries, renamed once for all staging models. -#}
{% macro ingest_lineage() -%}
    _export_date                             as export_date,
    _batch_id                                as batch_id,
    _file_id                                 as file_id,
    _position                                as row_position
{%- endmacro %}
