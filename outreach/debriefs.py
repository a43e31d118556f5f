"""Debriefs after an outreach night: counts, follow-ups, team wellbeing, and notes that expire.

A debrief belongs to one shift. Its lead or a coordinator writes it and may edit it for
EDIT_WINDOW after it was first submitted. Nothing in it may identify anyone met: free text is
screened (outreach.privacy), and its text is blanked after the retention period while the counts stay
(outreach.retention).

The form has two steps. The first screen (at most 8 inputs) is enough for a complete debrief: the
place, times and team come from the shift (`facts_of`). An optional second step adds per-category
counts, the other materials, follow-ups and notes; its details wait in `debrief_drafts`, under the
first screen's view id, until the first screen is saved with them (`save`), or are deleted after DRAFT_KEPT.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from outreach import outbox, privacy, replays
from outreach.catalog import Catalog, Entry, load_entries
from outreach.digits import parse_number
from outreach.events import Event
from outreach.i18n import gettext as _
from outreach.shifts import USER_ID, Shift, clean_text, get_shift, team
from outreach.store import Store, from_iso, iso

EDIT_WINDOW = timedelta(days=7)
# At the end itself the lead's check-out DM asks for the debrief once checked out (outreach/safety.py);
# these are the nudges after it, numbered from 1.
NUDGES = (timedelta(hours=12), timedelta(hours=36))
PENDING_DAYS = 30
MAX_CONTACTS = 1000
MAX_MATERIAL = 10000
MAX_REFERRALS = 200
MAX_TEAM = 50
MAX_SHIFT = timedelta(hours=24)
MAX_NOTES = 2000
MAX_SHORT = 300
MAX_MATERIAL_TYPES = 8
FOLLOWUP_SLOTS = 2
REMIND_HOUR = 9
DRAFT_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class Lists:
    """The debrief's editable lists: materials, indicators and service categories."""

    materials: list[Entry]
    indicators: list[Entry]
    categories: list[Entry]

    @classmethod
    def load(cls, data_dir: Path) -> Lists:
        """Load the lists from data/ (CatalogError names the file and line of a problem)."""
        lists = cls(
            materials=load_entries(data_dir / "materials.yml"),
            indicators=load_entries(data_dir / "indicators.yml"),
            categories=load_entries(data_dir / "service_categories.yml"),
        )
        if len(lists.materials) > MAX_MATERIAL_TYPES:
            from outreach.catalog import CatalogError

            raise CatalogError(data_dir / "materials.yml", None,
                               f"lists {len(lists.materials)} types; keep it to {MAX_MATERIAL_TYPES} or fewer")
        return lists

    def name(self, kind: str, ident: str) -> str:
        """The readable name of an id in one of the lists."""
        entry = next((e for e in getattr(self, kind) if e.id == ident), None)
        return entry.name if entry else ident


@lru_cache(maxsize=8)
def lists_for(data_dir: Path) -> Lists:
    """The lists of a data folder, loaded once."""
    return Lists.load(data_dir)


@dataclass(frozen=True)
class Debrief:
    """A stored debrief."""

    id: int
    shift_id: int
    venue: str
    area: str
    started_at: datetime
    ended_at: datetime
    team: list[str]
    contacts: int
    brief: int
    extended: int
    languages: list[str]
    materials: dict[str, int]
    indicators: list[str]
    referrals: dict[str, int]
    hotline: bool
    police: bool
    police_why: str
    incident: bool
    incident_what: str
    load: int | None
    checkin: bool
    notes: str
    notes_expired: bool
    submitted_by: str
    submitted_at: datetime
    revision: int

    @property
    def hours(self) -> float:
        """How long the team was out."""
        return (self.ended_at - self.started_at).total_seconds() / 3600

    def editable(self, now: datetime) -> bool:
        """True while the edit window is open."""
        return now < self.submitted_at + EDIT_WINDOW


def _debrief(row: dict) -> Debrief:
    return Debrief(
        id=row["id"], shift_id=row["shift_id"], venue=row["venue"], area=row["area"] or "",
        started_at=from_iso(row["started_at"]), ended_at=from_iso(row["ended_at"]),
        team=json.loads(row["team"] or "[]"), contacts=row["contacts"] or 0, brief=row["brief"] or 0,
        extended=row["extended"] or 0, languages=json.loads(row["languages"] or "[]"),
        materials=json.loads(row["materials"] or "{}"), indicators=json.loads(row["indicators"] or "[]"),
        referrals=json.loads(row["referrals"] or "{}"), hotline=bool(row["hotline"]), police=bool(row["police"]),
        police_why=row["police_why"] or "", incident=bool(row["incident"]), incident_what=row["incident_what"] or "",
        load=row["load"], checkin=bool(row["checkin"]), notes=row["notes"] or "",
        notes_expired=bool(row["notes_expired_at"]), submitted_by=row["submitted_by"],
        submitted_at=from_iso(row["submitted_at"]), revision=row["revision"] or 1,
    )


