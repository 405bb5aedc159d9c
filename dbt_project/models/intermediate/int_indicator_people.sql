-- What the person-month indicators know about each person (indicator_contracted_residents,
-- indicator_managed_patients), and the ingest batch at which any of it last changed: the
-- person's place and dates (ehr.patient), contracts, when they became a known hypertension
-- or diabetes patient, and a digest of their chronic follow-ups. Those models rebuild a
-- month only when its measuring day moves (the running month, every night); for every
-- other month they rewrite only the people whose row here changed after their newest
-- batch (changed_batch_id). A person can change without a record of theirs changing (a
-- registration that moves the address, an EMPI relink that takes a record away, a
-- contract ending), so the comparison is with this model's previous build, not with batch
-- ids of records. A person who disappears (relinked into another) stays as `gone`, with the
-- batch they went, so their rows are deleted: the recycled quality candidate a night builds
-- was last built two nights before (countyhealth.publish) and must still find them gone.
-- township_changed_batch_id: the batch at which the person's township last changed, what
-- indicator_settlements places their settlements by (macros/indicator_row_tables.sql).
-- resident_changed_batch_id: the batch at which anything but the follow-ups' digest last
-- changed, all indicator_contracted_residents reads: nearly every person changed on a
-- night is a managed patient with a new follow-up (2,833 of 2,908 on a year's night), whose
-- contracted-resident rows a follow-up cannot change unless it makes them a known patient
-- (chronic_since, compared here).
-- followups_changed_batch_id and settled_followups_changed_batch_id: the batches at which
-- the person's follow-ups last changed, and their follow-ups dated before the newest
-- night's month (followups_settled_before, digest followups_settled_digest). A follow-up
-- counts in the months whose twelve-month window holds its date: one dated in the running
-- month changes no closed month, so indicator_managed_patients rewrites the closed months
-- only of the people whose settled follow-ups changed (a back-dated, corrected or
-- cancelled one, a relink), and the rest in the running month (macros/person_months.sql,
-- recent_changed_by). On the first night of a month the boundary moves: that build
-- compares the follow-ups dated before the new boundary with all those of the previous
-- build, so a follow-up dated in the new month still changes no closed month.
-- Reads the candidate ehr (it runs after it, before the quality models). Analysed when built:
-- the person-month models plan their incremental runs by it.
{{ config(post_hook='analyze {{ this }}') }}
{%- set previous = previous_build() %}
{#- each change column and what it watches; one it was built without takes the person's
    changed_batch_id from the previous build, once (a superset) -#}
{%- set inputs = ['township_code', 'lives_in_county', 'birth_date', 'death_date',
                  'contract_periods', 'chronic_since'] %}
{%- set built_with = adapter.get_columns_in_relation(previous) | map(attribute='name') | list
        if previous is not none else [] %}
{%- set settled_before = newest_night_month_start() %}
{#- where the previous build drew the settled follow-ups' boundary against this one's,
    asked of the database: 'same', 'earlier' (this is a later month's first build) or
    'other' (no previous boundary, or a later one) -#}
{%- set boundary_then = value_now(
        "select coalesce((select case when followups_settled_before = " ~ settled_before
        ~ " then 'same' when followups_settled_before < " ~ settled_before
        ~ " then 'earlier' end from " ~ previous ~ " where gone is false limit 1), 'other')")
        | trim if execute and 'followups_settled_before' in built_with else 'other' %}
{#- the settled follow-ups now are compared with the settled ones then at the same boundary;
    at a later one with all of them then (every follow-up the previous build knew was dated
    before this boundary, but for any sent ahead of its date, which then counts as a change:
    a superset); with no boundary to go by, all with all -#}
{%- set settled_watch = ['followups_settled_digest'] if boundary_then in ('same', 'earlier')
        else ['followups_digest'] %}
{%- set then_of = {'followups_settled_digest': 'followups_digest'}
        if boundary_then == 'earlier' else {} %}
{%- set change_columns = [('changed_batch_id', inputs + ['followups_digest']),
                          ('township_changed_batch_id', ['township_code']),
                          ('resident_changed_batch_id', inputs),
                          ('followups_changed_batch_id', ['followups_digest']),
                          ('settled_followups_changed_batch_id', settled_watch)] %}
with contracts as (
    select person_key,
           string_agg(signed_date || '/' || coalesce(end_date::text, ''), ','
                      order by signed_date, end_date) as contract_periods
    from {{ ref('family_doctor_contract') }}
    group by person_key
),

chronic_diagnoses as (  -- a current diagnosis I10-I15 / E10-E14, by its partial index
    select person_key, min(recorded_at::date) as since
    from {{ ref('condition') }}
    where {{ is_chronic_diagnosis('code') }}
    group by person_key
),

followups as (  -- everything indicator_managed_patients reads of a follow-up, in one pass
    {%- set followup = "concat_ws('|', followup_key, disease, followup_date, "
                       ~ "managing_facility_code, sbp, dbp, fasting_glucose)" %}
    select person_key,
           min(followup_date)                                          as since,
           md5(string_agg({{ followup }}, ',' order by followup_key))  as followups_digest,
           md5(string_agg({{ followup }}, ',' order by followup_key)
               filter (where followup_date < {{ settled_before }}))    as followups_settled_digest
    from {{ ref('chronic_followup') }}
    where disease in {{ managed_diseases() }}
    group by person_key
),

people as (
    select
        patient.person_key,
        patient.township_code,
        patient.lives_in_county,
        patient.birth_date,
        patient.death_date,
        contracts.contract_periods,
        -- a known patient from the first diagnosis or follow-up (least ignores nulls)
        least(chronic_diagnoses.since, followups.since)               as chronic_since,
        followups.followups_digest,
        followups.followups_settled_digest,
        {{ settled_before }}                                          as followups_settled_before,
        false                                                         as gone
    from {{ ref('patient') }} as patient
    left join contracts using (person_key)
    left join chronic_diagnoses using (person_key)
    left join followups using (person_key)
),

current_batch as (
    select {{ newest_loaded_batch() }} as batch_id
)

{%- if previous is none %}

select people.*
       {%- for column, _ in change_columns %},
       current_batch.batch_id as {{ column }}
       {%- endfor %}
from people
cross join current_batch
{%- else %}

select
    people.*
    {%- for column, watched in change_columns %},
    case when previous.gone is false
          and ({% for input in watched %}people.{{ input }}{% if not loop.last %}, {% endif %}{% endfor %})
              is not distinct from
              ({% for input in watched %}previous.{{ then_of.get(input, input) }}{% if not loop.last %}, {% endif %}{% endfor %})
         then previous.{{ column if column in built_with else 'changed_batch_id' }}
         else current_batch.batch_id end                              as {{ column }}
    {%- endfor %}
from people
cross join current_batch
left join {{ previous }} as previous
    on previous.person_key = people.person_key

union all

select previous.person_key, previous.township_code, previous.lives_in_county,
       previous.birth_date, previous.death_date, previous.contract_periods,
       previous.chronic_since, previous.followups_digest,
       {%- for column, type in [('followups_settled_digest', 'text'),
                                ('followups_settled_before', 'date')] %}
       {{ 'previous.' ~ column if column in built_with else 'null::' ~ type }},
       {%- endfor %}
       true                                                           as gone
       {%- for column, _ in change_columns %},
       case when previous.gone
            then previous.{{ column if column in built_with else 'changed_batch_id' }}
            else current_batch.batch_id end                           as {{ column }}
       {%- endfor %}
from {{ previous }} as previous
cross join current_batch
where not exists (select 1 from people where people.person_key = previous.person_key)
{%- endif %}
