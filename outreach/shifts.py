"""Shifts and signups: planning, editing, cancelling, atomic signups and the waitlist."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from outreach import outbox, privacy, replays
from outreach.catalog import KINDS, Catalog
from outreach.digits import parse_number
from outreach.events import Event
from outreach.i18n import N_, ngettext
from outreach.i18n import gettext as _
from outreach.store import Store, from_iso, iso, shift_fields_set
from outreach.trainings import holds_training, required

MAX_SHIFT = timedelta(hours=16)
MAX_CAPACITY = 200
MAX_AREA = 80
MAX_NOTES = 1000
MAX_CANCEL_REASON = 300
MAX_LANGUAGES = 10
USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
VENUE_DETAILS = ("address", "room")  # where a community or training shift takes place
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(text: str | None, *, limit: int, multiline: bool = False) -> str:
    """Strip control characters (and newlines unless multiline) and surrounding space."""
    text = CONTROL.sub("", (text or "").replace("\r\n", "\n"))
    if not multiline:
        text = " ".join(text.split())
    return text.strip()[:limit]


@dataclass(frozen=True)
class Shift:
    """A planned shift with its signup counts."""

    id: int
    kind: str
    venue: str
    area: str
    starts_at: datetime
    ends_at: datetime
    tz: str
    capacity: int
    min_team: int
    languages: list[str]
    lead: str | None
    training: str | None
    notes: str
    status: str
    cancel_reason: str | None
    channel: str | None
    message_ts: str | None
    confirmed: int = 0
    waitlisted: int = 0
    my_status: str | None = None
    safety_net: bool = False  # watched: check-ins, SOS and alerts (outreach/night.py)
    lead_apart: int = 0  # 1 when the lead goes out without a confirmed signup of their own

    @property
    def team_size(self) -> int:
        """Who goes out: the lead and each confirmed member, each once (what the minimum team counts)."""
        return self.confirmed + self.lead_apart

    @property
    def places_left(self) -> int:
        """Free places (never negative)."""
        return max(self.capacity - self.confirmed, 0)

    @property
    def cancelled(self) -> bool:
        """True once the shift was cancelled."""
        return self.status == "cancelled"

    @property
    def understaffed(self) -> bool:
        """True while fewer go out (the lead and the confirmed members) than the minimum team size."""
        return self.team_size < self.min_team

    @property
    def zone(self) -> ZoneInfo:
        """The shift's own time zone."""
        return ZoneInfo(self.tz)

    def started(self, now: datetime) -> bool:
        """True once the shift's start has passed."""
        return now >= self.starts_at

    def local_start(self) -> datetime:
        """Start in the shift's zone."""
        return self.starts_at.astimezone(self.zone)

    def local_end(self) -> datetime:
        """End in the shift's zone."""
        return self.ends_at.astimezone(self.zone)


SHIFT_COLUMNS = (
    "s.*, (SELECT count(*) FROM signups c WHERE c.shift_id = s.id AND c.status = 'confirmed') AS confirmed, "
    "(SELECT count(*) FROM signups w WHERE w.shift_id = s.id AND w.status = 'waitlisted') AS waitlisted, "
    "(SELECT m.status FROM signups m WHERE m.shift_id = s.id AND m.user_id = :user "
    "AND m.status IN ('confirmed', 'waitlisted')) AS my_status, "
    "(s.lead IS NOT NULL AND NOT EXISTS (SELECT 1 FROM signups d WHERE d.shift_id = s.id AND d.user_id = s.lead "
    "AND d.status = 'confirmed')) AS lead_apart"
)


