"""Who is on call tonight: the coordinators' on-call rota.

A rota is an ordered list of coordinators taking weekly turns from a start date (a weekly RRULE with a
zone-aware start, so a turn hands over at the same wall-clock time across daylight-saving changes).
Turns change at OUTREACH_ONCALL_HANDOVER (default 12:00) in OUTREACH_TIMEZONE: the "night" of a date D
runs from D's hand-over to the next day's, so the evening of D and the small hours after it are one
night. A coordinator may take one night instead ("I'll take Friday": an override for that date). A
place in the rota can be empty (its person left the workspace): its nights have nobody, and the
people on call are then the fallback list (outreach/phones.py `people_on_call`).

A hand-over happens when the person on call changes (at a turn's start, or when the rota is changed
mid-turn); the timer records it (`handover_due`, one row per change, in the same transaction) and queues the new person's DM listing the watched shifts of their turn, and the coordinators' channel line.
Outbox keys: rota:turn:<turn start>:<user> (the DM), rota:handover:<turn start>:<user or none>:<previous or none> (the line).

Every function takes its clock as a parameter (`at`, `now`); nothing here talks to Slack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.rrule import WEEKLY, rrule
from sqlite_utils import Database

from outreach import outbox
from outreach.settings import Settings
from outreach.store import Store, from_iso, iso

ROTA_MAX = 20  # people in one rota
AHEAD = timedelta(days=366)  # how far ahead a rota may start or a night be taken
TURN_LOOKAHEAD = 56  # nights looked at to find where turns change
UNCOVERED_NIGHTS = 28  # how far ahead nights with nobody are reported
LIST_MAX = 10  # watched shifts listed in a hand-over DM
LIST_SPAN = timedelta(days=7)  # how far into a turn the hand-over DM lists watched shifts

Problem = Literal["nobody", "too_many", "not_coordinator", "bad_date", "too_far"]
Taken = Literal["done", "same", "past", "too_far", "bad_date"]


@dataclass(frozen=True)
class Rota:
    """The rota as set: its people in order (None: a place left empty) and the date of the first turn."""

    people: tuple[str | None, ...]
    starts_on: date
    set_by: str | None = None
    set_at: datetime | None = None

    @property
    def members(self) -> list[str]:
        """The people in the rota, in order, without the empty places."""
        return [p for p in self.people if p]


@dataclass(frozen=True)
class Turn:
    """One stretch of nights with the same person on call (None: nobody on the rota)."""

    user: str | None
    starts_at: datetime
    ends_at: datetime
    first_night: date
    nights: int
    override: bool = False
    open_ended: bool = False  # no change of person within TURN_LOOKAHEAD nights: `ends_at` is only that far


# ---------------------------------------------------------------- nights


def night_of(at: datetime, settings: Settings) -> date:
    """The night an instant belongs to: the date of the last hand-over at or before it (local)."""
    local = at.astimezone(settings.zone)
    return local.date() - timedelta(days=1) if local.time() < settings.oncall_handover else local.date()


def night_start(night: date, settings: Settings) -> datetime:
    """When a night's turn begins (its hand-over), in UTC."""
    return datetime.combine(night, settings.oncall_handover, tzinfo=settings.zone).astimezone(UTC)


def parse_night(text: str | None) -> date | None:
    """A date from a date picker (YYYY-MM-DD), or None."""
    try:
        return date.fromisoformat(str(text or "").strip())
    except ValueError:
        return None


# ---------------------------------------------------------------- reading


def get(db: Database) -> Rota | None:
    """The rota, or None when none was ever set."""
    row = next(db.query("SELECT * FROM rota WHERE id = 1"), None)
    if row is None:
        return None
    return Rota(people=tuple(json.loads(row["people"])), starts_on=date.fromisoformat(row["starts_on"]),
                set_by=row["set_by"], set_at=from_iso(row["set_at"]) if row["set_at"] else None)


def load(store: Store) -> Rota | None:
    """The rota, read through the store."""
    with store.read() as db:
        return get(db)


def overrides(db: Database, *, since: date) -> dict[date, str]:
    """The nights taken instead, from `since` on."""
    return {date.fromisoformat(r["night"]): r["user_id"] for r in db.query(
        "SELECT night, user_id FROM rota_overrides WHERE night >= ? ORDER BY night", [since.isoformat()])}


def weekly(rota: Rota, settings: Settings) -> rrule:
    """The rota's turn starts: weekly from its first turn, at the hand-over time, in the coalition's zone
    (cached: one rule answers every night of a listing)."""
    zone = ZoneInfo(settings.timezone)
    return rrule(WEEKLY, dtstart=datetime.combine(rota.starts_on, settings.oncall_handover, tzinfo=zone), cache=True)


