-- EMPI: every source identity (facility + local patient id) linked to one person key.
-- In order: the deterministic anchor (int_identity_anchors: ID number, then health card or
-- record number); else the one candidate person whose score reaches empi_link_threshold
-- (int_identity_candidates; ties are not linked; a reviewer's 'same' decision links and
-- wins over scores); else the identity's own shared-key
-- group; else the identity alone. Uncertain pairs are listed in pii.identity_review and
-- never merged. The key is a keyed hash: analysts never see the ID number.
-- linked_batch_id: the ingest batch at which the identity got its current person (carried
-- over from the table this run replaces while the person stays the same), so the
-- incremental ehr models re-attach exactly the records of relinked identities; they find
-- the night's relinks by its index (the planner reads the index's newest value for a
-- watermark beyond its statistics; with none at all, as once when each build was a new
-- table, it guessed a third of the table and scanned all of it, 300 MB at a year).
-- Incremental: a night links again only the identities whose anchor or candidates can have
-- changed (macros/identity_incremental.sql: identities_to_relink), reading their previous
-- links before dbt's delete+insert replaces them; a cancelled identity leaves (pre-hook).
-- A night sums the candidates of each identity in its scope by their index (lateral): after
-- a backfill every row has the backfill's batch, and once analyzed the planner expects
-- one row of the night's batch (a value beyond its only common one) where there are
-- 18,624 (a month of a million residents); summing every candidate of the scope for each
-- of them took 245 s. Joined one by one the cost is the scope's, whatever the estimate
-- (0.45 s). A full build sums all candidates at once (2.5 s, against 6.0 s one by one).
-- (the refs the incremental branches and hooks use: macros/identity_incremental.sql)
-- depends_on: {{ ref('stg_facility__patients') }}
-- depends_on: {{ source('pii', 'identity_decisions') }}
{{ empi_config(key=['facility_code', 'local_patient_id'],
               indexes=[{'columns': ['linked_batch_id']}],
               unique_key=['facility_code', 'local_patient_id'],
               pre_hook="{{ delete_gone_identities() }}") }}
{%- set previous = previous_build() %}
with
{%- if empi_incremental() %}
scope as materialized (  -- the identities this run links
    {{ identities_to_relink(ehr_watermark()) | indent(4) }}
),
{%- endif %}

{%- set best_of_candidates %}
        max(score)                                                  as best_score,
        count(*) filter (where score >= {{ var('empi_link_threshold') }}) as linkable,
        min(candidate_anchor) filter (where score >= {{ var('empi_link_threshold') }})
                                                                    as linked_anchor,
        count(*) filter (where reviewed_same)                       as reviewed,
        min(candidate_anchor) filter (where reviewed_same)          as reviewed_anchor
{%- endset %}
{%- if not empi_incremental() %}

best as (  -- every identity's candidates, summed at once
    select
        facility_code,
        local_patient_id,
        {{- best_of_candidates }}
    from {{ ref('int_identity_candidates') }} as candidates
    group by facility_code, local_patient_id
),
{%- endif %}

resolved as (
    select
        anchors.facility_code,
        anchors.local_patient_id,
        case
            when anchors.person_anchor is not null then anchors.person_anchor
            when best.reviewed = 1 then best.reviewed_anchor
            when best.linkable = 1 then best.linked_anchor
            when anchors.key_anchor is not null then anchors.key_anchor
            else 'local|' || anchors.facility_code || '|' || anchors.local_patient_id
        end                                                         as anchor,
        case
            when anchors.person_anchor is not null then anchors.anchor_basis
            when best.reviewed = 1 then 'reviewed'
            when best.linkable = 1 then 'demographics'
            when anchors.key_anchor is not null then 'shared_key'
            else 'local_id'
        end                                                         as match_basis,
        case when anchors.person_anchor is null and (best.reviewed = 1 or best.linkable = 1)
             then best.best_score end                               as match_score
    from {{ ref('int_identity_anchors') }} as anchors
    {%- if empi_incremental() %}
    left join lateral (  -- the identity's candidates, by their index
        select
            {{- best_of_candidates | indent(4) }}
        from {{ ref('int_identity_candidates') }} as candidates
        where candidates.facility_code = anchors.facility_code
          and candidates.local_patient_id = anchors.local_patient_id
    ) as best on true
    {%- else %}
    left join best using (facility_code, local_patient_id)
    {%- endif %}
    {{- identities_in('select facility_code, local_patient_id from scope', 'anchors') | indent(4) }}
),

linked as (
    select
        resolved.facility_code,
        resolved.local_patient_id,
        {{ person_key(['resolved.anchor']) }}                       as person_key,
        resolved.match_basis,
        resolved.match_score,
        patients.id_number_is_valid
    from resolved
    inner join {{ ref('int_patients__latest') }} as patients
        using (facility_code, local_patient_id)
)

select
    linked.*,
    {%- if previous is not none %}
    coalesce(previous.linked_batch_id,
             (select coalesce(max(batch_id), 0) from {{ source('ingest', 'runs') }}))
    {%- else %}
    (select coalesce(max(batch_id), 0) from {{ source('ingest', 'runs') }})
    {%- endif %}                                                    as linked_batch_id,
    {{ newest_loaded_batch() }}                                     as batch_id
from linked
{%- if previous is not none %}
left join {{ previous }} as previous
    on previous.facility_code = linked.facility_code
   and previous.local_patient_id = linked.local_patient_id
   and previous.person_key = linked.person_key
{%- endif %}
