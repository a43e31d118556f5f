"""Hotlines: the national hotline, the coalition's local ones, and whether a local one is qualified."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from outreach.catalog import Entry, load_entries
from outreach.i18n import N_

NATIONAL_ID = "national"

# The six conditions a local hotline must meet (DOMAIN.md, "Hotline"), by the key used in data/hotlines.yml.
# Marked for translation here, translated where they are shown (`_(CONDITIONS[key])`).
CONDITIONS: dict[str, str] = {
    "staffed_24_7": N_("staffed 24/7"),
    "tele_interpretation": N_("tele-interpretation available"),
    "trained_staff": N_("staff are trained professionals or volunteers working with law enforcement and service "
                        "agencies"),
    "knows_indicators": N_("staff know trafficking indicators and ask the right questions"),
    "trauma_informed_response": N_("a trauma-informed agency with its own referral network responds"),
    "refers_non_trafficking": N_("callers in a non-trafficking crisis are referred on"),
}


@dataclass(frozen=True)
class Hotline:
    """A number a team can hand out, with what is known about it."""

    id: str
    name: str
    phone: str
    text: str | None
    hours: str
    languages: list[str]
    conditions: dict[str, bool]
    national: bool = False
    interpretation: str | None = None

    @property
    def unmet(self) -> list[str]:
        """The conditions not recorded as met (none for the national hotline)."""
        if self.national:
            return []
        return [key for key in CONDITIONS if self.conditions.get(key) is not True]

    @property
    def qualified(self) -> bool:
        """True when a team may hand this number out."""
        return not self.unmet


NATIONAL = Hotline(
    id=NATIONAL_ID, name="National Human Trafficking Hotline", phone="1-888-373-7888", text="233733",
    hours="24/7", languages=[], conditions={}, national=True, interpretation="200+ languages",
)


def _check(item: dict) -> str | None:
    if item.get("id") == NATIONAL_ID:
        return f"the id `{NATIONAL_ID}` is kept for the national hotline; choose another"
    phone = item.get("phone")
    if not isinstance(phone, str) or not phone.strip():
        return "needs a `phone` (in quotes)"
    if item.get("text") is not None and not isinstance(item.get("text"), str):
        return "`text` must be a number in quotes"
    if not isinstance(item.get("hours"), str) or not item["hours"].strip():
        return 'needs `hours`, like "24/7" or "Mon-Fri 9-17"'
    languages = item.get("languages", [])
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        return "`languages` must be a list of language ids"
    conditions = item.get("conditions", {})
    if not isinstance(conditions, dict):
        return "`conditions` must be a mapping of condition: true/false"
    unknown = [k for k in conditions if k not in CONDITIONS]
    if unknown:
        return f"unknown condition {unknown[0]!r}; the conditions are {', '.join(CONDITIONS)}"
    if not all(isinstance(v, bool) for v in conditions.values()):
        return "each condition must be true or false"
    return None


def _hotline(entry: Entry) -> Hotline:
    return Hotline(
        id=entry.id, name=entry.name, phone=str(entry.get("phone")).strip(),
        text=str(entry.get("text")).strip() if entry.get("text") else None,
        hours=str(entry.get("hours")).strip(), languages=list(entry.get("languages") or []),  # type: ignore[arg-type]
        conditions=dict(entry.get("conditions") or {}),  # type: ignore[arg-type]
    )


def load_hotlines(path: Path) -> list[Hotline]:
    """The local hotlines from data/hotlines.yml (may be empty); raise CatalogError when malformed."""
    return [_hotline(e) for e in load_entries(path, validate=_check, allow_empty=True)]
