-- The current version of every local patient registration; cancelled registrations removed.
-- Incremental: a night ranks again only the registrations its batches touched (macro
-- latest_version); those it cancelled go (latest_version_config's drop_cancelled_of).
-- The EMPI finds the registrations sharing a card, record or ID number by index
-- (macros/identity_incremental.sql).
{{ latest_version_config(by_patient=true, drop_cancelled_of='stg_facility__patients',
                         keys=['facility_code', 'local_patient_id'],
                         more_indexes=[['health_card_no'], ['health_record_no'],
                                       ['id_number_18']]) }}
with latest as (
    {{ latest_version(ref('stg_facility__patients'), ['facility_code', 'local_patient_id']) }}
)

select
    latest.record_key,
    latest.facility_code,
    latest.local_patient_id,
    coalesce(latest.id_type, '01')                as id_type,
    latest.id_number,
    {{ gb11643_is_valid('latest.id_number') }}    as id_number_is_valid,
    {{ id_number_18('latest.id_number') }}        as id_number_18,
    latest.patient_name,
    coalesce(sex.sex_code, '0')                   as sex_code,
    sex.sex_code is null                          as sex_unmapped,
    latest.birth_date,
    latest.phone,
    latest.address_code,
    latest.health_card_no,
    latest.health_record_no,
    latest.death_date,
    latest.updated_at,
    latest.export_date,
    latest.batch_id
from latest
left join {{ ref('gbt_2261_1_sex') }} as sex
    on sex.source_value = latest.sex_source_value
where not latest.is_cancelled
