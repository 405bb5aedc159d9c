-- The latest version of every family-doctor contract, cancelled ones kept and flagged.
-- Incremental (macro latest_version); the person (by ID number) is attached in
-- ehr.family_doctor_contract.
{{ latest_version_config(by_id_number=true) }}
{{ latest_version(ref('stg_facility__family_doctor_contracts'), ['facility_code', 'contract_source_id'],
                  by_id_number=true) }}
