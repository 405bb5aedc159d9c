"""Synthetic residents: GB 11643 IDs consistent with birth date and sex, a county's age
pyramid, chronic disease at realistic prevalence, insurance, family-doctor contracts.

Birth dates come from the seed and a fixed reference day, never from today's date (Faker's
zh_CN ssn() uses today, which would make the same seed give other IDs tomorrow).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from countyhealth.identity import check_character, make_id_number
from countyhealth.synth.county import COUNTY_CODE, township_code
from countyhealth.synth.names import chinese_name

REFERENCE_DATE = dt.date(2026, 1, 1)  # ages are drawn relative to this fixed day
OTHER_AREAS = ("370303", "370305", "370321", "110105", "320102", "410102")  # born elsewhere
AGE_BANDS = ((0, 6), (7, 14), (15, 44), (45, 64), (65, 95))
AGE_WEIGHTS = (7, 8, 38, 30, 17)
AGE_CUM_WEIGHTS = tuple(sum(AGE_WEIGHTS[: i + 1]) for i in range(len(AGE_WEIGHTS)))
# prevalence by age band among adults (hypertension, diabetes)
HTN = {(15, 44): 0.08, (45, 64): 0.32, (65, 95): 0.52}
DM = {(15, 44): 0.03, (45, 64): 0.12, (65, 95): 0.20}


@dataclass(slots=True)
class Resident:
    index: int
    name: str
    sex: str  # "1" male, "2" female
    birth_date: dt.date
    id_number: str  # as the resident's documents carry it (18 or legacy 15 characters)
    phone: str
    township: str
    village: int
    hypertension: bool
    diabetes: bool
    insured: bool  # county basic medical insurance
    record_no: str  # WS 365 resident health record number (17 characters)
    contract_signed: dt.date | None = None
    died: dt.date | None = None

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))

    @property
    def address_code(self) -> str:
        return f"{self.township}{self.village:03d}"

    def priority_groups(self, day: dt.date) -> list[str]:
        age = self.age_on(day)
        groups = []
        if age >= 65:
            groups.append("elderly_65")
        if age <= 6:
            groups.append("child_0_6")
        if self.hypertension:
            groups.append("hypertension")
        if self.diabetes:
            groups.append("diabetes")
        return groups


def _id_number(rng: random.Random, area: str, born: dt.date, sex: str, used: set[str]) -> str:
    while True:
        seq = int(rng.random() * 1000)
        if (seq % 2 == 1) != (sex == "1"):
            seq = (seq + 1) % 1000
        idn = make_id_number(area, born, seq)
        if idn not in used:
            used.add(idn)
            return idn


def make_residents(population: int, townships: int, villages: int, seed: int,
                   legacy_id_rate: float = 0.005) -> list[Resident]:
    rng = random.Random(seed)
    used: set[str] = set()
    out: list[Resident] = []
    for i in range(population):
        sex = "1" if rng.random() < 0.505 else "2"
        band = rng.choices(AGE_BANDS, cum_weights=AGE_CUM_WEIGHTS)[0]
        age = band[0] + int(rng.random() * (band[1] - band[0] + 1))
        born = REFERENCE_DATE - dt.timedelta(days=age * 365 + int(rng.random() * 365))
        area = COUNTY_CODE if rng.random() < 0.88 else rng.choice(OTHER_AREAS)
        idn = _id_number(rng, area, born, sex, used)
        if born.year < 1980 and rng.random() < legacy_id_rate:
            idn = idn[:6] + idn[8:17]  # the old 15-digit card: 2-digit year, no check
        adult = next((b for b in HTN if b[0] <= age <= b[1]), None)
        htn = adult is not None and rng.random() < HTN[adult]
        dm = adult is not None and rng.random() < DM[adult]
        t = 1 + int(rng.random() * townships)
        resident = Resident(
            index=i, name=chinese_name(rng, sex), sex=sex, birth_date=born, id_number=idn,
            phone=f"1{'3589'[int(rng.random() * 4)]}{int(rng.random() * 10**9):09d}",
            township=township_code(t), village=1 + int(rng.random() * villages),
            hypertension=htn, diabetes=dm, insured=rng.random() < 0.96,
            record_no=f"{township_code(t)}{i + 1:08d}",
        )
        # family doctor contracts: ~65% overall, priority groups far more often
        p = 0.88 if resident.priority_groups(REFERENCE_DATE) else 0.55
        if rng.random() < p:
            resident.contract_signed = REFERENCE_DATE - dt.timedelta(days=rng.randrange(300))
        out.append(resident)
    return out


def corrupt_check_character(idn: str) -> str:
    """The same ID with a wrong check character (a typing error at registration)."""
    if len(idn) != 18:
        return idn[:-1] + ("0" if idn[-1] != "0" else "1")
    good = check_character(idn[:17])
    return idn[:17] + ("0" if good != "0" else "1")
