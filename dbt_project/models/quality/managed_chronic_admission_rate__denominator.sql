-- 慢病管理人群住院率, denominator: managed hypertension or diabetes patients per month (a
-- person managed for both counts once), placed by the managing facility of the latest
-- follow-up.
-- Incremental by month and person like indicator_managed_patients, which it reads
-- (macros/person_months.sql): a night rewrites the same months and people that table
-- rewrote (a row here depends on that table's rows of its month and person only), not the
-- 2.5 million rows of a year (11 s), and slides its running month with it (whose people
-- it finds in the follow-ups):
-- depends_on: {{ ref('chronic_followup') }}
-- It keeps its cells (places only) beside it, what indicator_summary sums it from: 2.5
-- million rows at a year, summed whole each night, read 420 MB of mostly cold pages.
{{ person_month_config(moves='followup_window_moves', cells={'dimensions': []},
                       changed_by='settled_followups_changed_batch_id',
                       recent_changed_by='followups_changed_batch_id') }}
with managed as (
    {%- for part in person_month_parts('managed.period_date', 'managed.person_key') %}
    select * from {{ ref('indicator_managed_patients') }} as managed
    where {{ part }}
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
)

select distinct on (period_date, person_key)
    md5(person_key || '|' || period_date)                             as subject_key,
    period_date, facility_code, facility_level, township_code, amount, person_key,
    as_of_date,
    {{ newest_loaded_batch() }}                                       as batch_id
from managed
order by period_date, person_key, disease desc
