-- EMPI, first pass: every source identity (facility + local patient id) gets a person key.
-- A valid resident ID number (with its document type) links identities across facilities;
-- otherwise the identity stands alone until a later rule (health card, reviewed fallback)
-- links it. The key is a keyed hash: analysts never see the ID number.
select
    facility_code,
    local_patient_id,
    case
        when id_number_is_valid then {{ person_key(['id_type', 'id_number']) }}
        else {{ person_key(["'local'", 'facility_code', 'local_patient_id']) }}
    end                                            as person_key,
    case when id_number_is_valid then 'id_number' else 'local_id' end as match_basis,
    id_number_is_valid
from {{ ref('int_patients__latest') }}
