-- 糖尿病患者控制率, numerator: managed diabetes patients with the latest fasting glucose below 7.0 mmol/L (a follow-up without the
-- reading counts as not controlled).
{{ indicator_part('diabetes_control_rate__denominator', where='latest_controlled') }}
