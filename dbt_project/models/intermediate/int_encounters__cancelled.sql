-- Encounters whose latest version cancels them (change flag 3): what was recorded in them
-- (diagnoses, lab results) goes with them, so nothing built on a cancelled visit remains.
with latest as (
    {{ latest_version(ref('stg_facility__encounters'), ['facility_code', 'encounter_source_id']) }}
)

select md5(facility_code || '|' || encounter_source_id) as encounter_key
from latest
where change_flag = 3
