-- The current version of every lab result. A code sent as LOINC (a FHIR or HL7 sender that
-- names the system) is LOINC as it stands; a facility's own code maps to LOINC through the
-- lab_map seed; an unmapped code is flagged and kept, never dropped. Cancelled results and
-- those of cancelled encounters disappear (current_clinical_records).
with current_records as (
    {{ current_clinical_records(ref('stg_facility__lab_results'), 'lab_source_id') }}
),

coded as (
    select
        current_records.*,
        {{ code_system_uri('current_records.test_code_system', 'code_system',
                           "'urn:chw:facility:' || current_records.facility_code || ':lab'") }}
                                                                      as code_system
    from current_records
    left join {{ ref('code_system_aliases') }} as code_system
        on code_system.alias = current_records.test_code_system
),

mapped as (
    select
        coded.*,
        coalesce(case when coded.code_system = 'http://loinc.org' then coded.test_code end,
                 map.loinc_code)                                      as loinc_code,
        map.unit                                                      as map_unit
    from coded
    left join {{ ref('stg_ingest__facilities') }} as facility
        on facility.facility_code = coded.facility_code
    left join {{ ref('lab_map') }} as map
        on map.facility_level = facility.facility_level
       and map.local_code = coded.test_code
)

select
    record_key                                                        as observation_key,
    encounter_key,
    person_key,
    facility_code,
    test_code                                                         as local_code,
    code_system,
    test_name,
    loinc_code,
    loinc_code is not null                                            as code_mapped,
    case when value_text ~ '^-?[0-9]+(\.[0-9]+)?$'
         then value_text::numeric end                                 as value_numeric,
    value_text,
    coalesce(unit, map_unit)                                          as unit,
    abnormal_flag,
    coalesce(collected_at, reported_at, updated_at)                   as effective_at,
    export_date
from mapped
