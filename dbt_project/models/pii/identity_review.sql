-- What the EMPI would not decide alone, for a person to review: identities whose best
-- candidate scored between empi_review_threshold and empi_link_threshold, identities with
-- several candidates at or above the link threshold, and identities whose card and record
-- number lead to different people. None of these was merged. A reviewer answers a pair in
-- pii.identity_decisions ('same' links, 'different' keeps apart); answered pairs leave
-- this list. Schema `pii`: only the identity role reads it (the pairs point at people's
-- registrations).
with candidates as (
    select
        candidates.*,
        count(*) filter (where score >= {{ var('empi_link_threshold') }})
            over (partition by facility_code, local_patient_id)      as linkable,
        bool_or(reviewed_same)
            over (partition by facility_code, local_patient_id)      as decided
    from {{ ref('int_identity_candidates') }} as candidates
)

select
    facility_code,
    local_patient_id,
    candidate_person_key,
    score,
    name_agrees,
    phone_agrees,
    village_agrees,
    case when linkable > 1 then 'several_candidates'
         else 'uncertain_score' end                                  as reason
from candidates
where not decided
  and ((score >= {{ var('empi_review_threshold') }} and score < {{ var('empi_link_threshold') }})
       or (score >= {{ var('empi_link_threshold') }} and linkable > 1))

union all

select
    facility_code,
    local_patient_id,
    null,
    null,
    null,
    null,
    null,
    'keys_disagree'
from {{ ref('int_identity_anchors') }}
where keys_disagree
