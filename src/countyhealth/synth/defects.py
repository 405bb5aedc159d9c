"""The defects real exports carry, at configurable rates (docs/synthetic.md lists defaults).

Row-level defects are drawn while the rows are made (care.py); file-level ones (encodings,
a late delivery, a truncated file) while the files are written (exports.py). Every injected
defect is counted in truth.json per night, facility and kind.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class DefectRates:
    bad_check_character: float = 0.02  # patient rows: ID with a wrong check character
    missing_id: float = 0.01  # patient rows: ID number left empty
    duplicate_resend: float = 0.01  # encounter rows sent twice in the same file
    corrections_per_facility_night: float = 1.0  # an earlier visit re-sent with flag 2
    cancellations_per_facility_night: float = 1.0  # an earlier visit cancelled with flag 3
    unparseable_date: float = 0.005  # encounter start time that is not a date
    future_date: float = 0.002  # encounter start time after the export night
    out_of_value_set: float = 0.005  # sex "X", a diagnosis code outside ICD-10
    mixed_encoding: float = 0.05  # a UTF-8 facility's file saved as GBK instead
    late_deliveries: int = 1  # facility-nights on the last night whose manifest comes late
    truncated_files: int = 1  # files on the last night cut short (manifest disagrees)

    @classmethod
    def none(cls) -> DefectRates:
        return cls(**{f.name: 0 for f in fields(cls)})

    @classmethod
    def parse(cls, text: str | None) -> DefectRates:
        """`name=value,name=value` over the defaults; `none` switches every defect off."""
        if not text:
            return cls()
        if text.strip() == "none":
            return cls.none()
        known = {f.name: f.type for f in fields(cls)}
        values = {}
        for part in text.split(","):
            name, _, value = part.partition("=")
            name = name.strip()
            if name not in known:
                raise ValueError(f"unknown defect '{name}' (known: {', '.join(known)})")
            values[name] = int(value) if known[name] in ("int", int) else float(value)
        return cls(**values)
