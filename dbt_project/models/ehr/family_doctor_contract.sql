-- Every current family-doctor contract (FHIR Contract / CarePlan team), on the person's
-- record: team, township, term and the priority groups it was signed under.
select
    contract_key::text,
    person_key::text,
    person_registered::boolean,
    facility_code::text,
    team_code::text,
    township_code::text,
    signed_date::date,
    end_date::date,
    priority_groups::text[],
    export_date::date
from {{ ref('int_family_doctor_contracts__latest') }}
