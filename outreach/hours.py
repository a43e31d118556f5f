"""Volunteer hours from attendance (outreach/attendance.py), corrections by coordinators, a person's
year and the coordinators' roster.

Hours are counted per person and shift, once, from the person's actual times; a coordinator's
correction (the newest for that shift and person) replaces what was counted. The report's volunteer
hours (outreach/reports.py `volunteer_hours`) and each person's statement both add up `shift_hours`,
so they agree. Nothing here reads a debrief's free text.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from outreach import replays
from outreach.attendance import MISSED, PRESENT, Presence, attendance, hours_by_shift
from outreach.held import HELD_SQL
from outreach.store import Store, from_iso, iso
from outreach.trainings import TrainingRecord

MAX_HOURS = 24.0  # the most one person can be credited for one shift
REASON_MAX = 300
ROSTER_NO_SHOW_DAYS = 365
CORRECTED = "correction"

# Shifts held (outreach/held.py, as the reports count them) that started in [start, end).
_HELD = ("SELECT s.id FROM shifts s WHERE s.starts_at >= :start AND s.starts_at < :end AND " + HELD_SQL
         + " ORDER BY s.starts_at, s.id")


@dataclass(frozen=True)
class Entry:
    """One person's hours on one shift, as counted (or as a coordinator corrected them)."""

    shift_id: int
    user: str
    starts_at: datetime
    kind: str
    hours: float
    status: str  # present, absent, no-show (a correction keeps the status attendance gave)
    source: str  # where attendance came from, or "correction"
    reason: str | None = None  # a correction's reason (never shown beside debrief text)


def corrections(db: Database, shift_ids: list[int]) -> dict[tuple[int, str], tuple[float, str]]:
    """The newest correction per (shift, person) on these shifts: hours and reason."""
    out: dict[tuple[int, str], tuple[float, str]] = {}
    for shift_id, user, hours, reason in db.execute(
            "SELECT shift_id, user_id, hours, reason FROM hour_corrections "
            "WHERE shift_id IN (SELECT value FROM json_each(?)) ORDER BY id", [json.dumps(sorted(set(shift_ids)))]):
        out[(shift_id, user)] = (float(hours), reason)
    return out


def _apply(present: dict[int, list[Presence]],
           fixed: dict[tuple[int, str], tuple[float, str]]) -> dict[int, list[tuple[Presence, float, str | None]]]:
    """Each presence with its hours (the correction's, when there is one); corrected people not in the
    attendance (someone who came without signing up) are added."""
    out: dict[int, list[tuple[Presence, float, str | None]]] = {}
    for shift_id, people in present.items():
        rows: list[tuple[Presence, float, str | None]] = []
        for p in people:
            fix = fixed.get((shift_id, p.user))
            if fix is None:
                rows.append((p, p.hours, None))
            else:  # credited with hours by a coordinator: there after all
                rows.append((p._replace(status=PRESENT, hours=fix[0]) if fix[0] > 0 else p._replace(hours=fix[0]),
                             fix[0], fix[1]))
        out[shift_id] = rows
    for (shift_id, user), (hours, reason) in fixed.items():
        if shift_id in out and all(p.user != user for p, _, _ in out[shift_id]):
            out[shift_id].append((Presence(user, None, None, PRESENT, CORRECTED, hours), hours, reason))
    return out


def shift_hours(db: Database, shift_ids: list[int]) -> dict[int, float]:
    """Hours volunteered on each shift: every person's own hours (corrections applied), added up."""
    out = hours_by_shift(db, shift_ids)
    fixed = corrections(db, shift_ids)
    if fixed:  # the few corrected shifts, person by person
        corrected = sorted({shift_id for shift_id, _ in fixed})
        for shift_id, rows in _apply(attendance(db, corrected, missing=False), fixed).items():
            out[shift_id] = sum(hours for _, hours, _ in rows)
    return out


def entries(db: Database, shift_ids: list[int]) -> list[Entry]:
    """Every person's entry on these shifts, in shift order (corrections applied)."""
    info = {row[0]: (from_iso(row[1]), row[2]) for row in db.execute(
        "SELECT id, starts_at, kind FROM shifts WHERE id IN (SELECT value FROM json_each(?))",
        [json.dumps(sorted(set(shift_ids)))])}
    counted = _apply(attendance(db, shift_ids), corrections(db, shift_ids))
    out: list[Entry] = []
    for shift_id in sorted(counted, key=lambda s: (info[s][0], s) if s in info else (datetime.max, s)):
        if shift_id not in info:
            continue
        starts_at, kind = info[shift_id]
        for p, hours, reason in counted[shift_id]:
            out.append(Entry(shift_id, p.user, starts_at, kind, hours, p.status,
                             CORRECTED if reason is not None else p.source, reason))
    return out


def held_between(db: Database, start: datetime, end: datetime, now: datetime) -> list[int]:
    """Shifts held (outreach/held.py: ended, went out or debriefed, never cancelled) that started in [start, end)."""
    return [row[0] for row in db.execute(_HELD, {"start": iso(start), "end": iso(end), "now": iso(now)})]


