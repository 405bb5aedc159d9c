{#- GB 11643-1999 resident ID validity, the SQL twin of countyhealth.identity.check_id_number
    (tests/integration/test_identity_sql.py proves they agree). 18 characters: 17 digits + a
    check character over them, a real birth date; 15-digit legacy IDs: a real birth date. -#}
{% macro gb11643_is_valid(col) -%}
(
  case
    when {{ col }} ~ '^[0-9]{17}[0-9X]$' then
      to_char(to_date(substr({{ col }}, 7, 8), 'YYYYMMDD'), 'YYYYMMDD') = substr({{ col }}, 7, 8)
      and substr({{ col }}, 18, 1) = substr('10X98765432', (
        (  substr({{ col }}, 1, 1)::int * 7 + substr({{ col }}, 2, 1)::int * 9
         + substr({{ col }}, 3, 1)::int * 10 + substr({{ col }}, 4, 1)::int * 5
         + substr({{ col }}, 5, 1)::int * 8 + substr({{ col }}, 6, 1)::int * 4
         + substr({{ col }}, 7, 1)::int * 2 + substr({{ col }}, 8, 1)::int * 1
         + substr({{ col }}, 9, 1)::int * 6 + substr({{ col }}, 10, 1)::int * 3
         + substr({{ col }}, 11, 1)::int * 7 + substr({{ col }}, 12, 1)::int * 9
         + substr({{ col }}, 13, 1)::int * 10 + substr({{ col }}, 14, 1)::int * 5
         + substr({{ col }}, 15, 1)::int * 8 + substr({{ col }}, 16, 1)::int * 4
         + substr({{ col }}, 17, 1)::int * 2) % 11) + 1, 1)
    when {{ col }} ~ '^[0-9]{15}$' then
      to_char(to_date('19' || substr({{ col }}, 7, 6), 'YYYYMMDD'), 'YYYYMMDD')
        = '19' || substr({{ col }}, 7, 6)
    else false
  end
)
{%- endmacro %}

{#- The pseudonymous person key analysts see: a keyed hash, never the ID number itself. The
    key lives in the warehouse (pii.pseudonym_secret, created once by the loader), not in
    files or environment variables, so it never lands in dbt's compiled artefacts. -#}
{% macro person_key(parts) -%}
'P' || left(md5((select secret from {{ source('pii', 'pseudonym_secret') }}) || '|' || {{ parts | join(" || '|' || ") }}), 20)
{%- endmacro %}
