-- 重点人群签约率, numerator: the denominator's residents with a contract in force.
{{ indicator_part('priority_contract_rate__denominator', where='is_contracted') }}
