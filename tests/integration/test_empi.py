"""The EMPI (dbt models int_identity_*, int_person_identity, pii.identity_review) on the real
PostgreSQL with real dbt: measured against the generator's truth of every source identity,
and on hand-made registrations that pin each rule (twins and namesakes are never merged)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import psycopg
import pytest

from countyhealth.config import load_config
from countyhealth.dbt_group import run_dbt
from countyhealth.identity import make_id_number
from countyhealth.identity_quality import pairwise_quality
from countyhealth.ingest import ingest_night
from countyhealth.ingest.loader import ensure_schema
from countyhealth.ingest.tables import LINEAGE_COLUMNS, TABLES
from countyhealth.synth import generate

from ..databases import create_database

START = dt.date(2026, 3, 1)
DAYS = 6


def dbt_identity(url: str, work: Path) -> None:
    """Build the EMPI models (and what they need) with real dbt; fail with dbt's words."""
    done = run_dbt(["build", "--select", "+int_person_identity", "+identity_review"], url,
                   work)
    assert done.returncode == 0, done.stdout[-4000:]


@pytest.fixture(scope="module")
def linked_county(server_url: str, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("empi") / "county"
    county = generate(out, population=8000, days=DAYS, start=START, seed=23, townships=4,
                      villages_per_township=3)
    url = create_database(server_url, "t_empi_county")
    cfg = load_config(county.config_path)
    with psycopg.connect(url) as conn:
        for n in range(DAYS):
            ingest_night(conn, cfg, county.landing, START + dt.timedelta(days=n))
            conn.commit()
    dbt_identity(url, out.parent)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))["identities"]
    return url, truth


def test_empi_against_the_truth_of_every_source_identity(linked_county):
    url, truth = linked_county
    with psycopg.connect(url) as conn:
        predicted = {f"{f}|{local}": key for f, local, key in conn.execute(
            "select facility_code, local_patient_id, person_key "
            "from chw_intermediate.int_person_identity")}
        bases = dict(conn.execute("select match_basis, count(*) from "
                                  "chw_intermediate.int_person_identity group by 1"))
    quality = pairwise_quality(predicted, truth)
    assert quality.identities == len(predicted)  # every identity loaded is in the truth
    assert quality.true_pairs > 300
    assert quality.precision >= 0.999, quality
    assert quality.recall >= 0.99, quality
    # every rule had work to do
    assert {"id_number", "health_card", "health_record", "demographics"} <= set(bases), bases


ROW = dict.fromkeys(TABLES["patients"].columns)


def _registration(facility: str, local: str, **values) -> tuple:
    row = {**ROW, "record_id": local, "id_type": "01", "updated_at": "2026-03-01 08:00:00",
           "change_flag": "1", **values}
    return (*(row[c] for c in TABLES["patients"].columns), 1, 1, facility, START, 2)


def _links_after_build(url: str, tmp_path: Path) -> tuple[dict, list]:
    """Build the EMPI; every identity's (person key, basis) and the review list."""
    dbt_identity(url, tmp_path)
    with psycopg.connect(url) as conn:
        links = {local: (key, basis) for local, key, basis in conn.execute(
            "select local_patient_id, person_key, match_basis "
            "from chw_intermediate.int_person_identity")}
        review = conn.execute("select local_patient_id, reason from pii.identity_review "
                              "order by 1").fetchall()
    return links, review


def test_each_rule_on_hand_made_registrations(server_url, tmp_path: Path):
    url = create_database(server_url, "t_empi_rules")
    born = dt.date(1950, 5, 6)
    wang = make_id_number("370322", born, 11)
    legacy_li = make_id_number("370322", dt.date(1961, 2, 3), 23)
    card, village = "HC0001", "370322101001"
    rows = [
        # Wang: an ID at the hospital; at the clinic no ID but name, phone and village agree
        _registration("H1", "w1", id_number=wang, name="王芳", sex="2", birth_date=born,
                      phone="13900000001", address_code=village),
        _registration("V1", "w2", name="王芳", sex="2", birth_date=born, phone="13900000001",
                      address_code=village),
        # her twin sister: same birthday, phone, village and surname, no ID at the clinic
        _registration("V1", "t1", name="王芬", sex="2", birth_date=born, phone="13900000001",
                      address_code=village),
        # a namesake from another village, no ID and another phone
        _registration("T1", "n1", name="王芳", sex="2", birth_date=born, phone="13700000009",
                      address_code="370322105002"),
        # Li: the legacy 15-digit card at one place, the 18-character form at another
        _registration("H1", "l1", id_number=legacy_li[:6] + legacy_li[8:17], name="李强",
                      sex="1", birth_date="1961-02-03"),
        _registration("T1", "l2", id_number=legacy_li, name="李强", sex="1",
                      birth_date="1961-02-03", health_card_no=card),
        # a registration with only Li's health card
        _registration("V2", "l3", name="李强", sex="1", health_card_no=card),
    ]
    with psycopg.connect(url) as conn:
        ensure_schema(conn)
        columns = ", ".join((*TABLES["patients"].columns, *LINEAGE_COLUMNS))
        with conn.cursor().copy(f"copy raw.patients ({columns}) from stdin") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
    got, review = _links_after_build(url, tmp_path)
    assert got["w2"] == (got["w1"][0], "demographics")
    assert got["t1"][0] != got["w1"][0]  # the twin stays herself
    assert got["n1"][0] != got["w1"][0]  # and so does the namesake
    assert got["l1"][0] == got["l2"][0] and got["l1"][1] == "id_number"
    assert got["l3"] == (got["l1"][0], "health_card")
    assert ("n1", "uncertain_score") in review  # same name and birthday: a person decides
    assert ("t1", "uncertain_score") in review  # same phone, village, birthday
    assert not any(local == "w2" for local, _ in review)

    # a reviewer answers two listed pairs: the twin is not Wang, the namesake is
    with psycopg.connect(url) as conn:
        listed = dict(conn.execute(
            "select local_patient_id, candidate_person_key from pii.identity_review "
            "where local_patient_id in ('t1', 'n1')").fetchall())
        conn.execute("insert into pii.identity_decisions (facility_code, local_patient_id, "
                     "candidate_person_key, decision, decided_by) values "
                     "('V1', 't1', %s, 'different', 'reviewer'), "
                     "('T1', 'n1', %s, 'same', 'reviewer')", (listed["t1"], listed["n1"]))
        conn.commit()
    after, review = _links_after_build(url, tmp_path)
    assert listed["n1"] == got["w1"][0] and after["n1"] == (got["w1"][0], "reviewed")
    assert after["t1"][0] != got["w1"][0]
    assert not {local for local, _ in review} & {"t1", "n1"}  # answered: off the list