def get_debrief(db: Database, shift_id: int) -> Debrief | None:
    """The debrief of a shift, or None."""
    row = next(db.query("SELECT * FROM debriefs WHERE shift_id = ?", [shift_id]), None)
    return _debrief(row) if row else None


def load_debrief(store: Store, shift_id: int) -> Debrief | None:
    """The debrief of a shift, read through the store."""
    with store.read() as db:
        return get_debrief(db, shift_id)


def may_debrief(shift: Shift, *, actor: str, coordinator: bool) -> bool:
    """Only the shift's lead and coordinators write (and read) a shift's debrief."""
    return coordinator or (shift.lead is not None and shift.lead == actor)


# ---------------------------------------------------------------- what the shift already knows


@dataclass(frozen=True)
class Facts:
    """What the shift already knows about the night: shown on the form, stored with the counts."""

    venue: str
    area: str
    started_at: datetime
    ended_at: datetime
    team: list[str]
    checked: bool = False  # the times are the team's check-in and check-out, not the plan

    @property
    def hours(self) -> float:
        """How long the team was out."""
        return (self.ended_at - self.started_at).total_seconds() / 3600


def facts_of(db: Database, shift: Shift, debrief: Debrief | None = None) -> Facts:
    """The debrief's place, times and team: the stored ones when editing, else the shift's.

    Times are the team's check-in and check-out when both were recorded (and make sense), else the plan;
    the team is the lead and the confirmed volunteers, less those marked absent, plus anyone else who
    checked in (the lead confirms it on the details step).
    """
    if debrief is not None:
        return Facts(debrief.venue, debrief.area, debrief.started_at, debrief.ended_at, list(debrief.team))
    confirmed, _ = team(db, shift.id)
    people = list(dict.fromkeys(([shift.lead] if shift.lead else []) + confirmed))[:MAX_TEAM]
    if db["member_checkins"].exists():  # the lead marked some absent, or someone not on the list checked in
        rows = list(db.query("SELECT user_id, absent, checked_in_at FROM member_checkins WHERE shift_id = ?",
                             [shift.id]))
        absent = {r["user_id"] for r in rows if r["absent"]}
        came = [r["user_id"] for r in rows if r["checked_in_at"] and not r["absent"]]
        people = [p for p in people if p not in absent] + [p for p in came if p not in people]
    row = next(db.query("SELECT checked_in_at, checked_out_at FROM safety WHERE shift_id = ?", [shift.id]), None) or {}
    start = from_iso(row["checked_in_at"]) if row.get("checked_in_at") else None
    end = from_iso(row["checked_out_at"]) if row.get("checked_out_at") else None
    if start and end and start < end <= start + MAX_SHIFT:
        return Facts(shift.venue, shift.area, start, end, people, checked=True)
    return Facts(shift.venue, shift.area, shift.starts_at, shift.ends_at, people)


def roster_of(db: Database, shift: Shift) -> list[str]:
    """Who may be on a debrief's team ("Who was out tonight"): the lead, the confirmed members, anyone the
    lead named in the team check-in ("Who is out tonight?", a `member_checkins` row), and anyone a
    coordinator credited with hours on this shift (outreach/hours.py corrections, audited)."""
    people = ([shift.lead] if shift.lead else []) + team(db, shift.id)[0]
    if db["member_checkins"].exists():
        people += [r[0] for r in db.execute("SELECT user_id FROM member_checkins WHERE shift_id = ? ORDER BY rowid",
                                             [shift.id])]
    people += [r[0] for r in db.execute("SELECT user_id FROM hour_corrections WHERE shift_id = ? ORDER BY id",
                                        [shift.id])]
    return list(dict.fromkeys(people))


def outside_roster(store: Store, shift: Shift, people: list[str]) -> list[str]:
    """The people of a debrief's team who are not on the shift's roster (`roster_of`), in the order given."""
    with store.read() as db:
        known = set(roster_of(db, shift))
    return [u for u in dict.fromkeys(people) if u not in known]


# ---------------------------------------------------------------- checking the two screens


@dataclass
class FollowUp:
    """A task that came out of a debrief."""

    what: str
    owner: str
    due_on: date


@dataclass
class Checked:
    """A checked first screen: the counts and answers to store (the place, times and team come from the shift)."""

    values: dict
    referrals: list[str] = field(default_factory=list)  # the categories picked, each counted once unless detailed


