-- Every current visit and admission in the county (FHIR Encounter), linked to its person.
select
    encounter_key::text,
    person_key::text,
    facility_code::text,
    facility_level::text,
    is_primary_care::boolean,
    township_code::text,
    encounter_class::text,
    fhir_class_code::text,
    is_visit::boolean,
    department::text,
    start_time::timestamp,
    end_time::timestamp,
    encounter_date::date,
    disposition::text,
    total_cost::numeric,
    patient_unregistered::boolean,
    export_date::date
from {{ ref('int_encounters__latest') }}
