-- The cells of managed_chronic_admission_rate__denominator: its managed patient-months
-- summed by month and place, what indicator_summary sums that denominator from
-- (macros/indicator_cells.sql). Kept by the denominator's own runs beside it
-- (macros/cells_upkeep.sql); this view is how the summary reads them.
{{ indicator_cells('managed_chronic_admission_rate__denominator') }}
