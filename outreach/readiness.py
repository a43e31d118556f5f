"""The readiness protocol: each shift's checklist, its computed and ticked items, Go / no-go, revocation.

No team goes out until the response and referral network is in place (DOMAIN.md, "Before any direct
outreach"). Each shift gets a copy of data/checklist.yml when it is planned; computed items are
checked live from the database; ticked items record who ticked them, when, and any evidence.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlite_utils import Database

from outreach import i18n, outbox, replays
from outreach.catalog import KINDS, CatalogError, Entry, Words, load_entries, translated_field
from outreach.events import Event
from outreach.hotlines import NATIONAL_ID, Hotline, load_hotlines, national
from outreach.night import record_go as record_night_go
from outreach.partners import Partner, get_partner, load_categories, partners_by_id
from outreach.privacy import Screen
from outreach.shifts import Shift, get_shift, team
from outreach.store import Store, from_iso, iso
from outreach.trainings import TrainingRecord, holds, records_by_person, required

SECTIONS = Words({  # each read in the language in force
    "law-enforcement": i18n.N_("Law enforcement"),
    "services": i18n.N_("Service readiness"),
    "hotline": i18n.N_("Hotline"),
    "team-safety": i18n.N_("Team and safety"),
    "materials": i18n.N_("Materials"),
})
CHECKS = ("team_size", "experienced", "training", "languages", "services", "hotline", "contact")
# The partner directory's category of the night's law enforcement contact (data/service_categories.yml).
LAW_ENFORCEMENT = "law-enforcement"
MAX_TICKED_PER_SECTION = 10
MAX_EVIDENCE = 200
# How an item's evidence is given: typed words, a member of the workspace picked (kept as their user id), or
# minutes: the team's check-in interval, which sets the shift's mid-shift check-ins (as /outreach checkevery).
EVIDENCE_KINDS = ("text", "member", "minutes")


# ---------------------------------------------------------------- the protocol's data files


@dataclass(frozen=True)
class Protocol:
    """The checklist, the service categories and the local hotlines, loaded from data/."""

    checklist: list[Entry]
    categories: list[Entry]
    hotlines: list[Hotline]

    def category(self, ident: str) -> Entry | None:
        """The service category with this id."""
        return next((c for c in self.categories if c.id == ident), None)

    def category_name(self, ident: str) -> str:
        """A category's readable name (the id when unknown)."""
        entry = self.category(ident)
        return entry.name if entry else ident

    def hotline(self, ident: str | None) -> Hotline | None:
        """The national hotline or a local one, by id."""
        if ident in (None, NATIONAL_ID):
            return national()  # its name in the language in force
        return next((h for h in self.hotlines if h.id == ident), None)


def _checklist_validator(categories: set[str], trainings: set[str]):  # noqa: ANN202
    ticked: dict[str, int] = {}

    def check(item: dict) -> str | None:
        section = item.get("section")
        if section not in SECTIONS:
            return f"`section` must be one of {', '.join(SECTIONS)}"
        kinds = item.get("kinds")
        if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
            return f"`kinds` must be a list of {', '.join(KINDS)}"
        if "required" in item and not isinstance(item["required"], bool):
            return "`required` must be true or false"
        name = item.get("check")
        if name is not None and name not in CHECKS:
            return f"unknown `check` {name!r}; the checks are {', '.join(CHECKS)}"
        evidence = item.get("evidence")
        if evidence is not None and (not isinstance(evidence, str) or not evidence.strip()):
            return "`evidence` must be the question to ask, in words"
        if name and evidence:
            return "an item is either computed (`check`) or ticked with `evidence`, not both"
        if "evidence_kind" in item:
            if item["evidence_kind"] not in EVIDENCE_KINDS:
                return f"`evidence_kind` must be one of {', '.join(EVIDENCE_KINDS)}"
            if not evidence:
                return "`evidence_kind` needs `evidence`: the question asked"
        if name == "services":
            cats = item.get("categories")
            if not isinstance(cats, list) or not cats:
                return "a `services` check needs `categories`: a list of service category ids"
            unknown = [c for c in cats if c not in categories]
            if unknown:
                return f"unknown service category {unknown[0]!r} (see service_categories.yml)"
        if name == "contact":
            category = item.get("category")
            if not isinstance(category, str) or not category:
                return "a `contact` check needs `category`: the service category of the agency picked"
            if category not in categories:
                return f"unknown service category {category!r} (see service_categories.yml)"
        if name == "experienced":
            training, shifts = item.get("training"), item.get("shifts")
            if training is not None and training not in trainings:
                return f"unknown training {training!r} (see trainings.yml)"
            if shifts is not None and (not isinstance(shifts, int) or isinstance(shifts, bool) or shifts < 1):
                return "`shifts` must be a whole number of at least 1"
            if training is None and shifts is None:
                return "an `experienced` check needs a `training`, a number of `shifts`, or both"
        if not name:
            ticked[section] = ticked.get(section, 0) + 1
            if ticked[section] > MAX_TICKED_PER_SECTION:
                return f"a section can have at most {MAX_TICKED_PER_SECTION} ticked items"
        return None

    return check