def year_bounds(year: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A calendar year in the coalition's zone, as instants [start, end)."""
    return (datetime.combine(date(year, 1, 1), time(0), tzinfo=zone),
            datetime.combine(date(year + 1, 1, 1), time(0), tzinfo=zone))


# ---------------------------------------------------------------- a person's hours


@dataclass(frozen=True)
class Line:
    """One shift on a person's statement."""

    shift_id: int
    day: date
    kind: str
    hours: float
    corrected: bool


@dataclass
class Summary:
    """A person's hours in a year: each shift, the total, by month and by kind, and missed shifts."""

    user: str
    year: int
    lines: list[Line] = field(default_factory=list)
    missed: int = 0

    @property
    def total(self) -> float:
        """Hours in the year."""
        return round(sum(line.hours for line in self.lines), 2)

    @property
    def by_month(self) -> list[tuple[date, float]]:
        """Hours per month (the first of each month with hours), in order."""
        months: Counter = Counter()
        for line in self.lines:
            months[line.day.replace(day=1)] += line.hours
        return [(month, round(hours, 2)) for month, hours in sorted(months.items())]

    @property
    def by_kind(self) -> list[tuple[str, float]]:
        """Hours per kind of shift, most first."""
        kinds: Counter = Counter()
        for line in self.lines:
            kinds[line.kind] += line.hours
        return [(kind, round(hours, 2)) for kind, hours in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))]


def person_hours(store: Store, user: str, *, year: int, zone: ZoneInfo, now: datetime) -> Summary:
    """A person's hours on the shifts held in a calendar year (in the coalition's zone)."""
    start, end = year_bounds(year, zone)
    with store.read() as db:
        found = entries(db, held_between(db, start, end, now))
    out = Summary(user=user, year=year)
    for e in found:
        if e.user != user:
            continue
        if e.status == PRESENT or e.source == CORRECTED:
            out.lines.append(Line(e.shift_id, e.starts_at.astimezone(zone).date(), e.kind, round(e.hours, 2),
                                  e.source == CORRECTED))
        elif e.status in MISSED:
            out.missed += 1
    return out


def everyone_hours(store: Store, *, year: int, zone: ZoneInfo, now: datetime) -> dict[str, float]:
    """Every person's total for a year (what their statements say), by person."""
    start, end = year_bounds(year, zone)
    totals: dict[str, float] = defaultdict(float)
    with store.read() as db:
        for e in entries(db, held_between(db, start, end, now)):
            totals[e.user] += e.hours
    return {user: round(hours, 2) for user, hours in totals.items() if hours}


# ---------------------------------------------------------------- statements


@dataclass(frozen=True)
class Statement:
    """A statement of service hours as issued: its number, whose, the days it covers, its figures, when and
    under which name (the person's name as Slack knew it, never typed)."""

    number: int
    user: str
    first: date
    last: date
    hours: float
    shifts: int
    issued_at: datetime
    issued_to: str


def statement_period(s: Summary, today: date) -> tuple[date, date]:
    """The days a statement covers: its calendar year, up to today in the year under way."""
    return date(s.year, 1, 1), min(date(s.year, 12, 31), today)


def issue_statement(store: Store, s: Summary, *, name: str, today: date) -> Statement:
    """Number a statement and record its figures before it is printed (the number goes on it)."""
    first, last = statement_period(s, today)
    now = store.clock()
    with store.write() as db:
        number = db["statements"].insert({
            "user_id": s.user, "period": f"{first.isoformat()}..{last.isoformat()}", "hours": s.total,
            "shifts": len(s.lines), "issued_at": iso(now), "issued_to": name,
        }).last_pk
    return Statement(int(number), s.user, first, last, s.total, len(s.lines), now, name)


def find_statement(store: Store, number: int) -> Statement | None:
    """The statement issued under this number, or None."""
    with store.read() as db:
        row = next(db.query("SELECT * FROM statements WHERE number = ?", [number]), None)
    if row is None:
        return None
    first, _, last = row["period"].partition("..")
    return Statement(row["number"], row["user_id"], date.fromisoformat(first), date.fromisoformat(last),
                     float(row["hours"]), int(row["shifts"]), from_iso(row["issued_at"]), row["issued_to"])


def recount(store: Store, statement: Statement, *, zone: ZoneInfo, now: datetime) -> float:
    """The hours the statement's days give today (a correction made since would change them)."""
    s = person_hours(store, statement.user, year=statement.first.year, zone=zone, now=now)
    return round(sum(line.hours for line in s.lines if statement.first <= line.day <= statement.last), 2)


# ---------------------------------------------------------------- corrections


@dataclass(frozen=True)
class Correction:
    """What correcting an entry did: saved (with the hours before and after), or why not."""

    outcome: str  # saved, repeat (a form sent twice), no_shift, not_held, bad_hours, no_reason, private
    before: float | None = None
    after: float | None = None
    problem: str | None = None


def parse_hours(text: str) -> float | None:
    """Hours like 3, 3.5 or 3,5 (0 to MAX_HOURS, to the quarter hour at most two decimals); None when malformed."""
    text = text.strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    if not text.replace(".", "", 1).isdigit() or not 0 <= value <= MAX_HOURS:
        return None
    return round(value, 2)


