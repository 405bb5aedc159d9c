-- The latest version of every diagnosis, cancelled ones kept and flagged. Incremental
-- (macro latest_version); coding and the person are attached in ehr.condition, so a new
-- code list row or a relinked person reaches every diagnosis, however old.
{{ latest_version_config(by_patient=true, by_encounter=true) }}
{{ latest_version(ref('stg_facility__diagnoses'), ['facility_code', 'diagnosis_source_id']) }}