_CACHE: dict[Path, Protocol] = {}


def load_protocol(data_dir: Path, *, fresh: bool = False) -> Protocol:
    """Load and check checklist.yml, service_categories.yml and hotlines.yml; raise CatalogError."""
    if not fresh and data_dir in _CACHE:  # every readiness line asks: no filesystem call then
        return _CACHE[data_dir]
    key = Path(data_dir).resolve()
    if key in _CACHE and not fresh:
        _CACHE[data_dir] = _CACHE[key]
        return _CACHE[key]
    categories = load_categories(key / "service_categories.yml")
    trainings = {t.id for t in load_entries(key / "trainings.yml")}
    checklist = load_entries(
        key / "checklist.yml", validate=_checklist_validator({c.id for c in categories}, trainings)
    )
    hotlines = load_hotlines(key / "hotlines.yml")
    path = key / "checklist.yml"
    if not any(item.get("check") == "team_size" for item in checklist):
        raise CatalogError(path, None, "needs a `team_size` item: direct outreach never goes alone")
    _CACHE[key] = _CACHE[data_dir] = Protocol(checklist, categories, hotlines)
    return _CACHE[key]


# ---------------------------------------------------------------- a shift's checklist


def _item_row(shift_id: int, position: int, entry: Entry) -> dict:
    params = {k: v for k, v in entry.extra.items() if k not in ("section", "kinds", "required", "check", "evidence")}
    return {
        "shift_id": shift_id, "item_id": entry.id, "position": position, "section": entry.get("section"),
        "name": entry.english, "required": 1 if entry.get("required", True) else 0,
        "kinds": json.dumps(entry.get("kinds")), "check_name": entry.get("check"),
        "params": json.dumps(params, sort_keys=True), "evidence_label": entry.get("evidence"),
    }


def ensure_checklist(db: Database, protocol: Protocol, shift_id: int) -> None:
    """Give a shift its own copy of the checklist if it has none (inside the caller's transaction)."""
    if next(db.query("SELECT 1 FROM readiness_items WHERE shift_id = ? LIMIT 1", [shift_id]), None):
        return
    db["readiness_items"].insert_all([_item_row(shift_id, n, e) for n, e in enumerate(protocol.checklist)])
    db.execute("INSERT OR IGNORE INTO readiness (shift_id, hotline) VALUES (?, ?)", [shift_id, NATIONAL_ID])


def new_items(db: Database, protocol: Protocol, shift_id: int) -> list[Entry]:
    """Items of the checklist file that this shift's checklist does not have yet."""
    have = {r["item_id"] for r in db.query("SELECT item_id FROM readiness_items WHERE shift_id = ?", [shift_id])}
    return [e for e in protocol.checklist if e.id not in have]


def pull_new_items(store: Store, protocol: Protocol, *, shift_id: int, actor: str,
                   channel: str | None = None) -> list[Entry]:
    """Add the checklist file's new items to a shift's checklist; return them."""
    with store.write() as db:
        ensure_checklist(db, protocol, shift_id)
        added = new_items(db, protocol, shift_id)
        start = next(db.query("SELECT coalesce(max(position), -1) + 1 AS n FROM readiness_items WHERE shift_id = ?",
                              [shift_id]))["n"]
        if added:
            db["readiness_items"].insert_all([_item_row(shift_id, start + n, e) for n, e in enumerate(added)])
            store.audit(db, actor=actor, action="readiness.pull", subject=f"shift:{shift_id}",
                        detail={"items": [e.id for e in added]})
            recheck(store, db, protocol, shift_id, now=store.clock(), channel=channel)
    return added


