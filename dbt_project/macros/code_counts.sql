{#- How quality.terminology_coverage knows, without reading them, how many current records
    of each facility an ehr table holds and how many of them its code list does not cover.

    It counted every diagnosis and lab result each night: 4.7 and 3.2 million rows at a
    year of a million residents, 1.8 GB read and 5.3 s, growing with every day. The counts
    are sums, so they can move with each write instead. The table keeps them itself:
    statement-level triggers (after insert, delete, update; their transition tables) add
    the rows a statement wrote and subtract those it removed, in the statement's own
    transaction, whichever statement it is (dbt's delete+insert, a pre-hook's delete of
    cancelled records, an administrator's correction). A truncate forgets the table's
    counts.

    The counts live in one table, ehr_code_counts in chw_intermediate, per table (its oid,
    which a publication's schema swap keeps) and facility. The model's post-hook
    (keep_code_counts) makes what is missing: the counts table; for a table without the
    triggers (a first build, a full refresh, a schema publishing copied), its counts from
    every row, then the triggers. Counts of tables that are gone are dropped. -#}


{#- The table of the counts. -#}
{% macro code_counts_relation() -%}
{%- do return(api.Relation.create(database=target.database,
                                  schema=generate_schema_name('chw_intermediate', none),
                                  identifier='ehr_code_counts')) -%}
{%- endmacro %}


{#- The post-hook of an ehr table whose codes terminology_coverage counts: the records
    `counted` (a condition on its rows) and of those the `unmapped`. -#}
{% macro keep_code_counts(unmapped, counted='true') -%}
{%- set counts = code_counts_relation() -%}
{%- set function = counts.schema ~ '.code_counts__' ~ this.identifier -%}
create table if not exists {{ counts }} (
    relid oid not null,
    facility_code text,
    records bigint not null,
    unmapped bigint not null,
    unique nulls not distinct (relid, facility_code)
);
create or replace function {{ function }}() returns trigger language plpgsql as $code_counts$
begin
    if tg_op = 'TRUNCATE' then
        delete from {{ counts }} where relid = tg_relid;
        return null;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        {{ _add_code_counts(counts, 'tg_relid', 'chw_new_rows', 1, unmapped, counted) | indent(8) }};
    end if;
    if tg_op in ('DELETE', 'UPDATE') then
        {{ _add_code_counts(counts, 'tg_relid', 'chw_old_rows', -1, unmapped, counted) | indent(8) }};
    end if;
    return null;
end
$code_counts$;
do $keep_code_counts$
begin
    delete from {{ counts }}
    where not exists (select 1 from pg_class where pg_class.oid = relid);
    if not exists (select 1 from pg_trigger where tgrelid = '{{ this }}'::regclass
                                               and tgname = 'chw_code_counts_insert') then
        delete from {{ counts }} where relid = '{{ this }}'::regclass;  -- an oid used again
        {{ _add_code_counts(counts, "'" ~ this ~ "'::regclass", this, 1, unmapped, counted)
           | indent(8) }};
        create trigger chw_code_counts_insert after insert on {{ this }}
            referencing new table as chw_new_rows
            for each statement execute function {{ function }}();
        create trigger chw_code_counts_delete after delete on {{ this }}
            referencing old table as chw_old_rows
            for each statement execute function {{ function }}();
        create trigger chw_code_counts_update after update on {{ this }}
            referencing old table as chw_old_rows new table as chw_new_rows
            for each statement execute function {{ function }}();
        create trigger chw_code_counts_truncate after truncate on {{ this }}
            for each statement execute function {{ function }}();
    end if;
end
$keep_code_counts$
{%- endmacro %}


{#- Add the `rows` (a transition table, or the table itself) to the counts of the table
    `relid` (an expression of its oid), `sign` -1 to subtract them. -#}
{% macro _add_code_counts(counts, relid, rows, sign, unmapped, counted) -%}
insert into {{ counts }} as counts (relid, facility_code, records, unmapped)
select {{ relid }}, facility_code, {{ sign }} * count(*),
       {{ sign }} * count(*) filter (where {{ unmapped }})
from {{ rows }} where {{ counted }}
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
