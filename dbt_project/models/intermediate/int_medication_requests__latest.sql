-- The latest version of every prescription line, cancelled ones kept and flagged.
-- Incremental (macro latest_version); the person is attached in ehr.medication_request.
{{ latest_version_config(by_patient=true, by_encounter=true) }}
{{ latest_version(ref('stg_facility__prescriptions'), ['facility_code', 'prescription_source_id']) }}
