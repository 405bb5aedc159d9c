-- The cells of indicator_managed_patients: its managed patient-months summed by month,
-- place and every column a formula filters on, what indicator_summary sums the
-- hypertension and diabetes management, standardised management and control parts from
-- (macros/indicator_cells.sql). Declared in the row table's config and kept by its own
-- runs beside it (macros/cells_upkeep.sql); this view is how the summary reads them.
{{ indicator_cells('indicator_managed_patients') }}
