-- One row per person across all county facilities (FHIR Patient). Pseudonymous: names,
-- ID numbers and phones are in pii.person, readable only by the identity role.
with registrations as (
    select
        identity.person_key,
        patients.*
    from {{ ref('int_patients__latest') }} as patients
    inner join {{ ref('int_person_identity') }} as identity
        using (facility_code, local_patient_id)
),

ranked as (
    select
        *,
        row_number() over (partition by person_key order by updated_at desc, facility_code)
            as recency_rank
    from registrations
)

select
    person_key,
    max(case when recency_rank = 1 then sex_code end)                 as sex_code,
    max(case when recency_rank = 1 then birth_date end)               as birth_date,
    max(case when recency_rank = 1 then left(address_code, 9) end)    as township_code,
    bool_or(id_number_is_valid)                                       as has_valid_id_number,
    count(*)                                                          as source_identity_count,
    count(distinct facility_code)                                     as facility_count,
    min(export_date)                                                  as first_seen_export_date
from ranked
group by person_key
