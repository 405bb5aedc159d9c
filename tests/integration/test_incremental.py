"""Nightly dbt runs are incremental: each one touches only the records the night's batches
brought (the latest-version models) or changed since the published state (the ehr tables,
built on the schema publishing retired), and N incremental, published nights end exactly
where one full refresh over the same data does — corrections, cancellations, late versions
and relinked persons included.

Real dbt on the real embedded PostgreSQL; the synthetic county brings flag-2 corrections
and flag-3 cancellations on later nights."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import psycopg
import pytest

from countyhealth.config import load_config
from countyhealth.dbt_group import run_dbt
from countyhealth.ingest import ingest_night
from countyhealth.publish import publish
from countyhealth.synth import generate

from ..databases import create_database

# the nights cross a month: March is measured for the last time on March 31, and the
# candidate April 2 builds on (the schema the April 1 publication retired) has it so
START = dt.date(2026, 3, 29)
NIGHTS = [START + dt.timedelta(days=i) for i in range(5)]
INCREMENTAL = {  # incremental model -> the staging relation and key columns it versions
    "int_encounters__latest": ("raw.encounters", "_facility, record_id"),
    "int_conditions__latest": ("raw.diagnoses", "_facility, record_id"),
    "int_lab_results__latest": ("raw.lab_results", "_facility, record_id"),
    "int_medication_requests__latest": ("raw.prescriptions", "_facility, record_id"),
    "int_referrals__latest": ("raw.referrals", "_facility, record_id"),
    "int_chronic_followups__latest": ("raw.chronic_followups", "_facility, record_id"),
    "int_family_doctor_contracts__latest": ("raw.family_doctor_contracts",
                                            "_facility, record_id"),
}
# incremental too, but a night's rows are not one per touched record (cancelled
# registrations are dropped; a follow-up gives one row per measured value): never rebuilt
# the EMPI core: a night places again only the identities it can have changed
EMPI = ("int_identity_anchors", "int_identity_candidates", "int_person_identity",
        "int_person_by_id_number")
ALSO_INCREMENTAL = ("int_patients__latest", "int_followup_measurements", *EMPI)
# the night the EMPI tables and indicator_referrals are made as they were when rebuilt
# whole (no batch_id): they must take the new columns and place every identity (write
# every referral) again once, nothing else to do
EMPI_UPGRADE_NIGHT = NIGHTS[2]
EHR_INCREMENTAL = ("encounter", "condition", "observation", "medication_request", "referral",
                   "chronic_followup", "insurance_settlement", "family_doctor_contract")
# the person-month quality tables: a closed month of an unchanged person is kept, and a row
# whose figures stayed keeps the day it was measured as of (a full refresh measures every
# row on its month's measuring day: as_of_date is not compared, but held to its month)
PERSON_MONTHS = ("indicator_contracted_residents", "indicator_managed_patients",
                 "managed_chronic_admission_rate__denominator")
# the quality row tables that grow with history: an unchanged record's row is kept
ROW_TABLES = ("indicator_visits", "indicator_settlements")
SPARSE_ROW_TABLES = ("indicator_referrals",  # a night may bring none
                     "indicator_admissions", "repeat_test_rate__denominator")
QUALITY_INCREMENTAL = (*PERSON_MONTHS, *ROW_TABLES, *SPARSE_ROW_TABLES)
# the person tables: an unchanged person's rows are kept (schema: the ehr ones are recycled)
PERSON_TABLES = (("ehr", "patient"), ("ehr", "patient_registration"), ("pii", "person"))
COMPARED_SCHEMAS = ("chw_intermediate", "pii", "ehr", "quality")
# when the EMPI linked an identity, when a person's indicator inputs last changed and which
# night wrote a person-month or person row are history a full refresh cannot know: not
# compared; nor is the EMPI's link history (checked against the current links instead)
HISTORY_COLUMNS = ("'linked_batch_id', 'changed_batch_id', 'township_changed_batch_id', "
                   "'resident_changed_batch_id', 'followups_changed_batch_id', "
                   "'settled_followups_changed_batch_id'")
STAMPED = (*QUALITY_INCREMENTAL, *(t for _, t in PERSON_TABLES), "indicator_summary")
# nor which months a row table's runs moved the cells of (a full build knows none)
WITH_CELLS = (*PERSON_MONTHS, *ROW_TABLES, "indicator_referrals")
# nor the ehr tables' code counts and the row tables' totals, kept per table oid (macros/
# kept_sums.sql): the terminology_coverage made from the counts is compared, and the totals
# are checked against the rows (_assert_kept_sums_follow_writes)
HISTORY_TABLES = (("chw_intermediate", "int_identity_links"),
                  ("chw_intermediate", "ehr_code_counts"),
                  ("chw_intermediate", "row_table_totals"),
                  *(("quality", f"{t}__cells_moved") for t in WITH_CELLS))
# nor are the people gone in earlier nights (kept so that a recycled candidate two nights
# behind still deletes their rows; a full refresh has never seen them)
HISTORY_ROWS = {("chw_intermediate", "int_indicator_people"): "not gone"}


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("incremental") / "c", population=2500,
                    days=len(NIGHTS), start=START, seed=23, townships=2,
                    villages_per_township=2)


def _ingest(url: str, county, night: dt.date) -> int:
    with psycopg.connect(url) as conn:
        batch = ingest_night(conn, load_config(county.config_path), county.landing, night)
        conn.commit()
    return batch.batch_id


def _dbt(args: list[str], url: str, work: Path) -> dict[str, dict]:
    done = run_dbt(args, url, work)
    assert done.returncode == 0, done.stdout[-5000:]
    results = json.loads((work / "target" / "run_results.json").read_text())
    return {r["unique_id"].rsplit(".", 1)[-1]: r for r in results["results"]
            if r["unique_id"].startswith("model.")}


def _contents(url: str, suffix: str = "") -> dict[str, tuple[int, str]]:
    """Every table of the compared schemas (published ones read as `<name><suffix>`): row
    count and a digest of its sorted rows."""
    out = {}
    schemas = [s + suffix if s in ("ehr", "quality") else s for s in COMPARED_SCHEMAS]
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema = any(%s) and table_type = 'BASE TABLE' order by 1, 2",
            (schemas,)).fetchall()
        for schema, table in tables:
            if (schema, table) == ("pii", "pseudonym_secret"):
                continue  # the key itself (made equal above), not something dbt builds
            if (schema.removesuffix(suffix), table) in HISTORY_TABLES:
                continue
            history = HISTORY_COLUMNS + (", 'batch_id'" if table in STAMPED + EMPI else "") \
                + (", 'as_of_date'" if table in PERSON_MONTHS else "")
            where = HISTORY_ROWS.get((schema, table), "true")
            rows = [r[0] for r in conn.execute(
                f'select (to_jsonb(t) - array[{history}])::text '
                f'from "{schema}"."{table}" t where {where} order by 1')]
            name = schema.removesuffix(suffix) if suffix else schema
            out[f"{name}.{table}"] = (len(rows), hashlib.sha256(
                "\n".join(rows).encode()).hexdigest())
    return out


def _row_versions(url: str, suffix: str) -> dict[str, set[tuple[str, str]]]:
    """Each incremental ehr, person and person-month table's rows as (row, xmin): a row a
    run rewrites gets a new xmin, a row it leaves alone keeps its own."""
    tables = [f"ehr{suffix}.{t}" for t in EHR_INCREMENTAL] + \
        [f"quality{suffix}.{t}" for t in (*QUALITY_INCREMENTAL, "indicator_summary")] + \
        [f"{s}{suffix if s == 'ehr' else ''}.{t}" for s, t in PERSON_TABLES]
    with psycopg.connect(url) as conn:
        return {t.split(".")[1]: set(conn.execute(
            f"select t::text, xmin::text from {t} t").fetchall()) for t in tables}


def _oids(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute(
            "select c.relname, c.oid::bigint from pg_class c join pg_namespace n "
            "on n.oid = c.relnamespace where n.nspname = 'chw_intermediate' "
            "and c.relname = any(%s)", ([*INCREMENTAL, *ALSO_INCREMENTAL],)).fetchall())


def _person_month_oids(url: str) -> set[int]:
    """The incremental quality tables of the published and the candidate quality schema
    (they trade places at each publication)."""
    with psycopg.connect(url) as conn:
        return {oid for (oid,) in conn.execute(
            "select c.oid::bigint from pg_class c join pg_namespace n "
            "on n.oid = c.relnamespace where n.nspname in ('quality', 'quality__candidate') "
            "and c.relname = any(%s)", ([*QUALITY_INCREMENTAL, "indicator_summary"],))}


def _as_before_incremental(url: str) -> None:
    """The EMPI tables as the nights before they were incremental left them: no batch_id
    (its index goes with it); anchors with its batch_id but as before the compared
    columns were added (its newest column missing: the upgrade is told by that); the
    candidate's indicator_referrals a plain table (no batch_id, no index, no cells); the
    candidate's diagnoses with the indexes they had: one on encounter_key (it must go) and
    a unique btree on their key (it must become the key's hash constraint), and no partial
    index of the chronic diagnoses (it must be made)."""
    with psycopg.connect(url) as conn:
        conn.execute("create index on ehr__candidate.condition (encounter_key)")
        (hashed,) = conn.execute(
            "select conname from pg_constraint where contype = 'x' "
            "and conrelid = 'ehr__candidate.condition'::regclass").fetchone()
        conn.execute(f'alter table ehr__candidate.condition drop constraint "{hashed}"')
        conn.execute("create unique index on ehr__candidate.condition (condition_key)")
        for (partial,) in conn.execute(
                "select indexrelid::regclass::text from pg_index where indpred is not null "
                "and indrelid = 'ehr__candidate.condition'::regclass").fetchall():
            conn.execute(f"drop index {partial}")
        for model in EMPI:
            if model != "int_identity_anchors":
                conn.execute(f"alter table chw_intermediate.{model} drop column batch_id")
        conn.execute("alter table chw_intermediate.int_identity_anchors "
                     "drop column birth_date, drop column sex_code, drop column patient_name, "
                     "drop column phone, drop column village_code")
        conn.execute("alter table quality__candidate.indicator_referrals drop column batch_id "
                     "cascade")  # and the part views over it (dbt makes them again)
        for (constraint,) in conn.execute(
                "select conname from pg_constraint where contype = 'x' and conrelid = "
                "'quality__candidate.indicator_referrals'::regclass").fetchall():
            conn.execute("alter table quality__candidate.indicator_referrals "
                         f'drop constraint "{constraint}"')
        for (index,) in conn.execute(
                "select indexname from pg_indexes where schemaname = 'quality__candidate' "
                "and tablename = 'indicator_referrals'").fetchall():
            conn.execute(f'drop index quality__candidate."{index}"')
        conn.execute("drop table quality__candidate.indicator_referrals__cells, "
                     "quality__candidate.indicator_referrals__cells_moved")


def _batch_indexed(url: str, model: str, schema: str = "chw_intermediate") -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select count(*) from pg_indexes where schemaname = %s "
            "and tablename = %s and indexdef like '%%(batch_id)'",
            (schema, model)).fetchone()[0] == 1


def _indexes(url: str, schema: str, table: str) -> list[tuple[list[str], str, bool]]:
    """A table's indexes, sorted: (columns, access method, whether a constraint's)."""
    with psycopg.connect(url) as conn:
        return sorted(tuple(row) for row in conn.execute(
            "select array(select a.attname::text from unnest(ix.indkey::int2[]) "
            "with ordinality as k(attnum, position) join pg_attribute a "
            "on a.attrelid = ix.indrelid and a.attnum = k.attnum order by k.position), "
            "am.amname::text, ix.indisexclusion "
            "from pg_index ix join pg_class c on c.oid = ix.indexrelid "
            "join pg_am am on am.oid = c.relam where ix.indrelid = %s::regclass",
            (f"{schema}.{table}",)))


def _rows(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f"select count(*) from {table}").fetchone()[0]


def _touched(url: str, model: str, batch: int) -> int:
    """Records (facility + id) the night's batch brought for a model's source table."""
    table, keys = INCREMENTAL[model]
    with psycopg.connect(url) as conn:
        return conn.execute(f"select count(*) from (select distinct {keys} from {table} "
                            "where _batch_id = %s) k", (batch,)).fetchone()[0]


def test_full_refresh_equals_incremental_nights(county, server_url, tmp_path: Path):
    nightly, full = create_database(server_url), create_database(server_url)
    oids_after_first = None
    for i, night in enumerate(NIGHTS):
        batch = _ingest(nightly, county, night)
        before = _row_versions(nightly, "__candidate") if i >= 1 else {}
        if night == EMPI_UPGRADE_NIGHT:
            _as_before_incremental(nightly)
        # dbt's data tests once, on what all the incremental nights built (half of a small
        # county's build; the e2e DAG runs them every night)
        tests = [] if night == NIGHTS[-1] else ["--exclude-resource-type", "test"]
        models = _dbt(["build", *tests], nightly, tmp_path / f"night{i}")
        with psycopg.connect(nightly) as conn:
            publish(conn, night)  # ehr's retired schema is the next night's candidate
        if i == 0:
            oids_after_first = _oids(nightly)
            quality_oids = _person_month_oids(nightly)  # the first publication's copy
            continue
        for model in INCREMENTAL:
            # touched only what the night brought: one row written per record it touched
            written = models[model]["adapter_response"].get("rows_affected")
            assert written == _touched(nightly, model, batch), (night, model, written)
        for model in (m for m in EMPI if m != "int_identity_candidates"):  # a few placed
            # again, not every registration (the candidates, a few rows of the few without
            # an anchor, too few here to compare); all on the upgrade night, indexes back
            written = models[model]["adapter_response"].get("rows_affected")
            rows = _rows(nightly, f"chw_intermediate.{model}")
            if night == EMPI_UPGRADE_NIGHT:
                assert written == rows and _batch_indexed(nightly, model), (model, written)
            else:
                assert 0 <= written < rows / 4, (night, model, written)
        if night == EMPI_UPGRADE_NIGHT:  # the retired indexes went, the key's hash came
            # (published: the candidate the run built)
            # and the chronic diagnoses' partial index (macros/chronic_disease.sql) is back
            assert _indexes(nightly, "ehr", "condition") == [
                (["batch_id"], "btree", False), (["condition_key"], "hash", True),
                (["person_key", "recorded_at"], "btree", False)], \
                _indexes(nightly, "ehr", "condition")
        if night == EMPI_UPGRADE_NIGHT:  # every referral written once, the index back
            # (published: the candidate the run built)
            written = models["indicator_referrals"]["adapter_response"].get("rows_affected")
            assert written == _rows(nightly, "quality.indicator_referrals") > 0
            assert _batch_indexed(nightly, "indicator_referrals", "quality")
        if i >= 1:  # from the second night on, ehr and quality build on the candidates
            # publishing left (a copy of the first publication, then the recycled schema):
            # every row is one the run wrote or one it left exactly as it was (same xmin)
            after = _row_versions(nightly, "")
            kept = 0
            for table in EHR_INCREMENTAL + STAMPED:
                written = models[table]["adapter_response"].get("rows_affected")
                untouched = len(after[table] & before[table])
                assert untouched + written == len(after[table]), \
                    (night, table, written, untouched, len(after[table]))
                kept += untouched
                if table in PERSON_MONTHS and night == NIGHTS[-1]:  # March closed: kept
                    assert untouched > 0, (night, table)
                if table in ROW_TABLES:  # the night's new records, and the rest kept
                    assert untouched > 0 and written > 0, (night, table, written, untouched)
                elif table in STAMPED and table not in (*PERSON_MONTHS, *SPARSE_ROW_TABLES,
                                                        "indicator_summary"):
                    # most people kept (the summary: every row of a month its cells moved in,
                    # here both months most nights: tests/integration/test_summary_months.py)
                    assert untouched > written > 0, (night, table, written, untouched)
            assert kept > 0, night
    # the incremental tables were added to, never rebuilt
    assert _oids(nightly) == oids_after_first
    assert len(oids_after_first) == len(INCREMENTAL) + len(ALSO_INCREMENTAL)
    assert _person_month_oids(nightly) == quality_oids
    assert len(quality_oids) == 2 * (len(QUALITY_INCREMENTAL) + 1)

    for night in NIGHTS:
        _ingest(full, county, night)
    with psycopg.connect(nightly) as conn:  # same pseudonym key, or person keys differ
        (secret,) = conn.execute("select secret from pii.pseudonym_secret").fetchone()
    with psycopg.connect(full) as conn:
        conn.execute("update pii.pseudonym_secret set secret = %s", (secret,))
    _dbt(["build", "--full-refresh", "--exclude-resource-type", "test"], full, tmp_path / "full")

    got, want = _contents(nightly), _contents(full, suffix="__candidate")
    assert got.keys() == want.keys()
    differ = {t: (got[t], want[t]) for t in want if got[t] != want[t]}
    assert not differ, differ
    _assert_latest_versions_published(nightly)
    _assert_link_history(nightly)
    _assert_measured_in_their_month(nightly)
    _assert_kept_sums_follow_writes(nightly)
    _assert_keys_exclusive(nightly, [
        *(f"chw_intermediate.{m}" for m in INCREMENTAL),
        *(f"{schema}.{t}" for schema in ("ehr", "ehr__candidate") for t in EHR_INCREMENTAL),
        *(f"{schema}.{t}" for schema in ("quality", "quality__candidate")
          for t in ROW_TABLES + SPARSE_ROW_TABLES)])


def _assert_kept_sums_follow_writes(url: str) -> None:
    """The sums tables keep of themselves (macros/kept_sums.sql) follow any write, not only
    the nightly runs': an update, a delete and a truncate, each checked against the rows
    (rolled back). ehr.condition's code counts per facility, and the totals of every row
    table with cells in both copies of quality (which the cells_add_up tests read)."""
    def counted(conn: psycopg.Connection) -> tuple[set, set]:
        kept = set(conn.execute(
            "select facility_code, records, unmapped from chw_intermediate.ehr_code_counts "
            "where relid = 'ehr.condition'::regclass and records <> 0").fetchall())
        rows = set(conn.execute(
            "select facility_code, count(*), count(*) filter (where not code_in_value_set) "
            "from ehr.condition group by 1").fetchall())
        return kept, rows

    def totals(conn: psycopg.Connection, table: str) -> tuple[dict, dict]:
        kept = dict(conn.execute(
            "select measure, total from chw_intermediate.row_table_totals "
            "where relid = %s::regclass", (table,)).fetchall())
        measures = [m for m in kept if m != "row_count"]
        sums = ", ".join(["count(*)", *(f"coalesce(sum({m}), 0)" for m in measures)])
        row = conn.execute(f"select {sums} from {table}").fetchone()
        return kept, dict(zip(["row_count", *measures], row, strict=True))

    with psycopg.connect(url) as conn:
        kept, rows = counted(conn)
        assert kept == rows and rows, (kept, rows)
        (facility,) = conn.execute("select min(facility_code) from ehr.condition").fetchone()
        conn.execute("update ehr.condition set code_in_value_set = not code_in_value_set "
                     "where facility_code = %s", (facility,))
        kept, rows = counted(conn)
        assert kept == rows, (kept, rows)
        conn.execute("delete from ehr.condition where facility_code = %s", (facility,))
        kept, rows = counted(conn)
        assert kept == rows and facility not in {f for f, _, _ in rows}, (kept, rows)
        conn.execute("truncate ehr.condition")
        assert counted(conn) == (set(), set())
        conn.rollback()

        for table in (f"{schema}.{t}" for schema in ("quality", "quality__candidate")
                      for t in WITH_CELLS):
            kept, rows = totals(conn, table)
            assert kept == rows and rows["row_count"] > 0, (table, kept, rows)
        table = "quality.indicator_settlements"
        conn.execute(f"update {table} set amount = amount + 1, fund_paid = null "
                     f"where period_date = (select max(period_date) from {table})")
        kept, rows = totals(conn, table)
        assert kept == rows, (kept, rows)
        conn.execute(f"delete from {table} where period_date = "
                     f"(select min(period_date) from {table})")
        kept, rows = totals(conn, table)
        assert kept == rows, (kept, rows)
        conn.execute(f"truncate {table}")
        assert totals(conn, table) == ({}, {"row_count": 0})
        conn.rollback()


def _assert_keys_exclusive(url: str, tables: list[str]) -> None:
    """Each table's md5 key is unique by an exclusion constraint on a hash index (macros/
    hashed_keys.sql), in both copies of ehr and quality: a row written again with a key
    already there fails, as it did with the unique btree."""
    hashed = {table: [columns for columns, method, exclusion
                      in _indexes(url, *table.split(".")) if method == "hash" and exclusion]
              for table in tables}
    assert all(len(keys) == 1 for keys in hashed.values()), hashed
    with psycopg.connect(url) as conn:
        for table in tables:
            with pytest.raises(psycopg.errors.ExclusionViolation), conn.transaction():
                conn.execute(f"insert into {table} select * from {table} limit 1")


def _assert_measured_in_their_month(url: str) -> None:
    """A person-month table's rows were each measured as of a day of their month up to its
    measuring day, and some were kept from an earlier day."""
    with psycopg.connect(url) as conn:
        for table in PERSON_MONTHS:
            outside, kept = conn.execute(
                "select count(*) filter (where t.as_of_date not between t.period_date "
                "and months.as_of_date), count(*) filter (where t.as_of_date < "
                f"months.as_of_date) from quality.{table} t join quality.indicator_months "
                "months on months.month_start = t.period_date").fetchone()
            assert outside == 0 and kept > 0, (table, outside, kept)


def _assert_link_history(url: str) -> None:
    """int_identity_links holds every current link, and the night's relinks added to it:
    some identity has had more than one person."""
    with psycopg.connect(url) as conn:
        missing = conn.execute(
            "select count(*) from chw_intermediate.int_person_identity i where not exists "
            "(select 1 from chw_intermediate.int_identity_links l where l.facility_code = "
            "i.facility_code and l.local_patient_id = i.local_patient_id and l.person_key = "
            "i.person_key and l.linked_batch_id = i.linked_batch_id)").fetchone()[0]
        relinked = conn.execute(
            "select count(*) from (select 1 from chw_intermediate.int_identity_links "
            "group by facility_code, local_patient_id having count(distinct person_key) > 1) "
            "r").fetchone()[0]
    assert missing == 0
    assert relinked > 0, "no relinked identity: the history is not tested"


def _assert_latest_versions_published(url: str) -> None:
    """The generator's flag-2 corrections and flag-3 cancellations, checked independently of
    the SQL: the latest version of each encounter, worked out here in Python from raw, is in
    ehr (with the corrected department) unless it cancels the encounter."""
    with psycopg.connect(url) as conn:
        versions = conn.execute(
            "select _facility, record_id, updated_at, _export_date, _file_id, _position, "
            "change_flag, department from raw.encounters").fetchall()
        published = dict(conn.execute(
            "select encounter_key, department from ehr.encounter").fetchall())
    latest: dict[tuple, tuple] = {}
    for v in versions:
        rank = (v[2] or "", v[3], v[4], v[5])
        if (v[0], v[1]) not in latest or rank > latest[(v[0], v[1])][0]:
            latest[(v[0], v[1])] = (rank, v[6], v[7])
    expected = {hashlib.md5(f"{f}|{r}".encode()).hexdigest(): dept
                for (f, r), (_, flag, dept) in latest.items() if flag != "3"}
    assert published == expected
    flags = [flag for _, flag, _ in latest.values()]
    assert flags.count("3") > 0 and any(v[6] == "2" for v in versions), "no defects to test"
