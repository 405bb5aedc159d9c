-- EMPI, scored fallback: identities no ID number, card or record number ties to a person,
-- compared with the registrations of anchored persons born the same day with the same sex
-- (the blocking keys). The score adds the weights of what else agrees: name, phone, the
-- village of the address. Formula and thresholds in one place: the empi_* vars
-- (dbt_project.yml); docs/identity.md explains them. A reviewer's decision on a pair
-- (pii.identity_decisions) overrides the score: 'same' scores 1.00 and is marked
-- reviewed_same, 'different' removes the pair.
with anchored as (
    select patients.*, anchors.person_anchor
    from {{ ref('int_patients__latest') }} as patients
    inner join {{ ref('int_identity_anchors') }} as anchors
        using (facility_code, local_patient_id)
),

unanchored as (
    select * from anchored where person_anchor is null
),

pairs as (
    select
        u.facility_code,
        u.local_patient_id,
        a.person_anchor                                            as candidate_anchor,
        u.patient_name = a.patient_name                            as name_agrees,
        u.phone = a.phone                                          as phone_agrees,
        left(u.address_code, 12) = left(a.address_code, 12)        as village_agrees
    from unanchored as u
    inner join anchored as a
        on a.birth_date = u.birth_date
       and a.sex_code = u.sex_code
       and a.person_anchor is not null
    where u.birth_date is not null
),

scored as (
    select
        facility_code,
        local_patient_id,
        candidate_anchor,
        {{ person_key(['candidate_anchor']) }}                         as candidate_person_key,
        bool_or(name_agrees)                                           as name_agrees,
        bool_or(phone_agrees)                                          as phone_agrees,
        bool_or(village_agrees)                                        as village_agrees,
        max(
            {{ var('empi_weight_blocking') }}
            + case when name_agrees then {{ var('empi_weight_name') }} else 0 end
            + case when phone_agrees then {{ var('empi_weight_phone') }} else 0 end
            + case when village_agrees then {{ var('empi_weight_village') }} else 0 end
        )::numeric(4, 2)                                               as score
    from pairs
    group by facility_code, local_patient_id, candidate_anchor
)

select
    scored.facility_code,
    scored.local_patient_id,
    scored.candidate_anchor,
    scored.candidate_person_key,
    scored.name_agrees,
    scored.phone_agrees,
    scored.village_agrees,
    case when decision.decision = 'same' then 1.00
         else scored.score end::numeric(4, 2)                      as score,
    coalesce(decision.decision = 'same', false)                    as reviewed_same
from scored
left join {{ source('pii', 'identity_decisions') }} as decision
    on decision.facility_code = scored.facility_code
   and decision.local_patient_id = scored.local_patient_id
   and decision.candidate_person_key = scored.candidate_person_key
where decision.decision is distinct from 'different'
