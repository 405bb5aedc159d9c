{#- The md5 keys a night writes everywhere (int_*__latest's record_key, the ehr tables'
    keys, the quality row tables' subject_key) are kept unique by an exclusion constraint
    on a hash index, not by a unique btree. An md5 value lands on a random page of its
    index, so a night's 50,000 rows read back nearly every leaf of every such btree. At a
    year of a million residents those btrees were about 6 GB across the two copies of ehr
    and quality and the intermediate tables, more than the server's buffers could keep, and
    a night waited on about 200,000 random reads for them (docs/benchmarks.md, part 18). A
    hash index holds a 4-byte hash per row instead of the 33-byte key: 40% of the size
    (128 MB for ehr.condition's 332 MB btree), with the same lookups (dbt's delete+insert
    and every `key in (...)` probe it by `=`), and `exclude using hash (key with =)` fails a
    run that writes a key twice, as the unique index did. dbt's `indexes` cannot declare a
    constraint, so it is a post-hook, run by every build (a full one creates the table
    without it); a table built with the unique btree (before this) gets the constraint and
    loses the btree. -#}
{% macro hashed_key(key) -%}
do $hashed_key$ begin
    if not exists (
        select 1 from pg_index as ix
        where {{ index_of_this_on('ix', [key], method='hash') }}
          and ix.indisexclusion)
    then
        alter table {{ this }} add exclude using hash ({{ key }} with =);
    end if;
end $hashed_key$;
{{ drop_retired_index([key], unique=true) }}
{%- endmacro %}


{#- The first pre-hook of an incremental model keyed by a hashed key: its hash index read
    into the server's buffers in one pass, in order, before the run's deletes and inserts
    probe it. A night's keys are md5 values: at a year of a million residents, 20,000 of
    them land on most of the 16,000 pages of each 130 MB index, and the two copies of ehr
    and quality (countyhealth.publish) keep the one a night writes out of memory since it
    was last written two nights before. Those pages were read back one random 8 kB read at
    a time: 0.7 GB in 8 s over a night's 19 delete+insert models, against 0.6 s at a
    month (docs/benchmarks.md, part 23). pg_prewarm reads the same pages in large
    sequential reads; pages already in the buffers cost a lookup each. It runs where the
    warehouse has the extension (countyhealth.ingest.loader.ensure_schema creates it when
    the server ships it and the role may); elsewhere the hook does nothing. -#}
{% macro warm_hashed_key(key) -%}
{%- if is_incremental() -%}
do $warm_hashed_key$ declare prewarm text; warmed regclass; begin
    select format('%I.pg_prewarm', namespace.nspname) into prewarm
    from pg_extension as extension
    join pg_namespace as namespace on namespace.oid = extension.extnamespace
    where extension.extname = 'pg_prewarm';
    if prewarm is not null then
        for warmed in
            select ix.indexrelid::regclass from pg_index as ix
            where {{ index_of_this_on('ix', [key], method='hash') }}
        loop
            execute format('select %s($1, ''prefetch'')', prewarm) using warmed;
        end loop;
    end if;
end $warm_hashed_key$
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}
