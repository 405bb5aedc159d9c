select
    _facility                                as facility_code,
    record_id                                as encounter_source_id,
    patient_id                               as local_patient_id,
    trim(encounter_class)                    as encounter_class_source_value,
    department,
    start_time::timestamp                    as start_time,
    end_time::timestamp                      as end_time,
    nullif(trim(disposition), '')            as disposition,
    nullif(trim(total_cost), '')::numeric    as total_cost,
    updated_at::timestamp                    as updated_at,
    change_flag::smallint                    as change_flag,
    {{ ingest_lineage() }}
from {{ source('facility', 'encounters') }}
