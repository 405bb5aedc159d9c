-- Every current visit and admission in the county (FHIR Encounter): the latest version of
-- each (cancelled ones left out), with its person from the EMPI (a local key while the
-- registration has not arrived), its class (seed encounter_class_map) and its facility's
-- level and township. Incremental (macros in ehr_incremental.sql). Indexed by day and by
-- export night too: analysts select visits by date, and quality.indicator_months walks the
-- months by them (a probe a month, not a read of every visit of every year).
{{ ehr_incremental_config('encounter_key', 'int_encounters__latest',
                          extra_indexes=[['encounter_date'], ['export_date']]) }}
select
    latest.record_key::text                                           as encounter_key,
    {{ person_of('latest.facility_code', 'latest.local_patient_id', 'identity') }}::text
                                                                      as person_key,
    latest.facility_code::text,
    facility.facility_level::text,
    facility.is_primary_care::boolean,
    facility.township_code::text,
    coalesce(class.encounter_class, 'unknown')::text                  as encounter_class,
    coalesce(class.fhir_class_code, 'UNK')::text                      as fhir_class_code,
    coalesce(class.is_visit, false)::boolean                          as is_visit,
    latest.department::text,
    latest.start_time::timestamp,
    latest.end_time::timestamp,
    latest.start_time::date                                           as encounter_date,
    latest.disposition::text,
    latest.total_cost::numeric,
    (identity.person_key is null)::boolean                            as patient_unregistered,
    latest.export_date::date,
    latest.batch_id::bigint
from {{ ref('int_encounters__latest') }} as latest
left join {{ ref('stg_ingest__facilities') }} as facility
    on facility.facility_code = latest.facility_code
left join {{ ref('encounter_class_map') }} as class
    on class.source_value = latest.encounter_class_source_value
{{ join_identity('latest') }}
where not latest.is_cancelled
{{- changed_since_watermark('latest', ref('int_encounters__latest')) }}
