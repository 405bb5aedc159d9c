-- Every current diagnosis (FHIR Condition), on the person's record across the county. The
-- code stays as the facility sent it, with its system (macro code_system_uri; clinical 2.0
-- when none is named) and its ICD-10 block and chapter (seeds icd10_blocks,
-- icd10_chapters); a code outside ICD-10 is here, flagged (code_in_value_set), and counted
-- in quality.terminology_coverage. Cancelled diagnoses and those of cancelled encounters
-- are absent (macro current_clinical_records). Incremental (macros in ehr_incremental.sql).
-- The chronic diagnoses have a partial index of their own (macros/chronic_disease.sql).
{{ ehr_incremental_config('condition_key', 'int_conditions__latest', encounter_bound=true,
                          extra_post_hooks=["{{ chronic_diagnoses_index() }}",
                                            "{{ keep_code_counts('not code_in_value_set') }}"]) }}
with current_records as (
    {{ current_clinical_records(ref('int_conditions__latest')) }}
),

-- each distinct three-character category placed in its block and chapter once: the range
-- joins per diagnosis took five minutes for a year of a million residents
categories as (
    select
        codes.category,
        block.block,
        chapter.chapter
    from (select distinct left(icd10_code, 3) as category from current_records
          where icd10_code ~ '^[A-Z][0-9]{2}') as codes
    inner join {{ ref('icd10_blocks') }} as block
        on codes.category between block.code_start and block.code_end
    left join {{ ref('icd10_chapters') }} as chapter
        on block.code_start between chapter.code_start and chapter.code_end
)

select
    current_records.record_key::text                                  as condition_key,
    current_records.person_key::text,
    current_records.encounter_key::text,
    current_records.facility_code::text,
    current_records.icd10_code::text                                  as code,
    {{ code_system_uri('current_records.icd10_version', 'code_system',
                       "'urn:chw:icd-10-cn:clinical-2.0'") }}::text    as code_system,
    current_records.diagnosis_name::text                              as display,
    (case current_records.diagnosis_type when '1' then 'principal'
          when '2' then 'secondary' else 'unknown' end)::text          as diagnosis_rank,
    category.block::text                                              as icd10_block,
    category.chapter::text                                            as icd10_chapter,
    (category.block is not null)::boolean                             as code_in_value_set,
    coalesce(current_records.diagnosed_at, current_records.updated_at)::timestamp
                                                                      as recorded_at,
    current_records.export_date::date,
    current_records.batch_id::bigint
from current_records
left join {{ ref('code_system_aliases') }} as code_system
    on code_system.alias = current_records.icd10_version
left join categories as category
    on current_records.icd10_code ~ '^[A-Z][0-9]{2}'
   and category.category = left(current_records.icd10_code, 3)
