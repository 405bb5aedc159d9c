import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from countyhealth.config import Facility
from countyhealth.ingest import rows
from countyhealth.ingest.csv_reader import CsvReader, detect_encoding
from countyhealth.ingest.readers import FileRejected
from countyhealth.ingest.rows import check_row, parse_when
from countyhealth.ingest.tables import TABLES

CHINESE_HEADERS = {"record_id": "就诊流水号", "patient_id": "病人ID", "encounter_class": "就诊类型",
                   "start_time": "就诊时间", "updated_at": "更新时间", "change_flag": "变更标志"}


def _facility(**kw) -> Facility:
    return Facility(code="T001", name="镇卫生院", level="township_center", format="csv", **kw)


def test_gbk_without_bom_is_detected_and_headers_mapped(tmp_path: Path):
    text = ("就诊流水号,病人ID,就诊类型,就诊时间,更新时间,变更标志\r\n"
            "E1,P1,门诊,2026/3/1 8:05,2026/3/1 9:00,1\r\n")
    path = tmp_path / "encounters.csv"
    path.write_bytes(text.encode("gbk"))
    assert detect_encoding(path) == "gb18030"
    reader = CsvReader()
    items = list(reader.read(path, kind="encounters",
                             facility=_facility(columns={"encounters": CHINESE_HEADERS})))
    assert reader.detected_encoding == "gb18030"
    assert len(items) == 1 and items[0].values["encounter_class"] == "门诊"
    assert items[0].position == 2


def test_utf8_bom_and_plain_utf8(tmp_path: Path):
    p = tmp_path / "a.csv"
    p.write_bytes("\ufeffrecord_id\r\n".encode())
    assert detect_encoding(p) == "utf-8-sig"
    p.write_bytes("record_id,姓名\n".encode())
    assert detect_encoding(p) == "utf-8"


def test_bad_rows_become_items_with_reasons(tmp_path: Path):
    p = tmp_path / "e.csv"
    p.write_text("record_id,patient_id,encounter_class,start_time,updated_at,change_flag\n"
                 "E1,P1,outpatient,2026-03-01 08:00,2026-03-01 09:00,1\n"
                 "E2,P1,outpatient\n", encoding="utf-8")
    items = list(CsvReader().read(p, kind="encounters", facility=_facility()))
    assert [i.reject_code for i in items] == [None, "bad_field_count"]
    assert items[1].position == 3 and "E2" in items[1].original


def test_missing_required_column_rejects_the_file_with_a_hint(tmp_path: Path):
    p = tmp_path / "e.csv"
    p.write_text("jzlsh,brid\nE1,P1\n", encoding="utf-8")
    with pytest.raises(FileRejected) as exc:
        list(CsvReader().read(p, kind="encounters", facility=_facility()))
    assert exc.value.code == "missing_columns" and "columns.encounters" in exc.value.message


@pytest.mark.parametrize("text,expected", [
    ("2026-03-01", dt.datetime(2026, 3, 1)),
    ("2026/3/1 8:05", dt.datetime(2026, 3, 1, 8, 5)),
    ("20260301083000", dt.datetime(2026, 3, 1, 8, 30)),
    ("2026年3月1日", dt.datetime(2026, 3, 1)),
    ("2026-03-01 08:30:15", dt.datetime(2026, 3, 1, 8, 30, 15)),
    ("2026-02-30 25:61", None),
    ("yesterday", None),
])
def test_date_spellings(text, expected):
    assert parse_when(text) == expected


def test_row_checks():
    table = TABLES["encounters"]
    night = dt.date(2026, 3, 1)
    ok = {"record_id": "E1", "patient_id": "P1", "encounter_class": "outpatient",
          "start_time": "2026/3/1 8:05", "updated_at": "20260301090000", "change_flag": "2",
          "end_time": "-"}
    row, why = check_row(table, ok, night)
    assert why is None
    values = dict(zip(table.columns, row, strict=True))
    assert values["start_time"] == "2026-03-01 08:05:00" and values["end_time"] is None
    for change, code in [({"change_flag": "4"}, "bad_change_flag"),
                         ({"record_id": " "}, "missing_required"),
                         ({"start_time": "2026-03-05 10:00"}, "future_date"),
                         ({"start_time": "2026-02-30"}, "bad_date")]:
        row, why = check_row(table, {**ok, **change}, night)
        assert row is None and why.code == code


def _compact_spellings(t: dt.datetime) -> st.SearchStrategy[str]:
    day = f"{t.year:04d}{t.month:02d}{t.day:02d}"
    return st.sampled_from([day, f"{day}{t.hour:02d}{t.minute:02d}",
                            f"{day}{t.hour:02d}{t.minute:02d}{t.second:02d}"])


@settings(max_examples=2000, deadline=None)
@given(st.one_of(
    st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31)).flatmap(_compact_spellings),
    *(st.text("0123456789", min_size=n, max_size=n) for n in (8, 12, 14)),
))
def test_compact_dates_read_as_the_pattern_reads_them(text):
    """parse_when slices YYYYMMDD[HHMM[SS]] instead of running the pattern: same answer."""
    assert rows._compact(text) == rows._by_pattern(text)
    assert parse_when(text) == rows._by_pattern(text)
