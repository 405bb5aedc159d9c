"""Care over the nights: visits, admissions and discharges, diagnoses, labs, prescriptions,
referrals, insurance settlements (in and out of the county), follow-ups, contracts, deaths.

Rates are per resident per day, at the order of real county figures (DOMAIN.md): most visits
at primary care, about 11% of residents admitted a year, 8-15% of care outside the county
(seen only in settlements), hypertension and diabetes followed up about quarterly.
Output is canonical rows (dicts of canonical column -> Python value) per night, facility and
table; writers turn them into each facility's format. Event counts are drawn per day from a
binomial approximation and residents sampled, so a day costs O(events), not O(residents).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from countyhealth.identity import upgrade_legacy_id
from countyhealth.synth import codes
from countyhealth.synth.county import SynthFacility
from countyhealth.synth.defects import DefectRates
from countyhealth.synth.people import Resident, corrupt_check_character, phone_number
from countyhealth.synth.state import CareState, Encounter, Night, Row

# events per resident per day: (name, level, class, rate)
EVENTS = (
    ("village", "village_clinic", "outpatient", 0.0045),
    ("township", "township_center", "outpatient", 0.0030),
    ("hospital", "county_hospital", "outpatient", 0.0020),
    ("tcm", "tcm_hospital", "outpatient", 0.0006),
    ("mch", "mch_hospital", "outpatient", 0.0004),
    ("emergency", "county_hospital", "emergency", 0.0003),
    ("admission", "county_hospital", "inpatient", 0.11 / 365),
    ("outside_visit", "outside", "outpatient", 0.0010),
    ("outside_admission", "outside", "inpatient", 0.015 / 365),
)
DEATH_RATE = 0.007 / 365  # crude mortality 7 per 1,000 a year, mostly the elderly
FOLLOWUP_RATE = 4.5 / 365  # managed chronic patients: about four follow-ups a year
NEW_CONTRACT_RATE = 0.05 / 365
AMEND_WINDOW_DAYS = 45  # how far back a long history still amends visits
DEATH_DISPOSITION = "5"  # LYFS 5 = death
# Identifiers registrations carry, by facility level (share of registrations)
CARD_READ = {"county_hospital": 0.7, "tcm_hospital": 0.7, "mch_hospital": 0.7,
             "township_center": 0.5, "village_clinic": 0.3, "public_health": 0.9}
RECORD_NO_KEPT = {"township_center": 0.8, "village_clinic": 0.6, "public_health": 1.0}
UPGRADING_LEVELS = ("county_hospital", "tcm_hospital", "mch_hospital")
OTHER_PHONE_RATE = 0.04


def approx_binomial(rng: random.Random, n: int, p: float) -> int:
    """A binomial draw, normal-approximated for large n (Python 3.11 has no binomialvariate)."""
    if n * p < 30:
        # Poisson by inversion: exact enough for small expectations
        k, t, limit = 0, rng.random(), math.exp(-n * p)
        while t > limit:
            k += 1
            t *= rng.random()
        return min(k, n)
    return max(0, min(n, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))))


class Simulation:
    def __init__(self, residents: list[Resident], facilities: list[SynthFacility], seed: int,
                 defects: DefectRates, keep_history: bool = True) -> None:
        self.residents = residents
        # False for long histories (benchmarks): no truth, so nights, snapshots and events
        # are not kept and encounters older than AMEND_WINDOW_DAYS are forgotten; memory
        # then stays flat however many nights are simulated
        self.keep_history = keep_history
        self.facilities = facilities
        self.by_code = {f.code: f for f in facilities}
        self.rng = random.Random(seed * 7919 + 1)
        # how registrations differ between facilities: its own stream, so the care is as it
        # was without it
        self.identity_rng = random.Random(seed * 7919 + 3)
        self.defects = defects
        self.state = CareState(recording=keep_history)
        self.serial: dict[str, int] = defaultdict(int)
        self.next_patient: dict[str, int] = defaultdict(int)
        self.discharges: dict[dt.date, list[str]] = defaultdict(list)
        self.last_sent: dict[str, Row] = {}  # the latest encounter row sent, by record id
        self.amendable: dict[str, list[str]] = defaultdict(list)  # visits that may be amended
        self.townships = {f.township: f for f in facilities if f.level == "township_center"}
        self.villages: dict[str, list[SynthFacility]] = defaultdict(list)
        for f in facilities:
            if f.level == "village_clinic":
                self.villages[f.township].append(f)
        self.hospital = {f.level: f for f in facilities
                         if f.level in ("county_hospital", "tcm_hospital", "mch_hospital")}
        self.chronic = [r for r in residents if r.hypertension or r.diabetes]
        self.insurance = next(f for f in facilities if f.level == "insurance")
        self.public_health = next(f for f in facilities if f.level == "public_health")

    # -- helpers -------------------------------------------------------------------------
    def _facility(self, level: str, r: Resident) -> SynthFacility:
        if level == "village_clinic":
            pool = self.villages[r.township]
            return pool[(r.village - 1) % len(pool)]
        if level == "township_center":
            return self.townships[r.township]
        if level == "mch_hospital" and not (r.sex == "2" or r.age_on(dt.date(2026, 1, 1)) <= 14):
            return self.hospital["county_hospital"]
        return self.hospital[level]

    def _stamp(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(self.rng.randint(7, 17), self.rng.randrange(60)))

    def _register(self, night: Night, f: SynthFacility, r: Resident, when: dt.datetime) -> str:
        key = (f.code, r.index)
        pid = self.state.local_ids.get(key)
        if pid is not None:
            return pid
        self.next_patient[f.code] += 1
        pid = f"{f.code}P{self.next_patient[f.code]:07d}"
        self.state.local_ids[key] = pid
        night.add(f.code, "patients", self._patient_row(night, f, r, pid, when))
        return pid

    def _patient_row(self, night: Night, f: SynthFacility, r: Resident, record_id: str,
                     when: dt.datetime) -> Row:
        d, rng = self.defects, self.rng
        idn, sex = r.id_number, r.sex
        if rng.random() < d.bad_check_character:
            idn = corrupt_check_character(idn)
            night.defect(f.code, "patients", "bad_check_character")
        elif rng.random() < d.missing_id:
            idn = ""
            night.defect(f.code, "patients", "missing_id")
        if rng.random() < d.out_of_value_set:
            sex = "X"
            night.defect(f.code, "patients", "sex_out_of_value_set")
        card, record_no, phone = self._identifiers(f, r)
        if idn and len(idn) == 15 and f.level in UPGRADING_LEVELS and \
                self.identity_rng.random() < 0.5:
            idn = upgrade_legacy_id(idn)  # the hospital's system stores the 18-digit form
        return {"record_id": record_id, "id_type": "01", "id_number": idn, "name": r.name,
                "sex": sex, "birth_date": r.birth_date, "phone": phone,
                "address_code": r.address_code, "health_card_no": card, "death_date": r.died,
                "updated_at": when, "change_flag": "1", "health_record_no": record_no,
                "_resident": r.index, "_facility": f.code}

    def _identifiers(self, f: SynthFacility, r: Resident) -> tuple[str, str, str]:
        """What this facility's registration records besides the ID number: the health card
        where it reads cards, the health record number where it keeps health records, and
        now and then another phone (a relative's, an old one)."""
        rng = self.identity_rng
        card = r.health_card_no if r.health_card_no and rng.random() < CARD_READ.get(
            f.level, 0.0) else ""
        record_no = r.record_no if rng.random() < RECORD_NO_KEPT.get(f.level, 0.0) else ""
        phone = r.phone
        if rng.random() < OTHER_PHONE_RATE:
            phone = phone_number(rng)
        return card, record_no, phone

    def _send(self, night: Night, code: str, row: Row) -> None:
        night.add(code, "encounters", row)
        self.last_sent[row["record_id"]] = row

    # -- one encounter -------------------------------------------------------------------
    def _encounter(self, night: Night, f: SynthFacility, r: Resident, cls: str) -> None:
        rng, day = self.rng, night.date
        start = self._stamp(day)
        pid = self._register(night, f, r, start)
        self.serial[f.code] += 1
        enc_id = f"{f.code}{day:%Y%m%d}{self.serial[f.code]:06d}"
        enc = Encounter(enc_id, f.code, f.level, r.index, cls, start)
        sent_start: Any = start
        if rng.random() < self.defects.unparseable_date:
            sent_start, enc.quarantined = "2026-02-30 25:61", True
            night.defect(f.code, "encounters", "unparseable_date")
        elif rng.random() < self.defects.future_date:
            sent_start, enc.quarantined = start.replace(year=start.year + 1), True
            night.defect(f.code, "encounters", "future_date")
        if cls == "inpatient":
            cost = round(rng.uniform(3000, 30000), 2)
            self.discharges[day + dt.timedelta(days=rng.randint(3, 12))].append(enc_id)
        else:
            cost = round(rng.uniform(20, 400), 2)
        dept = rng.choice(codes.DEPARTMENTS[f.level])
        enc.department, enc.total_cost = dept, cost
        row = {"record_id": enc_id, "patient_id": pid, "encounter_class": cls,
               "department": dept, "start_time": sent_start, "end_time": None,
               "disposition": None, "total_cost": cost,
               "updated_at": start + dt.timedelta(minutes=30), "change_flag": "1",
               "_resident": r.index}
        self._send(night, f.code, row)
        if rng.random() < self.defects.duplicate_resend:
            night.add(f.code, "encounters", dict(row))
            night.defect(f.code, "encounters", "duplicate_resend")
        self.state.encounters[enc_id] = enc
        if cls != "inpatient" and not enc.quarantined:
            self.amendable[f.code].append(enc_id)
        diag = self._diagnoses(night, f, r, enc_id, pid, start, cls)
        self._prescriptions(night, f, enc_id, pid, start, diag)
        self._labs(night, f, r, enc_id, pid, start, cls)
        if f.primary_care and rng.random() < 0.03:
            self._referral(night, f, self.hospital["county_hospital"], pid, "up", diag, start)
        if cls != "inpatient" and r.insured:
            self._settle(night, f, r, enc_id, cls, start, None, cost, diag, True)

    def _diagnoses(self, night: Night, f: SynthFacility, r: Resident, enc_id: str, pid: str,
                   when: dt.datetime, cls: str) -> codes.Diagnosis:
        rng = self.rng
        chronic = [codes.BY_KEY[k] for k, has in (("htn", r.hypertension), ("t2dm", r.diabetes))
                   if has]
        if cls == "inpatient":
            main = rng.choice(codes.INPATIENT)
        elif chronic and rng.random() < 0.6:
            main = rng.choice(chronic)
        else:
            main = rng.choice(codes.ACUTE)
        for n, dx in enumerate([main, *[c for c in chronic if c is not main][:1]], start=1):
            code = dx.clinical
            if rng.random() < self.defects.out_of_value_set:
                code = codes.OUT_OF_SET_DIAGNOSIS
                night.defect(f.code, "diagnoses", "code_out_of_value_set")
            elif dx.chronic:
                self.state.record("chronic_diagnosis", night.date, f.code, enc_id, r.index,
                                  when.date())
            night.add(f.code, "diagnoses", {
                "record_id": f"{enc_id}D{n}", "encounter_id": enc_id, "patient_id": pid,
                "diagnosis_type": "1" if n == 1 else "2", "icd10_code": code,
                "icd10_version": "clinical-2.0", "diagnosis_name": dx.name,
                "diagnosed_at": when, "updated_at": when, "change_flag": "1"})
        return main

    def _prescriptions(self, night: Night, f: SynthFacility, enc_id: str, pid: str,
                       when: dt.datetime, dx: codes.Diagnosis) -> None:
        drugs = codes.DRUGS_FOR.get(dx.key, [])
        for n, drug in enumerate(drugs[: self.rng.randint(1, 2)], start=1):
            days = 30 if dx.chronic else self.rng.choice((3, 5, 7))
            night.add(f.code, "prescriptions", {
                "record_id": f"{enc_id}R{n}", "encounter_id": enc_id, "patient_id": pid,
                "drug_code": drug.code, "drug_name": drug.name, "dose": drug.dose,
                "frequency": drug.frequency, "days_supply": days, "quantity": days,
                "prescribed_at": when, "updated_at": when, "change_flag": "1"})

    def _labs(self, night: Night, f: SynthFacility, r: Resident, enc_id: str, pid: str,
              when: dt.datetime, cls: str) -> None:
        if f.level == "village_clinic":
            return
        tests = []
        if r.diabetes and self.rng.random() < 0.5:
            tests += ["glucose", "hba1c"]
        if cls == "inpatient":
            tests += ["wbc", "creatinine", "glucose"]
        local = codes.LOCAL_LAB_CODES["township" if f.primary_care else "hospital"]
        for n, key in enumerate(dict.fromkeys(tests), start=1):
            lab = codes.LABS[key]
            if key == "glucose":
                value = self.rng.gauss(8.2 if r.diabetes else 5.2, 1.6)
            elif key == "hba1c":
                value = self.rng.gauss(7.6 if r.diabetes else 5.4, 1.1)
            else:
                value = self.rng.uniform(lab.low * 0.8, lab.high * 1.2)
            value = round(max(value, 0.1), 1)
            flag = "H" if value > lab.high else ("L" if value < lab.low else "N")
            self.state.record("lab", night.date, f.code, enc_id, r.index, key, when)
            night.add(f.code, "lab_results", {
                "record_id": f"{enc_id}L{n}", "encounter_id": enc_id, "patient_id": pid,
                "test_code": local[key], "test_name": lab.name, "value": value,
                "unit": lab.unit, "reference_range": f"{lab.low}-{lab.high}",
                "abnormal_flag": flag, "collected_at": when,
                "reported_at": when + dt.timedelta(hours=2), "updated_at": when,
                "change_flag": "1"})

    def _referral(self, night: Night, src: SynthFacility, dst: SynthFacility, pid: str,
                  direction: str, dx: codes.Diagnosis, when: dt.datetime) -> None:
        self.serial[src.code + "ref"] += 1
        self.state.record("referral", night.date, src.code, src.level, dst.level, when.date())
        night.add(src.code, "referrals", {
            "record_id": f"{src.code}Z{when:%Y%m%d}{self.serial[src.code + 'ref']:05d}",
            "patient_id": pid, "from_facility": src.code, "to_facility": dst.code,
            "direction": direction, "reason_code": dx.clinical, "referred_at": when,
            "updated_at": when, "change_flag": "1"})

    def _settle(self, night: Night, f: SynthFacility | None, r: Resident, enc_id: str,
                cls: str, start: dt.datetime, end: dt.datetime | None, cost: float,
                dx: codes.Diagnosis, in_county: bool, outside: tuple[str, str] | None = None
                ) -> None:
        rng = self.rng
        share = rng.uniform(0.65, 0.80) if cls == "inpatient" else rng.uniform(0.40, 0.55)
        if not in_county:
            share -= 0.15  # lower reimbursement outside the county
        fund = round(cost * share, 2)
        settled = end or start + dt.timedelta(hours=1)
        self.serial["settlement"] += 1
        code, name = (f.code, f.name) if f else outside  # type: ignore[misc]
        row = {"record_id": f"JS{settled:%Y%m%d}{self.serial['settlement']:08d}",
               "id_number": r.id_number, "name": r.name, "insured_area": "370322",
               "facility_code": code, "facility_name": name,
               "in_county": "1" if in_county else "0", "encounter_id": enc_id,
               "visit_type": {"inpatient": "21", "emergency": "12"}.get(cls, "11"),
               "admit_date": start.date(), "discharge_date": end.date() if end else None,
               "total_cost": cost, "fund_paid": fund, "self_paid": round(cost - fund, 2),
               "diagnosis_code": dx.insurance, "settled_at": settled, "updated_at": settled,
               "change_flag": "1", "_level": f.level if f else "outside"}
        night.add(self.insurance.code, "insurance_settlements", row)
        if self.keep_history:
            self.state.settlements.append(row)

    # -- the night -----------------------------------------------------------------------
    def day(self, day: dt.date, first: bool) -> Night:
        night = Night(day)
        rng = self.rng
        if first:
            self._registry(night)
        n = len(self.residents)
        for _name, level, cls, rate in EVENTS:
            for idx in rng.sample(range(n), approx_binomial(rng, n, rate)):
                r = self.residents[idx]
                if r.died:
                    continue
                if level == "outside":
                    self._outside(night, r, cls)
                else:
                    self._encounter(night, self._facility(level, r), r, cls)
        self._discharge(night)
        self._community_deaths(night)
        self._followups(night)
        self._new_contracts(night)
        if not first:
            self._amend_earlier(night)
        if self.keep_history:
            self.state.nights.append(night)
            self.state.snapshots[day] = dict(self.state.encounters)
        else:
            self._forget_before(day - dt.timedelta(days=AMEND_WINDOW_DAYS))
        return night

    def _forget_before(self, cutoff: dt.date) -> None:
        """Drop encounters that began before `cutoff` (no longer amended or discharged:
        stays last at most 12 days), so a year of a million residents fits in memory."""
        gone = {k for k, e in self.state.encounters.items() if e.start.date() < cutoff}
        for k in gone:
            del self.state.encounters[k]
            self.last_sent.pop(k, None)
        for code, ids in self.amendable.items():
            self.amendable[code] = [e for e in ids if e not in gone]

    def _registry(self, night: Night) -> None:
        """Public health's first delivery: every resident's health record and contract."""
        ph = self.public_health
        stamp = dt.datetime.combine(night.date, dt.time(1, 0))
        for r in self.residents:
            night.add(ph.code, "patients", self._patient_row(night, ph, r, r.record_no, stamp))
            self.state.local_ids[(ph.code, r.index)] = r.record_no
            if r.contract_signed:
                self._contract_row(night, r, r.contract_signed, stamp)

    def _contract_row(self, night: Night, r: Resident, signed: dt.date,
                      stamp: dt.datetime) -> None:
        night.add(self.public_health.code, "family_doctor_contracts", {
            "record_id": f"QY{r.record_no}", "id_number": r.id_number, "name": r.name,
            "team_code": f"{r.township}T{r.village % 5 + 1:02d}", "township_code": r.township,
            "signed_date": signed, "end_date": signed.replace(year=signed.year + 1),
            "priority_groups": ";".join(r.priority_groups(signed)), "updated_at": stamp,
            "change_flag": "1"})

    def _new_contracts(self, night: Night) -> None:
        rng, n = self.rng, len(self.residents)
        for idx in rng.sample(range(n), approx_binomial(rng, n, NEW_CONTRACT_RATE)):
            r = self.residents[idx]
            if r.contract_signed is None and not r.died:
                r.contract_signed = night.date
                self._contract_row(night, r, night.date, self._stamp(night.date))

    def _outside(self, night: Night, r: Resident, cls: str) -> None:
        """Care outside the county: no facility of ours sees it, only the settlement does."""
        if not r.insured:
            return
        rng = self.rng
        start = self._stamp(night.date)
        self.serial["outside"] += 1
        enc_id = f"W{night.date:%Y%m%d}{self.serial['outside']:06d}"
        los = rng.randint(4, 14) if cls == "inpatient" else 0
        end = start + dt.timedelta(days=los) if los else None
        cost = round(rng.uniform(8000, 60000) if los else rng.uniform(100, 900), 2)
        dx = rng.choice(codes.INPATIENT if los else codes.ACUTE)
        self.state.encounters[enc_id] = Encounter(enc_id, "outside", "outside", r.index, cls,
                                                  start, end, in_county=False)
        self._settle(night, None, r, enc_id, cls, start, end, cost, dx, False,
                     rng.choice(codes.OUTSIDE_HOSPITALS))

    def _discharge(self, night: Night) -> None:
        for enc_id in self.discharges.pop(night.date, []):
            enc = self.state.encounters[enc_id]
            if enc.cancelled or enc.quarantined:
                continue
            f, r = self.by_code[enc.facility], self.residents[enc.resident]
            end = dt.datetime.combine(night.date, dt.time(self.rng.randint(8, 11), 0))
            died = self.rng.random() < 0.015
            enc.end = end
            self.state.record("discharge", night.date, f.code, enc_id, r.index, enc.start, end,
                              died)
            prior = self.last_sent[enc_id]
            self._send(night, f.code, {
                **prior, "end_time": end, "disposition": DEATH_DISPOSITION if died else "1",
                "updated_at": end, "change_flag": "2"})
            dx = self.rng.choice(codes.INPATIENT)
            if r.insured:
                self._settle(night, f, r, enc_id, "inpatient", enc.start, end,
                             float(prior["total_cost"]), dx, True)
            if died:
                self._death(night, r, night.date)
            elif self.rng.random() < 0.15:
                self._referral(night, f, self.townships[r.township],
                               self.state.local_ids[(f.code, r.index)], "down", dx, end)

    def _community_deaths(self, night: Night) -> None:
        """Deaths at home: the public-health registry re-sends the record with a death date."""
        rng, n = self.rng, len(self.residents)
        for idx in rng.sample(range(n), approx_binomial(rng, n, DEATH_RATE * 3)):
            r = self.residents[idx]
            age = r.age_on(night.date)
            if not r.died and rng.random() < (0.9 if age >= 65 else 0.1 if age >= 45 else 0.02):
                self._death(night, r, night.date)

    def _death(self, night: Night, r: Resident, day: dt.date) -> None:
        r.died = day
        self.state.deaths += 1
        ph = self.public_health
        stamp = dt.datetime.combine(day, dt.time(20, 0))
        row = self._patient_row(night, ph, r, r.record_no, stamp)
        row.update(id_number=r.id_number, sex=r.sex, change_flag="2")
        night.add(ph.code, "patients", row)

    def _followups(self, night: Night) -> None:
        rng = self.rng
        managed = [r for r in self.chronic if r.contract_signed and not r.died]
        for r in rng.sample(managed, approx_binomial(rng, len(managed), FOLLOWUP_RATE)):
            when = self._stamp(night.date)
            controlled = rng.random() < 0.6
            sbp = rng.randint(110, 139) if controlled else rng.randint(140, 175)
            dbp = rng.randint(65, 89) if controlled else rng.randint(85, 105)
            for disease, has in (("hypertension", r.hypertension), ("diabetes", r.diabetes)):
                if not has:
                    continue
                self.state.followups += 1
                glucose = round(rng.gauss(6.6 if controlled else 8.4, 0.8), 1) \
                    if disease == "diabetes" else None
                self.state.record("followup", night.date, self.public_health.code, r.index,
                                  disease, when.date(), sbp, dbp, glucose)
                village = self.villages[r.township][(r.village - 1)
                                                    % len(self.villages[r.township])]
                night.add(self.public_health.code, "chronic_followups", {
                    "record_id": f"SF{when:%Y%m%d}{self.state.followups:08d}",
                    "id_number": r.id_number, "disease": disease, "followup_date": when.date(),
                    "sbp": sbp, "dbp": dbp, "fasting_glucose": glucose,
                    "managing_facility": village.code, "updated_at": when, "change_flag": "1"})

    def _amend_earlier(self, night: Night) -> None:
        """Each clinical facility re-sends one earlier visit corrected (flag 2) and cancels one
        (flag 3) at the configured rates: the latest version must win downstream."""
        rng, day = self.rng, night.date
        stamp = dt.datetime.combine(day, dt.time(20, 0))
        for code in sorted(self.amendable):
            pool = [e for e in self.amendable[code]
                    if self.state.encounters[e].start.date() < day]
            picks = rng.sample(pool, min(len(pool), 2))
            if len(picks) < 2:
                continue
            fixed, gone = picks
            if rng.random() < self.defects.corrections_per_facility_night:
                row = self.last_sent[fixed]
                self._send(night, code, {**row, "department": row["department"] + "(更正)",
                                         "updated_at": stamp, "change_flag": "2"})
                night.defect(code, "encounters", "correction")
            if rng.random() < self.defects.cancellations_per_facility_night:
                row = self.last_sent[gone]
                self._send(night, code, {**row, "updated_at": stamp, "change_flag": "3"})
                self.amendable[code].remove(gone)
                self.state.encounters[gone] = Encounter(
                    **{**self.state.encounters[gone].__dict__, "cancelled": True})
                night.defect(code, "encounters", "cancellation")


def simulate(residents: list[Resident], facilities: list[SynthFacility], start: dt.date,
             days: int, seed: int, defects: DefectRates) -> CareState:
    sim = Simulation(residents, facilities, seed, defects)
    for d in range(days):
        sim.day(start + dt.timedelta(days=d), first=d == 0)
    return sim.state


def simulate_nights(residents: list[Resident], facilities: list[SynthFacility],
                    start: dt.date, days: int, seed: int, defects: DefectRates
                    ) -> Iterator[Night]:
    """The nights one at a time, nothing kept once yielded (no truth): for histories."""
    sim = Simulation(residents, facilities, seed, defects, keep_history=False)
    for d in range(days):
        yield sim.day(start + dt.timedelta(days=d), first=d == 0)
