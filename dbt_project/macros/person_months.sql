{#- The person-month indicator models (indicator_contracted_residents,
    indicator_managed_patients, managed_chronic_admission_rate__denominator) grow with
    months × residents (6.75 million rows at a year of a million residents) and were rebuilt
    whole each night. They are incremental in the recycled quality candidate
    (countyhealth.publish). A night measures again
      - every row of a month that is new, or whose measuring day moved since the table
        measured it (the running month: its measuring day is the newest export night), and
      - every row of a person whose indicator inputs changed after the table's newest
        batch (int_indicator_people.changed_batch_id: address, birth and death, contracts,
        known chronic disease, follow-ups, a person gone into another by an EMPI relink;
        or the column the model names, `changed_by`, for what it reads of them).
    A closed month of an unchanged person depends on nothing else, so its row stays.
    A model whose inputs of a person can change in the running month alone (`recent_changed_by`:
    the managed-patient models, a follow-up dated in it) measures the people so changed
    only in the months from the one it last measured up to (part `recent`): on a year's
    night, 2,800 people in one or two months, not in thirteen.
    A model that knows which of a month's rows a move of its measuring day can change
    (`moves`) slides the month instead: it measures only those people. The managed-patient
    models' rows change only when a follow-up enters or leaves the twelve-month window
    (macros/chronic_disease.sql), a contracted resident's when they are born or die, turn 7
    or 65, become a known chronic patient or see a contract start or end
    (macros/residents.sql). A year's running month is 258,000 managed patients and 409,000
    contracted residents; a night moves a few thousand and a few hundred of them.
    What is measured is then written as a difference (get_incremental_person_month_diff_sql):
    only the rows whose figures changed are deleted and written. A changed person keeps
    the rows of the months the change did not touch (a new follow-up changes the running
    month, not the twelve before it), and a resident whose contract, age group and priority
    stayed keeps their running-month row. Each row carries the day it was measured as of
    (as_of_date; its figures are the same up to its month's measuring day,
    indicator_months.as_of_date) and the batch that wrote it (batch_id, the watermark).
    Facility levels and townships come from the county config: changing them needs a full
    refresh, as for the ehr tables. -#}

{#- `key`: the columns that make a row unique, month and person first. Every index is one
    a night's rows land at the end of (the new month, the night's batch) or near (a few
    changed people): a unique index on the md5 subject_key took a random page per row, and
    the inserts of a year's night ran for 68 s (443,534 rows into 6.75 million). -#}
{% macro person_month_config(key=['period_date', 'person_key'], cells=none, moves=none,
                             changed_by='changed_batch_id', recent_changed_by=none) -%}
{#- person_month_diff: the strategy below; the unique index fails the run loudly should a
    row ever be written twice. `cells`: the table's cells (macros/cells_upkeep.sql), or
    none. `moves`: the name of the macro giving the (month_start, person_key) of the rows a
    move of a month's measuring day changes (see the top; given the moved months as a
    relation of month_start, measured_as_of and as_of_date), or none: the month is
    measured again. `changed_by`: the int_indicator_people column telling when what the
    model reads of a person last changed. `recent_changed_by`: an int_indicator_people
    column telling when more of what it reads changed, all of it dated in the month of
    the newest night then or later (the managed-patient models: follow-ups, with
    changed_by the settled ones): those people are measured again only in the months
    from the one the table last measured up to (part `recent`), or none. -#}
{%- set meta = {'key': key, 'changed_by': changed_by} -%}
{%- if recent_changed_by %}{% do meta.update({'recent_changed_by': recent_changed_by}) %}{% endif -%}
{%- if cells %}{% do meta.update({'cells': cells}) %}{% endif -%}
{%- if moves %}{% do meta.update({'moves': moves}) %}{% endif -%}
{{ config(materialized='incremental', incremental_strategy='person_month_diff',
          on_schema_change='fail',
          indexes=[{'columns': key, 'unique': true},
                   {'columns': ['period_date', 'as_of_date']},
                   {'columns': ['batch_id']}],
          meta=meta,
          post_hook=["{{ cells_upkeep() }}", "{{ keep_row_totals() }}"]) }}
{%- endmacro %}


