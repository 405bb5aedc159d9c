-- Every current referral, in the shape every indicator model has (macro indicator_measure),
-- placed by the referring facility, its level and township; direction from the facility
-- tiers (ehr.referral).
-- Incremental: a night writes the referrals changed since (macros/indicator_row_tables.sql),
-- and moves its cells, so the summary sums the referral indicators again only for the
-- months that moved (macros/summary_incremental.sql).
{{ indicator_rows_config('referral_rows_to_rewrite()',
    cells={'dimensions': ['direction', 'from_primary_care']}) }}
select
    {{ indicator_row('referral.referral_key', 'referral.referred_at',
                     'referral.from_facility_code', 'referral.from_level',
                     'facility.township_code') }},
    referral.direction,
    referral.from_level in ('township_center', 'village_clinic') as from_primary_care,
    {{ newest_loaded_batch() }}::bigint                          as batch_id
from {{ ref('referral') }} as referral
left join {{ ref('stg_ingest__facilities') }} as facility
    on facility.facility_code = referral.from_facility_code
where true
{{- rows_to_rewrite_only('referral.referral_key', referral_rows_to_rewrite()) }}
