-- Managed chronic patients (纳入管理的高血压 / 糖尿病患者) per month: a person with at least one
-- current follow-up for the disease in the twelve months up to the month's measuring day.
-- With them: the follow-ups in those twelve months (standardised management needs four),
-- whether the latest reading is controlled (blood pressure < 140/90 mmHg; fasting glucose
-- < 7.0 mmol/L; no reading = not controlled) and the managing facility of the latest
-- follow-up, which places the patient. Incremental by month and person
-- (macros/person_months.sql); the running month slides: a night measures only the people
-- with a follow-up entering or leaving the window (macros/chronic_disease.sql). A row
-- reads the person's follow-ups and nothing else of them: the closed months are measured
-- again for the people whose follow-ups before the running month changed, a follow-up of
-- the running month only measures it again (int_indicator_people,
-- settled_followups_changed_batch_id and followups_changed_batch_id).
{{ person_month_config(key=['period_date', 'person_key', 'disease'],
    cells={'dimensions': ['disease', 'followups_12m', 'latest_controlled']},
    moves='followup_window_moves', changed_by='settled_followups_changed_batch_id',
    recent_changed_by='followups_changed_batch_id') }}
with followups as (
    {%- for part in person_month_parts('months.month_start', 'followup.person_key') %}
    select
        months.month_start,
        months.as_of_date,
        followup.person_key,
        followup.disease,
        followup.followup_date,
        followup.followup_key,
        followup.managing_facility_code,
        case followup.disease
            when 'hypertension' then followup.sbp < 140 and followup.dbp < 90
            when 'diabetes' then followup.fasting_glucose < 7.0
        end                                                           as controlled,
        row_number() over (
            partition by months.month_start, followup.person_key, followup.disease
            order by followup.followup_date desc, followup.followup_key desc) as recency
    from {{ ref('indicator_months') }} as months
    inner join {{ ref('chronic_followup') }} as followup
        on {{ in_followup_window('followup.followup_date', 'months.as_of_date') }}
    where followup.disease in {{ managed_diseases() }}
      and {{ part }}
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
)

select
    md5(followups.person_key || '|' || followups.disease || '|' || followups.month_start)
                                                                      as subject_key,
    followups.month_start                                             as period_date,
    followups.person_key,
    followups.disease,
    max(followups.managing_facility_code) filter (where recency = 1)  as facility_code,
    max(facility.facility_level) filter (where recency = 1)           as facility_level,
    max(facility.township_code) filter (where recency = 1)            as township_code,
    1::numeric                                                        as amount,
    count(*)                                                          as followups_12m,
    coalesce(bool_or(followups.controlled) filter (where recency = 1), false)
                                                                      as latest_controlled,
    followups.as_of_date,
    {{ newest_loaded_batch() }}                                           as batch_id
from followups
left join {{ ref('stg_ingest__facilities') }} as facility
    on facility.facility_code = followups.managing_facility_code
group by followups.month_start, followups.as_of_date, followups.person_key, followups.disease
