-- The current version of every diagnosis, with its person and ICD-10 chapter. Cancelled
-- diagnoses (change flag 3) disappear here, and so do those of cancelled encounters. The code is kept as sent, with its version
-- (clinical 2.0 in facility data): a code no chapter covers is flagged, never dropped.
with latest as (
    {{ latest_version(ref('stg_facility__diagnoses'), ['facility_code', 'diagnosis_source_id']) }}
)

select
    md5(latest.facility_code || '|' || latest.diagnosis_source_id)   as condition_key,
    md5(latest.facility_code || '|' || latest.encounter_source_id)   as encounter_key,
    {{ person_of('latest.facility_code', 'latest.local_patient_id', 'identity') }}
                                                                      as person_key,
    latest.facility_code,
    latest.icd10_code,
    coalesce(latest.icd10_version, 'clinical-2.0')                    as icd10_version,
    case latest.diagnosis_type when '1' then 'principal' when '2' then 'secondary'
         else 'unknown' end                                           as diagnosis_rank,
    latest.diagnosis_name,
    chapter.chapter                                                   as icd10_chapter,
    chapter.chapter is not null                                       as code_in_value_set,
    coalesce(latest.diagnosed_at, latest.updated_at)                  as recorded_at,
    latest.export_date
from latest
left join {{ ref('icd10_chapters') }} as chapter
    on latest.icd10_code ~ '^[A-Z][0-9]{2}'
   and left(latest.icd10_code, 3) between chapter.code_start and chapter.code_end
left join {{ ref('int_person_identity') }} as identity
    on identity.facility_code = latest.facility_code
   and identity.local_patient_id = latest.local_patient_id
where latest.change_flag <> 3
  and md5(latest.facility_code || '|' || latest.encounter_source_id) not in (
      select encounter_key from {{ ref('int_encounters__cancelled') }})
