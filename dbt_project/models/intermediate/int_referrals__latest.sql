-- The latest version of every referral, cancelled ones kept and flagged. Incremental
-- (macro latest_version); levels, direction and the person are attached in ehr.referral.
{{ latest_version_config(by_patient=true) }}
{{ latest_version(ref('stg_facility__referrals'), ['facility_code', 'referral_source_id']) }}
