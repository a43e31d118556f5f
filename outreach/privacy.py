"""Screening free text for personal details of the people met during outreach.

Debrief notes must never identify anyone: a phone number, an e-mail address, a street address, a
date of birth or a "name:"-style label is refused, and the writer is told what was found and why.
The screen errs on the side of refusing: a team can always rephrase ("gave a hotline card").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A run of digits with the separators people type in phone numbers; counted by its digits below.
PHONE_RUN = re.compile(r"(?<![\w])\+?\(?\d[\d\s().-]{5,}\d(?![\w])")
DATE_NUMERIC = re.compile(r"\b(\d{1,4})[/.-](\d{1,2})[/.-](\d{2,4})\b")
MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto"
    r"|septiembre|octubre|noviembre|diciembre"
)
DATE_WORDS = re.compile(
    rf"\b(?:(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:de\s+)?"
    rf"(?:{MONTHS})\.?,?\s+(?:de\s+)?(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
BIRTH_WORDS = re.compile(
    r"\b(?:d\.?o\.?b\.?|date\s+of\s+birth|born\s+(?:on|in)\b|birth\s*day|birthdate|fecha\s+de\s+nacimiento"
    r"|naci[oó]\s+el)",
    re.IGNORECASE,
)
STREET = re.compile(
    r"\b\d{1,6}\s+(?:[A-Za-z0-9][\w'.-]*\s+){0,4}?(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln"
    r"|drive|dr|court|ct|way|place|pl|highway|hwy|parkway|pkwy|terrace|circle|cir|square|sq)\b\.?"
    r"|\b(?:apt|apartment|unit|suite|room|rm)\.?\s*#?\s*\d+[a-z]?\b"
    r"|\bp\.?\s?o\.?\s+box\s+\d+"
    r"|\b(?:calle|avenida|carrera)\s+\w+\s+(?:#\s*)?\d+",
    re.IGNORECASE,
)
NAME_LABEL = re.compile(
    r"\b(?:(?:first|last|full|sur|family|real|her|his|their|nick)\s*name|name|nombre|apellido|aka|a\.k\.a\.?"
    r"|goes\s+by|called)\s*[:=]",
    re.IGNORECASE,
)

WHAT = {
    "phone": "a phone number",
    "email": "an e-mail address",
    "address": "a street address",
    "birth": "a date of birth",
    "name": "a name label",
}
ORDER = ("name", "phone", "email", "address", "birth")


@dataclass(frozen=True)
class Finding:
    """One personal detail found: its kind and a masked hint of where it is."""

    kind: str
    hint: str

    @property
    def label(self) -> str:
        """What was found, in words."""
        return WHAT[self.kind]


def _mask(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 3 else text[:3] + "…"


def _dates(text: str, *, current_year: int) -> list[str]:
    found = [m.group(0) for m in DATE_WORDS.finditer(text)]
    for match in DATE_NUMERIC.finditer(text):
        parts = [int(p) for p in match.groups()]
        year = parts[0] if len(match.group(1)) == 4 else parts[2]
        if year < 100:
            year += 1900 if year > current_year % 100 else 2000
        # A date more than a year back is not about the outreach night: treat it as a birth date.
        if year < current_year - 1:
            found.append(match.group(0))
    return found


def screen(text: str | None, *, current_year: int) -> list[Finding]:
    """The personal details found in a text, at most one finding per kind, in a fixed order."""
    text = text or ""
    found: dict[str, str] = {}
    if match := NAME_LABEL.search(text):
        found["name"] = match.group(0)
    if match := EMAIL.search(text):
        found["email"] = match.group(0)
    without_email = EMAIL.sub(" ", text)
    dates = _dates(without_email, current_year=current_year)
    birth = BIRTH_WORDS.search(without_email)
    if birth or dates:
        found["birth"] = birth.group(0) if birth else dates[0]
    for match in PHONE_RUN.finditer(DATE_NUMERIC.sub(" ", without_email)):
        digits = re.sub(r"\D", "", match.group(0))
        if 7 <= len(digits) <= 15:
            found["phone"] = match.group(0)
            break
    if match := STREET.search(without_email):
        found["address"] = match.group(0)
    return [Finding(kind, _mask(found[kind])) for kind in ORDER if kind in found]


def explain(findings: list[Finding]) -> str:
    """One sentence for an inline form error: what was found and why it must not be recorded."""
    what = [f"{f.label} (“{f.hint}”)" for f in findings]
    listed = what[0] if len(what) == 1 else ", ".join(what[:-1]) + " and " + what[-1]
    return (
        f"Please remove {listed}. Notes must never identify anyone you met: details like these could "
        "expose people at risk if this record were ever seen by the wrong person."
    )