def correction_detail(*, user: str, before: float, after: float) -> dict:
    """What the audit keeps of a correction: whose hours, the figures before and after, and which fields were
    given (never the reason's words, which stay with the correction and expire with the notes)."""
    return {"user": user, "before": before, "after": after, "fields": ["hours", "reason"]}


def correct(store: Store, *, actor: str, shift_id: int, user: str, hours: float, reason: str,
            screen: Callable[[str], str | None], request_key: str | None = None) -> Correction:
    """Record a coordinator's correction of a person's hours on a held shift, audited with who and the figures
    (its reason is kept with it, for the notes' retention period: outreach/retention.py).

    `screen(reason)` returns a problem when the reason holds personal details (then nothing is saved).
    """
    reason = " ".join((reason or "").split())
    if not 0 <= hours <= MAX_HOURS:
        return Correction("bad_hours")
    if not reason:
        return Correction("no_reason")
    if len(reason) > REASON_MAX:
        reason = reason[:REASON_MAX]
    if problem := screen(reason):
        return Correction("private", problem=problem)
    now = store.clock()
    with store.write() as db:
        if replays.seen(db, request_key):
            return Correction("repeat", after=hours)
        row = next(db.query("SELECT status, ends_at FROM shifts WHERE id = ?", [shift_id]), None)
        if row is None:
            return Correction("no_shift")
        if row["status"] != "planned" or row["ends_at"] > iso(now):
            return Correction("not_held")
        before = next((hours_ for p, hours_, _ in _apply(attendance(db, [shift_id]), corrections(db, [shift_id]))
                       .get(shift_id, []) if p.user == user), 0.0)
        replays.record(store, db, request_key)
        db["hour_corrections"].insert({
            "shift_id": shift_id, "user_id": user, "hours": hours, "reason": reason,
            "corrected_by": actor, "corrected_at": iso(now),
        })
        store.audit(db, actor=actor, action="hours.correct", subject=f"shift:{shift_id}",
                    detail=correction_detail(user=user, before=round(before, 2), after=hours))
    return Correction("saved", before=round(before, 2), after=hours)


# ---------------------------------------------------------------- the roster


@dataclass
class RosterRow:
    """One volunteer as coordinators see them."""

    user: str
    trainings: list[TrainingRecord] = field(default_factory=list)  # the latest record of each training
    languages: list[str] = field(default_factory=list)
    hours_90: float = 0.0
    hours_year: float = 0.0
    last_shift: date | None = None
    no_shows: int = 0


def roster(store: Store, *, zone: ZoneInfo, now: datetime) -> list[RosterRow]:
    """Everyone who signed up, led, holds a training or named a language: trainings, languages, hours in
    the last 90 days and this calendar year, last shift out and no-shows in the last 12 months;
    most hours this year first."""
    today = now.astimezone(zone).date()
    year_start = year_bounds(today.year, zone)[0]
    ninety = now - timedelta(days=90)
    missed_since = now - timedelta(days=ROSTER_NO_SHOW_DAYS)
    rows: dict[str, RosterRow] = {}

    def row(user: str) -> RosterRow:
        if user not in rows:
            rows[user] = RosterRow(user)
        return rows[user]

    with store.read() as db:
        for (user,) in db.execute(
                "SELECT user_id FROM signups UNION SELECT lead FROM shifts WHERE lead IS NOT NULL AND lead != '' "
                "UNION SELECT user_id FROM trainings UNION SELECT user_id FROM volunteer_languages "
                "UNION SELECT user_id FROM hour_corrections"):
            row(user)
        for record in db.query(
                "SELECT * FROM trainings t WHERE id = (SELECT id FROM trainings u WHERE u.user_id = t.user_id "
                "AND u.training = t.training ORDER BY completed_on DESC, id DESC LIMIT 1) ORDER BY training"):
            row(record["user_id"]).trainings.append(TrainingRecord(
                user_id=record["user_id"], training=record["training"],
                completed_on=date.fromisoformat(record["completed_on"]),
                expires_on=date.fromisoformat(record["expires_on"]) if record["expires_on"] else None,
                recorded_by=record["recorded_by"] or ""))
        for user, language in db.execute("SELECT user_id, language FROM volunteer_languages ORDER BY language"):
            row(user).languages.append(language)
        found = entries(db, held_between(db, datetime(2000, 1, 1, tzinfo=zone), now, now))
    for e in found:
        person = row(e.user)
        if e.status == PRESENT or e.source == CORRECTED:
            if e.starts_at >= year_start:
                person.hours_year += e.hours
            if e.starts_at >= ninety:
                person.hours_90 += e.hours
            if e.status == PRESENT:
                day = e.starts_at.astimezone(zone).date()
                person.last_shift = max(person.last_shift or day, day)
        if e.status in MISSED and e.starts_at >= missed_since:
            person.no_shows += 1
    for person in rows.values():
        person.hours_year, person.hours_90 = round(person.hours_year, 2), round(person.hours_90, 2)
    return sorted(rows.values(), key=lambda r: (-r.hours_year, -r.hours_90, r.user))