@dataclass(frozen=True)
class ItemState:
    """One item of a shift's checklist, as it stands now."""

    id: str
    section: str
    english_name: str
    required: bool
    check: str | None
    passed: bool
    detail: dict = field(default_factory=dict)
    english_evidence_label: str | None = None
    ticked_by: str | None = None
    ticked_at: datetime | None = None
    evidence: str | None = None
    evidence_kind: str = "text"
    # The item's words in the other languages, as the checklist file gave them (`name_es`, `evidence_es`).
    translations: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The item's words in the language in force (English when the checklist has none in it)."""
        return self.translations.get(translated_field("name", i18n.current())) or self.english_name

    @property
    def evidence_label(self) -> str | None:
        """The question the item asks, in the language in force (None for items without one)."""
        if not self.english_evidence_label:
            return None
        return self.translations.get(translated_field("evidence", i18n.current())) or self.english_evidence_label

    @property
    def computed(self) -> bool:
        """True for items the bot checks itself."""
        return self.check is not None

    def as_context(self) -> dict:
        """A JSON-able record of the item, for a notification: its words in the language in force, and under
        `names` in each language (for a reader of another language)."""
        names = {code: self.translations.get(translated_field("name", code)) or self.english_name
                 for code in i18n.LANGUAGES}
        return {"id": self.id, "name": self.name, "names": names, "check": self.check, "detail": self.detail,
                "ticked_by": None, "evidence_label": self.evidence_label}


@dataclass(frozen=True)
class Readiness:
    """A shift's checklist evaluated now, with its Go record."""

    shift: Shift
    items: list[ItemState]
    hotline: str
    go_by: str | None
    go_at: datetime | None
    revoked_at: datetime | None
    revoked_reason: list[dict]
    new_items: int = 0

    @property
    def applies(self) -> bool:
        """True when any checklist item applies to this kind of shift."""
        return bool(self.items)

    @property
    def missing(self) -> list[ItemState]:
        """Required items that do not pass."""
        return [i for i in self.items if i.required and not i.passed]

    @property
    def missing_computed(self) -> list[ItemState]:
        """Required items the bot checks that do not pass."""
        return [i for i in self.missing if i.computed]

    @property
    def missing_ticked(self) -> list[ItemState]:
        """Required items nobody has ticked yet."""
        return [i for i in self.missing if not i.computed]

    @property
    def ready(self) -> bool:
        """True when every required item passes."""
        return not self.missing

    @property
    def go(self) -> bool:
        """True when Go is recorded (it is taken back as soon as readiness breaks)."""
        return self.go_by is not None

    @property
    def required_count(self) -> int:
        """How many items are required."""
        return sum(1 for i in self.items if i.required)

    @property
    def passed_count(self) -> int:
        """How many required items pass."""
        return sum(1 for i in self.items if i.required and i.passed)

    def by_section(self) -> list[tuple[str, str, list[ItemState]]]:
        """(section id, section name, items) for each section with items, in the file's order."""
        return [(key, name, [i for i in self.items if i.section == key]) for key, name in SECTIONS.items()
                if any(i.section == key for i in self.items)]


def contact_item(state: Readiness) -> ItemState | None:
    """The item naming the night's law enforcement contact: an agency picked from the partner directory."""
    return next((i for i in state.items if i.check == "contact" and i.section == "law-enforcement"), None)


def languages_of(db: Database, user_id: str) -> list[str]:
    """The languages a volunteer recorded with /outreach profile languages."""
    return _languages(db, [user_id])[user_id]


