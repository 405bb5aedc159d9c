-- indicator_settlements summed by day, place and every column a settlement formula filters
-- on: what indicator_summary sums the settlement-based parts from (macros/indicator_cells.sql).
{{ indicator_cells('indicator_settlements',
                   dimensions=['in_county', 'is_inpatient', 'is_primary_care', 'care_township_code'],
                   measures=['amount', 'fund_paid']) }}
