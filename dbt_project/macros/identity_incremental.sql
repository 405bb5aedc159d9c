{#- The EMPI core (int_identity_anchors, int_identity_candidates, int_person_identity,
    int_person_by_id_number) is incremental. Rebuilt whole, each night read and wrote every
    registration of the county (3.4 million at a year of a million residents; 50 s of a
    night), though a night changes about 1% of them. A night now places again only the
    identities whose answer can have changed since the table's watermark (max batch_id:
    every row carries the batch that wrote it):
      - anchors: the registrations with a new version (a correction, a cancellation, a new
        one), and the identities without a valid ID number that share a health card or
        record number with any version of those (the key rules look one hop along keys);
      - candidates and person links: the identities anchors placed again, the identities
        without an anchor in the birth-date blocks of those or of any version of a changed
        registration (the scored fallback compares within a block), and every identity a
        reviewer has decided on (a decision needs no new batch);
      - persons by ID number: the ID numbers of the identities linked again and of every
        version of a changed registration.
    Old versions come from staging, where raw keeps every version: a key or birth date an
    identity no longer has still finds those it used to touch. An identity whose
    registration is cancelled leaves each table (delete_gone_identities). A full refresh
    computes every row by the same SQL; tests/integration/test_incremental.py proves the
    nights end where it does. -#}


{#- The identities with a registration version after `watermark` (any change flag). -#}
{% macro registrations_changed_since(watermark) -%}
select facility_code, local_patient_id
from {{ ref('stg_facility__patients') }}
where batch_id > {{ watermark }}
{%- endmacro %}


{#- Every version, old and new, of those identities' registrations (raw's index by record). -#}
{% macro registration_versions_changed_since(watermark) -%}
select *
from {{ ref('stg_facility__patients') }}
where (facility_code, local_patient_id) in (
    {{ registrations_changed_since(watermark) | indent(4) }})
{%- endmacro %}


{#- The identities to place again in the candidates and the person links (see the top).
    The blocks are compared by birth date alone, a superset of birth date and sex. -#}
{% macro identities_to_relink(watermark) -%}
select facility_code, local_patient_id
from {{ ref('int_identity_anchors') }}
where batch_id > {{ watermark }}
union
select unanchored.facility_code, unanchored.local_patient_id
from {{ ref('int_identity_anchors') }} as unanchored
where unanchored.person_anchor is null
  and unanchored.birth_date in (
    select birth_date from {{ ref('int_identity_anchors') }} where batch_id > {{ watermark }}
    union
    select birth_date from ({{ registration_versions_changed_since(watermark) | indent(4) }})
        as versions)
union
select facility_code, local_patient_id from {{ source('pii', 'identity_decisions') }}
{%- endmacro %}


{#- The restriction an EMPI model's select adds in an incremental run: only the identities
    in `scope` (a select of facility_code, local_patient_id); nothing otherwise. -#}
{% macro identities_in(scope, alias) -%}
{%- if empi_incremental() %}
where ({{ alias }}.facility_code, {{ alias }}.local_patient_id) in (
    {{ scope | indent(4) }})
{%- endif %}
{%- endmacro %}


{#- Pre-hook: delete the identities whose registration is gone (cancelled) since the
    watermark (on the upgrade night, all of them); the delete+insert of the run rewrites
    the others it places. -#}
{% macro delete_gone_identities() -%}
{%- if is_incremental() -%}
delete from {{ this }}
where
  {%- if empi_incremental() %} (facility_code, local_patient_id) in (
    {{ registrations_changed_since(ehr_watermark()) | indent(4) }}) and
  {%- endif %} not exists (select 1 from {{ ref('int_patients__latest') }} as current
                  where current.facility_code = {{ this }}.facility_code
                    and current.local_patient_id = {{ this }}.local_patient_id)
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}


{#- Pre-hook of int_identity_candidates (several rows per identity, none for an anchored
    one): delete every row of the identities the run places again (on the upgrade night,
    every row); it inserts what they have now. -#}
{% macro delete_identities_to_relink() -%}
{%- if is_incremental() -%}
delete from {{ this }}
{%- if empi_incremental() %}
where (facility_code, local_patient_id) in (
    {{ identities_to_relink(ehr_watermark()) | indent(4) }})
{%- endif %}
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}


{#- The identities int_identity_anchors places again: the changed registrations, and the
    identities without a valid ID number that share a card or record number with any
    version of them (one branch per key: each by its index). -#}
{% macro identities_to_anchor(watermark) -%}
{{ registrations_changed_since(watermark) }}
union
select facility_code, local_patient_id from {{ ref('int_patients__latest') }}
where id_number_18 is null and health_card_no in (
    select health_card_no from ({{ registration_versions_changed_since(watermark) | indent(4) }})
        as versions)
union
select facility_code, local_patient_id from {{ ref('int_patients__latest') }}
where id_number_18 is null and health_record_no in (
    select health_record_no from ({{ registration_versions_changed_since(watermark) | indent(4) }})
        as versions)
{%- endmacro %}


{#- The configuration the four EMPI models share. `unique_key`: dbt's delete+insert on it
    (the model reads what it replaces first); none: append after `pre_hook` deleted what
    the run writes. The key is a unique index; `indexes`: the model's others.
    An upgrade from the tables they were (rebuilt whole each night) needs nothing done:
    the new columns are added (append_new_columns), and with no batch_id yet that first
    night places every identity again (empi_incremental), reading the links it replaces
    (linked_batch_id and changed_batch_id carry over, so the ehr tables re-attach nothing
    they need not); the missing indexes are created after it (add_missing_indexes).
    `newest_column`: the model's most recently added column (default batch_id); a table
    without it is from before, and its upgrade night places every identity again, so no
    row keeps the new column empty. -#}
{% macro empi_config(key, indexes=[], unique_key=none, pre_hook=none,
                     newest_column='batch_id', post_hooks=[]) -%}
{%- set all_indexes = [{'columns': key, 'unique': true}, {'columns': ['batch_id']}] + indexes -%}
{{ config(materialized='incremental',
          incremental_strategy='delete+insert' if unique_key else 'append',
          unique_key=unique_key, on_schema_change='append_new_columns', indexes=all_indexes,
          meta={'newest_column': newest_column},
          pre_hook=[pre_hook] if pre_hook else [],
          post_hook=["{{ add_missing_indexes() }}"] + post_hooks) }}
{%- endmacro %}


{#- The post-hook of int_identity_anchors: the identities without an anchor (a few
    percent) by birth date, with their keys, in a partial index. identities_to_relink
    looks up the unanchored identities born on a night's changed birth dates; without it
    the planner read the whole table for them, twice a night (3.4 million rows at a year of
    a million residents, 840 MB after the compared columns joined the row). dbt's `indexes`
    cannot declare a partial one. -#}
{% macro unanchored_by_birth_date() -%}
create index if not exists {{ this.identifier }}__unanchored_by_birth_date
    on {{ this }} (birth_date) include (facility_code, local_patient_id)
    where person_anchor is null
{%- endmacro %}


{#- Whether an EMPI model's run places only what changed since its watermark (an
    incremental run on a table with its newest column, empi_config). Not on the upgrade
    night, which meets a table from before (no batch_id, or no column added since): it
    places every identity, by the full build's SQL (scoped by a watermark of 0, the year's
    3.4 million identities went through index lookups meant for a night's thousands: more
    than 8 minutes at 200,000 residents). -#}
{% macro empi_incremental() -%}
{%- set newest = (config.get('meta') or {}).get('newest_column', 'batch_id') -%}
{%- do return(is_incremental() and previous_build(newest) is not none) -%}
{%- endmacro %}
