-- Every current referral between facilities (FHIR ServiceRequest, category referral): from
-- and to facility and level, and the direction their tiers give (seed facility_levels:
-- village 1, township 2, county hospitals 3): up to a higher tier, down to a lower one,
-- lateral within one; the direction as sent is kept beside it. Cancelled referrals are
-- absent. Incremental (macros in ehr_incremental.sql).
{{ ehr_incremental_config('referral_key', 'int_referrals__latest') }}
select
    latest.record_key::text                                           as referral_key,
    {{ person_of('latest.facility_code', 'latest.local_patient_id', 'identity') }}::text
                                                                      as person_key,
    latest.facility_code::text                                        as recorded_by,
    latest.from_facility_code::text,
    from_facility.facility_level::text                                as from_level,
    latest.to_facility_code::text,
    to_facility.facility_level::text                                  as to_level,
    (case
        when to_tier.tier > from_tier.tier then 'up'
        when to_tier.tier < from_tier.tier then 'down'
        when to_tier.tier = from_tier.tier then 'lateral'
        else 'unknown'
    end)::text                                                        as direction,
    latest.direction_source_value::text                               as direction_as_sent,
    latest.reason_code::text,
    coalesce(latest.referred_at, latest.updated_at)::timestamp        as referred_at,
    latest.export_date::date,
    latest.batch_id::bigint
from {{ ref('int_referrals__latest') }} as latest
left join {{ ref('stg_ingest__facilities') }} as from_facility
    on from_facility.facility_code = latest.from_facility_code
left join {{ ref('stg_ingest__facilities') }} as to_facility
    on to_facility.facility_code = latest.to_facility_code
left join {{ ref('facility_levels') }} as from_tier
    on from_tier.facility_level = from_facility.facility_level
left join {{ ref('facility_levels') }} as to_tier
    on to_tier.facility_level = to_facility.facility_level
{{ join_identity('latest') }}
where not latest.is_cancelled
{{- changed_since_watermark('latest', ref('int_referrals__latest')) }}
