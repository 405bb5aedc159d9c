{#- Latest version wins: one row per key, the newest by update time, then by the order of
    delivery (export night, file, position). Cancelled records (change flag 3) are dropped
    by the caller after this, so a cancellation removes every earlier version. -#}
{% macro latest_version(relation, key_columns) -%}
select *
from (
    select
        src.*,
        row_number() over (
            partition by {{ key_columns | join(', ') }}
            order by updated_at desc nulls last, export_date desc, file_id desc, row_position desc
        ) as version_rank
    from {{ relation }} as src
) as ranked
where version_rank = 1
{%- endmacro %}


{#- The current records of a clinical table recorded in encounters (diagnoses, results,
    prescriptions): the latest version of each, with its key, its encounter's key and its
    person; cancelled ones and those of cancelled encounters left out. One place for the
    rule that a cancellation takes everything built on it. -#}
{% macro current_clinical_records(relation, source_id) -%}
select
    latest.*,
    md5(latest.facility_code || '|' || latest.{{ source_id }})         as record_key,
    md5(latest.facility_code || '|' || latest.encounter_source_id)     as encounter_key,
    {{ person_of('latest.facility_code', 'latest.local_patient_id', 'identity') }} as person_key
from (
    {{ latest_version(relation, ['facility_code', source_id]) }}
) as latest
left join {{ ref('int_person_identity') }} as identity
    on identity.facility_code = latest.facility_code
   and identity.local_patient_id = latest.local_patient_id
where latest.change_flag <> 3
  and md5(latest.facility_code || '|' || latest.encounter_source_id) not in (
      select encounter_key from {{ ref('int_encounters__cancelled') }})
{%- endmacro %}

{#- The current records of a table that names people by ID number (contracts, follow-ups):
    the latest version of each, with its key and its person (person_of_id_number);
    cancelled ones left out. -#}
{% macro current_records_by_id_number(relation, source_id) -%}
select
    latest.*,
    md5(latest.facility_code || '|' || latest.{{ source_id }})         as record_key,
    {{ person_of_id_number('latest.id_number', 'by_id', 'latest.facility_code',
                           'latest.' ~ source_id) }}                   as person_key,
    by_id.person_key is not null                                       as person_registered
from (
    {{ latest_version(relation, ['facility_code', source_id]) }}
) as latest
left join {{ ref('int_person_by_id_number') }} as by_id
    on by_id.id_number_18 = case when {{ gb11643_is_valid('latest.id_number') }}
                                 then {{ gb11643_to_18('latest.id_number') }} end
where latest.change_flag <> 3
{%- endmacro %}