def _load_batch(url: str, rows: list[tuple], batch: int) -> None:
    """Registrations as ingest batch `batch` would load them (the batch and a file of it
    registered: the EMPI's watermark is the newest batch that loaded a file)."""
    night = START + dt.timedelta(days=batch - 1)
    at = len(TABLES["patients"].columns)
    with psycopg.connect(url) as conn:
        ensure_schema(conn)
        conn.execute("insert into ingest.runs (batch_id, export_date) values (%s, %s)",
                     (batch, night))
        conn.execute(
            "insert into ingest.files (sha256, facility_code, export_date, file_name, kind, "
            "format, rows_manifest, rows_read, rows_loaded, rows_rejected, batch_id) "
            "values (%s, 'H1', %s, 'patients.csv', 'patients', 'csv', %s, %s, %s, 0, %s)",
            (f"batch{batch}", night, len(rows), len(rows), len(rows), batch))
        columns = ", ".join((*TABLES["patients"].columns, *LINEAGE_COLUMNS))
        with conn.cursor().copy(f"copy raw.patients ({columns}) from stdin") as copy:
            for row in rows:
                copy.write_row((*row[:at], batch, batch, row[at + 2], night, row[at + 4]))
        conn.commit()


def test_a_corrected_registration_reaches_who_its_old_version_matched(
        server_url, tmp_path: Path):
    """The EMPI is incremental (macros/identity_incremental.sql): a night places again the
    identities a changed registration can move. Here a correction takes an anchored
    registration out of the birth-date block where a clinic's registration matched it by
    demographics, and gives it a new health card where another one joined it by the old
    card. Only the old version reaches those two: both must be placed again, as a build of
    everything would place them, and an unrelated identity must be left as it was."""
    url = create_database(server_url, "t_empi_incremental")
    born, village, phone = dt.date(1950, 5, 6), "370322101001", "13900000001"
    wang = make_id_number("370322", born, 11)
    zhang = make_id_number("370322", dt.date(1970, 1, 1), 7)
    _load_batch(url, [
        _registration("H1", "a1", id_number=wang, name="王芳", sex="2", birth_date=born,
                      phone=phone, address_code=village, health_card_no="HC0001"),
        _registration("V1", "b1", name="王芳", sex="2", birth_date=born, phone=phone,
                      address_code=village),
        _registration("V2", "k1", name="王某", sex="2", health_card_no="HC0001"),
        _registration("V3", "z1", id_number=zhang, name="张三", sex="1",
                      birth_date="1970-01-01"),
    ], batch=1)
    got, _ = _links_after_build(url, tmp_path / "first")
    assert got["b1"] == (got["a1"][0], "demographics")
    assert got["k1"] == (got["a1"][0], "health_card")

    _load_batch(url, [  # a correction (flag 2): another birth date, another card
        _registration("H1", "a1", id_number=wang, name="王芳", sex="2",
                      birth_date="1951-01-01", phone=phone, address_code=village,
                      health_card_no="HC0002", updated_at="2026-03-02 08:00:00",
                      change_flag="2"),
    ], batch=2)
    after, _ = _links_after_build(url, tmp_path / "second")
    assert after["a1"] == got["a1"] and after["z1"] == got["z1"]
    assert after["b1"][1] == "local_id"  # its only candidate left its block
    assert after["k1"][1] == "shared_key"  # its card leads to no one else now
    with psycopg.connect(url) as conn:
        placed = dict(conn.execute(
            "select local_patient_id, batch_id from chw_intermediate.int_identity_anchors"))
        candidates = conn.execute(
            "select count(*) from chw_intermediate.int_identity_candidates").fetchone()[0]
    assert placed == {"a1": 2, "b1": 1, "k1": 2, "z1": 1}, placed  # by anchors' rules
    assert candidates == 0