def _shift(row: dict) -> Shift:
    return Shift(
        id=row["id"], kind=row["kind"], venue=row["venue"], area=row["area"],
        starts_at=from_iso(row["starts_at"]), ends_at=from_iso(row["ends_at"]), tz=row["tz"],
        capacity=row["capacity"], min_team=row["min_team"], languages=json.loads(row["languages"] or "[]"),
        lead=row["lead"], training=row["training"], notes=row["notes"] or "", status=row["status"],
        cancel_reason=row["cancel_reason"], channel=row["channel"], message_ts=row["message_ts"],
        confirmed=row.get("confirmed", 0) or 0, waitlisted=row.get("waitlisted", 0) or 0,
        my_status=row.get("my_status"), safety_net=bool(row.get("safety_net")),
        lead_apart=row.get("lead_apart", 0) or 0,
    )


def get_shift(db: Database, shift_id: int, *, user: str | None = None) -> Shift | None:
    """One shift with its counts (and the user's own status), or None."""
    row = next(db.query(f"SELECT {SHIFT_COLUMNS} FROM shifts s WHERE s.id = :id", {"id": shift_id, "user": user}), None)
    return _shift(row) if row else None


def load_shift(store: Store, shift_id: int, *, user: str | None = None) -> Shift | None:
    """One shift, read through the store."""
    with store.read() as db:
        return get_shift(db, shift_id, user=user)


# `since` (now less the longest shift) bounds the start too, so the index on starts_at reads only this window.
UPCOMING = "s.status = 'planned' AND s.ends_at > :now AND s.starts_at >= :since AND s.starts_at < :until"


def _window(now: datetime, days: int, user: str | None) -> dict:
    return {"now": iso(now), "since": iso(now - MAX_SHIFT), "until": iso(now + timedelta(days=days)), "user": user}


