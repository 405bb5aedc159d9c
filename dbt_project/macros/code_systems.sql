{#- The FHIR system URI of a code system as a sender named it (`sent`), with the
    code_system_aliases seed joined as `alias` on it: the alias's URI when known, the name as
    sent otherwise, `default` when nothing (or a local-code alias) was sent. One place for
    the rule, used by conditions, observations and medication requests. -#}
{% macro code_system_uri(sent, alias, default) -%}
coalesce(
    case when {{ alias }}.alias is not null then nullif({{ alias }}.uri, '')
         else nullif(trim({{ sent }}), '') end,
    {{ default }})
{%- endmacro %}