def _languages(db: Database, user_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {u: [] for u in user_ids}
    for row in db.query("SELECT user_id, language FROM volunteer_languages "
                        "WHERE user_id IN (SELECT value FROM json_each(?)) ORDER BY language", [_ids(user_ids)]):
        out[row["user_id"]].append(row["language"])
    return out


def set_languages(store: Store, *, user_id: str, languages: list[str]) -> None:
    """Replace the languages a volunteer speaks (the periodic re-check sees any effect on a Go)."""
    now = store.clock()
    with store.write() as db:
        db.execute("DELETE FROM volunteer_languages WHERE user_id = ?", [user_id])
        for language in dict.fromkeys(languages):
            db["volunteer_languages"].insert({"user_id": user_id, "language": language, "recorded_at": iso(now)})


def on_call(db: Database, shift_id: int) -> dict[str, dict]:
    """The partner on call for each category of a shift, with who confirmed it."""
    return _on_call(db, [shift_id])[shift_id]


def _on_call(db: Database, shift_ids: list[int]) -> dict[int, dict[str, dict]]:
    out: dict[int, dict[str, dict]] = {i: {} for i in shift_ids}
    for row in db.query("SELECT * FROM on_call WHERE shift_id IN (SELECT value FROM json_each(?))", [_ids(shift_ids)]):
        out[row["shift_id"]][row["category"]] = row
    return out


def _ids(values: list) -> str:
    """A list as one JSON parameter, for `IN (SELECT value FROM json_each(?))`."""
    return json.dumps(values)


@dataclass
class Facts:
    """What several shifts' checklists are evaluated from, read with a few queries for them all.

    Valid inside the transaction it was loaded in (it reads more from `db` on demand).
    """

    db: Database
    records: dict[int, dict]
    items: dict[int, list[dict]]
    teams: dict[int, list[str]]  # who goes out: the lead first, then each confirmed member, each once
    trainings: dict[str, list[TrainingRecord]]
    languages: dict[str, list[str]]
    on_call: dict[int, dict[str, dict]]
    partners: dict[int, Partner]
    _direct: dict[tuple[str, str, int], bool] = field(default_factory=dict)

    @classmethod
    def load(cls, db: Database, shift_ids: list[int]) -> Facts:
        """Read the checklists, teams, on-call partners and the team's trainings and languages."""
        ids = _ids(shift_ids)
        records = {r["shift_id"]: r for r in db.query(
            "SELECT * FROM readiness WHERE shift_id IN (SELECT value FROM json_each(?))", [ids])}
        items: dict[int, list[dict]] = {i: [] for i in shift_ids}
        for row in db.query("SELECT * FROM readiness_items WHERE shift_id IN (SELECT value FROM json_each(?)) "
                            "ORDER BY shift_id, position", [ids]):
            items[row["shift_id"]].append(row)
        teams: dict[int, list[str]] = {i: [] for i in shift_ids}
        for row in db.query("SELECT id, lead FROM shifts WHERE id IN (SELECT value FROM json_each(?)) "
                            "AND lead IS NOT NULL", [ids]):
            teams[row["id"]].append(row["lead"])
        for row in db.query("SELECT shift_id, user_id FROM signups WHERE shift_id IN (SELECT value FROM json_each(?)) "
                            "AND status = 'confirmed' ORDER BY id", [ids]):
            if row["user_id"] not in teams[row["shift_id"]]:
                teams[row["shift_id"]].append(row["user_id"])
        people = sorted({u for team_now in teams.values() for u in team_now})
        calls = _on_call(db, shift_ids)
        partner_ids = sorted({c["partner_id"] for by_category in calls.values() for c in by_category.values()})
        return cls(db=db, records=records, items=items, teams=teams, trainings=records_by_person(db, people),
                   languages=_languages(db, people), on_call=calls, partners=partners_by_id(db, partner_ids))

    def holds(self, user: str, training: str, on: date) -> bool:
        """True when a team member holds the training, valid on that day."""
        return holds(self.trainings.get(user, []), training, on)

    def done_direct(self, user: str, before: datetime, at_least: int) -> bool:
        """True when a team member was confirmed on `at_least` direct outreach shifts that ended by `before`."""
        key = (user, iso(before), at_least)
        if key not in self._direct:
            row = next(self.db.query(
                "SELECT count(*) AS n FROM (SELECT 1 FROM signups g JOIN shifts s ON s.id = g.shift_id "
                "WHERE g.user_id = ? AND g.status = 'confirmed' AND s.status = 'planned' AND s.kind = 'direct' "
                "AND s.ends_at <= ? LIMIT ?)", [user, key[1], at_least]))
            self._direct[key] = row["n"] >= at_least
        return self._direct[key]


def _compute(facts: Facts, protocol: Protocol, shift: Shift, row: dict, params: dict, *, now: datetime,
             hotline_id: str, team_now: list[str]) -> tuple[bool, dict]:
    check = row["check_name"]
    day = shift.local_start().date()
    if check == "team_size":
        minimum = max(shift.min_team, 2 if shift.kind == "direct" else 1)
        return len(team_now) >= minimum, {"team": len(team_now), "minimum": minimum, "lead": shift.lead is not None}
    if check == "experienced":
        training, shifts = params.get("training"), params.get("shifts")
        before = min(now, shift.starts_at)
        experienced = [
            u for u in team_now
            if (training and facts.holds(u, training, day))
            or (shifts and facts.done_direct(u, before, shifts))
        ]
        return bool(experienced), {"experienced": experienced, "training": training, "shifts": shifts}
    if check == "training":
        if not required(shift.kind, shift.training):
            return True, {"training": None, "lacking": []}
        lacking = [u for u in team_now if not facts.holds(u, shift.training, day)]
        return not lacking, {"training": shift.training, "lacking": lacking}
    if check == "languages":
        spoken: dict[str, str] = {}
        for user in team_now:
            for lang in facts.languages.get(user, []):
                spoken.setdefault(lang, "team")
        for entry in facts.on_call[shift.id].values():
            partner = facts.partners.get(entry["partner_id"])
            for lang in partner.languages if partner else []:
                spoken.setdefault(lang, "partner")
        uncovered = [lang for lang in shift.languages if lang not in spoken]
        return not uncovered, {"needed": shift.languages, "uncovered": uncovered}
    if check == "services":
        confirmed = facts.on_call[shift.id]
        covered: dict[str, str] = {}
        for category in params.get("categories", []):
            entry = confirmed.get(category)
            partner = facts.partners.get(entry["partner_id"]) if entry else None
            if partner and category in partner.categories:
                covered[category] = partner.name
        missing = [c for c in params.get("categories", []) if c not in covered]
        return not missing, {"missing": missing, "covered": covered, "categories": list(params.get("categories", []))}
    if check == "contact":
        category = str(params.get("category") or "")
        entry = facts.on_call[shift.id].get(category)
        partner = facts.partners.get(entry["partner_id"]) if entry else None
        picked = partner is not None and category in partner.categories
        return picked, {"category": category, "partner_id": partner.id if picked else None,
                        "partner": partner.name if picked else None, "phone": partner.phone if picked else None,
                        "by": entry["confirmed_by"] if picked else None, "typed": bool(params.get("typed"))}
    if check == "hotline":
        hotline = protocol.hotline(hotline_id)
        if hotline is None:
            return False, {"hotline": hotline_id, "name": hotline_id, "unknown": True, "unmet": []}
        return hotline.qualified, {"hotline": hotline.id, "name": hotline.name, "unknown": False, "unmet": hotline.unmet}
    return False, {"unknown_check": check}


def _item_translations(protocol: Protocol, row: dict, params: dict) -> dict:
    """An item's words in other languages: copied with it (`name_es`...), else (a checklist copied before the file
    had them) the checklist file's, when the file's item still says the same in English."""
    fields = [translated_field(key, code) for key in ("name", "evidence") for code in i18n.TRANSLATED]
    kept = {f: params[f] for f in fields if isinstance(params.get(f), str)}
    if kept:
        return kept
    entry = next((e for e in protocol.checklist if e.id == row["item_id"]), None)
    if entry is None or entry.english != row["name"] or entry.get("evidence") != row["evidence_label"]:
        return {}
    return {f: entry.extra[f] for f in fields if isinstance(entry.extra.get(f), str)}


def evaluate(db: Database, protocol: Protocol, shift: Shift, *, now: datetime, facts: Facts | None = None) -> Readiness:
    """A shift's checklist as it stands now (creating it first if the shift has none).

    With `facts` loaded for it (see `readiness_many`), the shift must have its checklist already.
    """
    if facts is None:
        ensure_checklist(db, protocol, shift.id)
        facts = Facts.load(db, [shift.id])
    record = facts.records[shift.id]
    rows = facts.items[shift.id]
    team_now = facts.teams[shift.id]
    items: list[ItemState] = []
    for row in rows:
        if shift.kind not in json.loads(row["kinds"]):
            continue
        params = json.loads(row["params"] or "{}")
        if row["check_name"]:
            passed, detail = _compute(facts, protocol, shift, row, params, now=now, hotline_id=record["hotline"],
                                      team_now=team_now)
        else:
            passed, detail = row["ticked_by"] is not None, {}
        items.append(ItemState(
            id=row["item_id"], section=row["section"], english_name=row["name"], required=bool(row["required"]),
            check=row["check_name"], passed=passed, detail=detail, english_evidence_label=row["evidence_label"],
            ticked_by=row["ticked_by"], ticked_at=from_iso(row["ticked_at"]) if row["ticked_at"] else None,
            evidence=row["evidence"], evidence_kind=str(params.get("evidence_kind") or "text"),
            translations=_item_translations(protocol, row, params),
        ))
    have = {r["item_id"] for r in rows}
    return Readiness(
        shift=shift, items=items, hotline=record["hotline"] or NATIONAL_ID, go_by=record["go_by"],
        go_at=from_iso(record["go_at"]) if record["go_at"] else None,
        revoked_at=from_iso(record["revoked_at"]) if record["revoked_at"] else None,
        revoked_reason=json.loads(record["revoked_reason"] or "[]"),
        new_items=sum(1 for e in protocol.checklist if e.id not in have),
    )


def readiness_many(store: Store, protocol: Protocol, shifts: list[Shift]) -> dict[int, Readiness]:
    """Several shifts' readiness now, by shift id, read together (a list's readiness lines).

    A read, unless some shift has no checklist yet: those get theirs first, in one write.
    """
    ids = [s.id for s in shifts]
    with store.read() as db:
        have = {r["shift_id"] for r in db.query(
            "SELECT shift_id FROM readiness WHERE shift_id IN (SELECT value FROM json_each(?))", [_ids(ids)])}
    if len(have) < len(set(ids)):
        with store.write() as db:
            for shift_id in dict.fromkeys(ids):
                if shift_id not in have:
                    ensure_checklist(db, protocol, shift_id)
    now = store.clock()
    with store.read() as db:
        facts = Facts.load(db, ids)
        return {s.id: evaluate(db, protocol, s, now=now, facts=facts) for s in shifts}


def readiness_of(store: Store, protocol: Protocol, shift_id: int) -> Readiness | None:
    """A shift's readiness now (None for an unknown shift); a read, unless the checklist must be made."""
    with store.read() as db:
        shift = get_shift(db, shift_id)
    return readiness_many(store, protocol, [shift])[shift_id] if shift else None


# ---------------------------------------------------------------- who may do what


def may_edit(shift: Shift, *, actor: str, coordinator: bool) -> bool:
    """The lead and coordinators tick items, confirm partners, choose the hotline and record Go."""
    return coordinator or (shift.lead is not None and actor == shift.lead)


def may_view(db: Database, shift: Shift, *, actor: str, coordinator: bool) -> bool:
    """Those who may edit, and volunteers on the shift (confirmed or waitlisted), may view it."""
    if may_edit(shift, actor=actor, coordinator=coordinator):
        return True
    confirmed, waiting = team(db, shift.id)
    return actor in confirmed or actor in waiting


# ---------------------------------------------------------------- changes


def _touch_and_recheck(store: Store, db: Database, protocol: Protocol, shift_id: int, channel: str | None) -> None:
    recheck(store, db, protocol, shift_id, now=store.clock(), channel=channel)


def tick(store: Store, protocol: Protocol, *, shift_id: int, actor: str, item_id: str, ticked: bool,
         evidence: str | None = None, channel: str | None = None, request_key: str | None = None,
         screen: Screen | None = None) -> bool:
    """Tick or untick a ticked item (with evidence when the item asks for it); False when nothing changed.

    A request whose `request_key` was acted on before (an evidence form sent again) changes nothing;
    evidence in which `screen` finds a personal detail of anyone met is never stored.
    """
    now = store.clock()
    if evidence and screen is not None and screen(evidence, current_year=now.year):
        return False
    with store.write() as db:
        if replays.seen(db, request_key):
            return False
        ensure_checklist(db, protocol, shift_id)
        row = next(db.query("SELECT * FROM readiness_items WHERE shift_id = ? AND item_id = ?", [shift_id, item_id]), None)
        if row is None or row["check_name"]:
            return False
        if ticked:
            if row["evidence_label"] and not (evidence or row["evidence"]):
                return False
            if row["ticked_by"] and evidence is None:
                return False
            replays.record(store, db, request_key)
            db.execute(
                "UPDATE readiness_items SET ticked_by = ?, ticked_at = ?, evidence = coalesce(?, evidence) "
                "WHERE shift_id = ? AND item_id = ?", [actor, iso(now), evidence, shift_id, item_id],
            )
        else:
            if row["ticked_by"] is None:
                return False
            replays.record(store, db, request_key)
            db.execute(
                "UPDATE readiness_items SET ticked_by = NULL, ticked_at = NULL, evidence = NULL "
                "WHERE shift_id = ? AND item_id = ?", [shift_id, item_id],
            )
        store.audit(db, actor=actor, action="readiness.tick" if ticked else "readiness.untick",
                    subject=f"shift:{shift_id}", detail={"item": item_id})
        _touch_and_recheck(store, db, protocol, shift_id, channel)
    return True


def set_on_call(store: Store, protocol: Protocol, *, shift_id: int, actor: str, category: str,
                partner_id: int | None, channel: str | None = None) -> bool:
    """Confirm which partner is on call for a category that night, or withdraw it (None)."""
    now = store.clock()
    with store.write() as db:
        ensure_checklist(db, protocol, shift_id)
        if partner_id is None:
            cursor = db.execute("DELETE FROM on_call WHERE shift_id = ? AND category = ?", [shift_id, category])
            if not cursor.rowcount:
                return False
        else:
            partner = get_partner(db, partner_id)
            if partner is None or category not in partner.categories:
                return False
            db.execute(
                "INSERT INTO on_call (shift_id, category, partner_id, confirmed_by, confirmed_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(shift_id, category) DO UPDATE SET partner_id = excluded.partner_id, "
                "confirmed_by = excluded.confirmed_by, confirmed_at = excluded.confirmed_at",
                [shift_id, category, partner_id, actor, iso(now)],
            )
        store.audit(db, actor=actor, action="readiness.on_call", subject=f"shift:{shift_id}",
                    detail={"category": category, "partner": partner_id})
        _touch_and_recheck(store, db, protocol, shift_id, channel)
    return True


def set_hotline(store: Store, protocol: Protocol, *, shift_id: int, actor: str, hotline: str,
                channel: str | None = None) -> bool:
    """Choose the hotline a shift's team hands out."""
    if protocol.hotline(hotline) is None:
        return False
    with store.write() as db:
        ensure_checklist(db, protocol, shift_id)
        db.execute("UPDATE readiness SET hotline = ? WHERE shift_id = ?", [hotline, shift_id])
        store.audit(db, actor=actor, action="readiness.hotline", subject=f"shift:{shift_id}", detail={"hotline": hotline})
        _touch_and_recheck(store, db, protocol, shift_id, channel)
    return True


@dataclass(frozen=True)
class GoResult:
    """What recording Go did: 'go', 'already', 'missing', 'forbidden', 'not_found', 'closed'."""

    outcome: str
    readiness: Readiness | None


def record_go(store: Store, protocol: Protocol, *, shift_id: int, actor: str, coordinator: bool) -> GoResult:
    """Record Go for a shift: refused while any required item is missing."""
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id)
        if shift is None:
            return GoResult("not_found", None)
        if not may_edit(shift, actor=actor, coordinator=coordinator):
            return GoResult("forbidden", None)
        state = evaluate(db, protocol, shift, now=now)
        if shift.cancelled or shift.ends_at <= now:
            return GoResult("closed", state)
        if not state.ready:
            return GoResult("missing", state)
        if state.go:
            return GoResult("already", state)
        db.execute(
            "UPDATE readiness SET go_by = ?, go_at = ?, revoked_at = NULL, revoked_reason = NULL WHERE shift_id = ?",
            [actor, iso(now), shift_id],
        )
        record_night_go(db, shift, by=actor, at=now)  # kept for the reports even if a re-check takes Go back
        store.audit(db, actor=actor, action="readiness.go", subject=f"shift:{shift_id}")
        return GoResult("go", evaluate(db, protocol, shift, now=now))