def rota_person(rota: Rota | None, night: date, settings: Settings, *, rule: rrule | None = None) -> str | None:
    """Whose weekly turn a night falls in (None: before the rota starts, no rota, or an empty place)."""
    if rota is None or not rota.people or night < rota.starts_on:
        return None
    moment = datetime.combine(night, settings.oncall_handover, tzinfo=ZoneInfo(settings.timezone))
    turn = (rule or weekly(rota, settings)).before(moment, inc=True)
    if turn is None:
        return None
    index = (turn.date() - rota.starts_on).days // 7
    return rota.people[index % len(rota.people)]


def nights(db: Database, settings: Settings, *, first: date, count: int) -> list[tuple[date, str | None, bool]]:
    """Each of `count` nights from `first`: who is on call (None: nobody on the rota) and whether it was taken."""
    rota, taken = get(db), overrides(db, since=first)
    rule = weekly(rota, settings) if rota is not None and rota.people else None
    out = []
    for n in range(count):
        night = first + timedelta(days=n)
        if night in taken:
            out.append((night, taken[night], True))
        else:
            out.append((night, rota_person(rota, night, settings, rule=rule), False))
    return out


def on_call(db: Database, settings: Settings, *, at: datetime) -> str | None:
    """The person on call at an instant: the night's override, else the rota's turn (None: nobody)."""
    return nights(db, settings, first=night_of(at, settings), count=1)[0][1]


def next_turns(db: Database, settings: Settings, *, at: datetime, count: int = 2) -> list[Turn]:
    """The turn under way at `at`, then the next ones (each a stretch of nights with one person), at most
    `count`, looking TURN_LOOKAHEAD nights ahead. Empty when there is neither a rota nor an override."""
    if get(db) is None and not overrides(db, since=night_of(at, settings)):
        return []
    first = night_of(at, settings)
    seen = nights(db, settings, first=first, count=TURN_LOOKAHEAD)
    turns: list[Turn] = []
    start = 0
    for i in range(1, len(seen) + 1):
        if i < len(seen) and seen[i][1] == seen[start][1] and seen[i][2] == seen[start][2]:
            continue
        night, user, taken = seen[start]
        turns.append(Turn(user=user, starts_at=night_start(night, settings),
                          ends_at=night_start(first + timedelta(days=i), settings), first_night=night,
                          nights=i - start, override=taken, open_ended=i == len(seen)))
        if len(turns) >= count:
            break
        start = i
    return turns


def uncovered(db: Database, settings: Settings, *, now: datetime, count: int = UNCOVERED_NIGHTS) -> list[tuple[date, date]]:
    """The nights ahead with nobody on call, as ranges (first, last), when a rota is set (else none)."""
    rota = get(db)
    if rota is None:
        return []
    ranges: list[tuple[date, date]] = []
    for night, user, _taken in nights(db, settings, first=night_of(now, settings), count=count):
        if user is not None or night < rota.starts_on:
            continue
        if ranges and ranges[-1][1] == night - timedelta(days=1):
            ranges[-1] = (ranges[-1][0], night)
        else:
            ranges.append((night, night))
    return ranges


# ---------------------------------------------------------------- changing it


def check(people: list[str], starts_on: str | None, *, coordinators: set[str], now: datetime,
          settings: Settings) -> dict[str, Problem]:
    """What is wrong with a rota as submitted, by field ("people", "start"); empty when it can be saved."""
    problems: dict[str, Problem] = {}
    chosen = list(dict.fromkeys(p for p in people if p))
    if not chosen:
        problems["people"] = "nobody"
    elif len(chosen) > ROTA_MAX:
        problems["people"] = "too_many"
    elif any(p not in coordinators for p in chosen):
        problems["people"] = "not_coordinator"
    first = parse_night(starts_on)
    if first is None:
        problems["start"] = "bad_date"
    elif first > night_of(now + AHEAD, settings):
        problems["start"] = "too_far"
    return problems


def set_rota(store: Store, *, actor: str, people: list[str], starts_on: date) -> Rota:
    """Save the rota (replacing the one before); checked first with `check`."""
    now = store.clock()
    chosen = list(dict.fromkeys(p for p in people if p))
    with store.write() as db:
        db["rota"].upsert({"id": 1, "people": json.dumps(chosen), "starts_on": starts_on.isoformat(), "set_by": actor,
                           "set_at": iso(now)}, pk="id")
        store.audit(db, actor=actor, action="rota.set", subject="rota:1",
                    detail={"people": len(chosen), "starts_on": starts_on.isoformat()})
    return Rota(people=tuple(chosen), starts_on=starts_on, set_by=actor, set_at=now)


