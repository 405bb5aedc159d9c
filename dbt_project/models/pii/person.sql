-- Identifying details per person (latest registration). Only the identity process and its
-- role read this schema; analysts see person_key only.
-- Incremental: a night rewrites the persons whose registrations or links changed
-- (macros/person_tables.sql).
{{ person_table_config() }}
with ranked as (
    select
        identity.person_key,
        patients.patient_name,
        patients.id_type,
        patients.id_number,
        patients.phone,
        patients.health_card_no,
        row_number() over (partition by identity.person_key
                           order by patients.updated_at desc, patients.facility_code) as rnk
    from {{ ref('int_patients__latest') }} as patients
    inner join {{ ref('int_person_identity') }} as identity
        using (facility_code, local_patient_id)
    where true {{- changed_persons_only('identity.person_key') }}
)

select person_key, patient_name, id_type, id_number, phone, health_card_no,
       {{ newest_loaded_batch() }}::bigint as batch_id
from ranked
where rnk = 1
