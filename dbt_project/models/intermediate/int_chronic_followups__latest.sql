-- The latest version of every hypertension and diabetes follow-up, cancelled ones kept and
-- flagged. Incremental (macro latest_version); the person (by ID number) is attached in
-- ehr.chronic_followup.
{{ latest_version_config(by_id_number=true) }}
{{ latest_version(ref('stg_facility__chronic_followups'), ['facility_code', 'followup_source_id'],
                  by_id_number=true) }}
