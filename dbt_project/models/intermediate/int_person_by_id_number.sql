-- The person behind a valid ID number (18-character form), for records that name people
-- by ID number rather than by a facility's patient id (contracts, follow-ups, settlements):
-- the person the EMPI linked the registrations carrying that ID to.
-- changed_batch_id: the ingest batch at which the ID number got its current person (carried
-- over from the table this run replaces while the person stays the same). The incremental
-- tables of those records rewrite exactly the records of ID numbers changed after their
-- watermark (macro changed_record_keys_by_id_number): a person is all they take from here.
-- An ID number no registration carries any more stays, without a person (person_keys 0),
-- so the records naming it are rewritten without one too.
-- Incremental: a night answers again only the ID numbers of the identities
-- int_person_identity linked again and of every version of a changed registration
-- (macros/identity_incremental.sql), each found by index.
-- (the refs the incremental branches and hooks use: macros/identity_incremental.sql)
-- depends_on: {{ ref('stg_facility__patients') }}
{{ empi_config(key=['id_number_18'], indexes=[{'columns': ['changed_batch_id']}],
               unique_key='id_number_18') }}
{#- a table built before changed_batch_id existed is not compared: every ID number counts
    as changed once -#}
{%- set previous = previous_build('changed_batch_id') %}
with
{%- if empi_incremental() %}
{%- set watermark = ehr_watermark() %}
scope as materialized (  -- the ID numbers this run answers
    select patients.id_number_18
    from {{ ref('int_patients__latest') }} as patients
    where patients.id_number_18 is not null
      and (patients.facility_code, patients.local_patient_id) in (
          select facility_code, local_patient_id from {{ ref('int_person_identity') }}
          where batch_id > {{ watermark }})
    union
    select {{ id_number_18('versions.id_number') }}
    from ({{ registration_versions_changed_since(watermark) | indent(4) }}) as versions
),
{%- endif %}

people as (
    select
        patients.id_number_18,
        min(identity.person_key)              as person_key,
        count(distinct identity.person_key)   as person_keys
    from {{ ref('int_patients__latest') }} as patients
    inner join {{ ref('int_person_identity') }} as identity
        using (facility_code, local_patient_id)
    where patients.id_number_18 is not null
    {%- if empi_incremental() %}
      and patients.id_number_18 in (select id_number_18 from scope)
    {%- endif %}
    group by patients.id_number_18
),

newest as (
    select {{ newest_loaded_batch() }} as batch_id
)

{%- if previous is not none %}

select
    coalesce(people.id_number_18, previous.id_number_18)             as id_number_18,
    people.person_key,
    coalesce(people.person_keys, 0)                                   as person_keys,
    case when previous.id_number_18 is not null
              and previous.person_key is not distinct from people.person_key
         then previous.changed_batch_id
         else newest.batch_id end                                     as changed_batch_id,
    newest.batch_id
from people
full join (
    select * from {{ previous }}
    {%- if empi_incremental() %}
    where id_number_18 in (select id_number_18 from scope)
    {%- endif %}
) as previous
    on previous.id_number_18 = people.id_number_18
cross join newest
{%- else %}

select people.*, newest.batch_id as changed_batch_id, newest.batch_id
from people
cross join newest
{%- endif %}
