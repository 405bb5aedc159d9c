"""The edge rules of the indicators, pinned on a handful of hand-made records whose right
answers are worked out by hand below: deaths, transfers between facilities, readmission
across facilities through the EMPI, care outside the county, pharmacy and out-of-area
settlements, missing readings, cancelled encounters, expired contracts. Real dbt on the
real PostgreSQL.

Five residents of township 370322101 (A 75, B 46 and dead on 2026-04-10, C 3, D 36, E 56);
March is delivered on the night of 03-31, April (and two cancellations) on 04-30, so March
is measured on 03-31 and April on 04-30.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from countyhealth.dbt_group import run_dbt
from countyhealth.identity import make_id_number
from countyhealth.ingest.loader import ensure_schema

from ..raw_rows import load_rows

MARCH, APRIL = dt.date(2026, 3, 31), dt.date(2026, 4, 30)
ADDRESS = "370322101001"
PEOPLE = {  # who: (birth date, ID sequence)
    "A": (dt.date(1950, 5, 1), 11), "B": (dt.date(1980, 1, 1), 21),
    "C": (dt.date(2022, 6, 1), 31), "D": (dt.date(1990, 1, 1), 41),
    "E": (dt.date(1970, 1, 1), 51),
}
ID = {who: make_id_number("370322", born, seq) for who, (born, seq) in PEOPLE.items()}
FACILITIES = [("H1", "county_hospital", None, False), ("H2", "tcm_hospital", None, False),
              ("T1", "township_center", "370322101", True),
              ("V1", "village_clinic", "370322101", True),
              ("PH", "public_health", None, False), ("INS", "insurance", None, False)]


def _patient(who: str, facility: str, updated: str, death: str | None = None,
             flag: str = "1") -> dict:
    return {"record_id": f"{facility}-{who}", "id_type": "01", "id_number": ID[who],
            "name": f"患者{who}", "sex": "1", "birth_date": PEOPLE[who][0].isoformat(),
            "address_code": ADDRESS, "death_date": death, "updated_at": updated,
            "change_flag": flag}


def _stay(record: str, who: str, facility: str, start: str, end: str | None,
          disposition: str | None, cost: str, flag: str = "1", cls: str = "inpatient",
          department: str = "内科") -> dict:
    return {"record_id": record, "patient_id": f"{facility}-{who}", "encounter_class": cls,
            "department": department, "start_time": start, "end_time": end,
            "disposition": disposition, "total_cost": cost,
            "updated_at": end or start, "change_flag": flag}


def _visit(record: str, who: str, facility: str, day: str, department: str = "全科",
           cls: str = "outpatient", flag: str = "1") -> dict:
    return _stay(record, who, facility, f"{day} 09:00:00", None, None, "50", flag, cls,
                 department)


def _lab(record: str, who: str, facility: str, encounter: str, code: str, when: str,
         value: str | None = "6.1") -> dict:
    return {"record_id": record, "encounter_id": encounter, "patient_id": f"{facility}-{who}",
            "test_code": code, "value": value, "collected_at": when, "updated_at": when,
            "change_flag": "1"}


def _settlement(record: str, who: str, facility: str, inside: str, visit_type: str,
                admitted: str, fund: str, area: str = "370322") -> dict:
    return {"record_id": record, "id_number": ID[who], "insured_area": area,
            "facility_code": facility, "in_county": inside, "visit_type": visit_type,
            "admit_date": admitted, "total_cost": str(float(fund) * 1.5), "fund_paid": fund,
            "updated_at": f"{admitted} 20:00:00", "change_flag": "1"}


def _followup(record: str, who: str, disease: str, day: str, sbp: str | None = None,
              dbp: str | None = None, glucose: str | None = None) -> dict:
    return {"record_id": record, "id_number": ID[who], "disease": disease,
            "followup_date": day, "sbp": sbp, "dbp": dbp, "fasting_glucose": glucose,
            "managing_facility": "V1", "updated_at": f"{day} 12:00:00", "change_flag": "1"}


def _contract(record: str, who: str, signed: str, ends: str) -> dict:
    return {"record_id": record, "id_number": ID[who], "township_code": "370322101",
            "signed_date": signed, "end_date": ends, "updated_at": f"{signed} 10:00:00",
            "change_flag": "1"}


def _deliver(conn: psycopg.Connection) -> None:
    load = load_rows
    for who in "ABCDE":
        load(conn, "patients", [_patient(who, "PH", "2026-01-01 01:00:00")], MARCH, 1, "PH")
    load(conn, "patients", [_patient("A", "H1", "2026-01-01 01:00:00"),
                            _patient("B", "H1", "2026-01-01 01:00:00")], MARCH, 1, "H1")
    load(conn, "patients", [_patient("A", "H2", "2026-01-01 01:00:00"),
                            _patient("E", "H2", "2026-01-01 01:00:00")], MARCH, 1, "H2")
    load(conn, "patients", [_patient("A", "T1", "2026-01-01 01:00:00"),
                            _patient("D", "T1", "2026-01-01 01:00:00")], MARCH, 1, "T1")
    load(conn, "patients", [_patient("C", "V1", "2026-01-01 01:00:00")], MARCH, 1, "V1")
    # A: H1, transferred the same day to the TCM hospital H2, home, back at H1 ten days
    # later; B: H1, re-admitted (an admission cancelled later), then dies in H1 in April
    load(conn, "encounters", [
        _stay("a1", "A", "H1", "2026-03-01 08:00:00", "2026-03-05 10:00:00", "1", "10000"),
        _stay("a3", "A", "H1", "2026-03-20 08:00:00", "2026-03-25 10:00:00", "1", "6000"),
        _stay("b1", "B", "H1", "2026-03-02 08:00:00", "2026-03-06 10:00:00", "1", "5000"),
        _stay("b2", "B", "H1", "2026-03-15 08:00:00", None, None, "3000"),
        _visit("v5", "B", "H1", "2026-03-06", "急诊科", "emergency")], MARCH, 1, "H1")
    load(conn, "encounters", [
        _stay("a2", "A", "H2", "2026-03-05 14:00:00", "2026-03-10 09:00:00", "1", "8000"),
        _visit("v6", "E", "H2", "2026-03-07", "针灸科")], MARCH, 1, "H2")
    load(conn, "encounters", [_visit("v1", "A", "T1", "2026-03-03"),
                              _visit("v2", "D", "T1", "2026-03-04", "中医科"),
                              _visit("v3", "D", "T1", "2026-03-04")], MARCH, 1, "T1")
    load(conn, "encounters", [_visit("v4", "C", "V1", "2026-03-05")], MARCH, 1, "V1")
    load(conn, "lab_results", [_lab("l1", "A", "H1", "a1", "GLU", "2026-03-01 09:00:00")],
         MARCH, 1, "H1")
    load(conn, "lab_results", [_lab("l2", "E", "H2", "v6", "GLU", "2026-03-07 09:00:00",
                                    None)], MARCH, 1, "H2")
    load(conn, "lab_results", [_lab("l3", "A", "T1", "v1", "XT01", "2026-03-03 09:00:00"),
                               _lab("l4", "D", "T1", "v2", "XT01", "2026-03-04 09:00:00"),
                               _lab("l5", "D", "T1", "v3", "XT01", "2026-03-04 10:00:00")],
         MARCH, 1, "T1")
    load(conn, "referrals", [
        {"record_id": "z1", "patient_id": "T1-A", "from_facility": "T1", "to_facility": "H1",
         "referred_at": "2026-03-03 10:00:00", "updated_at": "2026-03-03 10:00:00",
         "change_flag": "1"}], MARCH, 1, "T1")
    load(conn, "referrals", [
        {"record_id": "z2", "patient_id": "H1-A", "from_facility": "H1", "to_facility": "T1",
         "referred_at": "2026-03-25 10:00:00", "updated_at": "2026-03-25 10:00:00",
         "change_flag": "1"}], MARCH, 1, "H1")
    load(conn, "insurance_settlements", [
        _settlement("s1", "A", "H1", "1", "21", "2026-03-01", "7000"),
        _settlement("s2", "D", "X001", "0", "21", "2026-03-12", "20000"),
        _settlement("s3", "C", "V1", "1", "11", "2026-03-05", "30"),
        _settlement("s4", "E", "P01", "1", "41", "2026-03-08", "80"),  # pharmacy
        _settlement("s5", "D", "T1", "1", "11", "2026-03-09", "40", area="370303"),
        _settlement("s6", "D", "X002", "0", "11", "2026-03-20", "100")], MARCH, 1, "INS")
    load(conn, "chronic_followups", [
        _followup("f1", "A", "hypertension", "2026-02-15", "130", "80"),
        _followup("f2", "E", "hypertension", "2025-06-01", "150", "95"),
        _followup("f3", "E", "hypertension", "2025-09-01", "135", "85"),
        _followup("f4", "E", "hypertension", "2025-12-01", "132", "84"),
        _followup("f5", "E", "hypertension", "2026-03-01"),  # came, nothing measured
        _followup("f6", "E", "diabetes", "2026-03-10", "128", "82")], MARCH, 1, "PH")
    load(conn, "family_doctor_contracts", [
        _contract("c1", "A", "2025-06-01", "2026-05-31"),
        _contract("c2", "B", "2025-01-01", "2025-12-31"),  # expired
        _contract("c3", "C", "2026-04-15", "2027-04-14")], MARCH, 1, "PH")
    # April: B dies in H1; A back in H1 (its 30 days not over on 04-30); v3 and b2 cancelled
    load(conn, "patients", [_patient("B", "PH", "2026-04-10 20:00:00", "2026-04-10", "2")],
         APRIL, 2, "PH")
    load(conn, "encounters", [
        _stay("b3", "B", "H1", "2026-04-07 08:00:00", "2026-04-10 06:00:00", "5", "20000"),
        _stay("a4", "A", "H1", "2026-04-26 08:00:00", "2026-04-28 10:00:00", "1", "4000"),
        _stay("b2", "B", "H1", "2026-03-15 08:00:00", None, None, "3000", flag="3")],
        APRIL, 2, "H1")
    load(conn, "encounters", [_visit("v3", "D", "T1", "2026-03-04", flag="3")], APRIL, 2, "T1")


@pytest.fixture(scope="module")
def summary(server_url, tmp_path_factory) -> tuple[dict, dict, str]:
    from ..databases import create_database

    url = create_database(server_url)
    with psycopg.connect(url) as conn:
        ensure_schema(conn)
        with conn.cursor().copy(
                "copy ingest.facilities (facility_code, facility_name, facility_level, "
                "township_code, source_format, is_primary_care, county_code) from stdin") as copy:
            for code, level, township, primary in FACILITIES:
                copy.write_row((code, code, level, township, "csv", primary, "370322"))
        _deliver(conn)
        conn.commit()
    work: Path = tmp_path_factory.mktemp("rules")
    done = run_dbt(["build", "--select", "+indicator_summary"], url, work)
    assert done.returncode == 0, done.stdout[-5000:]
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select indicator_id, period_start, breakdown, breakdown_value, numerator, "
            "denominator, value from quality__candidate.indicator_summary "
            "where period_grain = 'month'").fetchall()
        exclusions = dict(conn.execute(
            "select e.encounter_source_id, x.reason "
            "from quality__candidate.readmission_30d__exclusions x "
            "join chw_intermediate.int_encounters__latest e on e.record_key = x.subject_key"))
    county = {(i, p.month): (n, d) for i, p, b, _, n, d, _ in rows if b == "county"}
    by = {(i, p.month, b, v): (n, d) for i, p, b, v, n, d, _ in rows if b != "county"}
    return county, by, exclusions


def _q(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


EXPECTED = {  # (indicator, month): (numerator, denominator), worked out in the docstring's
    # story: see each comment
    # visits v1 v2 v4 v5 v6 (v3 cancelled); primary: v1 v2 (T1), v4 (V1)
    ("primary_care_visit_share", 3): (3, 5),
    # v2 in T1's 中医科, v6 at the TCM hospital (针灸科)
    ("tcm_visit_share", 3): (2, 5),
    # county insured, pharmacy (s4) and insured elsewhere (s5) out: s1 s3 inside, s2 s6 out
    ("in_county_care_rate", 3): (2, 4),
    ("in_county_admission_share", 3): (1, 2),
    ("fund_in_county_share", 3): (7030, 27130),
    ("fund_primary_care_share", 3): (30, 7030),
    # admissions by their start: a1 a2 a3 b1 in March (b2 cancelled), b3 a4 in April
    ("inpatient_cost_per_admission", 3): (29000, 4),
    ("inpatient_cost_per_admission", 4): (24000, 2),
    ("upward_referrals", 3): (1, None),
    ("downward_referrals", 3): (1, None),
    ("upward_referral_share", 3): (1, 3),
    # index discharges in March: a2 (A back in H1 on 03-20: readmitted), a3, b1 (its
    # readmission b2 was cancelled); a1 transferred, b3 died, a4 still in its window
    ("readmission_30d", 3): (1, 3),
    # managed: A (hypertension), E (hypertension, diabetes); A admitted both months
    ("managed_chronic_admission_rate", 3): (1, 2),
    ("managed_chronic_admission_rate", 4): (1, 2),
    # adults alive: A B D E in March (x 0.275), A D E in April; B died 04-10
    ("hypertension_management_rate", 3): (2, 1.1),
    ("hypertension_management_rate", 4): (2, 0.825),
    # E: four follow-ups within the twelve months to 03-31 and to 04-30
    ("hypertension_standardised_management_rate", 3): (1, 2),
    ("hypertension_standardised_management_rate", 4): (1, 2),
    # A's last reading 130/80; E's last follow-up measured nothing: not controlled
    ("hypertension_control_rate", 3): (1, 2),
    ("hypertension_control_rate", 4): (1, 2),
    ("diabetes_management_rate", 3): (1, 4 * 0.112),
    ("diabetes_management_rate", 4): (1, 3 * 0.112),
    ("diabetes_standardised_management_rate", 3): (0, 1),
    ("diabetes_standardised_management_rate", 4): (0, 1),
    ("diabetes_control_rate", 3): (0, 1),  # no glucose measured
    ("diabetes_control_rate", 4): (0, 1),
    # residents: 5 in March, 4 in April (B dead); A's contract in force, B's expired,
    # C's signed 04-15
    ("family_doctor_contract_rate", 3): (1, 5),
    ("family_doctor_contract_rate", 4): (2, 4),
    # priority: A (75), C (3), E (known hypertension); B and D are not
    ("priority_contract_rate", 3): (1, 3),
    ("priority_contract_rate", 4): (2, 3),
    # a1 a2 a3 b1 in the county and s2 outside, for 5 residents; b3 a4 for 4
    ("hospitalisation_rate", 3): (5, 5),
    ("hospitalisation_rate", 4): (2, 4),
    # A's glucose at H1 (03-01) repeated at T1 (03-03); D's at T1 once (v3's went with v3);
    # E's result without a value still a result
    ("repeat_test_rate", 3): (1, 4),
}


@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda k: f"{k[0]}-{k[1]}")
def test_indicator_matches_the_hand_computed_answer(summary, key):
    county, _, _ = summary
    num, den = EXPECTED[key]
    assert key in county, f"{key} not published"
    got_num, got_den = county[key]
    assert got_num == pytest.approx(_q(num)) and \
        (got_den is None if den is None else got_den == pytest.approx(_q(den)))


def test_nothing_is_published_that_was_not_worked_out(summary):
    """April has no visits, settlements, referrals or results, and no index discharge (b3
    died, a4's window is open): no rows for them, rather than rows of zeros."""
    county, _, _ = summary
    assert set(county) == set(EXPECTED)


def test_readmission_exclusions_name_their_reason(summary):
    _, _, exclusions = summary
    assert exclusions == {"a1": "transferred", "b3": "died", "a4": "window_open"}


def test_breakdowns_place_rows_by_facility_township_and_level(summary):
    _, by, _ = summary
    share = {k[3]: v for k, v in by.items() if k[0] == "primary_care_visit_share"
             and k[2] == "facility"}
    assert share == {"T1": (2, 2), "V1": (1, 1), "H1": (0, 1), "H2": (0, 1)}
    levels = {k[3]: v for k, v in by.items() if k[0] == "readmission_30d" and k[2] == "level"}
    assert levels == {"tcm_hospital": (1, 1), "county_hospital": (0, 2)}
    # out-of-county care has no county facility: placed only by the resident's township
    care = {(k[2], k[3]): v for k, v in by.items() if k[0] == "in_county_care_rate"}
    assert care[("township", "370322101")] == (2, 4)
    assert care[("facility", "H1")] == (1, 1) and ("facility", "X001") not in care
