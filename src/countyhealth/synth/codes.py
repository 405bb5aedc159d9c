"""Code lists the synthetic county uses: diagnoses (ICD-10 clinical and insurance versions
side by side), drugs, lab tests per facility (local codes), departments, outside hospitals."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnosis:
    key: str
    clinical: str  # ICD-10 national clinical version 2.0 (hospital data)
    insurance: str  # ICD-10 medical insurance version 2.0 (settlements)
    name: str
    chronic: str | None = None  # hypertension | diabetes


DIAGNOSES = (
    Diagnosis("htn", "I10.x00x002", "I10.x00", "高血压", "hypertension"),
    Diagnosis("t2dm", "E11.900", "E11.900", "2型糖尿病", "diabetes"),
    Diagnosis("uri", "J06.900", "J06.900", "急性上呼吸道感染"),
    Diagnosis("gastritis", "K29.700x001", "K29.700", "慢性胃炎"),
    Diagnosis("back", "M54.500", "M54.500", "腰痛"),
    Diagnosis("pneumonia", "J18.900", "J18.900", "肺炎"),
    Diagnosis("stroke", "I63.900", "I63.900", "脑梗死"),
    Diagnosis("chd", "I25.103", "I25.100", "冠状动脉粥样硬化性心脏病"),
    Diagnosis("copd", "J44.900", "J44.900", "慢性阻塞性肺疾病"),
    Diagnosis("fracture", "S72.000", "S72.000", "股骨颈骨折"),
    Diagnosis("delivery", "O80.000", "O80.000", "单胎顺产"),
)
ACUTE = tuple(d for d in DIAGNOSES if d.key in ("uri", "gastritis", "back", "pneumonia", "copd"))
INPATIENT = tuple(d for d in DIAGNOSES if d.key in ("pneumonia", "stroke", "chd", "copd",
                                                    "fracture"))
BY_KEY = {d.key: d for d in DIAGNOSES}
OUT_OF_SET_DIAGNOSIS = "ZZZ.999"  # a code outside every value set (a defect)


@dataclass(frozen=True)
class Drug:
    code: str  # national insurance drug code style (23 characters)
    name: str
    dose: str
    frequency: str
    for_key: str


DRUGS = (
    Drug("XC08CAA040A001010100000", "苯磺酸氨氯地平片", "5mg", "qd", "htn"),
    Drug("XC09CAL060A001010100000", "缬沙坦胶囊", "80mg", "qd", "htn"),
    Drug("XA10BAM021A001010100000", "盐酸二甲双胍片", "0.5g", "tid", "t2dm"),
    Drug("XA10BBG080A001010100000", "格列美脲片", "2mg", "qd", "t2dm"),
    Drug("XJ01CAA040A001010100000", "阿莫西林胶囊", "0.5g", "tid", "uri"),
    Drug("XA02BCO010A001010100000", "奥美拉唑肠溶胶囊", "20mg", "qd", "gastritis"),
    Drug("XM01AEB050A001010100000", "布洛芬缓释胶囊", "0.3g", "bid", "back"),
    Drug("XJ01DDC120A001010300000", "注射用头孢曲松钠", "2g", "qd", "pneumonia"),
    Drug("XB01ACA010A001010100000", "阿司匹林肠溶片", "100mg", "qd", "stroke"),
    Drug("XC10AAA050A001010100000", "阿托伐他汀钙片", "20mg", "qn", "chd"),
    Drug("XR03AKS010A001010100000", "沙美特罗替卡松粉吸入剂", "1吸", "bid", "copd"),
)
DRUGS_FOR: dict[str, list[Drug]] = {}
for _d in DRUGS:
    DRUGS_FOR.setdefault(_d.for_key, []).append(_d)


@dataclass(frozen=True)
class LabTest:
    common: str  # the common list code (LOINC where one exists)
    name: str
    unit: str
    low: float
    high: float


LABS = {
    "glucose": LabTest("14771-0", "空腹血糖", "mmol/L", 3.9, 6.1),
    "hba1c": LabTest("4548-4", "糖化血红蛋白", "%", 4.0, 6.0),
    "creatinine": LabTest("2160-0", "肌酐", "umol/L", 44.0, 133.0),
    "wbc": LabTest("6690-2", "白细胞计数", "10^9/L", 3.5, 9.5),
}
# each hospital and township centre has its own local lab codes (mapped by the lab map seed)
LOCAL_LAB_CODES = {
    "hospital": {"glucose": "GLU", "hba1c": "HBA1C", "creatinine": "CREA", "wbc": "WBC"},
    "township": {"glucose": "XT01", "hba1c": "THXHDB", "creatinine": "JG", "wbc": "BXB"},
}

DEPARTMENTS = {
    "county_hospital": ("内科", "外科", "儿科", "急诊科", "心血管内科", "内分泌科"),
    "tcm_hospital": ("中医内科", "针灸科", "推拿科"),
    "mch_hospital": ("妇科", "产科", "儿童保健科"),
    "township_center": ("全科", "中医科", "预防保健科"),
    "village_clinic": ("全科",),
}

OUTSIDE_HOSPITALS = (
    ("370300001", "淄博市中心医院"),
    ("370300002", "淄博市第一医院"),
    ("370100001", "山东省立医院"),
    ("370100002", "山东大学齐鲁医院"),
)
