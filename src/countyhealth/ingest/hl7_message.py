"""One HL7 v2 ER7 message, split only as far as a read asks.

python-hl7's `parse` builds the whole tree of every message (segments, fields, repetitions,
components, subcomponents: one object each), and at a county hospital's nightly ADT/ORU
export that tree cost most of the reader's time (three nights of a million-resident
county's hospital, 31,389 records: 5.9 s read with it, 0.48 s with this). The reader asks
for about twenty values per message, so this keeps each segment as its list of field
texts and splits a field into repetitions and components only when one is asked for.
Same delimiters (the ones the message's own MSH declares, with HL7's defaults where it
declares fewer), same numbering (MSH-1 is the field separator, MSH-2 the encoding
characters), same escapes (python-hl7's `unescape`, which returns a value without the
escape character as it is). tests/unit/test_hl7_message.py holds it to
python-hl7's answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from hl7.util import unescape

HEADERS = ("MSH", "FHS", "BHS")


@dataclass(frozen=True)
class _Delimiters:
    """What python-hl7's `unescape` reads: `separators` ordered segment, field, repetition,
    component, subcomponent; `esc` the escape character."""
    separators: str
    esc: str


class Er7Message:
    def __init__(self, text: str) -> None:
        text = text.strip()
        if text[:3] not in HEADERS:
            raise ValueError(f"first segment is {text[:3]!r}, must be MSH")
        field_sep = text[3]
        end = text.find(field_sep, 4)
        declared = text[4:end] if end > 0 else text[4:]
        component, repetition, esc, subcomponent = (declared + "^~\\&"[len(declared):])[:4]
        self.delimiters = _Delimiters(
            "\r" + field_sep + repetition + component + subcomponent, esc)
        self._segments: dict[str, list[list[str]]] = {}
        for segment in text.split("\r"):
            fields = segment.split(field_sep)
            if len(fields) == 1:
                continue  # no field at all: python-hl7 does not see it as a segment either
            if fields[0] in HEADERS:  # MSH-1 is the separator itself, MSH-2 the encoding
                fields = [fields[0], field_sep, *fields[1:]]
            self._segments.setdefault(fields[0], []).append(fields)

    def segments(self, name: str) -> list[list[str]]:
        """Every segment so named, in order; KeyError when there is none (as python-hl7)."""
        try:
            return self._segments[name]
        except KeyError:
            raise KeyError(f"No {name} segments") from None

    def extract_field(self, segment: str, seg_no: int = 1, field: int = 1, rep: int = 1,
                      comp: int = 1, sub: int = 1) -> str:
        """One value (1-based, as HL7 counts); an absent optional part is ''."""
        fields = self.segments(segment)[seg_no - 1]
        if field >= len(fields):
            return ""
        value = fields[field]
        if segment in HEADERS and field in (1, 2):  # the delimiters themselves: not split
            return value if rep == comp == sub == 1 else ""
        _, _, repetition, component, subcomponent = self.delimiters.separators
        for part, separator in ((rep, repetition), (comp, component), (sub, subcomponent)):
            pieces = value.split(separator)
            if part > len(pieces):
                return ""
            value = pieces[part - 1]
        return unescape(self.delimiters, value)
