"""The synthetic county's structure: its facilities and the county config that describes them.

A real county medical community: a general county hospital (HL7 v2), a TCM hospital (FHIR R4
NDJSON), a maternal and child health hospital (FHIR R4 Bundles), township health centres
(CSV from Chinese Excel: GBK, Chinese or pinyin headers), their village clinics (plain CSV),
the insurance bureau (settlement CSV with pinyin headers) and the public-health system
(resident health records, family-doctor contracts, chronic follow-ups). With
`hospital_format="csv"` the hospitals send pinyin CSV instead (until every reader exists).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COUNTY_CODE = "370322"
COUNTY_NAME = "高青县"

PINYIN: dict[str, dict[str, str]] = {
    "patients": {"record_id": "brid", "id_type": "zjlx", "id_number": "sfzhm", "name": "xm",
                 "sex": "xb", "birth_date": "csrq", "phone": "lxdh", "address_code": "xzqh",
                 "health_card_no": "jkkh", "death_date": "swrq", "updated_at": "gxsj",
                 "change_flag": "bgbz", "health_record_no": "jkdabh"},
    "encounters": {"record_id": "jzlsh", "patient_id": "brid", "encounter_class": "jzlx",
                   "department": "ksmc", "start_time": "jzsj", "end_time": "cysj",
                   "disposition": "lyfs", "total_cost": "zfy", "updated_at": "gxsj",
                   "change_flag": "bgbz"},
    "diagnoses": {"record_id": "zdid", "encounter_id": "jzlsh", "patient_id": "brid",
                  "diagnosis_type": "zdlx", "icd10_code": "jbbm", "icd10_version": "bmbb",
                  "diagnosis_name": "jbmc", "diagnosed_at": "zdsj", "updated_at": "gxsj",
                  "change_flag": "bgbz"},
    "lab_results": {"record_id": "jyid", "encounter_id": "jzlsh", "patient_id": "brid",
                    "test_code": "xmdm", "test_name": "xmmc", "value": "jg", "unit": "dw",
                    "reference_range": "ckfw", "abnormal_flag": "ycbz",
                    "collected_at": "cjsj", "reported_at": "bgsj", "updated_at": "gxsj",
                    "change_flag": "bgbz"},
    "prescriptions": {"record_id": "cfmxid", "encounter_id": "jzlsh", "patient_id": "brid",
                      "drug_code": "ypdm", "drug_name": "ypmc", "dose": "jl", "frequency": "pc",
                      "days_supply": "ts", "quantity": "sl", "prescribed_at": "kfsj",
                      "updated_at": "gxsj", "change_flag": "bgbz"},
    "referrals": {"record_id": "zzdh", "patient_id": "brid", "from_facility": "zcjg",
                  "to_facility": "zrjg", "direction": "zzlx", "reason_code": "zzzd",
                  "referred_at": "zzsj", "updated_at": "gxsj", "change_flag": "bgbz"},
    "insurance_settlements": {
        "record_id": "JSID", "id_number": "SFZH", "name": "XM", "insured_area": "CBD",
        "facility_code": "YLJGDM", "facility_name": "YLJGMC", "in_county": "XYNBZ",
        "encounter_id": "JZLSH", "visit_type": "YLLB", "admit_date": "RYRQ",
        "discharge_date": "CYRQ", "total_cost": "ZFY", "fund_paid": "TCZF", "self_paid": "GRZF",
        "diagnosis_code": "ZDDM", "settled_at": "JSSJ", "updated_at": "GXSJ",
        "change_flag": "BGBZ"},
}
CHINESE: dict[str, dict[str, str]] = {
    "patients": {"record_id": "病人ID", "id_type": "证件类型", "id_number": "身份证号",
                 "name": "姓名", "sex": "性别", "birth_date": "出生日期", "phone": "联系电话",
                 "address_code": "行政区划", "health_card_no": "健康卡号", "death_date": "死亡日期",
                 "updated_at": "更新时间", "change_flag": "变更标志", "health_record_no": "健康档案编号"},
    "encounters": {"record_id": "就诊流水号", "patient_id": "病人ID", "encounter_class": "就诊类型",
                   "department": "科室", "start_time": "就诊时间", "end_time": "出院时间",
                   "disposition": "离院方式", "total_cost": "总费用", "updated_at": "更新时间",
                   "change_flag": "变更标志"},
    "diagnoses": {"record_id": "诊断ID", "encounter_id": "就诊流水号", "patient_id": "病人ID",
                  "diagnosis_type": "诊断类型", "icd10_code": "疾病编码", "icd10_version": "编码版本",
                  "diagnosis_name": "疾病名称", "diagnosed_at": "诊断时间", "updated_at": "更新时间",
                  "change_flag": "变更标志"},
    "lab_results": {"record_id": "检验ID", "encounter_id": "就诊流水号", "patient_id": "病人ID",
                    "test_code": "项目代码", "test_name": "项目名称", "value": "结果",
                    "unit": "单位", "reference_range": "参考范围", "abnormal_flag": "异常标志",
                    "collected_at": "采样时间", "reported_at": "报告时间", "updated_at": "更新时间",
                    "change_flag": "变更标志"},
    "prescriptions": {"record_id": "处方明细ID", "encounter_id": "就诊流水号",
                      "patient_id": "病人ID", "drug_code": "药品代码", "drug_name": "药品名称",
                      "dose": "剂量", "frequency": "频次", "days_supply": "天数", "quantity": "数量",
                      "prescribed_at": "开方时间", "updated_at": "更新时间", "change_flag": "变更标志"},
    "referrals": {"record_id": "转诊单号", "patient_id": "病人ID", "from_facility": "转出机构",
                  "to_facility": "转入机构", "direction": "转诊类型", "reason_code": "转诊诊断",
                  "referred_at": "转诊时间", "updated_at": "更新时间", "change_flag": "变更标志"},
}

CLINICAL_TABLES = ("patients", "encounters", "diagnoses", "lab_results", "prescriptions",
                   "referrals")


@dataclass(frozen=True)
class SynthFacility:
    code: str
    name: str
    level: str
    township: str | None
    format: str  # csv | hl7v2 | fhir-ndjson | fhir-bundle: what the facility writes
    style: str  # csv only: pinyin | chinese | canonical
    encoding: str  # csv only: utf-8 | gb18030

    @property
    def primary_care(self) -> bool:
        return self.level in ("township_center", "village_clinic")

    @property
    def clinical(self) -> bool:
        return self.level not in ("insurance", "public_health")

    @property
    def config_format(self) -> str:
        return "fhir-r4" if self.format.startswith("fhir") else self.format


def township_code(i: int) -> str:
    return f"{COUNTY_CODE}{100 + i:03d}"


def build_facilities(townships: int = 12, villages_per_township: int = 10,
                     hospital_format: str = "native") -> list[SynthFacility]:
    """The county's facilities in a fixed order: hospitals, then each township centre
    followed by its village clinics, then the insurance bureau and public health."""
    if hospital_format not in ("native", "csv"):
        raise ValueError("hospital_format must be 'native' or 'csv'")
    native = hospital_format == "native"

    def hospital(code: str, name: str, level: str, fmt: str) -> SynthFacility:
        return SynthFacility(code, name, level, None, fmt if native else "csv", "pinyin",
                             "utf-8")

    out = [
        hospital("H001", f"{COUNTY_NAME}人民医院", "county_hospital", "hl7v2"),
        hospital("H002", f"{COUNTY_NAME}中医院", "tcm_hospital", "fhir-ndjson"),
        hospital("H003", f"{COUNTY_NAME}妇幼保健院", "mch_hospital", "fhir-bundle"),
    ]
    for t in range(1, townships + 1):
        tcode = township_code(t)
        out.append(SynthFacility(f"T{t:03d}", f"第{t}镇卫生院", "township_center", tcode, "csv",
                                 "chinese" if t % 2 else "pinyin", "gb18030"))
        for v in range(1, villages_per_township + 1):
            out.append(SynthFacility(f"V{t:02d}{v:02d}", f"第{t}镇第{v}村卫生室",
                                     "village_clinic", tcode, "csv", "canonical", "utf-8"))
    out.append(SynthFacility("INS01", f"{COUNTY_NAME}医疗保障局", "insurance", None, "csv",
                             "pinyin", "utf-8"))
    out.append(SynthFacility("PH01", f"{COUNTY_NAME}基本公共卫生服务平台", "public_health", None,
                             "csv", "canonical", "utf-8"))
    return out


def county_config(facilities: list[SynthFacility], population: int) -> dict[str, Any]:
    """The YAML mapping a county would write for these facilities (DESIGN.md's shape)."""
    entries = []
    for f in facilities:
        # HL7 v2 hospitals send prescriptions and referrals as pinyin CSV beside the messages
        columns = {"pinyin": PINYIN, "chinese": CHINESE}.get(f.style, {}) \
            if f.format in ("csv", "hl7v2") else {}
        entries.append({
            "code": f.code,
            "name": f.name,
            "level": f.level,
            "township": f.township,
            "format": f.config_format,
            "encoding": "auto",
            "columns": {t: dict(m) for t, m in columns.items()},
        })
    return {
        "county": {"code": COUNTY_CODE, "name": COUNTY_NAME, "timezone": "Asia/Shanghai",
                   "population": population},
        "facilities": entries,
        "thresholds": {"min_valid_id_share": 0.9, "delivery_wait_minutes": 60},
    }