@dataclass
class Details:
    """The optional second step: per-category counts, the other materials, conversations, follow-ups, notes."""

    referrals: dict[str, int] = field(default_factory=dict)
    picked: list[str] = field(default_factory=list)  # categories picked on the first screen when details were added
    materials: dict[str, int] = field(default_factory=dict)
    brief: int = 0
    extended: int = 0
    notes: str = ""
    followups: list[FollowUp] = field(default_factory=list)
    audiences: dict[str, int] | None = None  # by sector (data/sectors.yml), for community outreach and trainings
    team: list[str] | None = None  # who was out, as the lead confirms it (None: as the shift knows it)

    def to_json(self) -> str:
        """The details as stored in a draft."""
        return json.dumps({
            "referrals": self.referrals, "picked": self.picked, "materials": self.materials, "brief": self.brief,
            "extended": self.extended, "notes": self.notes, "audiences": self.audiences, "team": self.team,
            "followups": [{"what": f.what, "owner": f.owner, "due_on": f.due_on.isoformat()} for f in self.followups],
        }, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Details:
        """Details read back from a draft."""
        data = json.loads(text or "{}")
        return cls(
            referrals={str(k): int(v) for k, v in (data.get("referrals") or {}).items()},
            picked=[str(x) for x in data.get("picked") or []],
            materials={str(k): int(v) for k, v in (data.get("materials") or {}).items()},
            brief=int(data.get("brief") or 0), extended=int(data.get("extended") or 0), notes=str(data.get("notes") or ""),
            followups=[FollowUp(str(f["what"]), str(f["owner"]), date.fromisoformat(f["due_on"]))
                       for f in data.get("followups") or []],
            audiences=None if data.get("audiences") is None
            else {str(k): int(v) for k, v in data["audiences"].items()},
            team=None if data.get("team") is None else [str(u) for u in data["team"]],
        )


def _count(form: dict, key: str, limit: int, errors: dict[str, str], *, wrong: str, missing: str | None = None) -> int:
    """A count from 0 to `limit` (empty: 0, or the `missing` error when given); `wrong`: the error when it is not one."""
    raw = form.get(key)
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        if missing:
            errors[key] = missing
        return 0
    number = parse_number(text, max_digits=7)
    if number is None or number > limit:
        errors[key] = wrong
        return 0
    return number


def _named_count_wrong(name: str, limit: int) -> str:
    """The error for a count of something the lists name (a material, a sector): its name starts the sentence."""
    name = name.lower()
    return _("%(name)s must be a whole number from 0 to %(most)s.") % {"name": name[:1].upper() + name[1:],
                                                                      "most": limit}


def _screened(form: dict, key: str, limit: int, errors: dict[str, str], year: int, screen: privacy.Screen, *,
              multiline: bool = False) -> str:
    raw = form.get(key)
    text = clean_text(raw if isinstance(raw, str) else "", limit=limit + 1, multiline=multiline)
    if len(text) > limit:
        errors[key] = _("Keep this under %(limit)s characters.") % {"limit": limit}
    elif findings := screen(text, current_year=year):
        errors[key] = privacy.explain(findings)
    return text[:limit]


def _picked(form: dict, key: str, known: set[str], errors: dict[str, str], problem: str) -> list[str]:
    raw = form.get(key)
    chosen = [x for x in dict.fromkeys(raw) if isinstance(x, str)] if isinstance(raw, list) else []
    if not set(chosen) <= known:
        errors[key] = problem
    return [x for x in chosen if x in known]


def first_material(lists: Lists) -> Entry | None:
    """The material counted on the first screen (the first of data/materials.yml); the others are details."""
    return lists.materials[0] if lists.materials else None


def check_form(
    form: dict, *, catalog: Catalog, lists: Lists, zone: ZoneInfo, now: datetime, screen: privacy.Screen | None = None,
) -> tuple[Checked, dict[str, str]]:
    """Check the debrief's first screen; return what to store and the errors by field (free text screened)."""
    screen = screen or privacy.Screen()
    errors: dict[str, str] = {}
    year = now.astimezone(zone).year
    values: dict = {"contacts": _count(
        form, "db_contacts", MAX_CONTACTS, errors, missing=_("Give the number of people reached (0 if none)."),
        wrong=_("People reached must be a whole number from 0 to %(most)s.") % {"most": MAX_CONTACTS})}
    main = first_material(lists)
    values["materials"] = {main.id: n} if main and (n := _count(
        form, f"db_mat_{main.id}", MAX_MATERIAL, errors, wrong=_named_count_wrong(main.name, MAX_MATERIAL))) else {}
    referrals = _picked(form, "db_referrals", {c.id for c in lists.categories}, errors,
                        _("Choose categories from the list."))
    values["indicators"] = json.dumps(_picked(form, "db_indicators", {e.id for e in lists.indicators}, errors,
                                              _("Choose indicators from the list.")))
    values["languages"] = json.dumps(_picked(form, "db_languages", {x.id for x in catalog.languages}, errors,
                                             _("Choose languages from the list.")))
    flags = form.get("db_flags")
    flags = set(flags) if isinstance(flags, list) else set()
    values.update(hotline=int("hotline" in flags), police=int("police" in flags), incident=int("incident" in flags),
                  checkin=int("checkin" in flags))
    what = _screened(form, "db_what", MAX_SHORT, errors, year, screen)
    if (values["police"] or values["incident"]) and not what and "db_what" not in errors:
        errors["db_what"] = (_("Say briefly what happened and why law enforcement was contacted, so coordinators "
                               "can follow up with the team (no names).") if values["police"]
                             else _("Say briefly what happened, so coordinators can follow up with the team "
                                    "(no names)."))
    values["police_why"] = what if values["police"] else ""
    values["incident_what"] = what if values["incident"] else ""
    load = form.get("db_load")
    values["load"] = number if (number := parse_number(load)) in range(1, 6) else None
    if load not in (None, "") and values["load"] is None:
        errors["db_load"] = _("Choose how tonight was for you, from 1 to 5.")
    return Checked(values, referrals), errors


def check_details(
    form: dict, *, lists: Lists, offered: list[str], picked: list[str], zone: ZoneInfo, now: datetime,
    screen: privacy.Screen | None = None, sectors: list[Entry] | None = None,
) -> tuple[Details, dict[str, str]]:
    """Check the second step: a count per offered category, the other materials, follow-ups and notes,
    and (`sectors`: a community outreach or training shift) the audience by sector."""
    screen = screen or privacy.Screen()
    errors: dict[str, str] = {}
    audiences: dict[str, int] | None = None
    if sectors is not None:
        audiences, wrong = check_audiences(form, sectors)
        errors.update(wrong)
    year = now.astimezone(zone).year
    details = Details(picked=[c for c in picked if c in offered], audiences=audiences)
    if "db_team" in form:
        people = form.get("db_team")
        people = [u for u in people if isinstance(u, str)] if isinstance(people, list) else []
        if not people:
            errors["db_team"] = _("Choose who was out tonight (at least one person).")
        elif len(people) > MAX_TEAM or not all(USER_ID.match(u) for u in people):
            errors["db_team"] = _("Choose at most %(most)s people from the picker.") % {"most": MAX_TEAM}
        else:
            details.team = list(dict.fromkeys(people))
    names = {c.id: c.name for c in lists.categories}
    for ident in offered:
        wrong = _("Referrals to %(category)s must be a whole number from 0 to %(most)s.") % {
            "category": names.get(ident, "").lower(), "most": MAX_REFERRALS}
        if ident in names and (n := _count(form, f"db_ref_{ident}", MAX_REFERRALS, errors, wrong=wrong)):
            details.referrals[ident] = n
    main = first_material(lists)
    for entry in lists.materials:
        if entry is not main and (n := _count(form, f"db_mat_{entry.id}", MAX_MATERIAL, errors,
                                              wrong=_named_count_wrong(entry.name, MAX_MATERIAL))):
            details.materials[entry.id] = n
    details.brief = _count(form, "db_brief", MAX_CONTACTS, errors, wrong=_(
        "Brief conversations must be a whole number from 0 to %(most)s.") % {"most": MAX_CONTACTS})
    details.extended = _count(form, "db_extended", MAX_CONTACTS, errors, wrong=_(
        "Extended conversations must be a whole number from 0 to %(most)s.") % {"most": MAX_CONTACTS})
    details.notes = _screened(form, "db_notes", MAX_NOTES, errors, year, screen, multiline=True)
    today = now.astimezone(zone).date()
    for n in range(1, FOLLOWUP_SLOTS + 1):
        what = _screened(form, f"db_fu{n}_what", MAX_SHORT, errors, year, screen)
        owner, due = form.get(f"db_fu{n}_owner"), form.get(f"db_fu{n}_due")
        if not what:
            continue
        if not isinstance(owner, str) or not USER_ID.match(owner):
            errors[f"db_fu{n}_owner"] = _("Choose who owns this follow-up.")
        try:
            due_on = date.fromisoformat(str(due))
        except ValueError:
            errors[f"db_fu{n}_due"] = _("Choose the date it is due.")
            continue
        if not today <= due_on <= today + timedelta(days=366):
            errors[f"db_fu{n}_due"] = _("Choose a due date from today to a year ahead.")
        elif isinstance(owner, str) and USER_ID.match(owner):
            details.followups.append(FollowUp(what, owner, due_on))
    return details, errors


def merge(checked: Checked, details: Details | None, before: Debrief | None, *, lists: Lists) -> tuple[dict, list[FollowUp]]:
    """The row to store from the first screen, the details (if added) and the debrief being edited (if any).

    A picked category counts once unless its count was detailed; a category detailed from the whole
    list (nothing was picked then) counts too; one picked when details were added and unpicked since does not.
    Without new details, an edit keeps the earlier counts, notes and conversations.
    """
    values = dict(checked.values)
    main = first_material(lists)
    materials = dict(values.pop("materials"))
    if details is not None:
        earlier = details.referrals
        extra = {k: v for k, v in details.referrals.items() if k not in checked.referrals and k not in details.picked}
        others, brief, extended, notes = details.materials, details.brief, details.extended, details.notes
    elif before is not None:
        earlier, extra = before.referrals, {}
        others = {k: v for k, v in before.materials.items() if not main or k != main.id}
        brief, extended, notes = before.brief, before.extended, before.notes
    else:
        earlier, extra, others, brief, extended, notes = {}, {}, {}, 0, 0, ""
    referrals = {c: earlier.get(c) or 1 for c in checked.referrals} | extra
    materials.update({k: v for k, v in others.items() if not main or k != main.id})
    values.update(
        referrals=json.dumps({k: v for k, v in referrals.items() if v}, sort_keys=True),
        materials=json.dumps({k: v for k, v in materials.items() if v}, sort_keys=True),
        brief=brief, extended=extended, notes=notes,
    )
    return values, list(details.followups) if details else []


# ---------------------------------------------------------------- storing


@dataclass(frozen=True)
class Saved:
    """What a submission did."""

    outcome: str  # saved, updated, gone, forbidden, locked, repeat (this submission was saved before), conversations
    debrief: Debrief | None = None
    followups: list[int] = field(default_factory=list)


def _draft(db: Database, *, root: str | None, shift_id: int, user: str) -> Details | None:
    if not root:
        return None
    row = next(db.query("SELECT details FROM debrief_drafts WHERE root = ? AND shift_id = ? AND user_id = ?",
                        [root, shift_id, user]), None)
    return Details.from_json(row["details"]) if row else None


def load_draft(store: Store, *, root: str | None, shift_id: int, user: str) -> Details | None:
    """The details added on a debrief's second step, not yet saved with its first screen."""
    with store.read() as db:
        return _draft(db, root=root, shift_id=shift_id, user=user)


def save_draft(store: Store, *, root: str, shift_id: int, actor: str, coordinator: bool, details: Details,
               request_key: str | None = None) -> str:
    """Keep the second step's details until the first screen is saved: kept, gone, forbidden, locked, repeat, or
    not_on_team (its "Who was out tonight" names someone outside the shift's roster, `roster_of`)."""
    now = store.clock()
    with store.write() as db:
        if replays.seen(db, request_key):
            return "repeat"
        shift = get_shift(db, shift_id)
        if shift is None or shift.cancelled or not shift.started(now):
            return "gone"
        if not may_debrief(shift, actor=actor, coordinator=coordinator):
            return "forbidden"
        before = get_debrief(db, shift_id)
        if before and not before.editable(now):
            return "locked"
        if details.team is not None and not set(details.team) <= set(roster_of(db, shift)):
            return "not_on_team"
        replays.record(store, db, request_key)
        db.execute(
            "INSERT INTO debrief_drafts (root, shift_id, user_id, details, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(root) DO UPDATE SET details = excluded.details, created_at = excluded.created_at "
            "WHERE debrief_drafts.user_id = excluded.user_id AND debrief_drafts.shift_id = excluded.shift_id",
            [root, shift_id, actor, details.to_json(), iso(now)],
        )
    return "kept"


def drop_stale_drafts(store: Store, *, now: datetime) -> int:
    """Delete the details of debriefs never saved, DRAFT_KEPT after they were added (their words included)."""
    with store.write() as db:
        return db.execute("DELETE FROM debrief_drafts WHERE created_at < ?", [iso(now - DRAFT_KEPT)]).rowcount


def _tell_after_save(db: Database, *, shift_id: int, actor: str, followups: list, revision: int, first: bool,
                     team: list[str], checkin: bool, coordinators: list[str], coordinator_channel: str | None,
                     now: datetime) -> list[int]:
    """What a saved debrief causes, in its transaction: the follow-ups (each owner told), the coordinators'
    summary, a check-in alert, and on the first save each other member's wellbeing invite. The new follow-ups' ids."""
    created = []
    for item in followups:
        fid = db["followups"].insert({
            "shift_id": shift_id, "what": item.what, "owner": item.owner, "due_on": item.due_on.isoformat(),
            "status": "open", "created_by": actor, "created_at": iso(now),
        }).last_pk
        created.append(fid)
        outbox.enqueue(db, key=f"followup:{fid}:assigned", channel=item.owner, template="debriefs/followup",
                       context={"followup_id": fid, "assigned": True}, due_at=now, now=now)
    if coordinator_channel:
        outbox.enqueue(db, key=f"debrief:{shift_id}:summary:{revision}", channel=coordinator_channel,
                       template="debriefs/summary", context={"shift_id": shift_id, "revision": revision},
                       due_at=now, now=now)
    if checkin:
        _checkin_alert(db, shift_id=shift_id, user=actor, coordinators=coordinators, now=now)
    if first:
        for member in team:
            if member != actor:
                outbox.enqueue(db, key=f"debrief:{shift_id}:wellbeing:{member}", channel=member,
                               template="debriefs/wellbeing_invite", context={"shift_id": shift_id, "user": member},
                               due_at=now, now=now)
    return created


def save(
    store: Store, *, actor: str, coordinator: bool, shift_id: int, checked: Checked, coordinators: list[str],
    coordinator_channel: str | None, lists: Lists, request_key: str | None = None, root: str | None = None,
    sectors: list[Entry] | None = None,
) -> Saved:
    """Store a debrief (or its edit), with the details added on its second step (the draft kept under
    `root`, the first screen's view id), its follow-ups and the notifications they cause.

    A submission whose `request_key` was saved before (Slack resending it) does nothing: `repeat`.
    """
    now = store.clock()
    with store.write() as db:
        if replays.seen(db, request_key):
            return Saved("repeat")
        shift = get_shift(db, shift_id)
        if shift is None or shift.cancelled or not shift.started(now):
            return Saved("gone")
        if not may_debrief(shift, actor=actor, coordinator=coordinator):
            return Saved("forbidden")
        before = get_debrief(db, shift_id)
        if before and not before.editable(now):
            return Saved("locked", before)
        details = _draft(db, root=root, shift_id=shift_id, user=actor)
        values, followups = merge(checked, details, before, lists=lists)
        if values["brief"] + values["extended"] > values["contacts"]:
            return Saved("conversations")
        replays.record(store, db, request_key)
        facts = facts_of(db, shift, before)
        out = details.team if details and details.team is not None else facts.team
        row = dict(values, venue=facts.venue, area=facts.area, started_at=iso(facts.started_at),
                   ended_at=iso(facts.ended_at), team=json.dumps(out), updated_by=actor, updated_at=iso(now))
        earlier = db["debriefs"].get(before.id) if before else {}
        if before is None:
            row.update(shift_id=shift_id, submitted_by=actor, submitted_at=iso(now), revision=1)
            debrief_id = db["debriefs"].insert(row).last_pk
        else:
            debrief_id = before.id
            row["revision"] = before.revision + 1
            if before.notes_expired and any(row.get(k) for k in ("notes", "police_why", "incident_what")):
                row["notes_expired_at"] = None  # text written after the expiry is kept its own period, then expires
            db["debriefs"].update(debrief_id, row)
        if details is not None and details.audiences is not None and sectors is not None \
                and shift.kind in AUDIENCE_KINDS:
            record_audiences(db, debrief_id, details.audiences, sectors=sectors)  # in the same write as the debrief
        if root:
            db.execute("DELETE FROM debrief_drafts WHERE root = ?", [root])
        store.audit(db, actor=actor, action="debrief.update" if before else "debrief.submit",
                    subject=f"shift:{shift_id}",
                    detail={"revision": row["revision"], "fields": changed_fields(row, earlier)})
        audit_team(store, db, actor=actor, shift_id=shift_id, before=facts.team, after=out)
        created = _tell_after_save(db, shift_id=shift_id, actor=actor, followups=followups, revision=row["revision"],
                                   first=before is None, team=facts.team, checkin=bool(values.get("checkin")),
                                   coordinators=coordinators, coordinator_channel=coordinator_channel, now=now)
        outbox.cancel_pending(db, key_prefix=f"debrief:{shift_id}:ask:", now=now)
        saved = get_debrief(db, shift_id)
    return Saved("updated" if before else "saved", saved, created)


UNAUDITED = ("updated_by", "updated_at", "revision", "shift_id", "submitted_by", "submitted_at", "notes_expired_at")


def changed_fields(row: dict, earlier: dict) -> list[str]:
    """The names of a debrief's fields this save set or changed (for the audit: names, never values)."""
    empty = (None, "", "[]", "{}", 0)
    return sorted(k for k, v in row.items() if k not in UNAUDITED
                  and (v != earlier.get(k) if earlier else v not in empty))


def audit_team(store: Store, db: Database, *, actor: str, shift_id: int, before: list[str], after: list[str]) -> int:
    """Audit each change to who was out (the lead's final word on presence for hours and attendance): who
    changed it, which person, out or not before and after; return how many changed."""
    changed = [u for u in dict.fromkeys(before + after) if (u in before) != (u in after)]
    for user in changed:
        store.audit(db, actor=actor, action="debrief.team", subject=f"shift:{shift_id}",
                    detail={"user": user, "before": "out" if user in before else "not out",
                            "after": "out" if user in after else "not out"})
    return len(changed)


def _checkin_alert(db: Database, *, shift_id: int, user: str, coordinators: list[str], now: datetime) -> None:
    for coordinator in coordinators:
        outbox.enqueue(db, key=f"checkin:{shift_id}:{user}:{iso(now)}:{coordinator}", channel=coordinator,
                       template="debriefs/checkin", context={"shift_id": shift_id, "user": user}, due_at=now, now=now)


def save_wellbeing(
    store: Store, *, user: str, shift_id: int, load: int | None, checkin: bool, note: str, coordinators: list[str],
    request_key: str | None = None,
) -> str:
    """A team member's own wellbeing note for a shift they were on: saved, gone, not_on_team or repeat."""
    now = store.clock()
    with store.write() as db:
        if replays.seen(db, request_key):
            return "repeat"
        shift = get_shift(db, shift_id)
        debrief = get_debrief(db, shift_id)
        confirmed, _ = team(db, shift_id)
        if shift is None or shift.cancelled:
            return "gone"
        if user not in confirmed and user != shift.lead and not (debrief and user in debrief.team):
            return "not_on_team"
        replays.record(store, db, request_key)
        db.execute(
            "INSERT INTO wellbeing (shift_id, user_id, load, checkin, note, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(shift_id, user_id) DO UPDATE SET load = excluded.load, "
            "checkin = excluded.checkin, note = excluded.note, updated_at = excluded.updated_at",
            [shift_id, user, load, int(checkin), note, iso(now), iso(now)],
        )
        if checkin:
            _checkin_alert(db, shift_id=shift_id, user=user, coordinators=coordinators, now=now)
    return "saved"


def wellbeing_of(db: Database, shift_id: int) -> list[dict]:
    """The team's own wellbeing notes for a shift."""
    return list(db.query("SELECT user_id, load, checkin, note FROM wellbeing WHERE shift_id = ? ORDER BY id", [shift_id]))


def wellbeing_given(db: Database, shift_id: int, user: str | None) -> bool:
    """Whether this person already added their wellbeing note for the shift."""
    return db.execute("SELECT 1 FROM wellbeing WHERE shift_id = ? AND user_id = ?", [shift_id, user]).fetchone() is not None


def followups_of(db: Database, shift_id: int) -> list[dict]:
    """A shift's follow-up tasks: what, who, by when, and where each stands."""
    return [dict(r) for r in db.query("SELECT what, owner, due_on, status FROM followups WHERE shift_id = ?", [shift_id])]


# ---------------------------------------------------------------- asking the lead, on time


def schedule_requests(db: Database, event: Event) -> None:
    """Queue the lead's Debrief DM at the shift's end and the nudges; re-derive them on an edit."""
    prefix = f"debrief:{event.shift_id}:ask:"
    if event.name == "shift.cancelled":
        outbox.cancel_pending(db, key_prefix=prefix, now=event.now)
        return
    shift = get_shift(db, event.shift_id)
    if shift is None or not shift.lead:
        return
    wanted = {(shift.lead, iso(shift.ends_at + delay)) for delay in NUDGES}
    pending = {
        (r["channel"], r["due_at"])
        for r in db.query("SELECT channel, due_at FROM notifications WHERE sent_at IS NULL AND key LIKE ?", [prefix + "%"])
    }
    if pending == wanted:
        return
    outbox.cancel_pending(db, key_prefix=prefix, now=event.now)
    generation = db.execute("SELECT count(*) FROM notifications WHERE key LIKE ?", [prefix + "%"]).fetchone()[0]
    for n, delay in enumerate(NUDGES, start=1):
        due = shift.ends_at + delay
        if due + timedelta(hours=1) < event.now:
            continue
        outbox.enqueue(db, key=f"{prefix}{generation}:{n}", channel=shift.lead, template="debriefs/request",
                       context={"shift_id": shift.id, "lead": shift.lead, "nudge": n}, due_at=due, now=event.now)


def install(store: Store) -> None:
    """Ask the lead for the debrief on time: re-derive the requests whenever a shift is planned, edited or cancelled."""
    store.events.on("shift.created", "shift.edited", "shift.cancelled")(schedule_requests)


def awaiting(store: Store, *, user: str, coordinator: bool, now: datetime) -> list[Shift]:
    """Ended, uncancelled shifts of the last PENDING_DAYS without a debrief, that this person may write."""
    with store.read() as db:
        rows = list(db.query(
            "SELECT s.id FROM shifts s LEFT JOIN debriefs d ON d.shift_id = s.id WHERE d.id IS NULL "
            "AND s.status = 'planned' AND s.ends_at <= :now AND s.ends_at > :since AND (s.lead = :user OR :coord) "
            "ORDER BY s.ends_at",
            {"now": iso(now), "since": iso(now - timedelta(days=PENDING_DAYS)), "user": user, "coord": int(coordinator)},
        ))
        return [s for s in (get_shift(db, r["id"]) for r in rows) if s]


# ---------------------------------------------------------------- follow-ups


@dataclass(frozen=True)
class Task:
    """An open or done follow-up."""

    id: int
    shift_id: int
    what: str
    owner: str
    due_on: date
    status: str


def _task(row: dict) -> Task:
    return Task(row["id"], row["shift_id"], row["what"], row["owner"], date.fromisoformat(row["due_on"]), row["status"])


def get_task(db: Database, task_id: int) -> Task | None:
    """One follow-up."""
    row = next(db.query("SELECT * FROM followups WHERE id = ?", [task_id]), None)
    return _task(row) if row else None


def open_tasks(store: Store, *, owner: str | None = None) -> list[Task]:
    """Open follow-ups, soonest due first (one owner's, or everyone's)."""
    with store.read() as db:
        rows = db.query(
            "SELECT * FROM followups WHERE status = 'open' AND (:owner IS NULL OR owner = :owner) ORDER BY due_on, id",
            {"owner": owner},
        )
        return [_task(r) for r in rows]


def complete(store: Store, *, task_id: int, actor: str, coordinator: bool) -> tuple[str, Task | None]:
    """Mark a follow-up done (its owner or a coordinator): done, already, forbidden or not_found."""
    now = store.clock()
    with store.write() as db:
        task = get_task(db, task_id)
        if task is None:
            return "not_found", None
        if task.owner != actor and not coordinator:
            return "forbidden", task
        if task.status == "done":
            return "already", task
        db["followups"].update(task_id, {"status": "done", "done_by": actor, "done_at": iso(now)})
        outbox.cancel_pending(db, key_prefix=f"followup:{task_id}:", now=now)
        store.audit(db, actor=actor, action="followup.done", subject=f"followup:{task_id}")
        return "done", get_task(db, task_id)


def remind_followups(store: Store, *, now: datetime, zone: ZoneInfo) -> int:
    """Queue one reminder a day (from REMIND_HOUR on the due date) for each open follow-up until done."""
    local = now.astimezone(zone)
    if local.hour < REMIND_HOUR:
        return 0
    today = local.date().isoformat()
    queued = 0
    with store.write() as db:
        for row in list(db.query("SELECT id, owner FROM followups WHERE status = 'open' AND due_on <= ?", [today])):
            queued += outbox.enqueue(db, key=f"followup:{row['id']}:remind:{today}", channel=row["owner"],
                                     template="debriefs/followup", context={"followup_id": row["id"]},
                                     due_at=now, now=now)
    return queued


# ---------------------------------------------------------------- audiences by sector


AUDIENCE_KINDS = ("community", "training")


@lru_cache(maxsize=8)
def load_sectors(data_dir: Path) -> list[Entry]:
    """The audience sectors of data/sectors.yml (law enforcement, health care, ...), loaded once."""
    return load_entries(data_dir / "sectors.yml")


def check_audiences(form: dict, sectors: list[Entry]) -> tuple[dict[str, int], dict[str, str]]:
    """Read the form's `db_aud_<sector id>` counts (empty is 0); return the counts and the errors by field."""
    errors: dict[str, str] = {}
    counts = {s.id: _count(form, f"db_aud_{s.id}", MAX_CONTACTS, errors, wrong=_named_count_wrong(s.name, MAX_CONTACTS))
              for s in sectors}
    return {k: v for k, v in counts.items() if v}, errors


def record_audiences(db: Database, debrief_id: int, counts: dict[str, int], *, sectors: list[Entry]) -> int:
    """Replace a debrief's audience by sector (ids from data/sectors.yml); return the people counted.

    Only community outreach and training shifts have an audience; ValueError on an unknown sector,
    a count out of range or another kind of shift, before anything is written.
    """
    known = {s.id for s in sectors}
    for sector, count in counts.items():
        if sector not in known:
            raise ValueError(f"unknown sector {sector!r}: use an id from data/sectors.yml")
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_CONTACTS:
            raise ValueError(f"the count for {sector} must be a whole number from 0 to {MAX_CONTACTS}")
    kind = db.execute("SELECT s.kind FROM debriefs d JOIN shifts s ON s.id = d.shift_id WHERE d.id = ?",
                      [debrief_id]).fetchone()
    if kind is None:
        raise ValueError(f"there is no debrief {debrief_id}")
    if counts and kind[0] not in AUDIENCE_KINDS:
        raise ValueError("only community outreach and training shifts record an audience")
    db.execute("DELETE FROM debrief_audiences WHERE debrief_id = ?", [debrief_id])
    rows = [{"debrief_id": debrief_id, "sector": k, "count": v} for k, v in sorted(counts.items()) if v]
    if rows:
        db["debrief_audiences"].insert_all(rows)
    return sum(r["count"] for r in rows)


def audiences_of(db: Database, debrief_id: int) -> dict[str, int]:
    """A debrief's audience by sector (for prefilling the form on an edit)."""
    return {r["sector"]: r["count"] for r in db.query(
        "SELECT sector, count FROM debrief_audiences WHERE debrief_id = ? ORDER BY sector", [debrief_id])}
