-- The person behind a valid ID number (18-character form), for records that name people
-- by ID number rather than by a facility's patient id (contracts, follow-ups, settlements):
-- the person the EMPI linked the registrations carrying that ID to.
select
    patients.id_number_18,
    min(identity.person_key)              as person_key,
    count(distinct identity.person_key)   as person_keys
from {{ ref('int_patients__latest') }} as patients
inner join {{ ref('int_person_identity') }} as identity
    using (facility_code, local_patient_id)
where patients.id_number_18 is not null
group by patients.id_number_18
