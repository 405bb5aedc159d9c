-- 高血压患者控制率, numerator: managed hypertension patients with the latest blood pressure below 140/90 mmHg (a follow-up without the
-- reading counts as not controlled).
{{ config(materialized='view') }}  {#- a filter of a table: rows listed, not copied -#}
select * from {{ ref('hypertension_control_rate__denominator') }}
where latest_controlled