def upcoming_page(
    store: Store, *, now: datetime, page: int, size: int, days: int = 30, user: str | None = None,
) -> tuple[int, int, list[Shift]]:
    """One page of the upcoming shifts: the total, the page shown (kept in range) and its shifts."""
    params = _window(now, days, user)
    with store.read() as db:
        total = db.execute(f"SELECT count(*) FROM shifts s WHERE {UPCOMING}", params).fetchone()[0]
        page = min(max(page, 0), max((total + size - 1) // size, 1) - 1)
        rows = db.query(
            f"SELECT {SHIFT_COLUMNS} FROM shifts s WHERE {UPCOMING} ORDER BY s.starts_at, s.id "
            "LIMIT :size OFFSET :offset",
            dict(params, size=size, offset=page * size),
        )
        return total, page, [_shift(r) for r in rows]


@dataclass(frozen=True)
class MyShift:
    """A shift a person is on, confirmed or waitlisted (with their place in line)."""

    shift: Shift
    status: str
    position: int | None


# A shift stays on its people's lists after its end until it is checked out, for at most this long.
WRAP_UP = timedelta(hours=12)
NOT_OVER = (
    "(s.ends_at > :now OR (s.ends_at > :wrap AND s.safety_net = 1 AND NOT EXISTS (SELECT 1 FROM safety f "
    "WHERE f.shift_id = s.id AND (f.checked_out_at IS NOT NULL OR f.not_held_at IS NOT NULL)) "
    "AND NOT EXISTS (SELECT 1 FROM member_checkins m WHERE m.shift_id = s.id AND m.user_id = :user "
    "AND (m.checked_out_at IS NOT NULL OR m.absent = 1))))"
)


def my_shifts(store: Store, *, user: str, now: datetime) -> list[MyShift]:
    """A person's shifts not over yet (ended but not checked out counts as not over): confirmed ones and
    waitlist places."""
    with store.read() as db:
        rows = list(
            db.query(
                f"SELECT {SHIFT_COLUMNS}, g.status AS signup_status, "
                "(SELECT count(*) FROM signups q WHERE q.shift_id = s.id AND q.status = 'waitlisted' "
                "AND q.id <= g.id) AS position "
                "FROM signups g JOIN shifts s ON s.id = g.shift_id WHERE g.user_id = :user "
                f"AND g.status IN ('confirmed', 'waitlisted') AND s.status = 'planned' AND {NOT_OVER} "
                "ORDER BY s.starts_at, s.id",
                {"user": user, "now": iso(now), "wrap": iso(now - WRAP_UP)},
            )
        )
    return [
        MyShift(_shift(r), r["signup_status"], r["position"] if r["signup_status"] == "waitlisted" else None)
        for r in rows
    ]


def led_shifts(store: Store, *, user: str, now: datetime) -> list[Shift]:
    """The shifts a person leads that are not over yet (ended but not checked out counts as not over)."""
    with store.read() as db:
        rows = db.query(
            f"SELECT {SHIFT_COLUMNS} FROM shifts s WHERE s.lead = :user AND s.status = 'planned' AND {NOT_OVER} "
            "ORDER BY s.starts_at, s.id",
            {"user": user, "now": iso(now), "wrap": iso(now - WRAP_UP)},
        )
        return [_shift(r) for r in rows]


def training_for(store: Store, *, training: str, user: str | None, now: datetime) -> Shift | None:
    """The next training shift that gives `training` and still takes signups (not cancelled, not started,
    with a free place), read for `user`; one they are already on counts too (they are told so)."""
    with store.read() as db:
        rows = list(db.query(
            f"SELECT {SHIFT_COLUMNS} FROM shifts s WHERE s.status = 'planned' AND s.kind = 'training' "
            "AND s.training = :training AND s.starts_at > :now ORDER BY s.starts_at, s.id LIMIT 20",
            {"user": user, "training": training, "now": iso(now)}))
    return next((s for s in map(_shift, rows) if s.places_left or s.my_status == "confirmed"), None)


def may_sign_up(store: Store, *, user: str, shifts: list[Shift]) -> set[int]:
    """Which of these shifts the person holds the required training for (on each shift's date)."""
    with store.read() as db:
        return {s.id for s in shifts if not required(s.kind, s.training)
                or holds_training(db, user_id=user, training=s.training, on=s.local_start().date())}


def team(db: Database, shift_id: int) -> tuple[list[str], list[str]]:
    """Confirmed members and the waitlist, each in signup order."""
    rows = list(
        db.query(
            "SELECT user_id, status FROM signups WHERE shift_id = ? AND status IN ('confirmed', 'waitlisted') "
            "ORDER BY id",
            [shift_id],
        )
    )
    return [r["user_id"] for r in rows if r["status"] == "confirmed"], [
        r["user_id"] for r in rows if r["status"] == "waitlisted"
    ]


# ---------------------------------------------------------------- planning


@dataclass
class ShiftDraft:
    """What a coordinator typed into the shift form, before checking."""

    kind: str | None = None
    venue: str | None = None
    area: str | None = None
    start_date: str | None = None
    start_time: str | None = None
    end_date: str | None = None
    end_time: str | None = None
    capacity: str | None = None
    min_team: str | None = None
    languages: list[str] = field(default_factory=list)
    lead: str | None = None
    training: str | None = None
    notes: str | None = None
    safety_net: str | None = None  # "auto" (on for direct outreach), "on" or "off"


def _parse_moment(day: str | None, clock_time: str | None, zone: ZoneInfo) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(day or ""), time.fromisoformat(clock_time or ""), tzinfo=zone)
    except ValueError:
        return None


def end_moment(start: datetime | None, clock_time: str | None, zone: ZoneInfo) -> datetime | None:
    """The end of a shift given its end time only: the start's day, or the next day when the time is before the start's."""
    if start is None:
        return None
    end = _parse_moment(start.date().isoformat(), clock_time, zone)
    if end is not None and end < start:  # it ends after midnight
        end = _parse_moment((start.date() + timedelta(days=1)).isoformat(), clock_time, zone)
    return end


def weeks_later(shift: Shift, *, now: datetime) -> tuple[datetime, datetime]:
    """A copy's start and end: the same local times in the shift's zone one week later (or as many
    whole weeks as it takes to start after `now`)."""
    start, end = shift.local_start(), shift.local_end()
    weeks = 1
    if start + timedelta(weeks=1) <= now:
        weeks = (now - start).days // 7 + 1
    while start + timedelta(weeks=weeks) <= now:
        weeks += 1
    return start + timedelta(weeks=weeks), end + timedelta(weeks=weeks)


def _parse_int(text: str | None) -> int | None:
    return parse_number(text, max_digits=6)


def capacity_below_confirmed(confirmed: int) -> str:
    """Why a capacity below the confirmed count is refused, and what to do."""
    return ngettext("%(count)s person is already confirmed; keep capacity at least %(count)s "
                    "or ask them to withdraw first.",
                    "%(count)s people are already confirmed; keep capacity at least %(count)s "
                    "or ask someone to withdraw first.", confirmed) % {"count": confirmed}

# The shift form's "Safety net" choice: by kind (on for direct outreach), on, off (translated where shown: `_(label)`).
SAFETY_NET = {"auto": N_("By kind: on for direct outreach"), "on": N_("On: check-ins, SOS, alerts"),
              "off": N_("Off: no check-ins (classroom, library)")}


def check_draft(
    draft: ShiftDraft, *, catalog: Catalog, zone: ZoneInfo, now: datetime, existing: Shift | None = None,
    screen: privacy.Screen | None = None,
) -> tuple[dict, dict[str, str]]:
    """Check a draft; return the values to store and the errors by field (empty when valid).

    The area and the notes are screened for personal details of anyone met (outreach.privacy). A
    community or training shift may give its venue's street address and room: it meets no one at risk there.
    """
    screen = screen or privacy.Screen()
    year = now.astimezone(zone).year
    venue_kinds = () if draft.kind == "direct" else VENUE_DETAILS

    def found(text: str) -> list[privacy.Finding]:
        return [f for f in screen(text, current_year=year) if f.kind not in venue_kinds]

    errors: dict[str, str] = {}
    values: dict = {}
    kind = _check_place(draft, values, errors, catalog=catalog, found=found)
    _check_times(draft, values, errors, zone=zone, now=now, existing=existing)
    _check_team(draft, values, errors, kind=kind, existing=existing)
    _check_people(draft, values, errors, kind=kind, catalog=catalog)
    notes = clean_text(draft.notes, limit=MAX_NOTES + 1, multiline=True)
    if len(notes) > MAX_NOTES:
        errors["notes"] = _("Keep notes under %(limit)s characters.") % {"limit": MAX_NOTES}
    elif findings := found(notes):
        errors["notes"] = privacy.explain(findings)
    values["notes"] = notes
    return values, errors


def _check_place(draft: ShiftDraft, values: dict, errors: dict[str, str], *, catalog: Catalog,
                 found: Callable[[str], list[privacy.Finding]]) -> str | None:
    """The kind, the venue type and the coarse area (screened); the kind when it is a known one."""
    kind = draft.kind if draft.kind in KINDS else None
    if not kind:
        errors["kind"] = _("Choose the kind of shift.")
    values["kind"] = kind
    if not catalog.venue(draft.venue):
        errors["venue"] = _("Choose a venue type from the list.")
    values["venue"] = draft.venue
    area = clean_text(draft.area, limit=MAX_AREA + 1)
    if len(area) < 2:
        errors["area"] = _("Name a coarse area, like a neighbourhood or town (no street address needed).")
    elif len(area) > MAX_AREA:
        errors["area"] = _("Keep the area under %(limit)s characters: a neighbourhood or town is enough.") % {
            "limit": MAX_AREA}
    elif findings := found(area):
        errors["area"] = privacy.explain(findings)
    values["area"] = area

    return kind


def _check_times(draft: ShiftDraft, values: dict, errors: dict[str, str], *, zone: ZoneInfo, now: datetime,
                 existing: Shift | None) -> None:
    """The start and end: both given, in order, not too long, and a moved start not in the past."""
    start = _parse_moment(draft.start_date, draft.start_time, zone)
    end = end_moment(start, draft.end_time, zone) if not draft.end_date else _parse_moment(
        draft.end_date, draft.end_time, zone)
    if start is None:
        errors["start_date" if not draft.start_date else "start_time"] = _("Give the start date and time.")
    if end is None:
        errors["end_time"] = _("Give the end time.")
    if start and end:
        start_changed = existing is None or existing.starts_at != start.astimezone(existing.starts_at.tzinfo)
        if end <= start:
            errors["end_time"] = _("The end must be after the start.")
        elif end - start > MAX_SHIFT:
            hours = int(MAX_SHIFT.total_seconds() // 3600)
            errors["end_time"] = _("A shift can last at most %(hours)s hours; split longer work into several "
                                    "shifts.") % {"hours": hours}
        if start_changed and start <= now:
            errors["start_time"] = _("The start is in the past; pick a time from now on.")
    values["starts_at"] = iso(start) if start else None
    values["ends_at"] = iso(end) if end else None
    values["tz"] = zone.key


def _check_team(draft: ShiftDraft, values: dict, errors: dict[str, str], *, kind: str | None,
                existing: Shift | None) -> None:
    """The capacity and the minimum team: never alone for direct outreach, never below those confirmed."""
    default_team = "2" if kind == "direct" else "1"
    capacity, min_team = _parse_int(draft.capacity), _parse_int(draft.min_team or default_team)
    if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = _("Capacity must be a whole number from 1 to %(most)s.") % {"most": MAX_CAPACITY}
    if min_team is None or min_team < 1:
        errors["min_team"] = _("Minimum team size must be a whole number of at least 1.")
    elif kind == "direct" and min_team < 2:
        errors["min_team"] = _("Direct outreach never goes alone: the minimum team size is at least 2.")
    elif capacity is not None and "capacity" not in errors and capacity < min_team:
        errors["capacity"] = _("Capacity (%(capacity)s) is below the minimum team size (%(min_team)s).") % {
            "capacity": capacity, "min_team": min_team}
    if existing and capacity is not None and "capacity" not in errors and capacity < existing.confirmed:
        errors["capacity"] = capacity_below_confirmed(existing.confirmed)
    values["capacity"], values["min_team"] = capacity, min_team


def _check_people(draft: ShiftDraft, values: dict, errors: dict[str, str], *, kind: str | None,
                  catalog: Catalog) -> None:
    """The languages, the lead, the training required and whether the safety net watches it."""
    languages = [lang for lang in dict.fromkeys(draft.languages) if lang]
    unknown = [lang for lang in languages if not catalog.language(lang)]
    if unknown or len(languages) > MAX_LANGUAGES:
        errors["languages"] = _("Choose up to %(most)s languages from the list.") % {"most": MAX_LANGUAGES}
    values["languages"] = json.dumps(languages)

    if not draft.lead or not USER_ID.match(draft.lead):
        errors["lead"] = _("Choose the shift's lead.")
    values["lead"] = draft.lead

    training = draft.training or None
    if training and not catalog.training(training):
        errors["training"] = _("Choose a training from the list.")
    elif kind == "direct" and not training:
        errors["training"] = _("Direct outreach is for trained people only: choose the training it requires.")
    values["training"] = training

    net = draft.safety_net or "auto"
    if net not in SAFETY_NET:
        errors["safety_net"] = _("Choose whether the safety net watches this shift.")
    elif kind == "direct" and net == "off":
        errors["safety_net"] = _("Direct outreach is always watched: check-ins, SOS and alerts stay on.")
    values["safety_net"] = 1 if net == "on" or (net == "auto" and kind == "direct") else 0


def create_shift(store: Store, *, actor: str, values: dict, request_key: str | None = None) -> Shift | None:
    """Store a checked shift and audit it; None when this request (a replay) was acted on before."""
    now = iso(store.clock())
    with store.write() as db:
        if request_key and not store.first_time(db, request_key):
            return None
        row = dict(values, status="planned", created_by=actor, created_at=now, updated_at=now)
        shift_id = db["shifts"].insert(row).last_pk
        store.audit(db, actor=actor, action="shift.create", subject=f"shift:{shift_id}",
                    detail={"fields": shift_fields_set(values)})
        store.events.emit(db, Event("shift.created", shift_id, store.clock(), actor=actor))
        return get_shift(db, shift_id)


@dataclass(frozen=True)
class Change:
    """What an edit or cancellation did."""

    shift: Shift
    moved: bool = False
    promoted: list[str] = field(default_factory=list)
    notified: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # nothing changed: why, by form field
    repeat: bool = False  # this request was acted on before; nothing changed


def _notify_all(db: Database, shift_id: int, *, template: str, key: str, now: datetime, context: dict) -> list[str]:
    confirmed, waiting = team(db, shift_id)
    people = confirmed + waiting
    for user in people:
        outbox.enqueue(
            db, key=f"{key}:{user}", channel=user, template=template,
            context=dict(context, shift_id=shift_id, user=user), due_at=now, now=now,
        )
    return people


def _promote(store: Store, db: Database, shift_id: int, *, now: datetime) -> list[str]:
    """Fill free places from the waitlist, first come first served; tell each person promoted.

    The training gate holds here too: someone whose required training is not valid on the shift's
    date (it expired, the shift moved, the requirement changed) is passed over, keeps their place in
    line, and is told why (once per waitlist place).
    """
    promoted: list[str] = []
    shift = get_shift(db, shift_id)
    assert shift
    free = shift.capacity - shift.confirmed
    if free <= 0:
        return promoted
    rows = list(
        db.query(
            "SELECT id, user_id FROM signups WHERE shift_id = ? AND status = 'waitlisted' ORDER BY id", [shift_id]
        )
    )
    day = shift.local_start().date()
    for row in rows:
        if len(promoted) == free:
            break
        if required(shift.kind, shift.training) and not holds_training(db, user_id=row["user_id"], training=shift.training, on=day):
            outbox.enqueue(
                db, key=f"passed-over:{row['id']}", channel=row["user_id"], template="shifts/passed_over",
                context={"shift_id": shift_id, "user": row["user_id"], "training": shift.training},
                due_at=now, now=now,
            )
            continue
        db.execute(
            "UPDATE signups SET status = 'confirmed', updated_at = ? WHERE id = ?", [iso(now), row["id"]]
        )
        outbox.enqueue(
            db, key=f"promoted:{row['id']}", channel=row["user_id"], template="shifts/promoted",
            context={"shift_id": shift_id, "user": row["user_id"]}, due_at=now, now=now,
        )
        store.events.emit(db, Event("signup.promoted", shift_id, now, user=row["user_id"]))
        promoted.append(row["user_id"])
    return promoted


# Why the safety net cannot be turned off (nor the shift cancelled) now; translated where it is given: `_(NET_UNDER_WAY)`.
NET_UNDER_WAY = N_("The team is out tonight and not all back: the safety net stays on until everyone is "
                 "accounted for (Everyone back safe).")


def _night_under_way(db: Database, shift: Shift, now: datetime) -> bool:
    from outreach import night  # night.py reads shifts: imported here, not at the top

    return night.under_way(db, shift, now)


def update_shift(
    store: Store, *, actor: str, shift_id: int, values: dict, request_key: str | None = None,
) -> Change | None:
    """Apply a checked edit; tell everyone on the shift when time or place changed. None when gone.

    The capacity is checked again inside the write: a signup may have landed after the form was
    checked, and an edit must never leave more people confirmed than places (`refused`). A request
    whose `request_key` was acted on before changes nothing (`repeat`).
    """
    now = store.clock()
    with store.write() as db:
        before = get_shift(db, shift_id)
        if before is not None and replays.seen(db, request_key):
            return Change(before, repeat=True)
        if before is None or before.cancelled:
            return None
        if values["capacity"] < before.confirmed:
            return Change(before, refused={"capacity": capacity_below_confirmed(before.confirmed)})
        if before.safety_net and not values.get("safety_net", 1) and _night_under_way(db, before, now):
            return Change(before, refused={"safety_net": _(NET_UNDER_WAY)})
        replays.record(store, db, request_key)
        old = {"starts_at": iso(before.starts_at), "ends_at": iso(before.ends_at), "venue": before.venue, "area": before.area}
        moved = any(values[key] != value for key, value in old.items())
        stored = db["shifts"].get(shift_id)
        changed = sorted(key for key, value in values.items() if stored.get(key) != value)
        db["shifts"].update(shift_id, dict(values, updated_at=iso(now)))
        edit_id = store.audit(db, actor=actor, action="shift.edit", subject=f"shift:{shift_id}",
                              detail={"fields": changed})
        promoted = _promote(store, db, shift_id, now=now)
        store.events.emit(db, Event("shift.edited", shift_id, now, actor=actor,
                                    data={"moved": moved, "lead_was": before.lead}))
        notified: list[str] = []
        if moved:
            notified = _notify_all(
                db, shift_id, template="shifts/changed", key=f"changed:{shift_id}:{edit_id}", now=now,
                context={"old_starts_at": iso(before.starts_at), "old_area": before.area, "old_venue": before.venue},
            )
        after = get_shift(db, shift_id)
    assert after
    return Change(after, moved=moved, promoted=promoted, notified=notified)


def cancel_shift(store: Store, *, actor: str, shift_id: int, reason: str, request_key: str | None = None) -> Change | None:
    """Cancel a shift and tell everyone signed up or waitlisted; None if unknown or cancelled already.

    A form Slack sends again (`request_key`, its view id) answers as the first time did: `repeat`, with
    the people that cancel told.
    """
    now = store.clock()
    reason = clean_text(reason, limit=MAX_CANCEL_REASON)
    with store.write() as db:
        shift = get_shift(db, shift_id)
        if shift is not None and replays.seen(db, request_key):
            told = [r["channel"] for r in db.query(
                "SELECT channel FROM notifications WHERE key LIKE ? ORDER BY id", [f"cancelled:{shift_id}:%"])]
            return Change(shift, notified=told, repeat=True)
        if shift is None or shift.cancelled:
            return None
        if shift.safety_net and _night_under_way(db, shift, now):  # cancelling would stop watching who is out
            return Change(shift, refused={"reason": _(NET_UNDER_WAY)})
        replays.record(store, db, request_key)
        db["shifts"].update(
            shift_id, {"status": "cancelled", "cancel_reason": reason, "updated_at": iso(now)}
        )
        store.audit(db, actor=actor, action="shift.cancel", subject=f"shift:{shift_id}",
                    detail={"fields": ["reason"]} if reason else None)
        notified = _notify_all(
            db, shift_id, template="shifts/cancelled", key=f"cancelled:{shift_id}", now=now, context={}
        )
        store.events.emit(db, Event("shift.cancelled", shift_id, now, actor=actor))
        after = get_shift(db, shift_id)
    assert after
    return Change(after, notified=notified)


def set_message(store: Store, shift_id: int, *, channel: str, ts: str) -> None:
    """Remember where the shift's announcement was posted, to update it in place."""
    with store.write() as db:
        db["shifts"].update(shift_id, {"channel": channel, "message_ts": ts})


# ---------------------------------------------------------------- signups

SignupOutcome = Literal[
    "confirmed", "waitlisted", "already_confirmed", "already_waitlisted",
    "not_found", "cancelled", "started", "missing_training",
]


@dataclass(frozen=True)
class SignupResult:
    """What a signup did, and the shift as it stands after it."""

    outcome: SignupOutcome
    shift: Shift | None
    position: int | None = None


def _position(db: Database, shift_id: int, user: str) -> int | None:
    row = next(
        db.query(
            "SELECT (SELECT count(*) FROM signups q WHERE q.shift_id = g.shift_id AND q.status = 'waitlisted' "
            "AND q.id <= g.id) AS position FROM signups g WHERE g.shift_id = ? AND g.user_id = ? "
            "AND g.status = 'waitlisted'",
            [shift_id, user],
        ),
        None,
    )
    return row["position"] if row else None


def closed(shift: Shift | None, now: datetime) -> Literal["not_found", "cancelled", "started"] | None:
    """Why nobody can join or leave a shift any more (unknown, cancelled or started), or None."""
    if shift is None:
        return "not_found"
    if shift.cancelled:
        return "cancelled"
    return "started" if shift.started(now) else None


def signup(store: Store, *, shift_id: int, user: str) -> SignupResult:
    """Sign a person up, or put them on the waitlist when the shift is full; atomic."""
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id, user=user)
        if why := closed(shift, now):
            return SignupResult(why, shift)
        if shift.my_status == "confirmed":
            return SignupResult("already_confirmed", shift)
        if shift.my_status == "waitlisted":
            return SignupResult("already_waitlisted", shift, _position(db, shift_id, user))
        if required(shift.kind, shift.training) and not holds_training(
            db, user_id=user, training=shift.training, on=shift.local_start().date()
        ):
            return SignupResult("missing_training", shift)
        status = "confirmed" if shift.confirmed < shift.capacity else "waitlisted"
        db["signups"].insert(
            {"shift_id": shift_id, "user_id": user, "status": status, "created_at": iso(now), "updated_at": iso(now)}
        )
        position = _position(db, shift_id, user)
        store.events.emit(db, Event(f"signup.{status}", shift_id, now, user=user, actor=user))
        after = get_shift(db, shift_id, user=user)
    return SignupResult(status, after, position)


WithdrawOutcome = Literal["withdrawn", "left_waitlist", "not_on_shift", "not_found", "started"]


@dataclass(frozen=True)
class WithdrawResult:
    """What a withdrawal did, including who was promoted from the waitlist."""

    outcome: WithdrawOutcome
    shift: Shift | None
    promoted: list[str] = field(default_factory=list)


def withdraw(store: Store, *, shift_id: int, user: str) -> WithdrawResult:
    """Take a person off a shift or its waitlist; a freed place goes to the first in line."""
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id, user=user)
        if shift is None:
            return WithdrawResult("not_found", None)
        if shift.my_status is None:
            return WithdrawResult("not_on_shift", shift)
        if shift.started(now) and not shift.cancelled:
            return WithdrawResult("started", shift)
        db.execute(
            "UPDATE signups SET status = 'withdrawn', updated_at = ? WHERE shift_id = ? AND user_id = ? "
            "AND status IN ('confirmed', 'waitlisted')",
            [iso(now), shift_id, user],
        )
        store.events.emit(db, Event("signup.withdrawn", shift_id, now, user=user, actor=user,
                                    data={"was": shift.my_status}))
        promoted = _promote(store, db, shift_id, now=now) if shift.my_status == "confirmed" and not shift.cancelled else []
        after = get_shift(db, shift_id, user=user)
    outcome: WithdrawOutcome = "withdrawn" if shift.my_status == "confirmed" else "left_waitlist"
    return WithdrawResult(outcome, after, promoted)


def staffing(store: Store, *, now: datetime, days: int = 7, limit: int = 25) -> tuple[int, list[Shift]]:
    """Shifts of the next days for coordinators, understaffed first, then soonest: the total and the first ones."""
    params = dict(_window(now, days, None), limit=limit)
    with store.read() as db:
        total = db.execute(f"SELECT count(*) FROM shifts s WHERE {UPCOMING}", params).fetchone()[0]
        rows = db.query(
            f"SELECT {SHIFT_COLUMNS} FROM shifts s WHERE {UPCOMING} "
            "ORDER BY confirmed + lead_apart >= s.min_team, s.starts_at, s.id LIMIT :limit",
            params,
        )
        return total, [_shift(r) for r in rows]
