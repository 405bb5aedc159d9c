-- The cells of indicator_visits: its visits summed by day, place and every column a
-- formula filters on, what indicator_summary sums the visit-based parts from
-- (macros/indicator_cells.sql). Declared in the row table's config and kept by its own
-- runs beside it (macros/cells_upkeep.sql); this view is how the summary reads them.
{{ indicator_cells('indicator_visits') }}
