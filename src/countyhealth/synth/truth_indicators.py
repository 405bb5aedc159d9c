"""The quality indicators a run of one night must publish, county-wide and by month, from the
generator's own state, never from the pipeline (docs/indicators.md has the formulas).

Each indicator is `{"month|YYYY-MM-01": {"numerator": n, "denominator": d}}`. What a run of
night N sees: events delivered on nights up to N, except held deliveries (late or truncated),
and the encounters as they stood at N (cancelled, quarantined and out-of-county ones out).
Indicators that count people depend on the EMPI joining a person's registrations; the
generator knows the true person, so those may differ from the warehouse by the EMPI's error
(docs/identity.md), which the tests allow for.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable

from countyhealth.synth.people import Resident
from countyhealth.synth.state import CareState, Encounter

PRIMARY = ("township_center", "village_clinic")
TIER = {"village_clinic": 1, "township_center": 2, "county_hospital": 3, "tcm_hospital": 3,
        "mch_hospital": 3}
TCM = re.compile("中医|针灸|推拿")
PREVALENCE = {"hypertension": (18, 0.275), "diabetes": (18, 0.112)}  # seed chronic_prevalence
INPATIENT_VISIT_TYPES = ("21", "22", "24")
READMISSION_DAYS = 30
REPEAT_TEST_DAYS = 7
# indicators whose rows are people (or their records) joined by the EMPI
PERSON_BASED = ("hypertension_management_rate", "hypertension_standardised_management_rate",
                "hypertension_control_rate", "diabetes_management_rate",
                "diabetes_standardised_management_rate", "diabetes_control_rate",
                "managed_chronic_admission_rate", "family_doctor_contract_rate",
                "priority_contract_rate", "hospitalisation_rate", "readmission_30d",
                "repeat_test_rate")

Sums = dict[str, dict[str, float]]


class _Indicator:
    """Numerator and denominator sums per month for one indicator."""

    def __init__(self) -> None:
        self.num: dict[str, float] = defaultdict(float)
        self.den: dict[str, float] = defaultdict(float)

    def count(self, day: dt.date, amount: float = 1.0, *, numerator: bool) -> None:
        self.den[_month(day)] += amount
        if numerator:
            self.num[_month(day)] += amount

    def extra_numerator(self, day: dt.date, amount: float = 1.0) -> None:
        self.num[_month(day)] += amount

    def sums(self, has_denominator: bool = True) -> Sums:
        periods = sorted(set(self.num) | set(self.den))
        return {p: {"numerator": round(self.num.get(p, 0.0), 4),
                    "denominator": round(self.den.get(p, 0.0), 4) if has_denominator else None}
                for p in periods}


def _month(day: dt.date) -> str:
    return f"month|{day.replace(day=1).isoformat()}"


def _delivered(events: Iterable[tuple], night: dt.date, held: set[tuple[str, str]]
               ) -> list[tuple]:
    return [e for e in events if e[0] <= night and (e[1], e[0].isoformat()) not in held]


def _year_before(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 1, day=28 if (day.month, day.day) == (2, 29)
                       else day.day)


def indicators_as_of(state: CareState, residents: list[Resident], night: dt.date,
                     encounters: dict[str, Encounter], held: set[tuple[str, str]]
                     ) -> dict[str, Sums]:
    """`encounters`: the encounter versions the run of `night` sees (truth._published)."""
    ind: dict[str, _Indicator] = defaultdict(_Indicator)
    current = [e for e in encounters.values()
               if e.in_county and not e.cancelled and not e.quarantined]
    gone = {k for k, e in encounters.items() if e.cancelled}
    visits = [e for e in current if e.encounter_class != "inpatient"]
    admissions = [e for e in current if e.encounter_class == "inpatient"]
    for e in visits:
        day = e.start.date()
        ind["primary_care_visit_share"].count(day, numerator=e.level in PRIMARY)
        ind["tcm_visit_share"].count(day, numerator=e.level == "tcm_hospital"
                                     or bool(TCM.search(e.department)))
        if e.level in PRIMARY:
            ind["upward_referral_share"].den[_month(day)] += 1
    for e in admissions:
        if e.total_cost is not None:
            ind["inpatient_cost_per_admission"].count(e.start.date(), numerator=False)
            ind["inpatient_cost_per_admission"].extra_numerator(e.start.date(), e.total_cost)
    _settlements(ind, state, night)
    for _, _, src, dst, day in _delivered(state.events["referral"], night, held):
        if TIER[dst] > TIER[src]:
            ind["upward_referrals"].extra_numerator(day)
            if src in PRIMARY:
                ind["upward_referral_share"].extra_numerator(day)
        elif TIER[dst] < TIER[src]:
            ind["downward_referrals"].extra_numerator(day)
    months = _measuring_days(night, [e.start.date() for e in current])
    _people(ind, state, residents, night, held, months, admissions, gone)
    _readmissions(ind, state, night, held, admissions, gone)
    _repeat_tests(ind, state, night, held, gone)
    counts = ("upward_referrals", "downward_referrals")
    return {k: v.sums(has_denominator=k not in counts) for k, v in sorted(ind.items())}


def _settlements(ind: dict[str, _Indicator], state: CareState, night: dt.date) -> None:
    for s in state.settlements:
        if s["settled_at"].date() > night or s["insured_area"][:6] != "370322":
            continue
        inside = s["in_county"] == "1"
        day, fund = s["admit_date"], float(s["fund_paid"])
        ind["in_county_care_rate"].count(day, numerator=inside)
        ind["fund_in_county_share"].count(day, fund, numerator=inside)
        if s["visit_type"] in INPATIENT_VISIT_TYPES:
            ind["in_county_admission_share"].count(day, numerator=inside)
            if not inside:  # residents' admissions outside the county
                ind["hospitalisation_rate"].extra_numerator(day)
        if inside:
            ind["fund_primary_care_share"].count(day, fund, numerator=s["_level"] in PRIMARY)


def _measuring_days(night: dt.date, days: list[dt.date]) -> dict[dt.date, dt.date]:
    """Month start -> the day its state is measured on (quality.indicator_months)."""
    last: dict[dt.date, dt.date] = {}
    for d in days:
        m = d.replace(day=1)
        last[m] = max(last.get(m, d), d)
    out = {}
    for m, latest in last.items():
        month_end = (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - \
            dt.timedelta(days=1)
        out[m] = min(month_end, max(night, latest))
    return out


def _people(ind: dict[str, _Indicator], state: CareState, residents: list[Resident],
            night: dt.date, held: set[tuple[str, str]], months: dict[dt.date, dt.date],
            admissions: list[Encounter], gone: set[str]) -> None:
    followups = _delivered(state.events["followup"], night, held)
    chronic_seen: dict[int, dt.date] = {}
    for _, _, enc_id, who, day in _delivered(state.events["chronic_diagnosis"], night, held):
        if enc_id not in gone:
            chronic_seen[who] = min(chronic_seen.get(who, day), day)
    for _, _, who, _, day, *_ in followups:
        chronic_seen[who] = min(chronic_seen.get(who, day), day)
    admitted = {(e.resident, e.start.date().replace(day=1)) for e in admissions}
    for month, as_of in months.items():
        alive = [r for r in residents if r.birth_date <= as_of
                 and (r.died is None or r.died > as_of)]
        managed_any: set[int] = set()
        for disease, (min_age, prevalence) in PREVALENCE.items():
            window = [f for f in followups if f[3] == disease
                      and _year_before(as_of) < f[4] <= as_of]
            latest: dict[int, tuple] = {}
            n: dict[int, int] = defaultdict(int)
            for f in window:
                n[f[2]] += 1
                if f[2] not in latest or f[4] >= latest[f[2]][4]:
                    latest[f[2]] = f
            adults = sum(r.age_on(as_of) >= min_age for r in alive)
            ind[f"{disease}_management_rate"].den[_month(month)] += adults * prevalence
            for who, f in latest.items():
                managed_any.add(who)
                ind[f"{disease}_management_rate"].extra_numerator(month)
                ind[f"{disease}_standardised_management_rate"].count(month,
                                                                     numerator=n[who] >= 4)
                sbp, dbp, glucose = f[5], f[6], f[7]
                controlled = (sbp < 140 and dbp < 90) if disease == "hypertension" else \
                    (glucose is not None and glucose < 7.0)
                ind[f"{disease}_control_rate"].count(month, numerator=controlled)
        for who in managed_any:
            ind["managed_chronic_admission_rate"].count(month,
                                                        numerator=(who, month) in admitted)
        for r in alive:
            signed = r.contract_signed
            contracted = signed is not None and signed <= as_of <= \
                signed.replace(year=signed.year + 1)
            ind["family_doctor_contract_rate"].count(month, numerator=contracted)
            ind["hospitalisation_rate"].den[_month(month)] += 1
            age = r.age_on(as_of)
            known = r.index in chronic_seen and chronic_seen[r.index] <= as_of
            if age >= 65 or age <= 6 or known:
                ind["priority_contract_rate"].count(month, numerator=contracted)
    for e in admissions:
        ind["hospitalisation_rate"].extra_numerator(e.start.date())


def _readmissions(ind: dict[str, _Indicator], state: CareState, night: dt.date,
                  held: set[tuple[str, str]], admissions: list[Encounter],
                  gone: set[str]) -> None:
    published = {e.record_id for e in admissions}
    by_person: dict[int, list[Encounter]] = defaultdict(list)
    for e in admissions:
        by_person[e.resident].append(e)
    for _, _, enc_id, who, _start, end, died in _delivered(state.events["discharge"], night,
                                                          held):
        if enc_id not in published or enc_id in gone or died or \
                end.date() + dt.timedelta(days=READMISSION_DAYS) > night:
            continue
        again = any(e.record_id != enc_id and e.start > end
                    and e.start.date() <= end.date() + dt.timedelta(days=READMISSION_DAYS)
                    for e in by_person[who])
        ind["readmission_30d"].count(end.date(), numerator=again)


def _repeat_tests(ind: dict[str, _Indicator], state: CareState, night: dt.date,
                  held: set[tuple[str, str]], gone: set[str]) -> None:
    labs = [e for e in _delivered(state.events["lab"], night, held) if e[2] not in gone]
    by_person: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    for lab in labs:
        by_person[(lab[3], lab[4])].append(lab)
    window = dt.timedelta(days=REPEAT_TEST_DAYS)
    for lab in labs:
        _, facility, _, who, test, when = lab
        repeated = any(o[1] != facility and when - window <= o[5] < when
                       for o in by_person[(who, test)])
        ind["repeat_test_rate"].count(when.date(), numerator=repeated)
