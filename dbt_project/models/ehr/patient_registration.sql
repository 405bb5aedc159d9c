-- Which county facilities know each person (FHIR Patient.managingOrganization): one row per
-- person and facility holding a registration of theirs, through the EMPI. It decides what
-- a facility's role may read (row-level security, countyhealth.access): its own patients'
-- records, from every facility. Local patient ids stay out (they would re-identify).
-- Incremental: a night rewrites the persons whose registrations or links changed
-- (macros/person_tables.sql).
{{ person_table_config(['person_key', 'facility_code'],
                       more_indexes=[{'columns': ['facility_code']}]) }}
select
    identity.person_key::text,
    identity.facility_code::text,
    min(patients.export_date)::date                                   as first_registered_export_date,
    {{ newest_loaded_batch() }}::bigint                               as batch_id
from {{ ref('int_person_identity') }} as identity
inner join {{ ref('int_patients__latest') }} as patients
    using (facility_code, local_patient_id)
where true {{- changed_persons_only('identity.person_key') }}
group by identity.person_key, identity.facility_code
