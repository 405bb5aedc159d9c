-- The current version of every diagnosis, with its person and ICD-10 block and chapter. Cancelled
-- diagnoses disappear here, and so do those of cancelled encounters
-- (current_clinical_records). The code is kept as sent, with its version (clinical 2.0 in
-- facility data): a code no chapter covers is flagged, never dropped.
with current_records as (
    {{ current_clinical_records(ref('stg_facility__diagnoses'), 'diagnosis_source_id') }}
)

select
    current_records.record_key                                        as condition_key,
    current_records.encounter_key,
    current_records.person_key,
    current_records.facility_code,
    current_records.icd10_code,
    current_records.icd10_version,
    {{ code_system_uri('current_records.icd10_version', 'code_system',
                       "'urn:chw:icd-10-cn:clinical-2.0'") }} as code_system,
    case current_records.diagnosis_type when '1' then 'principal'
         when '2' then 'secondary' else 'unknown' end                 as diagnosis_rank,
    current_records.diagnosis_name,
    block.block                                                       as icd10_block,
    chapter.chapter                                                   as icd10_chapter,
    block.block is not null                                           as code_in_value_set,
    coalesce(current_records.diagnosed_at, current_records.updated_at) as recorded_at,
    current_records.export_date
from current_records
left join {{ ref('code_system_aliases') }} as code_system
    on code_system.alias = current_records.icd10_version
left join {{ ref('icd10_blocks') }} as block
    on current_records.icd10_code ~ '^[A-Z][0-9]{2}'
   and left(current_records.icd10_code, 3) between block.code_start and block.code_end
left join {{ ref('icd10_chapters') }} as chapter
    on block.code_start between chapter.code_start and chapter.code_end
