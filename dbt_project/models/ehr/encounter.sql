-- Every current visit and admission in the county (FHIR Encounter), linked to its person.
select
    encounter_key,
    person_key,
    facility_code,
    facility_level,
    is_primary_care,
    township_code,
    encounter_class,
    fhir_class_code,
    is_visit,
    department,
    start_time,
    end_time,
    encounter_date,
    disposition,
    total_cost,
    patient_unregistered,
    export_date
from {{ ref('int_encounters__latest') }}