def _revoke(store: Store, db: Database, protocol: Protocol, shift_id: int, *, now: datetime) -> dict | None:
    """Take Go back when readiness broke (inside the caller's transaction); what was taken back, or None."""
    record = next(db.query("SELECT * FROM readiness WHERE shift_id = ?", [shift_id]), None)
    if record is None or record["go_by"] is None:
        return None
    shift = get_shift(db, shift_id)
    if shift is None or shift.cancelled or shift.ends_at <= now:
        return None
    state = evaluate(db, protocol, shift, now=now)
    if state.ready:
        return None
    broke = [i.as_context() for i in state.missing]
    db.execute(
        "UPDATE readiness SET go_by = NULL, go_at = NULL, revoked_at = ?, revoked_reason = ? WHERE shift_id = ?",
        [iso(now), json.dumps(broke), shift_id],
    )
    store.audit(db, actor="bot", action="readiness.revoked", subject=f"shift:{shift_id}",
                detail={"items": [b["id"] for b in broke], "go_by": record["go_by"]})
    return {"shift_id": shift_id, "broke": broke, "go_by": record["go_by"], "go_at": record["go_at"],
            "lead": shift.lead}


def _tell_revoked(db: Database, revoked: list[dict], *, channel: str | None, now: datetime) -> None:
    """Queue "Go taken back": one message to each lead listing their shifts, one to the coordinators listing all.

    Each message's key names the Go records it tells of, so a restart neither loses nor repeats it.
    """
    if not revoked:
        return
    by_target: dict[str, list[dict]] = {}
    for entry in revoked:
        if entry["lead"]:
            by_target.setdefault(entry["lead"], []).append(entry)
    if channel:
        by_target[channel] = list(revoked)
    for target, entries in by_target.items():
        shifts = [{"shift_id": e["shift_id"], "broke": e["broke"], "go_by": e["go_by"]} for e in entries]
        context: dict = {"shifts": shifts}
        if len(entries) == 1:  # one shift: named on a lock screen, keyed as it always was
            context.update(shifts[0])
            key = f"readiness-revoked:{entries[0]['shift_id']}:{entries[0]['go_at']}"
        else:
            told = ",".join(f"{e['shift_id']}@{e['go_at']}" for e in sorted(entries, key=lambda e: e["shift_id"]))
            key = f"readiness-revoked:many:{hashlib.sha256(told.encode()).hexdigest()[:24]}"
        outbox.enqueue(db, key=f"{key}:{target}", channel=target, template="readiness/revoked",
                       context=context, due_at=now, now=now)


