-- EMPI, scored fallback: identities no ID number, card or record number ties to a person,
-- compared with the registrations of anchored persons born the same day with the same sex
-- (the blocking keys). The score adds the weights of what else agrees: name, phone, the
-- village of the address. Formula and thresholds in one place: the empi_* vars
-- (dbt_project.yml); docs/identity.md explains them. A reviewer's decision on a pair
-- (pii.identity_decisions) overrides the score: 'same' scores 1.00 and is marked
-- reviewed_same, 'different' removes the pair.
-- Incremental: a night scores again only the identities whose candidates can have
-- changed (macros/identity_incremental.sql: identities_to_relink); its pre-hook deletes
-- their rows first (an identity anchored since has none).
-- (the refs the incremental branches and hooks use: macros/identity_incremental.sql)
-- depends_on: {{ ref('stg_facility__patients') }}
-- depends_on: {{ source('pii', 'identity_decisions') }}
{{ empi_config(key=['facility_code', 'local_patient_id', 'candidate_anchor'],
               pre_hook="{{ delete_identities_to_relink() }}") }}
with unanchored as (  -- the identities without a deterministic anchor this run scores
    select anchors.*
    from {{ ref('int_identity_anchors') }} as anchors
    where anchors.person_anchor is null
      and anchors.birth_date is not null
      {%- if empi_incremental() %}
      and (anchors.facility_code, anchors.local_patient_id) in (
          {{ identities_to_relink(ehr_watermark()) | indent(10) }})
      {%- endif %}
),

anchored as materialized (  -- the registrations of anchored persons born on those
                           -- identities' birth days, found once (inlined, the planner
                           -- looked them up again for each identity: 15.7 s at a year),
                           -- with what is compared: all of it in the anchors' row
    select anchors.*
    from {{ ref('int_identity_anchors') }} as anchors
    where anchors.person_anchor is not null
      and anchors.birth_date in (select birth_date from unanchored)
),

pairs as (
    select
        u.facility_code,
        u.local_patient_id,
        a.person_anchor                                            as candidate_anchor,
        u.patient_name = a.patient_name                            as name_agrees,
        u.phone = a.phone                                          as phone_agrees,
        u.village_code = a.village_code                            as village_agrees
    from unanchored as u
    inner join anchored as a
        on a.birth_date = u.birth_date
       and a.sex_code = u.sex_code
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
    coalesce(decision.decision = 'same', false)                    as reviewed_same,
    {{ newest_loaded_batch() }}                                        as batch_id
from scored
left join {{ source('pii', 'identity_decisions') }} as decision
    on decision.facility_code = scored.facility_code
   and decision.local_patient_id = scored.local_patient_id
   and decision.candidate_person_key = scored.candidate_person_key
where decision.decision is distinct from 'different'
