-- 基层医保基金支出占比, denominator: the fund's payments (yuan) at county facilities, placed
-- by the facility, its level and its township.
{{ indicator_part('indicator_settlements', where='in_county', amount='fund_paid',
                   township='care_township_code', keep=['is_primary_care']) }}
