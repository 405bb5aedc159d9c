{#- The indicator row tables that grow with history (indicator_visits: every visit,
    indicator_settlements: every settlement; 4 million rows each at a year of a million
    residents; indicator_referrals: every referral; indicator_admissions: every admission;
    repeat_test_rate__denominator: every coded lab result) were rebuilt whole each night. They are incremental in the recycled quality
    candidate (countyhealth.publish), the way the ehr tables they read are: a night deletes,
    then writes again, the rows of the records changed after the table's newest batch: a
    new version or a cancellation, a person relinked or registered again (the ehr tables'
    own change sets, macros/ehr_incremental.sql), and for settlements the records of persons
    whose township changed (it places the row). Each row carries the
    batch that wrote it (batch_id, the watermark). Facility levels, townships and code maps
    come from the config and seeds: changing them needs a full refresh, as for ehr. -#}

{#- `rewrite`: the call of the macro giving the subject keys a run rewrites (a Jinja string,
    rendered when the model runs, like every pre-hook here). append: the pre-hook has
    deleted those rows; the key's exclusion constraint (macros/hashed_keys.sql) fails the
    run loudly should a row be written twice. `cells`: the table's cells,
    {'dimensions', 'measures'} (macros/cells_upkeep.sql), or none. A table from before it was incremental (no batch_id; indicator_referrals
    before part 15) has no watermark: its first run writes every row again and adds the
    column, and its cells are summed (add_missing_indexes then gives it its indexes). -#}
{% macro indicator_rows_config(rewrite, cells=none, extra_post_hooks=[]) -%}
{{ config(materialized='incremental', incremental_strategy='append',
          on_schema_change='append_new_columns',
          indexes=[{'columns': ['batch_id']}],
          meta={'cells': cells} if cells else {},
          pre_hook=["{{ warm_hashed_key('subject_key') }}",
                    "{% if is_incremental() %}{{ cells_delta_begin() }}"
                    ~ "{{ delete_counting_cells('subject_key in (' ~ " ~ rewrite ~ " ~ ')') }}"
                    ~ "{% else %}select 1{% endif %}"],
          post_hook=["{{ hashed_key('subject_key') }}", "{{ cells_upkeep() }}",
                     "{{ keep_row_totals() }}", "{{ add_missing_indexes() }}"]
                    + extra_post_hooks) }}
{%- endmacro %}


{#- The visits and admissions to write again: encounters changed since the watermark. -#}
{% macro encounter_rows_to_rewrite() -%}
{{ changed_record_keys(ref('int_encounters__latest')) }}
{%- endmacro %}


{#- The lab results to write again: changed since the watermark, or their encounter. -#}
{% macro lab_result_rows_to_rewrite() -%}
{{ changed_record_keys(ref('int_lab_results__latest'), encounter_bound=true) }}
{%- endmacro %}


{#- The referrals to write again: changed since the watermark. -#}
{% macro referral_rows_to_rewrite() -%}
{{ changed_record_keys(ref('int_referrals__latest')) }}
{%- endmacro %}


{#- The settlements to write again: changed since the watermark (a version, the person
    behind the ID number), or of a person whose township (which places the row) changed
    since (int_indicator_people.township_changed_batch_id; their ID numbers gathered first,
    then looked up by index, as changed_record_keys_by_id_number does). Every person whose
    ehr.patient row was written again, as before, was 11,000 people and 45,000 settlements
    of a year's night, nearly all with the township they had. -#}
{% macro settlement_rows_to_rewrite() -%}
{%- set latest = ref('int_insurance_settlements__latest') -%}
{%- set by_id_number = ref('int_person_by_id_number') -%}
{%- set people = ref('int_indicator_people') -%}
{%- set watermark = ehr_watermark() -%}  {#- read once for both parts -#}
{%- set changed = changed_record_keys_by_id_number(latest, watermark) -%}
{#- (every ref made outside the branch: dependencies dbt sees when it parses) -#}
{%- if is_incremental() -%}
{{ changed }}
union
select settlement.record_key
from {{ latest }} as settlement
where settlement.id_number_18 = any(array(
    select by_id.id_number_18 from {{ by_id_number }} as by_id
    where by_id.person_key in (select person_key from {{ people }}
                               where township_changed_batch_id > {{ watermark }})))
{%- endif -%}
{%- endmacro %}


{#- The settlements of an admission outside the county: the condition of
    hospitalisation_rate__numerator and of indicator_settlements' partial index, one text
    (the planner uses a partial index only for a query whose condition implies its own). -#}
{% macro admitted_outside_county() -%}
is_inpatient and not in_county
{%- endmacro %}
