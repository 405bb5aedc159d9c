-- The county's resident population per month, township and age threshold: the residents of
-- quality.indicator_residents (address in the county, born and alive on the month's
-- measuring day) at least `min_age` years old then, for every age a denominator counts from
-- (seed chronic_prevalence), and every resident whatever their age (min_age null, an
-- unknown birth date included). The population-based denominators (contract rate,
-- hospitalisation rate, expected chronic patients) read their counts here.
-- Not counted from indicator_residents' resident-months (13 million at a year of a million
-- residents, once per denominator): each threshold's count is the running count of the
-- township's residents by birth date up to the last birth date it admits, less those who
-- had died by the measuring day (a few thousand); the months are placed among the birth
-- dates in one sort.
with residents as (
    select township_code, birth_date, death_date
    from {{ ref('patient') }}
    where lives_in_county
),

thresholds as (
    select null::int as min_age
    union
    select min_age from {{ ref('chronic_prevalence') }}
),

-- each month and threshold: the residents born on or before born_by. At least min_age on
-- the measuring day is said on the birth date (born on or before that day less min_age
-- years): the same people as age() says, leap days included (checked on every birthday
-- within three days of each age 0-90 over three years)
counted as (
    select months.month_start, months.as_of_date, thresholds.min_age,
           (months.as_of_date - make_interval(years => coalesce(thresholds.min_age, 0)))::date
                                                                      as born_by
    from {{ ref('indicator_months') }} as months
    cross join thresholds
),

townships as (
    select distinct township_code from residents
),

births as (  -- the residents of each township by birth date, then each count's place
    select township_code, birth_date as day, count(*) as residents,
           null::date as month_start, null::int as min_age, false as is_count
    from residents
    where birth_date is not null
    group by township_code, birth_date
    union all
    select townships.township_code, counted.born_by, 0, counted.month_start,
           counted.min_age, true
    from counted
    cross join townships
),

born as (  -- a count's running total: every resident born on or before its day
    select township_code, month_start, min_age, running::bigint as residents
    from (
        select births.*,
               sum(births.residents) over (
                   partition by births.township_code
                   order by births.day, births.is_count
                   rows between unbounded preceding and current row) as running
        from births
    ) as placed
    where is_count
),

unknown_birth as (  -- counted by the threshold of every resident only
    select township_code, count(*) as residents
    from residents
    where birth_date is null
    group by township_code
),

died as (  -- residents the running totals counted who had died by the measuring day
    select residents.township_code, counted.month_start, counted.min_age,
           count(*) as residents
    from residents
    inner join counted
        on residents.death_date <= counted.as_of_date
       and (residents.birth_date <= counted.born_by
            or (residents.birth_date is null and counted.min_age is null))
    where residents.death_date is not null
    group by residents.township_code, counted.month_start, counted.min_age
)

select
    counted.month_start,
    counted.as_of_date,
    born.township_code,
    counted.min_age,
    population.residents
from counted
inner join born
    on born.month_start = counted.month_start
   and born.min_age is not distinct from counted.min_age
left join unknown_birth
    on unknown_birth.township_code is not distinct from born.township_code
   and counted.min_age is null
left join died
    on died.township_code is not distinct from born.township_code
   and died.month_start = counted.month_start
   and died.min_age is not distinct from counted.min_age
cross join lateral (
    select born.residents + coalesce(unknown_birth.residents, 0)
           - coalesce(died.residents, 0) as residents
) as population
where population.residents > 0
