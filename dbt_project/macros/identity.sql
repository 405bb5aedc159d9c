{#- GB 11643-1999 resident ID validity, the SQL twin of countyhealth.identity.check_id_number
    (tests/integration/test_identity_sql.py proves they agree). 18 characters: 17 digits + a
    check character over them, a real birth date; 15-digit legacy IDs: a real birth date. -#}
{% macro gb11643_is_valid(col) -%}
(
  case
    when {{ col }} ~ '^[0-9]{17}[0-9X]$' then
      {{ _gb11643_birth_ok("substr(" ~ col ~ ", 7, 4)", "substr(" ~ col ~ ", 11, 2)",
                           "substr(" ~ col ~ ", 13, 2)") }}
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
      {{ _gb11643_birth_ok("'19' || substr(" ~ col ~ ", 7, 2)", "substr(" ~ col ~ ", 9, 2)",
                           "substr(" ~ col ~ ", 11, 2)") }}
    else false
  end
)
{%- endmacro %}

{#- The 18-character form of a valid ID: 15-digit legacy IDs get the century "19" and a
    check character (GB 11643-1999; the SQL twin of countyhealth.identity.upgrade_legacy_id,
    tests/integration/test_identity_sql.py). Call only on IDs gb11643_is_valid accepts. -#}
{% macro gb11643_to_18(col) -%}
(case when length({{ col }}) = 15 then
   substr({{ col }}, 1, 6) || '19' || substr({{ col }}, 7, 9) || substr('10X98765432', (
     (  substr({{ col }}, 1, 1)::int * 7 + substr({{ col }}, 2, 1)::int * 9
      + substr({{ col }}, 3, 1)::int * 10 + substr({{ col }}, 4, 1)::int * 5
      + substr({{ col }}, 5, 1)::int * 8 + substr({{ col }}, 6, 1)::int * 4
      + 1 * 2 + 9 * 1
      + substr({{ col }}, 7, 1)::int * 6 + substr({{ col }}, 8, 1)::int * 3
      + substr({{ col }}, 9, 1)::int * 7 + substr({{ col }}, 10, 1)::int * 9
      + substr({{ col }}, 11, 1)::int * 10 + substr({{ col }}, 12, 1)::int * 5
      + substr({{ col }}, 13, 1)::int * 8 + substr({{ col }}, 14, 1)::int * 4
      + substr({{ col }}, 15, 1)::int * 2) % 11) + 1, 1)
 else {{ col }} end)
{%- endmacro %}

{#- A real birth day, not in the future, from 1880 on; never raises on impossible dates
    (to_date would, failing the whole model on one bad ID): nested CASEs guard make_date. -#}
{% macro _gb11643_birth_ok(y, m, d) -%}
(case
   when ({{ m }})::int between 1 and 12 and ({{ y }})::int between 1880 and 9999 then
     case
       when ({{ d }})::int between 1 and extract(day from (make_date(({{ y }})::int,
            ({{ m }})::int, 1) + interval '1 month' - interval '1 day'))::int
         then make_date(({{ y }})::int, ({{ m }})::int, ({{ d }})::int) <= current_date
       else false
     end
   else false
 end)
{%- endmacro %}

{#- The pseudonymous person key analysts see: a keyed hash, never the ID number itself. The
    key lives in the warehouse (pii.pseudonym_secret, created once by the loader), not in
    files or environment variables, so it never lands in dbt's compiled artefacts. -#}
{% macro person_key(parts) -%}
'P' || left(md5((select secret from {{ source('pii', 'pseudonym_secret') }}) || '|' || {{ parts | join(" || '|' || ") }}), 20)
{%- endmacro %}

{#- The person of a facility's local patient id, from the EMPI (joined as `alias`); a patient
    whose registration has not arrived keeps a local key, so nothing is dropped. -#}
{#- The EMPI joined to a record that names its patient by a facility's local id
    (`record`.facility_code, `record`.local_patient_id), as `alias`. -#}
{% macro join_identity(record, alias='identity') -%}
left join {{ ref('int_person_identity') }} as {{ alias }}
    on {{ alias }}.facility_code = {{ record }}.facility_code
   and {{ alias }}.local_patient_id = {{ record }}.local_patient_id
{%- endmacro %}

{% macro person_of(facility_col, local_col, alias) -%}
coalesce({{ alias }}.person_key, {{ person_key(["'local'", facility_col, local_col]) }})
{%- endmacro %}

{#- A valid ID number in its 18-character form (legacy 15-digit IDs upgraded), NULL when the
    ID is not valid: the key records that name people by ID number are matched on. -#}
{% macro id_number_18(col) -%}
(case when {{ gb11643_is_valid(col) }} then {{ gb11643_to_18(col) }} end)
{%- endmacro %}


{#- The person of a record that names people by ID number (`id18_col`, its valid ID's
    18-character form (macro id_number_18), joined to int_person_by_id_number as `alias`):
    the EMPI's person; a valid ID no registration carries yet is a person of its own (the
    same key the EMPI would give); no valid ID: a local key of the record, so nothing is
    dropped. -#}
{% macro person_of_id_number(id18_col, alias, facility_col, record_col) -%}
coalesce(
    {{ alias }}.person_key,
    case when {{ id18_col }} is not null
         then {{ person_key(["'01|' || " ~ id18_col]) }} end,
    {{ person_key(["'local'", facility_col, record_col]) }})
{%- endmacro %}
