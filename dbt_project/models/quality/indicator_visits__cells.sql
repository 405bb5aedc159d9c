-- indicator_visits summed by day, place and every column a visit formula filters on: what
-- indicator_summary sums the visit-based parts from (macros/indicator_cells.sql).
{{ indicator_cells('indicator_visits', dimensions=['is_primary_care', 'is_tcm']) }}
