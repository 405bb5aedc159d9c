"""Er7Message gives python-hl7's answers: every value the HL7 reader asks for, and the reader's
whole output, are the same read either way (python-hl7 is the oracle: it stays installed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import hl7
from hypothesis import given, settings
from hypothesis import strategies as st

from countyhealth.config import Facility
from countyhealth.ingest.hl7_message import Er7Message
from countyhealth.ingest.hl7_reader import Hl7Reader
from countyhealth.synth import hl7 as hl7_writer
from countyhealth.synth.county import SynthFacility

from ..scratch import scratch_file

FACILITY = Facility(code="F1", name="f", level="county_hospital", format="hl7v2")
SEGMENTS = ("PID", "PV1", "DG1", "OBX", "OBR", "EVN")


def _value(msg, *path) -> str | None:
    """What the reader's `_f` makes of one extract_field."""
    try:
        return str(msg.extract_field(*path)).strip() or None
    except (KeyError, IndexError):
        return None


@st.composite
def messages(draw) -> str:
    """A message with its own delimiters (HL7's defaults or others, all four or fewer
    declared) and fields full of repetitions, components, subcomponents and escapes."""
    delimiters = draw(st.sampled_from(["|^~\\&", "|^~\\&", "#!*$%", "|^~\\", "|^"]))
    field_sep, encoding = delimiters[0], delimiters[1:]
    specials = list(delimiters) + ["\\F\\", "\\S\\", "\\T\\", "\\R\\", "\\E\\", "\\X41\\",
                                   "\\.br\\", "\\H\\", "\\N\\"]
    atom = st.one_of(st.text(st.sampled_from("AB12 中文-."), max_size=4),
                     st.sampled_from(specials))
    field = st.lists(atom, max_size=6).map("".join)
    segment = st.tuples(st.sampled_from(SEGMENTS), st.lists(field, max_size=30)).map(
        lambda s: field_sep.join([s[0], *s[1]]))
    header = field_sep.join(["MSH" + field_sep + encoding, "APP", "FAC", "", "",
                             draw(field), "", draw(st.sampled_from(["ADT^A01", "ORU^R01",
                                                                    "ADT", "X^Y"])),
                             draw(field)])
    return "\r".join([header, *draw(st.lists(segment, max_size=8))])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=messages(), data=st.data())
def test_every_value_is_python_hl7s(text, data):
    ours, theirs = Er7Message(text), hl7.parse(text)
    for _ in range(25):
        segment = data.draw(st.sampled_from(("MSH", *SEGMENTS)))
        path = (segment, data.draw(st.integers(1, 3)), data.draw(st.integers(1, 32)),
                data.draw(st.integers(1, 3)), data.draw(st.integers(1, 4)),
                data.draw(st.integers(1, 3)))
        assert _value(ours, *path) == _value(theirs, *path), path
    for segment in SEGMENTS:
        assert _value(ours, segment, 1, 1) == _value(theirs, segment, 1, 1)


def _items(path: Path, parse) -> list[tuple]:
    return [(i.position, i.table, i.values, i.original, i.reject_code)
            for i in Hl7Reader(parse).read(path, kind="messages", facility=FACILITY)]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(texts=st.lists(messages(), min_size=1, max_size=4))
def test_the_reader_reads_the_same_either_way(texts):
    path = scratch_file("\r".join(texts).encode(), ".hl7")
    assert _items(path, Er7Message) == _items(path, hl7.parse)


def test_a_generated_county_hospital_night_reads_the_same_either_way():
    f = SynthFacility("F1", "f", "county_hospital", None, "hl7v2", "pinyin", "utf-8")
    when = dt.datetime(2026, 3, 1, 8, 30)
    patients, encounters = {}, []
    for n in range(200):
        local = f"P{n}"
        patients[local] = {
            "record_id": local, "_facility": "F1", "id_number": "11010519491231002X",
            "name": ["王^小明", "李|四", "Zhang\\San", "O~Brien&Co"][n % 4], "sex": "2",
            "birth_date": dt.date(1949, 12, 31), "phone": "138" + str(n).zfill(8),
            "address_code": "110105001001", "death_date": None}
        encounters.append({
            "record_id": f"V{n}", "patient_id": local,
            "encounter_class": ("outpatient", "inpatient", "emergency")[n % 3],
            "department": "内科^一病区" if n % 5 == 0 else "外科", "start_time": when,
            "end_time": when if n % 3 == 1 else None, "disposition": None,
            "total_cost": 12.5 + n, "updated_at": when, "change_flag": "1"})
    out = hl7_writer.adt_batch(f, when.date(), encounters, patients, [])
    path = scratch_file(out.data, ".hl7")
    ours = _items(path, Er7Message)
    assert len(ours) >= 400  # a patient and an encounter per message
    assert ours == _items(path, hl7.parse)