def take_night(store: Store, settings: Settings, *, actor: str, night_text: str | None) -> tuple[Taken, date | None]:
    """A coordinator takes the turn covering a date's night instead of whoever had it."""
    now = store.clock()
    night = parse_night(night_text)
    if night is None:
        return "bad_date", None
    if night < night_of(now, settings):
        return "past", night
    if night > night_of(now + AHEAD, settings):
        return "too_far", night
    with store.write() as db:
        if on_call(db, settings, at=night_start(night, settings)) == actor:
            return "same", night
        db.execute("INSERT INTO rota_overrides (night, user_id, set_by, set_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT(night) DO UPDATE SET user_id = excluded.user_id, set_by = excluded.set_by, "
                   "set_at = excluded.set_at", [night.isoformat(), actor, actor, iso(now)])
        store.audit(db, actor=actor, action="rota.take", subject=f"night:{night.isoformat()}")
    return "done", night


def remove_person(db: Database, user: str, *, now: datetime, settings: Settings) -> tuple[bool, int]:
    """Inside the caller's transaction: empty a person's places in the rota and drop the nights they took from
    tonight on; (whether they were in the rota, how many nights taken were dropped)."""
    return drop_person(db, user, since=night_of(now, settings))


def drop_person(db: Database, user: str, *, since: date) -> tuple[bool, int]:
    """`remove_person` from the night `since` on (also for someone no longer a coordinator: outreach/roles.py)."""
    rota = get(db)
    in_rota = rota is not None and user in rota.people
    if rota is not None and in_rota:
        db.execute("UPDATE rota SET people = ? WHERE id = 1",
                   [json.dumps([None if p == user else p for p in rota.people])])
    dropped = db.execute("DELETE FROM rota_overrides WHERE user_id = ? AND night >= ?",
                         [user, since.isoformat()]).rowcount
    return in_rota, dropped


# ---------------------------------------------------------------- hand-over


def last_handover(db: Database) -> dict | None:
    """The latest hand-over recorded (user_id None: to nobody on the rota)."""
    return next(db.query("SELECT * FROM rota_handovers ORDER BY id DESC LIMIT 1"), None)


def watched_shifts(db: Database, *, since: datetime, until: datetime) -> list[int]:
    """The planned watched shifts starting in a stretch of time (the ones a turn looks after), soonest first."""
    return [r["id"] for r in db.query(
        "SELECT id FROM shifts WHERE status = 'planned' AND safety_net = 1 AND starts_at >= ? AND starts_at < ? "
        "ORDER BY starts_at, id", [iso(since), iso(until)])]


def _handed_over(db: Database, settings: Settings, now: datetime) -> tuple[Turn, str | None] | None:
    """The turn to hand over to now and the person last handed over to; None when nothing is to be done."""
    turns = next_turns(db, settings, at=now, count=1)
    if not turns:
        return None
    last = last_handover(db)
    previous = last["user_id"] if last else None
    if (last is not None and previous == turns[0].user) or (last is None and turns[0].user is None):
        return None  # the same person, or a rota whose first night has nobody: nothing to hand over
    return turns[0], previous


def handover_due(store: Store, settings: Settings, *, now: datetime) -> bool:
    """When the person on call now is not the one last handed over to, record the hand-over once and queue the
    new person's DM and the coordinators' channel line; True when a hand-over was made now. Read first: on most
    ticks nothing changed, and no write is taken."""
    with store.read() as db:
        if _handed_over(db, settings, now) is None:
            return False
    with store.write() as db:
        found = _handed_over(db, settings, now)
        if found is None:
            return False
        turn, previous = found
        started = iso(turn.starts_at)
        db.execute("INSERT INTO rota_handovers (started_at, user_id, previous, at) VALUES (?, ?, ?, ?)",
                   [started, turn.user, previous, iso(now)])
        context = {"user": turn.user, "previous": previous, "starts_at": started, "ends_at": iso(turn.ends_at),
                   "nights": turn.nights, "open_ended": turn.open_ended}
        if turn.user:
            outbox.enqueue(db, key=f"rota:turn:{started}:{turn.user}", channel=turn.user, template="rota/turn",
                           context=context, due_at=now, now=now)
        if settings.coordinator_channel:
            outbox.enqueue(db, key=f"rota:handover:{started}:{turn.user or 'none'}:{previous or 'none'}",
                           channel=settings.coordinator_channel, template="rota/handover", context=context,
                           due_at=now, now=now)
    return True
