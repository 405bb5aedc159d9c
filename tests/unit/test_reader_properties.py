"""Property-based tests of every reader: what a sender writes is what the reader gives back,
and no input, however broken, crashes a reader (it yields items or refuses the file)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from countyhealth.config import Facility
from countyhealth.ingest.csv_reader import CsvReader
from countyhealth.ingest.fhir_reader import FhirReader
from countyhealth.ingest.hl7_reader import Hl7Reader
from countyhealth.ingest.readers import FileRejected
from countyhealth.synth import hl7 as hl7_writer
from countyhealth.synth.county import SynthFacility

from ..scratch import scratch_file

FACILITY = Facility(code="F1", name="f", level="village_clinic", format="csv")
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1,
               max_size=40).map(str.strip).filter(bool)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(rows=st.lists(st.tuples(TEXT, TEXT, TEXT), min_size=1, max_size=20),
       encoding=st.sampled_from(["utf-8", "gb18030"]))
def test_csv_round_trip(rows, encoding):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["record_id", "patient_id", "department", "encounter_class", "start_time",
                "updated_at", "change_flag"])
    for rid, pid, dept in rows:
        w.writerow([rid, pid, dept, "outpatient", "2026-03-01 08:00", "2026-03-01 08:00", "1"])
    path = scratch_file(buf.getvalue().encode(encoding), ".csv")
    items = list(CsvReader().read(path, kind="encounters", facility=FACILITY))
    assert [(i.values["record_id"], i.values["patient_id"], i.values["department"])
            for i in items] == rows


@SETTINGS
@given(data=st.binary(max_size=4000))
def test_csv_never_crashes(data):
    path = scratch_file(data, ".csv")
    try:
        items = list(CsvReader().read(path, kind="encounters", facility=FACILITY))
    except FileRejected as exc:
        assert exc.code and exc.message
        return
    assert all(i.values is not None or i.reject_code for i in items)


@SETTINGS
@given(name=TEXT, department=TEXT, local=st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True))
def test_hl7_round_trip_through_escaping(name, department, local):
    f = SynthFacility("F1", "f", "county_hospital", None, "hl7v2", "pinyin", "utf-8")
    when = dt.datetime(2026, 3, 1, 8, 30)
    patient = {"record_id": local, "_facility": "F1", "id_number": "11010519491231002X",
               "name": name, "sex": "2", "birth_date": dt.date(1949, 12, 31), "phone": None,
               "address_code": None, "death_date": None}
    enc = {"record_id": "V1", "patient_id": local, "encounter_class": "outpatient",
           "department": department, "start_time": when, "end_time": None,
           "disposition": None, "total_cost": 12.5, "updated_at": when, "change_flag": "1"}
    out = hl7_writer.adt_batch(f, when.date(), [enc], {local: patient}, [])
    items = list(Hl7Reader().read(scratch_file(out.data, ".hl7"), kind="messages",
                                  facility=FACILITY))
    got = {i.table: i.values for i in items}
    assert got["patients"]["name"] == name and got["patients"]["record_id"] == local
    assert got["encounters"]["department"] == department
    assert got["encounters"]["total_cost"] == "12.5"


@SETTINGS
@given(data=st.binary(max_size=4000))
def test_hl7_never_crashes(data):
    items = list(Hl7Reader().read(scratch_file(b"MSH|^~\\&|" + data, ".hl7"), kind="messages",
                                  facility=FACILITY))
    assert all(i.values is not None or i.reject_code for i in items)


@SETTINGS
@given(name=TEXT, local=st.from_regex(r"[A-Za-z0-9\-.]{1,30}", fullmatch=True))
def test_fhir_round_trip(name, local):
    res = {"resourceType": "Patient", "id": local, "name": [{"text": name}],
           "gender": "female", "meta": {"lastUpdated": "2026-03-01T08:00:00+08:00"}}
    path = scratch_file((json.dumps(res, ensure_ascii=False) + "\n").encode(), ".ndjson")
    items = list(FhirReader().read(path, kind="resources", facility=FACILITY))
    assert len(items) == 1 and items[0].values["name"] == name
    assert items[0].values["record_id"] == local
    assert items[0].values["updated_at"] == "2026-03-01 08:00:00"


@SETTINGS
@given(data=st.binary(max_size=4000), kind=st.sampled_from(["resources", "bundle"]))
def test_fhir_never_crashes(data, kind):
    path = scratch_file(data, ".ndjson" if kind == "resources" else ".json")
    try:
        items = list(FhirReader().read(path, kind=kind, facility=FACILITY))
    except FileRejected as exc:
        assert exc.code
        return
    assert all(i.values is not None or i.reject_code for i in items)
