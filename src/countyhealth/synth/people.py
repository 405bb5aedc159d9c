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
    health_card_no: str | None = None  # electronic health card (about 88% have one)
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
            phone=phone_number(rng),
            township=township_code(t), village=1 + int(rng.random() * villages),
            hypertension=htn, diabetes=dm, insured=rng.random() < 0.96,
            record_no=f"{township_code(t)}{i + 1:08d}",
        )
        # family doctor contracts: ~65% overall, priority groups far more often
        p = 0.88 if resident.priority_groups(REFERENCE_DATE) else 0.55
        if rng.random() < p:
            resident.contract_signed = REFERENCE_DATE - dt.timedelta(days=rng.randrange(300))
        out.append(resident)
    _hard_cases_for_identity(out, seed, used)
    return out


TWIN_RATE = 0.004  # residents followed by a twin: same birthday, phone and surname
NAMESAKE_RATE = 0.002  # residents sharing name, birthday and sex with someone else
HEALTH_CARD_RATE = 0.88  # electronic health cards issued (DOMAIN.md)


def _hard_cases_for_identity(residents: list[Resident], seed: int, used: set[str]) -> None:
    """What makes matching people without an ID number hard in a real county: twins (same
    birthday, family phone, surname, village; other given name and ID) and namesakes (same
    name, birthday and sex; nothing else shared). Also who holds an electronic health card.
    A separate random stream, so the rest of the county is as it was without them."""
    rng = random.Random(seed * 31 + 17)
    for i, r in enumerate(residents):
        if rng.random() < HEALTH_CARD_RATE:
            r.health_card_no = f"{seed % 997:03d}{rng.getrandbits(60):018d}"[:21]
        if i == 0:
            continue
        if rng.random() < TWIN_RATE:
            first = residents[i - 1]
            r.birth_date, r.phone = first.birth_date, first.phone
            r.township, r.village = first.township, first.village
            while True:
                name = chinese_name(rng, r.sex)
                if name[1:] != first.name[1:]:
                    break
            r.name = first.name[0] + name[1:]
            r.id_number = _id_number(rng, first.id_number[:6], r.birth_date, r.sex, used)
            age = r.age_on(REFERENCE_DATE)  # their own chronic disease, at their age
            adult = next((b for b in HTN if b[0] <= age <= b[1]), None)
            r.hypertension = adult is not None and rng.random() < HTN[adult]
            r.diabetes = adult is not None and rng.random() < DM[adult]
        elif rng.random() < NAMESAKE_RATE:
            other = residents[int(rng.random() * i)]
            r.name, r.birth_date, r.sex = other.name, other.birth_date, other.sex
            r.id_number = _id_number(rng, r.id_number[:6], r.birth_date, r.sex, used)


def phone_number(rng: random.Random) -> str:
    """An 11-digit mobile number (13x, 15x, 18x, 19x)."""
    return f"1{'3589'[int(rng.random() * 4)]}{int(rng.random() * 10**9):09d}"


def corrupt_check_character(idn: str) -> str:
    """The same ID with a wrong check character (a typing error at registration)."""
    if len(idn) != 18:
        return idn[:-1] + ("0" if idn[-1] != "0" else "1")
    good = check_character(idn[:17])
    return idn[:17] + ("0" if good != "0" else "1")
