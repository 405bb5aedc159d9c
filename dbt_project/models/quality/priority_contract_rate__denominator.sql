-- 重点人群签约率, denominator: priority residents (65+, 0-6, known hypertension or diabetes)
-- on the month's measuring day, each person once however many groups they belong to.
{{ indicator_part('indicator_contracted_residents', where='is_priority') }}