{#- The plan of an incremental run: the months to measure again (`remeasure`: new, or
    their measuring day moved and the model cannot slide them) and the months to slide
    (`moved`: month_start, measured_as_of, as_of_date), from the newest day the table
    measured each month as of (by the (period_date, as_of_date) index). Read when the
    model is compiled and again when its writes are rendered, nothing of the table having
    changed in between, and written into both as literals. -#}
{% macro person_month_plan() -%}
{%- set plan = {'remeasure': [], 'moved': [], 'recent_from': none} -%}
{%- if execute and is_incremental() -%}
{%- if (config.get('meta') or {}).get('recent_changed_by') -%}
{%- do plan.update({'recent_from': newest_night_month_start(ehr_watermark())}) -%}
{%- endif -%}
{%- set slides = (config.get('meta') or {}).get('moves') is not none -%}
{%- set months = run_query(
    "select months.month_start::text, months.as_of_date::text,
            (select max(measured.as_of_date) from " ~ this ~ " as measured
             where measured.period_date = months.month_start)::text
     from " ~ ref('indicator_months') ~ " as months order by 1") -%}
{%- for month_start, as_of_date, measured_as_of in months.rows -%}
{%- if measured_as_of is none or (measured_as_of != as_of_date and not slides) -%}
{%- do plan.remeasure.append(month_start) -%}
{%- elif measured_as_of != as_of_date -%}
{%- do plan.moved.append([month_start, measured_as_of, as_of_date]) -%}
{%- endif -%}
{%- endfor -%}
{%- endif -%}
{%- do return(plan) -%}
{%- endmacro %}


{#- The plan's months to measure again, as an SQL list. -#}
{% macro months_to_remeasure(plan) -%}
{%- if plan.remeasure -%}
{%- for month_start in plan.remeasure %}'{{ month_start }}'::date{% if not loop.last %}, {% endif %}{% endfor -%}
{%- else -%}
select null::date where false
{%- endif -%}
{%- endmacro %}


{#- The (month_start, person_key) of the rows the plan's moved months change (the model's
    `moves` macro). -#}
{% macro person_months_moved(plan) -%}
{%- set moved -%}
(values
{%- for month_start, measured_as_of, as_of_date in plan.moved %}
    ('{{ month_start }}'::date, '{{ measured_as_of }}'::date, '{{ as_of_date }}'::date)
    {%- if not loop.last %},{% endif %}
{%- endfor %}) as moved (month_start, measured_as_of, as_of_date)
{%- endset -%}
{{ context[config.get('meta').get('moves')](moved) }}
{%- endmacro %}


{#- The people whose rows are measured again in every month (see the top). -#}
{% macro people_to_rewrite(watermark) -%}
select person_key from {{ ref('int_indicator_people') }}
where {{ config.get('meta')['changed_by'] }} > {{ watermark }}
{%- endmacro %}


{#- The people whose rows are measured again only from the plan's `recent_from` on (the
    model's recent_changed_by; see person_month_config), the others of people_to_rewrite. -#}
{% macro people_recently_changed(watermark) -%}
select person_key from {{ ref('int_indicator_people') }}
where {{ config.get('meta')['recent_changed_by'] }} > {{ watermark }}
  and {{ config.get('meta')['changed_by'] }} <= {{ watermark }}
{%- endmacro %}


{#- The people a moved month's slide leaves out: the parts `people` and `recent` measure
    their rows of that month. -#}
{% macro people_measured_apart(plan, watermark) -%}
{{ people_to_rewrite(watermark) }}
{%- if plan.recent_from is not none %}
union all
{{ people_recently_changed(watermark) }}
{%- endif %}
{%- endmacro %}


{#- The conditions a person-month model's rows are selected by (its month and person
    columns), each its own union all branch: in an incremental run, the months to measure
    again (every person), the people to measure again (the other months) and the people a
    moved month's slide changes (the other people); otherwise all. The plan and the
    watermark are read once for all of them. Separate branches, not one `or`: an `or` of IN
    lists cannot become semi-joins, and with a freshly built table's unknown size the
    planner may run a subquery per row. -#}
{% macro person_month_parts(month_column, person_column) -%}
{%- set depends_on = [ref('indicator_months'), ref('int_indicator_people')] -%}
{#- (refs outside the branches: dependencies dbt sees when it parses) -#}
{%- if not is_incremental() -%}{%- do return(['true']) -%}{%- endif -%}
{%- set plan = person_month_plan() -%}
{%- set watermark = ehr_watermark() -%}
{%- set parts = [] -%}
{%- for part in person_month_part_names(plan) -%}
{%- do parts.append(person_month_scope(part, plan, watermark, month_column, person_column)) -%}
{%- endfor -%}
{%- do return(parts) -%}
{%- endmacro %}


{#- The parts of an incremental run of `plan`. -#}
{% macro person_month_part_names(plan) -%}
{%- do return(['months', 'people'] + (['recent'] if plan.recent_from is not none else [])
                 + (['moved'] if plan.moved else [])) -%}
{%- endmacro %}


{#- The rows of part `part` of `plan` (a condition on a month and a person column): in the
    model's select, what it measures; in its writes (`moved_table`: the moves gathered
    into chw_person_months_moved), the rows that measure replaces. -#}
{% macro person_month_scope(part, plan, watermark, month_column, person_column,
                            moved_table=false) -%}
{%- if part == 'months' -%}
{{ month_column }} in ({{ months_to_remeasure(plan) }})
{%- elif part == 'people' -%}
{{ person_column }} in ({{ people_to_rewrite(watermark) | indent(4) }})
and {{ month_column }} not in ({{ months_to_remeasure(plan) }})
{%- elif part == 'recent' -%}
{{ person_column }} in ({{ people_recently_changed(watermark) | indent(4) }})
and {{ month_column }} >= {{ plan.recent_from }}
and {{ month_column }} not in ({{ months_to_remeasure(plan) }})
{%- elif part == 'moved' and moved_table -%}
({{ month_column }}, {{ person_column }}) in (
    select month_start, person_key from chw_person_months_moved)
{%- elif part == 'moved' -%}
({{ month_column }}, {{ person_column }}) in ({{ person_months_moved(plan) | indent(4) }})
and {{ person_column }} not in ({{ people_measured_apart(plan, watermark) | indent(4) }})
{%- endif -%}
{%- endmacro %}


{#- The person-month models' incremental strategy (dbt calls it by the config's name, after
    building the run's rows into `temp_relation`): in each part, delete the table's rows
    that no row measured tonight repeats (same key, same figures), counting their cells,
    then insert the measured rows the table does not hold. A row whose figures stayed is
    not touched, and keeps the day it was measured as of. Last, the months no longer
    measured go. The plan and the watermark are read as the select read them: nothing has
    changed the table since (no pre-hook).
    How each part finds its rows, measured on a year of a million residents, where the
    table a night builds on was last touched two nights before and is mostly not in memory:
      - the changed people's rows (about 6,000 people in each of 13 months) lie on most of
        the table's pages: they are read by one pass over it, in order, and a hash of the
        people (the index, one probe a month and person, read 64,000 pages at random:
        4.9 s against about 1.5 s);
      - the moves, a few hundred to a few thousand, are gathered into a temporary table
        first (analyzed: as a subquery the planner could not tell 200 rows from 200,000,
        and read all 6.75 million contracted-resident rows, 1 GB, to find them), then
        looked up by the unique index;
      - the insert seeks each measured row's key by the unique index, among pages the
        deletes have just read (random_page_cost 1.1 for it; at the default 4 the planner
        read the whole table again: 1.5 s against 0.3 s for 75,000 managed-patient rows).
    A measured month is compared as a whole. -#}
{% macro get_incremental_person_month_diff_sql(arg_dict) -%}
{%- set target = arg_dict['target_relation'] -%}
{%- set measured = arg_dict['temp_relation'] -%}
{%- set key = config.get('meta').get('key') -%}
{%- set columns = arg_dict['dest_columns'] | map(attribute='name') | list -%}
{%- set figures = columns | reject('in', key + ['as_of_date', 'batch_id']) | list -%}
{%- set plan = person_month_plan() -%}
{%- set watermark = ehr_watermark() -%}
{%- set repeated -%}
not exists (
    select 1 from {{ measured }} as measured
    where {% for column in key %}measured.{{ column }} = {{ target }}.{{ column }}
      and {% endfor %}({% for column in figures %}measured.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %})
          is not distinct from
          ({% for column in figures %}{{ target }}.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}))
{%- endset -%}
analyze {{ measured }};
{%- if plan.moved %}
create temporary table chw_person_months_moved on commit drop as
select moves.month_start, moves.person_key
from ({{ person_months_moved(plan) | indent(4) }}) as moves (month_start, person_key)
where moves.person_key not in ({{ people_measured_apart(plan, watermark) | indent(4) }});
analyze chw_person_months_moved;
{%- endif %}
{{ cells_delta_begin() }}
{%- for part in person_month_part_names(plan) %}
{{ delete_counting_cells(
    person_month_scope(part, plan, watermark, target ~ '.period_date', target ~ '.person_key',
                       moved_table=true)
    ~ '\nand ' ~ repeated) }};
{%- endfor %}
{#- its months walked on the unique index, not every row read -#}
{{ delete_counting_cells(
    'period_date in (
    with recursive measured as (
        select min(period_date) as period_date from ' ~ target ~ '
        union all
        select (select min(later.period_date) from ' ~ target ~ ' as later
                where later.period_date > measured.period_date)
        from measured
        where measured.period_date is not null
    )
    select period_date from measured where period_date is not null
    except
    select month_start from ' ~ ref('indicator_months') ~ ')') }};
{#- one statement (dbt reports its rows as the run's): the measured months, then the rest,
    each sought by the unique index among the pages the deletes just read #}
set local random_page_cost = 1.1;
insert into {{ target }} ({{ columns | join(', ') }})
{%- for months in ['in', 'not in'] %}
select {{ columns | join(', ') }}
from {{ measured }} as measured
where measured.period_date {{ months }} ({{ months_to_remeasure(plan) }})
  and not exists (
    select 1 from {{ target }} as kept
    where {% for column in key %}kept.{{ column }} = measured.{{ column }}
      and {% endfor %}kept.period_date {{ months }} ({{ months_to_remeasure(plan) }}))
{%- if not loop.last %}
union all{% endif %}
{%- endfor %}
{%- endmacro %}
