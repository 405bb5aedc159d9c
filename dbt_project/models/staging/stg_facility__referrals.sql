select
    _facility                                as facility_code,
    record_id                                as referral_source_id,
    patient_id                               as local_patient_id,
    trim(from_facility)                      as from_facility_code,
    trim(to_facility)                        as to_facility_code,
    lower(nullif(trim(direction), ''))       as direction_source_value,
    nullif(trim(reason_code), '')            as reason_code,
    referred_at::timestamp                   as referred_at,
    updated_at::timestamp                    as updated_at,
    change_flag::smallint                    as change_flag,
    {{ ingest_lineage() }}
from {{ source('facility', 'referrals') }}
