-- The latest version of every insurance settlement, cancelled ones kept and flagged.
-- Incremental (macro latest_version); the person (by ID number) and the care facility's
-- level are attached in ehr.insurance_settlement.
{{ latest_version_config(by_id_number=true) }}
{{ latest_version(ref('stg_insurance__settlements'), ['facility_code', 'settlement_source_id'],
                  by_id_number=true) }}
