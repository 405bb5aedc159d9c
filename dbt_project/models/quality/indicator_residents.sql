{{ config(materialized="view") }}  {#- a view: each use is planned with its own filter -#}
-- The county's resident population per month and township, as the published EHR knows it:
-- every person whose address is in the county (ehr.patient.lives_in_county), alive at the
-- month's measuring day, counted with their age then (macros/residents.sql). Population-based denominators
-- (contract rate, hospitalisation rate, expected chronic patients) are built from this.
select
    months.month_start,
    months.as_of_date,
    patient.person_key,
    patient.township_code,
    patient.birth_date,
    {{ age_on('patient.birth_date', 'months.as_of_date') }}          as age_years
from {{ ref('indicator_months') }} as months
inner join {{ ref('patient') }} as patient
    on patient.lives_in_county
   and {{ is_alive_on('patient', 'months.as_of_date') }}
