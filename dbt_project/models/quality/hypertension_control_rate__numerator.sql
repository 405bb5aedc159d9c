-- 高血压患者控制率, numerator: managed hypertension patients with the latest blood pressure below 140/90 mmHg (a follow-up without the
-- reading counts as not controlled).
{{ indicator_part('hypertension_control_rate__denominator', where='latest_controlled') }}
