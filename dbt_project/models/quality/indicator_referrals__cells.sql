-- The cells of indicator_referrals: its referrals summed by day, place, direction and
-- whether a township centre or village clinic referred, what indicator_summary sums the
-- referral-based parts from (macros/indicator_cells.sql). Declared in the row table's
-- config and kept by its own runs beside it (macros/cells_upkeep.sql); this view is how
-- the summary reads them.
{{ indicator_cells('indicator_referrals') }}
