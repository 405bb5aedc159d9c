{#- Published schemas (var published_schemas) are built as candidates, e.g. ehr__candidate,
    so nothing unvalidated is ever visible in ehr or quality; countyhealth.publish swaps
    them in. Every other custom schema is used as written (not prefixed by target.schema). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name in var('published_schemas') -%}
        {{ custom_schema_name }}{{ var('candidate_suffix') }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
