-- The current version of every referral, with both facilities' levels and its direction
-- from their tiers (seed facility_levels: village 1, township 2, county hospitals 3): up to
-- a higher tier, down to a lower one, lateral within one; the sent direction is kept
-- beside it. Cancelled referrals disappear.
with latest as (
    {{ latest_version(ref('stg_facility__referrals'), ['facility_code', 'referral_source_id']) }}
)

select
    md5(latest.facility_code || '|' || latest.referral_source_id)    as referral_key,
    {{ person_of('latest.facility_code', 'latest.local_patient_id', 'identity') }}
                                                                      as person_key,
    latest.facility_code                                              as recorded_by,
    latest.from_facility_code,
    from_facility.facility_level                                      as from_level,
    latest.to_facility_code,
    to_facility.facility_level                                        as to_level,
    case
        when to_tier.tier > from_tier.tier then 'up'
        when to_tier.tier < from_tier.tier then 'down'
        when to_tier.tier = from_tier.tier then 'lateral'
        else 'unknown'
    end                                                               as direction,
    latest.direction_source_value,
    latest.reason_code,
    coalesce(latest.referred_at, latest.updated_at)                   as referred_at,
    latest.export_date
from latest
left join {{ ref('stg_ingest__facilities') }} as from_facility
    on from_facility.facility_code = latest.from_facility_code
left join {{ ref('stg_ingest__facilities') }} as to_facility
    on to_facility.facility_code = latest.to_facility_code
left join {{ ref('facility_levels') }} as from_tier
    on from_tier.facility_level = from_facility.facility_level
left join {{ ref('facility_levels') }} as to_tier
    on to_tier.facility_level = to_facility.facility_level
left join {{ ref('int_person_identity') }} as identity
    on identity.facility_code = latest.facility_code
   and identity.local_patient_id = latest.local_patient_id
where latest.change_flag <> 3
