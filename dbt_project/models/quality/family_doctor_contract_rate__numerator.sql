-- 家庭医生签约率, numerator: residents with a contract in force on the month's measuring day,
-- each person once.
{{ indicator_part('indicator_contracted_residents', where='is_contracted') }}
