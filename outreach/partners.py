"""The referral network: partners, their service categories and languages, CSV import/export, referrals."""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlite_utils import Database

from outreach import i18n, replays
from outreach.catalog import Catalog, Entry, fold, load_entries
from outreach.shifts import clean_text
from outreach.store import Store, iso

STALE_AFTER = timedelta(days=90)
MAX_NAME = 80
MAX_FIELD = 120
MAX_NOTES = 500
PHONE = re.compile(r"^[0-9+()./\- ]{3,30}$")
ALWAYS = "24/7"
CSV_COLUMNS = ["name", "categories", "languages", "hours", "phone", "contact", "notes", "verified_on"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _check_category(item: dict) -> str | None:
    aliases = item.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        return "`aliases` must be a list of words"
    return None


def load_categories(path: Path) -> list[Entry]:
    """The service categories from data/service_categories.yml; raise CatalogError when malformed."""
    return load_entries(path, validate=_check_category)


@dataclass(frozen=True)
class Partner:
    """One organisation of the referral network."""

    id: int
    name: str
    categories: list[str]
    languages: list[str]
    hours: str
    phone: str
    contact: str
    notes: str
    verified_on: date | None

    @property
    def always_open(self) -> bool:
        """True when the partner answers 24/7."""
        return self.hours == ALWAYS

    def needs_check(self, today: date) -> bool:
        """True when the partner was never verified or not in the last 90 days."""
        return self.verified_on is None or today - self.verified_on > STALE_AFTER


def _partner(row: dict) -> Partner:
    return Partner(
        id=row["id"], name=row["name"], categories=json.loads(row["categories"] or "[]"),
        languages=json.loads(row["languages"] or "[]"), hours=row["hours"], phone=row["phone"],
        contact=row["contact"] or "", notes=row["notes"] or "",
        verified_on=date.fromisoformat(row["verified_on"]) if row["verified_on"] else None,
    )


def all_partners(db: Database) -> list[Partner]:
    """Every partner, by name."""
    return [_partner(r) for r in db.query("SELECT * FROM partners ORDER BY name_key")]


def count(db: Database) -> int:
    """How many partners the directory holds."""
    return db.execute("SELECT count(*) FROM partners").fetchone()[0]


def partners_by_id(db: Database, partner_ids: list[int]) -> dict[int, Partner]:
    """The partners of these ids that exist, by id (one query for all)."""
    return {r["id"]: _partner(r) for r in db.query(
        "SELECT * FROM partners WHERE id IN (SELECT value FROM json_each(?))", [json.dumps(partner_ids)])}


def get_partner(db: Database, partner_id: int) -> Partner | None:
    """One partner, or None."""
    return partners_by_id(db, [partner_id]).get(partner_id)


def search(store: Store, text: str, *, catalog: Catalog, categories: list[Entry]) -> list[Partner]:
    """Partners whose name, contact, notes, category or language matches every word typed."""
    words = [w for w in text.lower().split() if w]
    with store.read() as db:
        partners = all_partners(db)
    if not words:
        return partners
    known = {c.id: c for c in [*categories, *catalog.languages]}

    def haystack(p: Partner) -> str:  # a category or language is found by its name in any language
        parts = [p.name, p.contact, p.notes, p.hours, *p.categories, *p.languages]
        parts += [word for x in [*p.categories, *p.languages] if x in known for word in known[x].spellings()]
        return fold(" ".join(parts))

    return [p for p in partners if all(fold(w) in haystack(p) for w in words)]


# ---------------------------------------------------------------- drafts: the modal and the CSV


@dataclass
class PartnerDraft:
    """What was typed for a partner (in the modal or a CSV row), before checking."""

    name: str | None = None
    categories: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    hours: str | None = None
    phone: str | None = None
    contact: str | None = None
    notes: str | None = None
    verified_on: str | None = None


def normalise_hours(text: str) -> str:
    """'24/7', '24x7', '24 / 7' all become '24/7'; anything else is kept as typed."""
    squashed = re.sub(r"\s+", "", text.lower())
    return ALWAYS if squashed in ("24/7", "24x7", "24h", "24hours", "24/7/365") else text


def check_partner(
    db: Database, draft: PartnerDraft, *, catalog: Catalog, categories: list[Entry], today: date,
    partner_id: int | None = None,
) -> tuple[dict, dict[str, str]]:
    """Check a draft; return the values to store and the errors by field (empty when valid)."""
    errors: dict[str, str] = {}
    name = clean_text(draft.name, limit=MAX_NAME + 1)
    if len(name) < 2:
        errors["name"] = i18n.gettext("Give the partner's name.")
    elif len(name) > MAX_NAME:
        errors["name"] = i18n.gettext("Keep the name under %(most)s characters.") % {"most": MAX_NAME}
    else:
        clash = next(db.query("SELECT id FROM partners WHERE name_key = ?", [name.lower()]), None)
        if clash and clash["id"] != partner_id:
            errors["name"] = i18n.gettext("A partner with this name is already in the directory; edit that one instead.")
    known = {c.id for c in categories}
    chosen = list(dict.fromkeys(c for c in draft.categories if c))
    if not chosen:
        errors["categories"] = i18n.gettext("Choose at least one service category.")
    elif any(c not in known for c in chosen):
        bad = next(c for c in chosen if c not in known)
        errors["categories"] = unknown_category(bad, categories)
    languages = list(dict.fromkeys(x for x in draft.languages if x))
    if any(not catalog.language(x) for x in languages):
        bad = next(x for x in languages if not catalog.language(x))
        errors["languages"] = i18n.gettext("Unknown language %(typed)s; use the ids or names in languages.yml.") % {
            "typed": repr(bad)}
    hours = normalise_hours(clean_text(draft.hours, limit=MAX_FIELD + 1))
    if not hours:
        errors["hours"] = i18n.gettext("Give the hours: 24/7, or when they answer (like Mon-Fri 9-17).")
    elif len(hours) > MAX_FIELD:
        errors["hours"] = i18n.gettext("Keep the hours under %(most)s characters.") % {"most": MAX_FIELD}
    phone = clean_text(draft.phone, limit=40)
    if not PHONE.match(phone):
        errors["phone"] = i18n.gettext("Give a phone number (digits, spaces, + - ( ) only).")
    contact = clean_text(draft.contact, limit=MAX_FIELD + 1)
    if len(contact) > MAX_FIELD:
        errors["contact"] = i18n.gettext("Keep the contact under %(most)s characters.") % {"most": MAX_FIELD}
    notes = clean_text(draft.notes, limit=MAX_NOTES + 1, multiline=True)
    if len(notes) > MAX_NOTES:
        errors["notes"] = i18n.gettext("Keep notes under %(most)s characters.") % {"most": MAX_NOTES}
    verified: str | None = None
    if draft.verified_on and draft.verified_on.strip():
        try:
            day = date.fromisoformat(draft.verified_on.strip())
        except ValueError:
            errors["verified_on"] = i18n.gettext("Give the date as YYYY-MM-DD.")
        else:
            if day > today:
                errors["verified_on"] = i18n.gettext("The last verified date cannot be in the future.")
            verified = day.isoformat()
    values = {
        "name": name, "name_key": name.lower(), "categories": json.dumps(chosen), "languages": json.dumps(languages),
        "hours": hours, "phone": phone, "contact": contact, "notes": notes, "verified_on": verified,
    }
    return values, errors


def unknown_category(typed: str, categories: list[Entry]) -> str:
    """Why a category is refused, naming the known ones it could mean with their exact ids."""
    meant, close = match_need(typed, categories)
    candidates = (meant or close)[:5]
    if not candidates:
        return i18n.gettext("Unknown service category %(typed)s; use the ids or names in service_categories.yml.") % {
            "typed": repr(typed)}
    named = [f"{c.id} ({c.name})" for c in candidates]
    if len(named) == 1:
        return i18n.gettext("Unknown service category %(typed)s: did you mean %(listed)s? Write its id.") % {
            "typed": repr(typed), "listed": named[0]}
    listed = i18n.gettext("%(some)s or %(last)s") % {"some": ", ".join(named[:-1]), "last": named[-1]}
    return i18n.gettext("Unknown service category %(typed)s: it could mean %(listed)s. Write the id you mean "
                        "(several may be given, separated by ;).") % {"typed": repr(typed), "listed": listed}


def save_partner(store: Store, db: Database, *, actor: str, values: dict, partner_id: int | None = None) -> int:
    """Insert or update a checked partner inside the caller's transaction; return its id."""
    now = iso(store.clock())
    if partner_id is None:
        partner_id = db["partners"].insert(dict(values, created_by=actor, created_at=now, updated_at=now)).last_pk
        store.audit(db, actor=actor, action="partner.add", subject=f"partner:{partner_id}", detail={"name": values["name"]})
    else:
        db["partners"].update(partner_id, dict(values, updated_at=now))
        store.audit(db, actor=actor, action="partner.edit", subject=f"partner:{partner_id}", detail={"name": values["name"]})
    return int(partner_id)


@dataclass(frozen=True)
class PartnerSaved:
    """What a submitted partner form did: saved, invalid (see errors), gone, or repeat (saved before)."""

    outcome: Literal["saved", "invalid", "gone", "repeat"]
    partner_id: int | None = None
    name: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def submit_partner(
    store: Store, draft: PartnerDraft, *, actor: str, catalog: Catalog, categories: list[Entry], today: date,
    partner_id: int | None = None, request_key: str | None = None,
) -> PartnerSaved:
    """Check and store a submitted partner form in one write transaction; a resent submission does nothing."""
    with store.write() as db:
        if replays.seen(db, request_key):
            return PartnerSaved("repeat")
        if partner_id is not None and get_partner(db, partner_id) is None:
            return PartnerSaved("gone")
        values, errors = check_partner(db, draft, catalog=catalog, categories=categories, today=today,
                                       partner_id=partner_id)
        if errors:
            return PartnerSaved("invalid", errors=errors)
        replays.record(store, db, request_key)
        saved = save_partner(store, db, actor=actor, values=values, partner_id=partner_id)
    return PartnerSaved("saved", saved, values["name"])


def remove_partner(store: Store, db: Database, *, actor: str, partner_id: int) -> Partner | None:
    """Delete a partner and its on-call confirmations, inside the caller's transaction."""
    partner = get_partner(db, partner_id)
    if partner is None:
        return None
    db.execute("DELETE FROM on_call WHERE partner_id = ?", [partner_id])
    db.execute("DELETE FROM partners WHERE id = ?", [partner_id])
    store.audit(db, actor=actor, action="partner.remove", subject=f"partner:{partner_id}", detail={"name": partner.name})
    return partner


# ---------------------------------------------------------------- CSV


@dataclass(frozen=True)
class ImportReport:
    """What an import did, or why it did nothing."""

    errors: list[tuple[int, str]]
    added: int = 0
    updated: int = 0
    unchanged: int = 0


def _lookup(typed: str, entries: list[Entry], extra: dict[str, str] | None = None) -> str:
    """The id of an entry given its id or its name in any language (ignoring case and accents); the text
    itself when unknown."""
    key = fold(typed)
    for entry in entries:
        if key in {fold(entry.id), *(fold(entry.name_in(code)) for code in i18n.LANGUAGES)}:
            return entry.id
    return (extra or {}).get(typed.strip().lower(), typed.strip())


def _split(cell: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;|]", cell or "") if part.strip()]


def _unguard(cell: str) -> str:
    """Undo the apostrophe export puts before cells a spreadsheet would read as a formula."""
    return cell[1:] if cell.startswith("'") and cell[1:2] in FORMULA_START else cell


def _draft_of(cells: dict[str, str], *, catalog: Catalog, categories: list[Entry]) -> PartnerDraft:
    """A CSV row's cells as a partner's form would give them."""
    return PartnerDraft(
        name=cells.get("name"),
        categories=[_lookup(c, categories) for c in _split(cells.get("categories", ""))],
        languages=[_lookup(x, catalog.languages) for x in _split(cells.get("languages", ""))],
        hours=cells.get("hours"), phone=cells.get("phone"), contact=cells.get("contact"),
        notes=cells.get("notes"), verified_on=cells.get("verified_on"),
    )


def _save_rows(store: Store, db: Database, *, actor: str, rows: list[dict]) -> tuple[int, int, int]:
    """Save checked rows (new partners, or changes to those of the same name): how many added, updated, unchanged."""
    added = updated = unchanged = 0
    for values in rows:
        partner_id = values.pop("_id")
        if partner_id is None:
            save_partner(store, db, actor=actor, values=values)
            added += 1
            continue
        current = db["partners"].get(partner_id)
        if all(current[k] == v for k, v in values.items()):
            unchanged += 1
        else:
            save_partner(store, db, actor=actor, values=values, partner_id=partner_id)
            updated += 1
    return added, updated, unchanged


def import_csv(
    store: Store, text: str, *, actor: str, catalog: Catalog, categories: list[Entry], today: date,
) -> ImportReport:
    """Import partners from CSV text: all rows or none; a row whose name exists updates that partner."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("name", "categories", "hours", "phone") if c not in header]
    if missing:
        return ImportReport([(1, i18n.gettext("the header row needs the columns %(columns)s (missing: %(missing)s)") % {
            "columns": ", ".join(CSV_COLUMNS), "missing": ", ".join(missing)})])
    reader.fieldnames = header
    errors: list[tuple[int, str]] = []
    rows: list[tuple[int, dict]] = []
    with store.write() as db:
        seen: dict[str, int] = {}
        while True:
            try:
                row = next(reader, None)
            except csv.Error:  # a cell over the csv module's 128 KB limit: say where, never crash
                return ImportReport([(reader.line_num + 1,
                                      i18n.gettext("a cell is too long to read (or a quote is not closed)"))])
            if row is None:
                break
            line = reader.line_num
            cells = {k: _unguard((v or "").strip()) for k, v in row.items() if isinstance(k, str)}
            if not any(cells.values()):
                continue
            draft = _draft_of(cells, catalog=catalog, categories=categories)
            existing = next(db.query("SELECT id FROM partners WHERE name_key = ?", [clean_text(draft.name, limit=MAX_NAME + 1).lower()]), None)
            values, problems = check_partner(
                db, draft, catalog=catalog, categories=categories, today=today,
                partner_id=existing["id"] if existing else None,
            )
            if values["name_key"] in seen and "name" not in problems:
                problems["name"] = i18n.gettext("the same name is on line %(line)s already") % {
                    "line": seen[values["name_key"]]}
            seen.setdefault(values["name_key"], line)
            for column, problem in problems.items():
                errors.append((line, f"{column}: {problem}"))
            rows.append((line, dict(values, _id=existing["id"] if existing else None)))
        if errors:
            return ImportReport(errors)
        return ImportReport([], *_save_rows(store, db, actor=actor, rows=[values for _line, values in rows]))


def _guard(cell: str) -> str:
    """Keep a spreadsheet from reading a cell as a formula (phone numbers stay as they are)."""
    if cell.startswith(FORMULA_START) and not PHONE.match(cell):
        return "'" + cell
    return cell


def export_csv(store: Store) -> str:
    """Every partner as CSV text (with a byte-order mark, so spreadsheets read it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    with store.read() as db:
        for p in all_partners(db):
            writer.writerow([_guard(x) for x in (
                p.name, "; ".join(p.categories), "; ".join(p.languages), p.hours, p.phone, p.contact, p.notes,
                p.verified_on.isoformat() if p.verified_on else "",
            )])
    return "\ufeff" + out.getvalue()


# ---------------------------------------------------------------- referrals


def match_need(typed: str, categories: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """The categories a typed need means (its id, its name in English or Spanish, an alias in either; case
    and accents ignored: "vivienda", "abogado"), and (when none) the closest ones to suggest."""
    key = fold(typed)
    if not key:
        return [], []
    exact = [c for c in categories if key in c.spellings()]
    if exact:
        return exact, []
    partial = [c for c in categories
               if any(key in fold(w) for w in (c.id, *(c.name_in(code) for code in i18n.LANGUAGES)))]
    if partial:
        return partial, []
    words: dict[str, Entry] = {}
    for c in categories:
        for word in sorted(c.spellings()):
            words.setdefault(word, c)
            for part in word.replace("(", " ").replace(")", " ").split():
                if len(part) > 3:
                    words.setdefault(part, c)
    close = difflib.get_close_matches(key, list(words), n=8, cutoff=0.6)
    suggestions = list({words[w].id: words[w] for w in close}.values())[:3]
    return [], suggestions


@dataclass(frozen=True)
class Referral:
    """A partner to refer to, and why it ranks where it does."""

    partner: Partner
    on_call: bool
    speaks: bool


def on_call_now(db: Database, *, now: datetime) -> set[int]:
    """Partners confirmed on call for a shift happening now or starting within 12 hours."""
    rows = db.query(
        "SELECT DISTINCT o.partner_id FROM on_call o JOIN shifts s ON s.id = o.shift_id "
        "WHERE s.status = 'planned' AND s.ends_at > ? AND s.starts_at < ?",
        [iso(now), iso(now + timedelta(hours=12))],
    )
    return {r["partner_id"] for r in rows}


def refer(store: Store, *, needs: list[Entry], language: str | None, now: datetime) -> list[Referral]:
    """Partners covering any of the needs: on call tonight, then 24/7, then recently verified, speakers first."""
    wanted = {c.id for c in needs}
    with store.read() as db:
        partners = [p for p in all_partners(db) if wanted & set(p.categories)]
        tonight = on_call_now(db, now=now)
    results = [Referral(p, p.id in tonight, language is None or language in p.languages) for p in partners]

    def rank(r: Referral) -> tuple:
        verified = r.partner.verified_on.toordinal() if r.partner.verified_on else 0
        return (not r.speaks, not r.on_call, not r.partner.always_open, -verified, r.partner.name.lower())

    return sorted(results, key=rank)
