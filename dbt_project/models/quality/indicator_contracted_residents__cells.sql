-- The cells of indicator_contracted_residents: its contracted resident-months summed by
-- month, place and every column a formula filters on, what indicator_summary sums the
-- family-doctor contract parts from (macros/indicator_cells.sql). Declared in the row
-- table's config and kept by its own runs beside it (macros/cells_upkeep.sql); this view
-- is how the summary reads them.
{{ indicator_cells('indicator_contracted_residents') }}
