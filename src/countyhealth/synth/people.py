"""Synthetic residents with GB 11643 ID numbers consistent with their birth date and sex.

Birth dates are derived from the seed, never from today's date (Faker's zh_CN ssn() uses
today, which would make the same seed give other IDs tomorrow).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from faker import Faker

from countyhealth.identity import check_character, make_id_number
from countyhealth.synth.county import COUNTY_CODE, township_code

REFERENCE_DATE = dt.date(2026, 1, 1)  # ages are drawn relative to this fixed day
OTHER_AREAS = ("370303", "370305", "110105", "320102", "410102")  # born elsewhere


@dataclass
class Resident:
    index: int
    name: str
    sex: str  # "1" male, "2" female
    birth_date: dt.date
    id_number: str
    phone: str
    township: str
    village: int  # 1-based within the township
    id_defect: bool = False  # exported with a wrong check character


def _age(rng: random.Random) -> int:
    # a county's pyramid, roughly: fewer children, a bulge at 45-65, a tail to 95
    band = rng.choices([(0, 14), (15, 44), (45, 64), (65, 95)], weights=[15, 38, 30, 17])[0]
    return rng.randint(*band)


def make_residents(population: int, townships: int, villages: int, seed: int,
                   id_defect_rate: float = 0.02) -> list[Resident]:
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    used: set[str] = set()
    out: list[Resident] = []
    for i in range(population):
        sex = rng.choice("12")
        age = _age(rng)
        born = REFERENCE_DATE - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        area = COUNTY_CODE if rng.random() < 0.9 else rng.choice(OTHER_AREAS)
        while True:
            seq = rng.randrange(0, 1000)
            if (seq % 2 == 1) != (sex == "1"):
                seq = (seq + 1) % 1000
            idn = make_id_number(area, born, seq)
            if idn not in used:
                used.add(idn)
                break
        name = fake.name_male() if sex == "1" else fake.name_female()
        defect = rng.random() < id_defect_rate
        if defect:
            good = check_character(idn[:17])
            idn = idn[:17] + ("0" if good != "0" else "1")
        out.append(Resident(
            index=i, name=name, sex=sex, birth_date=born, id_number=idn,
            phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            township=township_code(rng.randint(1, townships)),
            village=rng.randint(1, villages), id_defect=defect,
        ))
    return out