def recheck(store: Store, db: Database, protocol: Protocol, shift_id: int, *, now: datetime,
            channel: str | None) -> bool:
    """Take Go back when readiness broke, and tell the lead and the coordinators once; True if revoked."""
    revoked = _revoke(store, db, protocol, shift_id, now=now)
    _tell_revoked(db, [revoked] if revoked else [], channel=channel, now=now)
    return revoked is not None


def recheck_all(store: Store, protocol: Protocol, *, channel: str | None, shift_ids: list[int] | None = None) -> int:
    """Re-check every shift with Go that has not ended (for breaks no event carries); return revocations.

    What one pass takes back is told together: one message to each lead, one to the coordinators.
    """
    now = store.clock()
    with store.write() as db:
        ids = [r["shift_id"] for r in db.query(
            "SELECT r.shift_id FROM readiness r JOIN shifts s ON s.id = r.shift_id WHERE r.go_by IS NOT NULL "
            "AND s.status = 'planned' AND s.ends_at > ? ORDER BY s.starts_at, s.id", [iso(now)])]
        if shift_ids is not None:
            ids = [i for i in ids if i in shift_ids]
        revoked = [r for r in (_revoke(store, db, protocol, shift_id, now=now) for shift_id in ids) if r]
        _tell_revoked(db, revoked, channel=channel, now=now)
        return len(revoked)


def shifts_with_partner(db: Database, partner_id: int) -> list[int]:
    """Shifts that have this partner on call."""
    return [r["shift_id"] for r in db.query("SELECT DISTINCT shift_id FROM on_call WHERE partner_id = ?", [partner_id])]


def install(store: Store, protocol: Protocol, *, coordinator_channel: str | None) -> None:
    """Give each new shift its checklist and take Go back when a change breaks readiness."""

    @store.events.on("shift.created")
    def on_created(db: Database, event: Event) -> None:
        ensure_checklist(db, protocol, event.shift_id)

    @store.events.on("signup.withdrawn", "signup.promoted", "shift.edited")
    def on_change(db: Database, event: Event) -> None:
        if event.name == "signup.withdrawn" and event.data.get("was") == "confirmed":
            waiting = team(db, event.shift_id)[1]
            if waiting:
                return  # the first in line is promoted next, in this transaction; that event re-checks
        recheck(store, db, protocol, event.shift_id, now=event.now, channel=coordinator_channel)

    @store.events.on("shift.cancelled")
    def on_cancelled(db: Database, event: Event) -> None:
        db.execute("UPDATE readiness SET go_by = NULL, go_at = NULL WHERE shift_id = ?", [event.shift_id])
