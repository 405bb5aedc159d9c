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
