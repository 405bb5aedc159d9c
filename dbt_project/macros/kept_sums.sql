{#- Sums a table keeps of itself, moved by every write: statement-level triggers (after
    insert, delete, update; their transition tables) add the rows a statement wrote and
    subtract those it removed, in the statement's own transaction, whichever statement it
    is (dbt's delete+insert, a pre-hook's delete, an administrator's correction). A
    truncate forgets the table's sums. Reading them costs nothing, where summing the table
    reads all of it: at a year of a million residents, several GB a night.

    The sums of every table kept this way for one purpose live in one store (`store`, in
    chw_intermediate), per table (its oid, which a publication's schema swap keeps). The
    model's post-hook (keep_sums) makes what is missing: the store; for a table without the
    triggers (a first build, a full refresh, a schema publishing copied), its sums from
    every row, then the triggers. Sums of tables that are gone are dropped.
    Kept this way: the ehr tables' code counts (macros/code_counts.sql) and the quality row
    tables' totals (macros/row_totals.sql). -#}


{#- The post-hook that keeps the sums of the model being run in `store`, a relation made
    with the columns `store_columns` (relid oid first) if missing. `tag` names the
    triggers and their function; `add` is the macro that adds `rows` (a transition table,
    or the table itself) with `sign` to the sums of the table `relid` (an expression of its
    oid): add(store, relid, rows, sign, spec). -#}
{% macro keep_sums(tag, store, store_columns, add, spec) -%}
{%- set function = store.schema ~ '.' ~ tag ~ '__' ~ this.identifier -%}
{#- made once, by the first table that needs it: two models' post-hooks both creating it
    on two dbt threads collide on the catalog (`create table if not exists` does not wait
    for the other's uncommitted table), so the second waits on a lock for the first to
    commit, and then finds it -#}
do $kept_sums_store$
begin
    if to_regclass('{{ store }}') is null then
        perform pg_advisory_xact_lock(hashtext('{{ store }}'));
        create table if not exists {{ store }} (
            {{ store_columns | indent(12) }}
        );
    end if;
end
$kept_sums_store$;
create or replace function {{ function }}() returns trigger language plpgsql as ${{ tag }}$
begin
    if tg_op = 'TRUNCATE' then
        delete from {{ store }} where relid = tg_relid;
        return null;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        {{ add(store, 'tg_relid', 'chw_new_rows', 1, spec) | indent(8) }};
    end if;
    if tg_op in ('DELETE', 'UPDATE') then
        {{ add(store, 'tg_relid', 'chw_old_rows', -1, spec) | indent(8) }};
    end if;
    return null;
end
${{ tag }}$;
do $keep_{{ tag }}$
begin
    delete from {{ store }}
    where not exists (select 1 from pg_class where pg_class.oid = relid);
    if not exists (select 1 from pg_trigger where tgrelid = '{{ this }}'::regclass
                                               and tgname = 'chw_{{ tag }}_insert') then
        delete from {{ store }} where relid = '{{ this }}'::regclass;  -- an oid used again
        {{ add(store, "'" ~ this ~ "'::regclass", this, 1, spec) | indent(8) }};
        create trigger chw_{{ tag }}_insert after insert on {{ this }}
            referencing new table as chw_new_rows
            for each statement execute function {{ function }}();
        create trigger chw_{{ tag }}_delete after delete on {{ this }}
            referencing old table as chw_old_rows
            for each statement execute function {{ function }}();
        create trigger chw_{{ tag }}_update after update on {{ this }}
            referencing old table as chw_old_rows new table as chw_new_rows
            for each statement execute function {{ function }}();
        create trigger chw_{{ tag }}_truncate after truncate on {{ this }}
            for each statement execute function {{ function }}();
    end if;
end
$keep_{{ tag }}$
{%- endmacro %}


{#- A store of kept sums in chw_intermediate, by its name. -#}
{% macro kept_sums_relation(name) -%}
{%- do return(api.Relation.create(database=target.database,
                                  schema=generate_schema_name('chw_intermediate', none),
                                  identifier=name)) -%}
{%- endmacro %}
