-- indicator_contracted_residents summed by month, place and every column a contract formula
-- filters on: what indicator_summary sums the family-doctor contract parts from
-- (macros/indicator_cells.sql).
{{ indicator_cells('indicator_contracted_residents', dimensions=['is_contracted', 'is_priority']) }}
