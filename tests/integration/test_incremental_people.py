"""Incremental nights follow people whose records did not change, with real dbt on the real
PostgreSQL: a link the EMPI makes later, a registration that arrives after the visit or
corrects an ID number, an address that moves a settlement's township, a person relinked
away, a closed month's corrected follow-ups. Each night's incremental state is held to what
a full rebuild of the same batches gives. (Versions and cancellations: test_ehr_versions.)"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import psycopg

from countyhealth.dbt_group import run_dbt
from countyhealth.identity import make_id_number
from countyhealth.ingest.loader import ensure_schema

from ..raw_rows import load_rows as _load
from ..raw_rows import outpatient_visit as _encounter

NIGHT = dt.date(2026, 3, 1)


def test_incremental_nights_follow_people_the_empi_links_later(fresh_db, tmp_path: Path):
    """Old encounters move to the right person when the link changes without the encounter
    changing: a registration that arrives a night after the visit, and a registration at
    another facility through which the EMPI links an older one (by demographics)."""
    resident = {"sex": "1", "birth_date": "1960-01-01", "name": "张三", "phone": "13800000000",
                "address_code": "370322101001", "updated_at": "2026-03-01 08:00:00",
                "change_flag": "1"}

    def build(n: int) -> None:
        done = run_dbt(["build", "--select", "+encounter"], fresh_db, tmp_path / f"n{n}")
        assert done.returncode == 0, done.stdout[-4000:]

    def persons() -> tuple[dict, dict]:
        with psycopg.connect(fresh_db) as conn:
            encounters = dict(conn.execute(
                "select encounter_key, person_key from ehr__candidate.encounter"))
            identities = dict(conn.execute(
                "select facility_code || '|' || local_patient_id, person_key "
                "from chw_intermediate.int_person_identity"))
        return encounters, identities

    key = {e: hashlib.md5(f"T1|{e}".encode()).hexdigest() for e in ("e7", "e8")}
    with psycopg.connect(fresh_db) as conn:
        ensure_schema(conn)
        conn.execute("insert into ingest.facilities values ('T1', 't', 'township_center', "
                     "'370322101', 'csv', true, '370322'), ('H1', 'h', 'county_hospital', "
                     "null, 'csv', false, '370322')")
        # night 1: p7 registered at T1 without an ID number; p8 visits before registering
        _load(conn, "patients", [{**resident, "record_id": "p7"}], NIGHT, batch=1)
        _load(conn, "encounters", [{**_encounter("e7", "1", "2026-03-01 09:00:00"),
                                    "patient_id": "p7"},
                                   {**_encounter("e8", "1", "2026-03-01 09:00:00"),
                                    "patient_id": "p8"}], NIGHT, batch=1)
        conn.commit()
    build(1)
    encounters, identities = persons()
    assert encounters[key["e7"]] == identities["T1|p7"]
    with psycopg.connect(fresh_db) as conn:
        # night 2: the same man registers at the hospital with his ID number; p8 registers
        id_number = make_id_number("110105", dt.date(1960, 1, 1), 1)
        _load(conn, "patients", [{**resident, "record_id": "h7", "id_type": "01",
                                  "id_number": id_number}],
              NIGHT + dt.timedelta(days=1), batch=2, facility="H1")
        _load(conn, "patients", [{**resident, "record_id": "p8", "name": "李四",
                                  "phone": "13900000000", "birth_date": "1970-05-05"}],
              NIGHT + dt.timedelta(days=1), batch=2)
        _load(conn, "encounters", [{**_encounter("e9", "1", "2026-03-02 09:00:00"),
                                    "patient_id": "h7"}],
              NIGHT + dt.timedelta(days=1), batch=2, facility="H1")
        conn.commit()
    build(2)
    encounters, identities = persons()
    assert identities["T1|p7"] == identities["H1|h7"]  # linked by demographics
    assert encounters[key["e7"]] == identities["H1|h7"]  # e7 unchanged, its person moved
    assert encounters[key["e8"]] == identities["T1|p8"]  # registered now: the EMPI's key
    e9 = hashlib.md5(b"H1|e9").hexdigest()
    id_person = identities["H1|h7"]
    assert encounters[e9] == id_person
    with psycopg.connect(fresh_db) as conn:  # night 3: the hospital cancels h7's registration
        _load(conn, "patients", [{**resident, "record_id": "h7", "change_flag": "3",
                                  "updated_at": "2026-03-03 08:00:00"}],
              NIGHT + dt.timedelta(days=2), batch=3, facility="H1")
        conn.commit()
    build(3)
    encounters, identities = persons()
    assert "H1|h7" not in identities
    assert encounters[e9] != id_person  # a local key of its own now, like a full rebuild
    assert encounters[key["e7"]] == identities["T1|p7"] != id_person  # unlinked too


def test_incremental_nights_follow_people_named_by_id_number(fresh_db, tmp_path: Path):
    """Follow-ups and settlements name people by ID number, and their rows do not change
    when the person does: a follow-up and a settlement recorded before the resident's
    registration arrives are on no registered person; the registration arriving a night
    later puts them on it; a correction of the registration's ID number the night after
    takes them off again (the old ID is in the registration's older version only); the
    registration sent again with its person unchanged rewrites neither. Each night's
    incremental state equals a full rebuild of the same batches."""
    old_id = make_id_number("110105", dt.date(1950, 6, 1), 3)
    new_id = make_id_number("110105", dt.date(1951, 6, 1), 3)
    selection = ["--select", "+chronic_followup", "+insurance_settlement",
                 "--indirect-selection", "cautious"]  # not observation's test on follow-ups

    def build(args: list[str], n: str) -> None:
        done = run_dbt(["build", *args, *selection], fresh_db, tmp_path / n)
        assert done.returncode == 0, done.stdout[-4000:]

    def registered() -> tuple:
        """f1's and s1's person; f2 and s2 (other people) only move the tables' watermark."""
        with psycopg.connect(fresh_db) as conn:
            return (conn.execute("select person_registered, person_key from "
                                 "ehr__candidate.chronic_followup "
                                 "where followup_key = md5('T1|f1')").fetchall(),
                    conn.execute("select person_registered, person_key from "
                                 "ehr__candidate.insurance_settlement "
                                 "where settlement_key = md5('T1|s1')").fetchall())

    def followup(record_id: str, id_number: str, updated: str) -> dict:
        return {"record_id": record_id, "id_number": id_number, "disease": "diabetes",
                "followup_date": "2026-02-20", "fasting_glucose": "6.5",
                "updated_at": updated, "change_flag": "1"}

    def settlement(record_id: str, id_number: str, updated: str) -> dict:
        return {"record_id": record_id, "id_number": id_number, "insured_area": "370322",
                "facility_code": "T1", "in_county": "1", "visit_type": "11",
                "admit_date": "2026-02-20", "total_cost": "80", "fund_paid": "50",
                "updated_at": updated, "change_flag": "1"}

    def registration(flag: str, id_number: str, updated: str) -> dict:
        return {"record_id": "p1", "id_type": "01", "id_number": id_number, "name": "王五",
                "sex": "1", "birth_date": "1950-06-01", "updated_at": updated,
                "change_flag": flag}

    with psycopg.connect(fresh_db) as conn:
        ensure_schema(conn)
        conn.execute("insert into ingest.facilities values ('T1', 't', 'township_center', "
                     "'370322101', 'csv', true, '370322')")
        _load(conn, "chronic_followups", [followup("f1", old_id, "2026-03-01 09:00")],
              NIGHT, batch=1)
        _load(conn, "insurance_settlements", [settlement("s1", old_id, "2026-03-01 09:00")],
              NIGHT, batch=1)
        conn.commit()
    build([], "n1")
    assert [r[0] for r in registered()[0] + registered()[1]] == [False, False]
    nights = [(2, registration("1", old_id, "2026-03-02 08:00")),
              (3, registration("2", new_id, "2026-03-03 08:00"))]
    for batch, row in nights:
        night = NIGHT + dt.timedelta(days=batch - 1)
        other = make_id_number("110105", dt.date(1960 + batch, 1, 1), 5)
        with psycopg.connect(fresh_db) as conn:
            _load(conn, "patients", [row], night, batch=batch)
            _load(conn, "chronic_followups", [followup(f"f{batch}", other, "2026-03-02")],
                  night, batch=batch)
            _load(conn, "insurance_settlements", [settlement(f"s{batch}", other,
                                                             "2026-03-02")], night, batch=batch)
            conn.commit()
        build([], f"n{batch}")
        incremental = registered()
        build(["--full-refresh"], f"full{batch}")
        assert incremental == registered(), batch  # what a rebuild of the same batches gives
        flag = [r[0] for r in incremental[0] + incremental[1]]
        assert flag == [batch == 2] * 2, (batch, incremental)

    # night 4: the registration sent again (a new name), its ID number and person the same:
    # neither ID number's person changed, so f1 and s1 are not written again (the same row
    # versions), and still equal a rebuild
    def versions() -> list:
        with psycopg.connect(fresh_db) as conn:
            return conn.execute(
                "select xmin::text from ehr__candidate.chronic_followup "
                "where followup_key = md5('T1|f1') union all "
                "select xmin::text from ehr__candidate.insurance_settlement "
                "where settlement_key = md5('T1|s1')").fetchall()

    before = versions()
    with psycopg.connect(fresh_db) as conn:
        resent = {**registration("2", new_id, "2026-03-04 08:00"), "name": "王武"}
        _load(conn, "patients", [resent], NIGHT + dt.timedelta(days=3), batch=4)
        _load(conn, "insurance_settlements", [settlement("s4", new_id, "2026-03-04")],
              NIGHT + dt.timedelta(days=3), batch=4)
        conn.commit()
    build([], "n4")
    assert len(before) == 2 and versions() == before
    incremental = registered()
    build(["--full-refresh"], "full4")
    assert incremental == registered()


def test_a_settlement_row_follows_its_persons_township(fresh_db, tmp_path: Path):
    """indicator_settlements places a settlement by the resident's township, from their
    latest registration; a settlement names its person by ID number. When the latest
    registration is one without the ID number (linked by the health card) and it moves the
    address, neither the settlement nor any registration carrying its ID changed: the
    incremental row table must still rewrite the settlement (the person's ehr.patient row
    was written again), as a full rebuild does."""
    id_number = make_id_number("370322", dt.date(1950, 6, 1), 3)
    selection = ["--select", "+indicator_settlements", "--indirect-selection", "cautious"]

    def build(args: list[str], n: str) -> None:
        done = run_dbt(["build", *args, *selection], fresh_db, tmp_path / n)
        assert done.returncode == 0, done.stdout[-4000:]

    def township() -> list:
        with psycopg.connect(fresh_db) as conn:
            return conn.execute("select township_code from quality__candidate."
                                "indicator_settlements where subject_key = md5('T1|s1')"
                                ).fetchall()

    def registration(record_id: str, id_number: str, address: str, updated: str,
                     flag: str = "1") -> dict:
        return {"record_id": record_id, "id_type": "01", "id_number": id_number,
                "name": "王五", "sex": "1", "birth_date": "1950-06-01",
                "address_code": address, "health_card_no": "CARD0001",
                "updated_at": updated, "change_flag": flag}

    def settlement(record_id: str, updated: str) -> dict:
        return {"record_id": record_id, "id_number": id_number, "insured_area": "370322",
                "facility_code": "T1", "in_county": "1", "visit_type": "11",
                "admit_date": "2026-02-20", "total_cost": "80", "fund_paid": "50",
                "updated_at": updated, "change_flag": "1"}

    with psycopg.connect(fresh_db) as conn:
        ensure_schema(conn)
        conn.execute("insert into ingest.facilities values ('T1', 't', 'township_center', "
                     "'370322101', 'csv', true, '370322'), ('V1', 'v', 'village_clinic', "
                     "'370322102', 'csv', true, '370322')")
        _load(conn, "patients", [registration("p1", id_number, "370322101001",
                                              "2026-03-01 08:00")], NIGHT, batch=1)
        _load(conn, "patients", [registration("q1", "", "370322101001", "2026-03-01 09:00")],
              NIGHT, batch=1, facility="V1")
        _load(conn, "insurance_settlements", [settlement("s1", "2026-03-01 09:00")], NIGHT,
              batch=1)
        conn.commit()
    build([], "n1")
    assert township() == [("370322101",)]
    night2 = NIGHT + dt.timedelta(days=1)
    with psycopg.connect(fresh_db) as conn:  # the village clinic's registration moves him
        _load(conn, "patients", [registration("q1", "", "370322102001", "2026-03-02 09:00",
                                              "2")], night2, batch=2, facility="V1")
        # another settlement moves the table's watermark, as any night does
        _load(conn, "insurance_settlements", [settlement("s2", "2026-03-02 09:00")], night2,
              batch=2)
        conn.commit()
    build([], "n2")
    incremental = township()
    build(["--full-refresh"], "full2")
    assert township() == [("370322102",)]
    assert incremental == township()


def test_a_person_gone_stays_gone_for_the_candidate_two_nights_behind(fresh_db,
                                                                      tmp_path: Path):
    """A person the EMPI relinks into another is gone: int_indicator_people keeps their row,
    gone, with the batch they went, in every later build. The recycled quality candidate a
    night builds was last built two nights before (countyhealth.publish): it deletes the
    gone person's months only if it still finds them gone then (kept one build, the
    candidate kept a gone person's closed months: the year's benchmark found one)."""
    selection = ["--select", "+int_indicator_people", "--indirect-selection", "cautious"]

    def build(n: str) -> None:
        done = run_dbt(["build", *selection], fresh_db, tmp_path / n)
        assert done.returncode == 0, done.stdout[-4000:]

    def people() -> list:
        with psycopg.connect(fresh_db) as conn:
            return conn.execute("select person_key, gone, changed_batch_id from "
                                "chw_intermediate.int_indicator_people order by 1").fetchall()

    def registration(record_id: str, id_number: str, card: str, updated: str,
                     flag: str = "1") -> dict:
        return {"record_id": record_id, "id_type": "01", "id_number": id_number,
                "name": "王五", "sex": "1", "birth_date": "1950-06-01",
                "address_code": "370322101001", "health_card_no": card,
                "updated_at": updated, "change_flag": flag}

    id_number = make_id_number("370322", dt.date(1950, 6, 1), 3)
    nights = [
        # night 1: p1 carries the ID number; q1 (no ID, another card) is a person of its own
        [("T1", registration("p1", id_number, "CARD0001", "2026-03-01 08:00")),
         ("V1", registration("q1", "", "CARD0002", "2026-03-01 09:00"))],
        # night 2: q1 shows p1's card: the EMPI links it to p1's person, q1's is gone
        [("V1", registration("q1", "", "CARD0001", "2026-03-02 09:00", "2"))],
        # night 3: someone else registers; nothing about either of them changes
        [("T1", registration("r1", make_id_number("370322", dt.date(1960, 1, 1), 5),
                             "CARD0003", "2026-03-03 08:00"))],
    ]
    with psycopg.connect(fresh_db) as conn:
        ensure_schema(conn)
        conn.execute("insert into ingest.facilities values ('T1', 't', 'township_center', "
                     "'370322101', 'csv', true, '370322'), ('V1', 'v', 'village_clinic', "
                     "'370322102', 'csv', true, '370322')")
        conn.commit()
    seen = []
    for batch, rows in enumerate(nights, start=1):
        with psycopg.connect(fresh_db) as conn:
            for facility, row in rows:
                _load(conn, "patients", [row], NIGHT + dt.timedelta(days=batch - 1),
                      batch=batch, facility=facility)
            conn.commit()
        build(f"n{batch}")
        seen.append(people())
    assert len(seen[0]) == 2 and not any(gone for _, gone, _ in seen[0])
    gone = [row for row in seen[1] if row[1]]
    assert len(gone) == 1 and gone[0][2] == 2, seen[1]  # q1's person went at batch 2
    assert [row for row in seen[2] if row[1]] == gone  # still there, still batch 2


def test_a_closed_months_managed_patients_follow_their_followups(fresh_db, tmp_path: Path):
    """A closed month is not measured again: its person-month rows change only for the
    people whose indicator inputs changed, and of theirs only the rows whose figures did.
    In March, one February follow-up is corrected (the reading is no longer controlled:
    the patient stays, rewritten) and another is cancelled (that patient leaves February's
    managed patients and the admission rate's denominator, which reads them); the third
    patient has a new follow-up in March, and their February rows are kept as they were.
    A night later a follow-up of March 1 arrives late: only March is measured again for
    that patient. Each table equals a full rebuild of the same batches."""
    selection = ["--select", "+managed_chronic_admission_rate__denominator",
                 "--indirect-selection", "cautious"]
    ids = {p: make_id_number("370322", dt.date(1950, 6, n), 3)
           for n, p in ((1, "p1"), (2, "p2"), (3, "p3"))}

    def build(args: list[str], n: str) -> None:
        done = run_dbt(["build", *args, *selection], fresh_db, tmp_path / n)
        assert done.returncode == 0, done.stdout[-4000:]

    def february(column: str) -> dict[str, list]:
        """Each table's February rows: person, whether controlled (managed patients) and
        `column` (batch_id: which run wrote it; a full rebuild's differ by nature)."""
        with psycopg.connect(fresh_db) as conn:
            return {table: conn.execute(
                f"select person_key, {controlled}, {column} from quality__candidate.{table} "
                "where period_date = '2026-02-01' order by 1").fetchall()
                for table, controlled in (
                    ("indicator_managed_patients", "latest_controlled"),
                    ("managed_chronic_admission_rate__denominator", "null"))}

    def followup(patient: str, flag: str, sbp: str, updated: str) -> dict:
        return {"record_id": f"f{patient}", "id_number": ids[patient],
                "disease": "hypertension", "followup_date": "2026-02-20", "sbp": sbp,
                "dbp": "80", "updated_at": updated, "change_flag": flag}

    with psycopg.connect(fresh_db) as conn:
        _register(conn, ids)
        _load(conn, "encounters", [  # February and March have data: two months measured
            {**_encounter("e1", "1", "2026-03-01 09:00"), "start_time": "2026-02-20 08:00:00"},
            _encounter("e2", "1", "2026-03-01 09:00")], NIGHT, batch=1)
        _load(conn, "chronic_followups", [followup(p, "1", "130", "2026-03-01 09:00")
                                          for p in ids], NIGHT, batch=1)
        conn.commit()
    build([], "n1")
    first = february("batch_id")
    assert [len(rows) for rows in first.values()] == [3, 3], first
    night2 = NIGHT + dt.timedelta(days=1)
    with psycopg.connect(fresh_db) as conn:
        _load(conn, "chronic_followups", [followup("p1", "2", "150", "2026-03-02 09:00"),
                                          followup("p2", "3", "130", "2026-03-02 09:00"),
                                          {**followup("p3", "1", "150", "2026-03-02 09:00"),
                                           "record_id": "fp3-march",
                                           "followup_date": "2026-03-02"}],
              night2, batch=2)
        _load(conn, "encounters", [_encounter("e3", "1", "2026-03-02 09:00")], night2,
              batch=2)
        conn.commit()
    build([], "n2")
    incremental = february("batch_id")
    build(["--full-refresh"], "full2")
    assert {t: [r[:2] for r in rows] for t, rows in incremental.items()} == \
        {t: [r[:2] for r in rows] for t, rows in february("null").items()}
    managed = incremental["indicator_managed_patients"]
    assert len(managed) == 2 and len(incremental[
        "managed_chronic_admission_rate__denominator"]) == 2, incremental
    # p1 rewritten, no longer controlled; p3 kept as the first night wrote it (a changed
    # person: their new March follow-up does not change February's figures)
    assert sorted((controlled, batch) for _, controlled, batch in managed) == \
        [(False, 2), (True, 1)], managed
    # night 3: a follow-up of p3 dated March 1 arrives late. It is inside March's window on
    # both measuring days (no slide finds it) and changes no closed month: p3 is measured
    # again in March only, p1 (whose settled follow-up changed the night before) in every
    # month; March equals a full rebuild's.
    night3 = NIGHT + dt.timedelta(days=2)
    with psycopg.connect(fresh_db) as conn:
        _load(conn, "chronic_followups", [{**followup("p3", "1", "135", "2026-03-03 09:00"),
                                           "record_id": "fp3-late",
                                           "followup_date": "2026-03-01"}], night3, batch=3)
        _load(conn, "encounters", [_encounter("e4", "1", "2026-03-03 09:00")], night3,
              batch=3)
        conn.commit()
    build([], "n3")
    changed = _changes(fresh_db, ids)
    assert changed["p3"] == {"followups": 3, "settled_followups": 1}, changed
    assert changed["p1"]["settled_followups"] == 2, changed
    incremental = _months(fresh_db)
    build(["--full-refresh"], "full3")
    assert incremental == _months(fresh_db)
    assert ("2026-03-01", _person_keys(fresh_db, ids)["p3"], 3, False) in \
        incremental["indicator_managed_patients"], incremental


def test_a_months_first_night_takes_only_the_closed_months_followups_as_settled(
        fresh_db, tmp_path: Path):
    """On the first night of a month the closed months grow by one, and a follow-up still
    changes them only if it is dated before the new month: February 27 and 28, then March 1.
    p2's follow-up of February 28 arrives on time (the running month's, measured then); on
    March 1 p1's follow-up of February 25 arrives late (February is closed now: p1 is
    measured again in every month) and p3's of March 1 (the running month only). Both
    tables equal a full rebuild of the same batches."""
    selection = ["--select", "+managed_chronic_admission_rate__denominator",
                 "--indirect-selection", "cautious"]
    ids = {p: make_id_number("370322", dt.date(1950, 6, n), 3)
           for n, p in ((1, "p1"), (2, "p2"), (3, "p3"))}
    nights = [dt.date(2026, 2, 27), dt.date(2026, 2, 28), dt.date(2026, 3, 1)]

    def build(args: list[str], n: str) -> None:
        done = run_dbt(["build", *args, *selection], fresh_db, tmp_path / n)
        assert done.returncode == 0, done.stdout[-4000:]

    def followup(patient: str, record: str, day: str, sbp: str, night: dt.date) -> dict:
        return {"record_id": record, "id_number": ids[patient], "disease": "hypertension",
                "followup_date": day, "sbp": sbp, "dbp": "80",
                "updated_at": f"{night} 09:00", "change_flag": "1"}

    deliveries = [  # per night: follow-ups, and a visit that day (the month has data)
        [followup(p, f"f{p}", "2026-02-20", "130", nights[0]) for p in ids],
        [followup("p2", "fp2-28", "2026-02-28", "135", nights[1])],
        [followup("p1", "fp1-late", "2026-02-25", "150", nights[2]),
         followup("p3", "fp3-march", "2026-03-01", "150", nights[2])]]
    for n, (night, followups) in enumerate(zip(nights, deliveries, strict=True), start=1):
        with psycopg.connect(fresh_db) as conn:
            if n == 1:
                _register(conn, ids, night=night)
            _load(conn, "chronic_followups", followups, night, batch=n)
            _load(conn, "encounters", [{**_encounter(f"e{n}", "1", f"{night} 09:00"),
                                        "start_time": f"{night} 08:00:00"}], night, batch=n)
            conn.commit()
        build([], f"n{n}")
    changed = _changes(fresh_db, ids)
    assert changed == {"p1": {"followups": 3, "settled_followups": 3},
                       "p2": {"followups": 2, "settled_followups": 1},
                       "p3": {"followups": 3, "settled_followups": 1}}, changed
    incremental = _months(fresh_db)
    build(["--full-refresh"], "full")
    assert incremental == _months(fresh_db)
    p1 = _person_keys(fresh_db, ids)["p1"]
    assert ("2026-02-01", p1, 2, False) in incremental["indicator_managed_patients"]


def test_the_running_month_slides_with_the_followup_window(fresh_db, tmp_path: Path):
    """The running month's managed patients are not measured again when its measuring day
    moves: only the people with a follow-up entering or leaving the twelve-month window are
    rewritten. March is measured as of March 1, then March 2, with nothing of the three
    patients changing: p1's only follow-up (2025-03-02) leaves the window, p3's (dated
    March 2, sent early) enters it, and p2's row is kept as the first night wrote it, its
    figures the same on the new day. Both tables equal a full rebuild but for the day the
    kept row was measured as of."""
    selection = ["--select", "+managed_chronic_admission_rate__denominator",
                 "--indirect-selection", "cautious"]
    ids = {p: make_id_number("370322", dt.date(1950, 6, n), 3)
           for n, p in ((1, "p1"), (2, "p2"), (3, "p3"))}
    dates = {"p1": "2025-03-02", "p2": "2025-06-01", "p3": "2026-03-02"}

    def build(args: list[str], n: str) -> None:
        done = run_dbt(["build", *args, *selection], fresh_db, tmp_path / n)
        assert done.returncode == 0, done.stdout[-4000:]

    def march() -> dict[str, dict[str, tuple]]:
        """Each table's March rows by patient: (followups_12m or null, as_of_date,
        batch_id)."""
        names = {key: p for p, key in _person_keys(fresh_db, ids).items()}
        with psycopg.connect(fresh_db) as conn:
            return {table: {names[person]: tuple(rest) for person, *rest in conn.execute(
                f"select person_key, {count}, as_of_date::text, batch_id "
                f"from quality__candidate.{table} where period_date = '2026-03-01'")}
                for table, count in (
                    ("indicator_managed_patients", "followups_12m"),
                    ("managed_chronic_admission_rate__denominator", "null"))}

    with psycopg.connect(fresh_db) as conn:
        _register(conn, ids)
        _load(conn, "encounters", [_encounter("e1", "1", "2026-03-01 09:00")], NIGHT, batch=1)
        _load(conn, "chronic_followups", [
            {"record_id": f"f{p}", "id_number": ids[p], "disease": "hypertension",
             "followup_date": dates[p], "sbp": "130", "dbp": "80",
             "updated_at": "2026-03-01 09:00", "change_flag": "1"} for p in ids],
              NIGHT, batch=1)
        conn.commit()
    build([], "n1")
    assert {t: sorted(rows) for t, rows in march().items()} == {
        "indicator_managed_patients": ["p1", "p2"],
        "managed_chronic_admission_rate__denominator": ["p1", "p2"]}
    _measuring_day_moves(fresh_db)
    build([], "n2")
    slid = march()
    assert slid == {"indicator_managed_patients": {
                        "p2": (1, "2026-03-01", 1), "p3": (1, "2026-03-02", 2)},
                    "managed_chronic_admission_rate__denominator": {
                        "p2": (None, "2026-03-01", 1), "p3": (None, "2026-03-02", 2)}}, slid
    build(["--full-refresh"], "full2")
    rebuilt = march()
    assert {t: {p: row[0] for p, row in rows.items()} for t, rows in rebuilt.items()} == \
        {t: {p: row[0] for p, row in rows.items()} for t, rows in slid.items()}
    assert {row[1] for rows in rebuilt.values() for row in rows.values()} == {"2026-03-02"}


def _changes(url: str, ids: dict[str, str]) -> dict[str, dict[str, int]]:
    """Per patient, the batches at which int_indicator_people last saw their follow-ups
    change, and those dated before the newest night's month."""
    names = {key: p for p, key in _person_keys(url, ids).items()}
    with psycopg.connect(url) as conn:
        return {names[person]: {"followups": every, "settled_followups": settled}
                for person, every, settled in conn.execute(
                    "select person_key, followups_changed_batch_id, "
                    "settled_followups_changed_batch_id "
                    "from chw_intermediate.int_indicator_people")}


def _months(url: str) -> dict[str, list[tuple]]:
    """Every row of the managed-patient tables as (month, person, followups_12m or null,
    controlled or null), in order."""
    with psycopg.connect(url) as conn:
        return {table: conn.execute(
            f"select period_date::text, person_key, {figures} "
            f"from quality__candidate.{table} order by 1, 2").fetchall()
            for table, figures in (
                ("indicator_managed_patients", "followups_12m, latest_controlled"),
                ("managed_chronic_admission_rate__denominator", "null, null"))}


def _person_keys(url: str, ids: dict[str, str]) -> dict[str, str]:
    """The person key the EMPI gave each patient (by their ID number)."""
    with psycopg.connect(url) as conn:
        keys = dict(conn.execute(
            "select id_number_18, person_key from chw_intermediate.int_person_by_id_number"))
    return {p: keys[id_number] for p, id_number in ids.items()}


def test_the_residents_running_month_slides_with_birthdays_and_contracts(fresh_db,
                                                                         tmp_path: Path):
    """The contracted residents' running month moves the same way: measured as of March 1,
    then March 2, with nothing of the residents changing, only those whose row reads
    differently on the new day are measured: r1 turns 65 (a priority resident now), r2's
    contract ended on March 1, r3's starts on March 2 (sent early), r5 is born on March 2
    (a baby is a priority resident). r4, 70 years old, keeps the row the first night wrote.
    The table equals a full rebuild but for the day the kept row was measured as of."""
    selection = ["--select", "+indicator_contracted_residents",
                 "--indirect-selection", "cautious"]
    births = {"r1": dt.date(1961, 3, 2), "r2": dt.date(1986, 5, 1), "r3": dt.date(1986, 5, 2),
              "r4": dt.date(1956, 1, 1), "r5": dt.date(2026, 3, 2)}
    ids = {r: make_id_number("370322", born, n) for n, (r, born) in enumerate(births.items())}
    contracts = {"r2": ("2025-03-01", "2026-03-01"), "r3": ("2026-03-02", "2027-03-01")}

    def build(args: list[str], n: str) -> None:
        done = run_dbt(["build", *args, *selection], fresh_db, tmp_path / n)
        assert done.returncode == 0, done.stdout[-4000:]

    def march() -> dict[str, tuple]:
        """March rows by resident: (is_contracted, is_priority, as_of_date, batch_id)."""
        names = {key: r for r, key in _person_keys(fresh_db, ids).items()}
        with psycopg.connect(fresh_db) as conn:
            return {names[person]: tuple(rest) for person, *rest in conn.execute(
                "select person_key, is_contracted, is_priority, as_of_date::text, batch_id "
                "from quality__candidate.indicator_contracted_residents "
                "where period_date = '2026-03-01'")}

    with psycopg.connect(fresh_db) as conn:
        _register(conn, ids, births)
        _load(conn, "encounters", [_encounter("e1", "1", "2026-03-01 09:00")], NIGHT, batch=1)
        _load(conn, "family_doctor_contracts", [
            {"record_id": f"c{r}", "id_number": ids[r], "team_code": "T1",
             "township_code": "370322101", "signed_date": signed, "end_date": ended,
             "updated_at": "2026-03-01 09:00", "change_flag": "1"}
            for r, (signed, ended) in contracts.items()], NIGHT, batch=1)
        conn.commit()
    build([], "n1")
    assert march() == {"r2": (True, False, "2026-03-01", 1),
                       "r4": (False, True, "2026-03-01", 1)}, march()
    _measuring_day_moves(fresh_db)
    build([], "n2")
    slid = march()
    assert slid == {"r1": (False, True, "2026-03-02", 2), "r3": (True, False, "2026-03-02", 2),
                    "r4": (False, True, "2026-03-01", 1), "r5": (False, True, "2026-03-02", 2)}, \
        slid
    build(["--full-refresh"], "full2")
    rebuilt = march()
    assert {r: row[:2] for r, row in rebuilt.items()} == {r: row[:2] for r, row in slid.items()}
    assert {row[2] for row in rebuilt.values()} == {"2026-03-02"}


def _register(conn: psycopg.Connection, ids: dict[str, str],
              births: dict[str, dt.date] | None = None, night: dt.date = NIGHT) -> None:
    """The schema, township centre T1 and one registration there per patient (ID number
    `ids[p]`, born `births[p]` or on 1950-06-01), as batch 1 of `night`."""
    ensure_schema(conn)
    conn.execute("insert into ingest.facilities values ('T1', 't', 'township_center', "
                 "'370322101', 'csv', true, '370322')")
    _load(conn, "patients", [{"record_id": p, "id_type": "01", "id_number": ids[p],
                              "name": "王五", "sex": "1",
                              "birth_date": str((births or {}).get(p, "1950-06-01")),
                              "address_code": "370322101001",
                              "updated_at": f"{night} 08:00", "change_flag": "1"}
                             for p in ids], night, batch=1)


def _measuring_day_moves(url: str) -> None:
    """Batch 2, the night after NIGHT: only a visit on March 2, which moves March's
    measuring day a day on and changes nobody's indicator inputs."""
    with psycopg.connect(url) as conn:
        _load(conn, "encounters", [{**_encounter("e2", "1", "2026-03-02 09:00"),
                                    "start_time": "2026-03-02 08:00:00"}],
              NIGHT + dt.timedelta(days=1), batch=2)
        conn.commit()
