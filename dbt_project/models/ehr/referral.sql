-- Every current referral between facilities (FHIR ServiceRequest, category referral): from
-- and to facility and level, and the direction the levels give (up, down, lateral).
select
    referral_key::text,
    person_key::text,
    recorded_by::text,
    from_facility_code::text,
    from_level::text,
    to_facility_code::text,
    to_level::text,
    direction::text,
    direction_source_value::text      as direction_as_sent,
    reason_code::text,
    referred_at::timestamp,
    export_date::date
from {{ ref('int_referrals__latest') }}
