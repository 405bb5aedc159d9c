-- indicator_managed_patients summed by month, place and every column a management formula
-- filters on: what indicator_summary sums the hypertension and diabetes management,
-- standardised management and control parts from (macros/indicator_cells.sql).
{{ indicator_cells('indicator_managed_patients',
                   dimensions=['disease', 'followups_12m', 'latest_controlled']) }}
