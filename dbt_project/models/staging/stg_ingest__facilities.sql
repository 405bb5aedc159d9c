select
    facility_code,
    facility_name,
    facility_level,
    township_code,
    source_format,
    is_primary_care,
    county_code
from {{ source('ingest', 'facilities') }}
