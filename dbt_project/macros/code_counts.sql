{#- How quality.terminology_coverage knows, without reading them, how many current records
    of each facility an ehr table holds and how many of them its code list does not cover.

    It counted every diagnosis and lab result each night: 4.7 and 3.2 million rows at a
    year of a million residents, 1.8 GB read and 5.3 s, growing with every day. The counts
    are sums, so the tables keep them themselves, moved by every write (macros/
    kept_sums.sql), in one store: ehr_code_counts in chw_intermediate, per table oid and
    facility. -#}


{#- The table of the counts. -#}
{% macro code_counts_relation() -%}
{%- do return(kept_sums_relation('ehr_code_counts')) -%}
{%- endmacro %}


{#- The post-hook of an ehr table whose codes terminology_coverage counts: the records
    `counted` (a condition on its rows) and of those the `unmapped`. -#}
{% macro keep_code_counts(unmapped, counted='true') -%}
{{ keep_sums('code_counts', code_counts_relation(),
             'relid oid not null,
facility_code text,
records bigint not null,
unmapped bigint not null,
unique nulls not distinct (relid, facility_code)',
             _add_code_counts, {'unmapped': unmapped, 'counted': counted}) }}
{%- endmacro %}


{#- Add the `rows` (a transition table, or the table itself) to the counts of the table
    `relid` (an expression of its oid), `sign` -1 to subtract them (keep_sums' `add`). -#}
{% macro _add_code_counts(counts, relid, rows, sign, spec) -%}
insert into {{ counts }} as counts (relid, facility_code, records, unmapped)
select {{ relid }}, facility_code, {{ sign }} * count(*),
       {{ sign }} * count(*) filter (where {{ spec.unmapped }})
from {{ rows }} where {{ spec.counted }}
group by facility_code
on conflict (relid, facility_code) do update
set records = counts.records + excluded.records,
    unmapped = counts.unmapped + excluded.unmapped
{%- endmacro %}


{#- The counts of the ehr table `relation`: facility_code, records, unmapped (facilities
    with records). -#}
{% macro code_counts_of(relation) -%}
select facility_code, records, unmapped
from {{ code_counts_relation() }}
where relid = '{{ relation }}'::regclass and records > 0
{%- endmacro %}
