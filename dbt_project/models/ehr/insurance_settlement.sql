-- Every current insurance settlement (FHIR ExplanationOfBenefit) on the person's record by
-- ID number (macro current_records_by_id_number): where the care was given (a county
-- facility, with its level and township, or a hospital outside the county), what it cost
-- and what the fund paid. The only view of care outside the county: no county facility
-- sees it. Diagnoses stay in the insurance version of ICD-10 as sent. Incremental (macros in
-- ehr_incremental.sql): a night writes the settlements it changed and those whose person
-- may have changed (changed_by_id_number_since_watermark).
{{ ehr_incremental_config('settlement_key', 'int_insurance_settlements__latest') }}
with current_records as (
    {{ current_records_by_id_number(ref('int_insurance_settlements__latest'), 'settlement_source_id') }}
)

select
    settlement.record_key::text                                       as settlement_key,
    settlement.person_key::text,
    settlement.person_registered::boolean,
    (left(settlement.insured_area_code, 6) = county.county_code)::boolean as insured_in_county,
    settlement.care_facility_code::text,
    facility.facility_level::text                                     as care_facility_level,
    coalesce(facility.is_primary_care, false)::boolean                as is_primary_care,
    facility.township_code::text                                      as care_township_code,
    (settlement.in_county_source_value in ('1', 'Y', 'y', '是', 'true'))::boolean as in_county,
    coalesce(visit.encounter_class, 'unknown')::text                  as encounter_class,
    coalesce(visit.is_inpatient, false)::boolean                      as is_inpatient,
    coalesce(visit.is_pharmacy, false)::boolean                       as is_pharmacy,
    settlement.encounter_source_id::text,
    settlement.admit_date::date,
    settlement.discharge_date::date,
    settlement.total_cost::numeric,
    settlement.fund_paid::numeric,
    settlement.self_paid::numeric,
    settlement.diagnosis_code::text                                   as insurance_diagnosis_code,
    settlement.settled_at::timestamp,
    settlement.export_date::date,
    settlement.batch_id::bigint
from current_records as settlement
cross join (select min(county_code) as county_code
            from {{ ref('stg_ingest__facilities') }}) as county
left join {{ ref('stg_ingest__facilities') }} as facility
    on facility.facility_code = settlement.care_facility_code
left join {{ ref('insurance_visit_types') }} as visit
    on visit.visit_type = settlement.visit_type
