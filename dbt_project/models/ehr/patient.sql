-- One row per person across all county facilities (FHIR Patient). Pseudonymous: names,
-- ID numbers and phones are in pii.person, readable only by the identity role.
-- Incremental: a night rewrites the persons whose registrations or links changed
-- (macros/person_tables.sql).
{{ person_table_config() }}
with registrations as (
    select
        identity.person_key,
        patients.*
    from {{ ref('int_patients__latest') }} as patients
    inner join {{ ref('int_person_identity') }} as identity
        using (facility_code, local_patient_id)
    where true {{- changed_persons_only('identity.person_key') }}
),

ranked as (
    select
        *,
        row_number() over (partition by person_key order by updated_at desc, facility_code)
            as recency_rank
    from registrations
),

people as (
    select
        person_key,
        max(case when recency_rank = 1 then sex_code end)             as sex_code,
        max(case when recency_rank = 1 then birth_date end)           as birth_date,
        max(case when recency_rank = 1 then left(address_code, 9) end) as township_code,
        max(death_date)                                               as death_date,
        bool_or(id_number_is_valid)                                   as has_valid_id_number,
        count(*)                                                      as source_identity_count,
        count(distinct facility_code)                                 as facility_count,
        min(export_date)                                              as first_seen_export_date
    from ranked
    group by person_key
)

select
    people.person_key::text,
    people.sex_code::text,
    people.birth_date::date,
    people.death_date::date,
    people.township_code::text,
    (township.division_code is not null)::boolean                     as lives_in_county,
    people.has_valid_id_number::boolean,
    people.source_identity_count::bigint,
    people.facility_count::bigint,
    people.first_seen_export_date::date,
    {{ newest_loaded_batch() }}::bigint                              as batch_id
from people
left join {{ ref('county_divisions') }} as township
    on township.division_code = people.township_code
   and township.division_level = 'township'
