{#- The table a model's run replaces (`this` before the run), for the models that carry
    history over from their previous build (int_person_identity, int_person_by_id_number,
    int_indicator_people); none on a first build, or when it lacks `with_column` (built
    before that column existed: nothing of it to carry over). -#}
{% macro previous_build(with_column=none) -%}
{%- set previous = adapter.get_relation(database=this.database, schema=this.schema,
                                        identifier=this.identifier) -%}
{%- if previous is not none and with_column is not none and with_column not in
       (adapter.get_columns_in_relation(previous) | map(attribute='name') | list) -%}
{%- do return(none) -%}
{%- endif -%}
{%- do return(previous) -%}
{%- endmacro %}
