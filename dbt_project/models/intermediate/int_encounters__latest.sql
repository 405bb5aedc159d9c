-- The latest version of every encounter (visit or admission), cancelled ones kept and
-- flagged so that what was built on them can go too. Incremental: a night ranks again only
-- the encounters its batches touched (macro latest_version).
{{ latest_version_config(by_patient=true) }}
{{ latest_version(ref('stg_facility__encounters'), ['facility_code', 'encounter_source_id']) }}
