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
with identities as (
    select * from {{ ref('int_patients__latest') }}
),

keys as (  -- unanchored: the identity has no valid ID number (rule 1 does not place it)
    select facility_code, local_patient_id, 'card' as key_kind, health_card_no as key_value,
           id_number_18 is null as unanchored
    from identities where health_card_no is not null
    union all
    select facility_code, local_patient_id, 'record', health_record_no, id_number_18 is null
    from identities where health_record_no is not null
),

by_id as (
    select facility_code, local_patient_id, coalesce(id_type, '01') || '|' || id_number_18 as anchor
    from identities
    where id_number_18 is not null
),

unanchored_keys as (  -- the keys of identities without a valid ID number: the only ones
                      -- the key rules place (a million residents: a few percent)
    select * from keys where unanchored
),

key_persons as (  -- the ID-number persons each such key leads to
    select keys.key_kind, keys.key_value, count(distinct by_id.anchor) as persons,
           min(by_id.anchor) as anchor
    from keys
    inner join by_id using (facility_code, local_patient_id)
    where (keys.key_kind, keys.key_value) in (select key_kind, key_value from unanchored_keys)
    group by keys.key_kind, keys.key_value
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

among_themselves as (  -- no ID number anywhere near: the smallest key one hop away
    select own.facility_code, own.local_patient_id,
           min(their.key_kind || '|' || their.key_value) as anchor
    from unanchored_keys as own
    inner join keys as shared on shared.key_kind = own.key_kind
                             and shared.key_value = own.key_value
    inner join keys as their on their.facility_code = shared.facility_code
                            and their.local_patient_id = shared.local_patient_id
    group by own.facility_code, own.local_patient_id
)

select
    identities.facility_code,
    identities.local_patient_id,
    case
        when by_id.anchor is not null then by_id.anchor
        when via_key.persons = 1 then via_key.anchor
    end                                               as person_anchor,
    among_themselves.anchor                           as key_anchor,
    case
        when by_id.anchor is not null then 'id_number'
        when via_key.persons = 1 then
            case via_key.key_kind when 'card' then 'health_card' else 'health_record' end
    end                                               as anchor_basis,
    coalesce(via_key.persons > 1, false)              as keys_disagree
from identities
left join by_id using (facility_code, local_patient_id)
left join via_key using (facility_code, local_patient_id)
left join among_themselves using (facility_code, local_patient_id)
