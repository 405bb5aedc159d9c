"""The synthetic county's structure: its facilities and the county config that describes them.

Each facility level exports the way such facilities really do: the county hospital with
WS 445-style pinyin-initial headers, township centres from Chinese Excel (GBK, Chinese
headers), village clinics with plain canonical headers. The config maps their headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COUNTY_CODE = "370322"
COUNTY_NAME = "桓台县"

PINYIN = {
    "patients": {"record_id": "brid", "id_type": "zjlx", "id_number": "sfzhm", "name": "xm",
                 "sex": "xb", "birth_date": "csrq", "phone": "lxdh", "address_code": "xzqh",
                 "health_card_no": "jkkh", "updated_at": "gxsj", "change_flag": "bgbz"},
    "encounters": {"record_id": "jzlsh", "patient_id": "brid", "encounter_class": "jzlx",
                   "department": "ksmc", "start_time": "jzsj", "end_time": "cysj",
                   "disposition": "lyfs", "total_cost": "zfy", "updated_at": "gxsj",
                   "change_flag": "bgbz"},
}
CHINESE = {
    "patients": {"record_id": "病人ID", "id_type": "证件类型", "id_number": "身份证号",
                 "name": "姓名", "sex": "性别", "birth_date": "出生日期", "phone": "联系电话",
                 "address_code": "行政区划", "health_card_no": "健康卡号",
                 "updated_at": "更新时间", "change_flag": "变更标志"},
    "encounters": {"record_id": "就诊流水号", "patient_id": "病人ID", "encounter_class": "就诊类型",
                   "department": "科室", "start_time": "就诊时间", "end_time": "出院时间",
                   "disposition": "离院方式", "total_cost": "总费用", "updated_at": "更新时间",
                   "change_flag": "变更标志"},
}


@dataclass(frozen=True)
class SynthFacility:
    code: str
    name: str
    level: str
    township: str | None
    style: str  # pinyin | chinese | canonical: how its CSV looks
    encoding: str  # the bytes it writes: utf-8 | gb18030

    @property
    def primary_care(self) -> bool:
        return self.level in ("township_center", "village_clinic")


def township_code(i: int) -> str:
    return f"{COUNTY_CODE}{100 + i:03d}"


def build_facilities(townships: int, villages_per_township: int) -> list[SynthFacility]:
    out = [SynthFacility("H001", f"{COUNTY_NAME}人民医院", "county_hospital", None,
                         "pinyin", "utf-8")]
    for t in range(1, townships + 1):
        tcode = township_code(t)
        out.append(SynthFacility(f"T{t:03d}", f"第{t}镇卫生院", "township_center", tcode,
                                 "chinese", "gb18030"))
        for v in range(1, villages_per_township + 1):
            out.append(SynthFacility(f"V{t:02d}{v:02d}", f"第{t}镇第{v}村卫生室",
                                     "village_clinic", tcode, "canonical", "utf-8"))
    return out


def county_config(facilities: list[SynthFacility], population: int) -> dict[str, Any]:
    """The YAML mapping a county would write for these facilities (DESIGN.md's shape)."""
    entries = []
    for f in facilities:
        columns = {"pinyin": PINYIN, "chinese": CHINESE}.get(f.style, {})
        entries.append({
            "code": f.code,
            "name": f.name,
            "level": f.level,
            "township": f.township,
            "format": "csv",
            "encoding": "auto",
            "columns": {t: dict(m) for t, m in columns.items()},
        })
    return {
        "county": {"code": COUNTY_CODE, "name": COUNTY_NAME, "timezone": "Asia/Shanghai",
                   "population": population},
        "facilities": entries,
        "thresholds": {"min_valid_id_share": 0.9},
    }
