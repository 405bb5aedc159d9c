-- EMPI, deterministic part: which identities belong to one person for certain.
-- 1. a valid ID number (with its document type; 15-digit legacy IDs in their 18-character
--    form) anchors the identity;
-- 2. an identity without one joins the person whose identities share its electronic
--    health card or health record number, when those lead to exactly one person;
-- 3. identities without either that share a card or record number with each other form a
--    person of their own (anchored on the smallest shared key, one hop: enough for a card
--    on one registration and card + record number on another).
-- Keys shared by two different ID numbers prove nothing and are left for review
-- (int_identity_review); the scored fallback (int_identity_candidates) comes after.
-- Incremental: a night places again only the changed registrations and the identities
-- without an ID number sharing a key with any version of them (macros/identity_incremental.sql);
-- birth_date and sex_code are the blocks int_identity_candidates compares within, and
-- patient_name, phone and village_code what it compares there: carried here so the scored
-- fallback reads one narrow table by birth date, not a registration row per candidate
-- (a year of a million residents: 326,000 registrations looked up, 54 s of disk reads).
-- (the refs the incremental branches and hooks use: macros/identity_incremental.sql)
-- depends_on: {{ ref('stg_facility__patients') }}
{{ empi_config(key=['facility_code', 'local_patient_id'], indexes=[{'columns': ['birth_date']}],
               unique_key=['facility_code', 'local_patient_id'], newest_column='village_code',
               pre_hook="{{ delete_gone_identities() }}",
               post_hooks=["{{ unanchored_by_birth_date() }}"]) }}
with registrations as not materialized (  -- only the columns the rules read; not
                                         -- materialized: each use reads by its own index
    select
        facility_code,
        local_patient_id,
        case when id_number_18 is not null
             then coalesce(id_type, '01') || '|' || id_number_18 end        as id_anchor,
        health_card_no,
        health_record_no,
        birth_date,
        sex_code,
        patient_name,
        phone,
        left(address_code, 12)                                              as village_code
    from {{ ref('int_patients__latest') }}
),

identities as (  -- the identities this run places: all, or those affected since the watermark
    select * from registrations
    {%- if empi_incremental() %}
    where (registrations.facility_code, registrations.local_patient_id) in (
        {{ identities_to_anchor(ehr_watermark()) | indent(8) }})
    {%- endif %}
),

unanchored_keys as (  -- the keys of identities without a valid ID number: the only ones
                      -- the key rules place (a million residents: a few percent)
    select facility_code, local_patient_id, 'card' as key_kind, health_card_no as key_value
    from identities where id_anchor is null and health_card_no is not null
    union all
    select facility_code, local_patient_id, 'record', health_record_no
    from identities where id_anchor is null and health_record_no is not null
),

shared_keys as (  -- every identity's keys that an unanchored identity has too: all the
                  -- key rules look at (the rest of the keys, millions, never)
    select facility_code, local_patient_id, 'card' as key_kind, health_card_no as key_value,
           id_anchor
    from registrations
    where health_card_no in (select key_value from unanchored_keys where key_kind = 'card')
    union all
    select facility_code, local_patient_id, 'record', health_record_no, id_anchor
    from registrations
    where health_record_no in (select key_value from unanchored_keys where key_kind = 'record')
),

key_persons as (  -- the ID-number persons each such key leads to
    select key_kind, key_value, count(distinct id_anchor) as persons, min(id_anchor) as anchor
    from shared_keys
    where id_anchor is not null
    group by key_kind, key_value
),

via_key as (
    select own.facility_code, own.local_patient_id,
           count(distinct key_persons.anchor) as persons, min(key_persons.anchor) as anchor,
           min(own.key_kind) as key_kind
    from unanchored_keys as own
    inner join key_persons using (key_kind, key_value)
    where key_persons.persons = 1
    group by own.facility_code, own.local_patient_id
),

among_themselves as (  -- no ID number anywhere near: the smallest key one hop away, of
                       -- the identities sharing one (each found by its own row's index:
                       -- joined as a set of keys, a misjudged plan compared every pair,
                       -- minutes for the year's few thousand)
    select own.facility_code, own.local_patient_id,
           min(least(case when their.health_card_no is not null
                          then 'card|' || their.health_card_no end,
                     case when their.health_record_no is not null
                          then 'record|' || their.health_record_no end)) as anchor
    from unanchored_keys as own
    inner join shared_keys as shared on shared.key_kind = own.key_kind
                                    and shared.key_value = own.key_value
    inner join registrations as their on their.facility_code = shared.facility_code
                                     and their.local_patient_id = shared.local_patient_id
    group by own.facility_code, own.local_patient_id
)

select
    identities.facility_code,
    identities.local_patient_id,
    case
        when identities.id_anchor is not null then identities.id_anchor
        when via_key.persons = 1 then via_key.anchor
    end                                               as person_anchor,
    among_themselves.anchor                           as key_anchor,
    case
        when identities.id_anchor is not null then 'id_number'
        when via_key.persons = 1 then
            case via_key.key_kind when 'card' then 'health_card' else 'health_record' end
    end                                               as anchor_basis,
    coalesce(via_key.persons > 1, false)              as keys_disagree,
    identities.birth_date,
    identities.sex_code,
    identities.patient_name,
    identities.phone,
    identities.village_code,
    {{ newest_loaded_batch() }}                       as batch_id
from identities
left join via_key using (facility_code, local_patient_id)
left join among_themselves using (facility_code, local_patient_id)
