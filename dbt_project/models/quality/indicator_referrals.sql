-- Every current referral, in the shape every indicator model has (macro indicator_measure),
-- placed by the referring facility, its level and township; direction from the facility
-- tiers (ehr.referral).
select
    {{ indicator_row('referral.referral_key', 'referral.referred_at',
                     'referral.from_facility_code', 'referral.from_level',
                     'facility.township_code') }},
    referral.direction,
    referral.from_level in ('township_center', 'village_clinic') as from_primary_care
from {{ ref('referral') }} as referral
left join {{ ref('stg_ingest__facilities') }} as facility
    on facility.facility_code = referral.from_facility_code
