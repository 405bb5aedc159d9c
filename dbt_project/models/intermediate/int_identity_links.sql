-- EMPI link history: every person each source identity has been linked to, and the batch
-- at which it was (int_person_identity.linked_batch_id). Append-only: a night adds the
-- links int_person_identity has and this has not (a link back to an earlier person is a
-- new row: it has a new batch). The incremental person tables
-- (macros/person_tables.sql) read it to rewrite the person an identity left as well as
-- the one it joined; int_person_identity knows only the current link.
-- Analysed when built: those tables plan their runs by it.
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          indexes=[{'columns': ['facility_code', 'local_patient_id', 'linked_batch_id',
                                'person_key'], 'unique': true},
                   {'columns': ['linked_batch_id']}],
          post_hook='analyze {{ this }}') }}
select
    identity.facility_code,
    identity.local_patient_id,
    identity.person_key,
    identity.linked_batch_id
from {{ ref('int_person_identity') }} as identity
{%- if is_incremental() %}
-- a link is new from the batch of the newest link here on (a run within that batch, a
-- reviewer's decision applied without a new ingest, links again with the same batch)
where identity.linked_batch_id >= {{ value_now('select coalesce(max(linked_batch_id), 0) from ' ~ this) }}
  and not exists (select 1 from {{ this }} as known
                  where known.facility_code = identity.facility_code
                    and known.local_patient_id = identity.local_patient_id
                    and known.linked_batch_id = identity.linked_batch_id
                    and known.person_key = identity.person_key)
{%- endif %}
