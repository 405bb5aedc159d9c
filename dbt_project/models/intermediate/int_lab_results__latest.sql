-- The latest version of every lab result, cancelled ones kept and flagged. Incremental
-- (macro latest_version); LOINC mapping and the person are attached in ehr.observation, so
-- a new lab map row reaches every result, however old.
{{ latest_version_config(by_patient=true, by_encounter=true) }}
{{ latest_version(ref('stg_facility__lab_results'), ['facility_code', 'lab_source_id']) }}
