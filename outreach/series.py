"""Series: a shift that repeats (an RFC 5545 RRULE), its occurrences made on a rolling horizon, edits and
cancellations of one occurrence or of this and all later ones, and sign-ups for every occurrence.

The rule is written with icalendar's vRecur and read with dateutil's rrulestr from a start that carries
the series' IANA zone, so a 21:00 shift stays 21:00 local across daylight-saving changes. Occurrences are
real shifts; a unique (series_id, occurrence) makes their creation idempotent across processes and restarts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr
from icalendar import vRecur
from sqlite_utils import Database

from outreach import night, outbox, replays
from outreach import shifts as sh
from outreach.events import Event
from outreach.i18n import N_
from outreach.i18n import gettext as _
from outreach.store import Store, from_iso, iso, shift_fields_set

# How a series repeats, by id: the names are translated where shown (`_(name)`).
FREQUENCIES = {"weekly": N_("Weekly"), "biweekly": N_("Every 2 weeks"), "monthly": N_("Monthly on the same weekday")}
NO_REPEAT = "none"
HORIZON = timedelta(weeks=8)
MAX_TIMES = 52
MAX_YEARS_AHEAD = 2
TEMPLATE_FIELDS = ("kind", "venue", "area", "capacity", "min_team", "languages", "lead", "training", "notes",
                   "safety_net")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
TIMES = re.compile(r"^(\d{1,3})(?:\s*(?:times|x))?$", re.IGNORECASE)


@dataclass(frozen=True)
class Repeat:
    """How a shift repeats: a frequency and at most one end (a last date or a number of times)."""

    freq: str
    until: date | None = None
    count: int | None = None


@dataclass(frozen=True)
class Series:
    """A stored series: its rule, its start in its own zone and the template of its shifts."""

    id: int
    rule: str
    dtstart: datetime
    tz: str
    end_time: str
    freq: str
    status: str
    channel: str | None
    template: dict

    def rrule(self) -> rrule:
        """The rule, read with dateutil from the zone-aware start."""
        return rrulestr(self.rule, dtstart=self.dtstart)

    def between(self, after: datetime, before: datetime) -> list[datetime]:
        """Occurrence starts (in the series' zone) from `after` up to `before`."""
        return self.rrule().between(after.astimezone(self.zone), before.astimezone(self.zone), inc=True)

    @property
    def zone(self) -> ZoneInfo:
        """The series' time zone."""
        return ZoneInfo(self.tz)

    @property
    def until(self) -> datetime | None:
        """The rule's UNTIL, if any."""
        values = vRecur.from_ical(self.rule).get("UNTIL")
        return values[0] if values else None

    @property
    def count(self) -> int | None:
        """The rule's COUNT, if any."""
        values = vRecur.from_ical(self.rule).get("COUNT")
        return int(values[0]) if values else None


def _series(row: dict) -> Series:
    zone = ZoneInfo(row["tz"])
    return Series(
        id=row["id"], rule=row["rule"], dtstart=datetime.fromisoformat(row["dtstart"]).replace(tzinfo=zone),
        tz=row["tz"], end_time=row["end_time"], freq=row["freq"], status=row["status"], channel=row["channel"],
        template={k: row[k] for k in TEMPLATE_FIELDS},
    )


def get_series(db: Database, series_id: int) -> Series | None:
    """One series, or None."""
    row = next(db.query("SELECT * FROM series WHERE id = ?", [series_id]), None)
    return _series(row) if row else None


def series_id_of(db: Database, shift_id: int) -> int | None:
    """The series a shift belongs to, or None."""
    row = next(db.query("SELECT series_id FROM shifts WHERE id = ?", [shift_id]), None)
    return row["series_id"] if row else None


def series_of(db: Database, shift_id: int) -> Series | None:
    """The series of a shift, or None for a shift that does not repeat."""
    series_id = series_id_of(db, shift_id)
    return get_series(db, series_id) if series_id else None


@dataclass(frozen=True)
class Membership:
    """A shift's series as a reader sees it: how it repeats, and whether the reader signed up for all."""

    series: Series
    member: bool


def membership(store: Store, shift_id: int, *, user: str | None = None) -> Membership | None:
    """The series of a shift and the reader's subscription to it; None for a shift that does not repeat."""
    with store.read() as db:
        series = series_of(db, shift_id)
        if series is None:
            return None
        return Membership(series, bool(user) and is_member(db, series.id, user))


def is_member(db: Database, series_id: int, user: str) -> bool:
    """True when the person signed up for every occurrence of the series."""
    return next(db.query("SELECT 1 FROM series_members WHERE series_id = ? AND user_id = ? AND status = 'active'",
                         [series_id, user]), None) is not None


def members(db: Database, series_id: int) -> list[str]:
    """Everyone signed up for every occurrence, in the order they joined."""
    return [r["user_id"] for r in db.query(
        "SELECT user_id FROM series_members WHERE series_id = ? AND status = 'active' ORDER BY created_at, user_id",
        [series_id])]


# ---------------------------------------------------------------- the rule


def nth_weekday(day: date) -> str:
    """The BYDAY of "the same weekday of the month" as `day`: +1FR..+4FR, or -1FR for a fifth one (the last)."""
    nth = (day.day - 1) // 7 + 1
    return f"{'-1' if nth == 5 else '+' + str(nth)}{WEEKDAYS[day.weekday()]}"


def build_rule(repeat: Repeat, start: datetime) -> str:
    """The RRULE (without DTSTART) for a repeat starting at the zone-aware `start`."""
    parts: dict = {"FREQ": "MONTHLY" if repeat.freq == "monthly" else "WEEKLY"}
    if repeat.freq == "biweekly":
        parts["INTERVAL"] = 2
    if repeat.freq == "monthly":
        parts["BYDAY"] = nth_weekday(start.date())
    if repeat.count:
        parts["COUNT"] = repeat.count
    elif repeat.until:
        last = datetime.combine(repeat.until, time(23, 59, 59), tzinfo=start.tzinfo)
        parts["UNTIL"] = from_iso(iso(last))
    return vRecur(parts).to_ical().decode()


def ended_before(rule: str, moment: datetime) -> str:
    """The same rule ending just before `moment` (its COUNT replaced by an UNTIL)."""
    parts = vRecur.from_ical(rule)
    parts.pop("COUNT", None)
    parts["UNTIL"] = from_iso(iso(moment - timedelta(seconds=1)))
    return vRecur(parts).to_ical().decode()


def check_repeat(freq: str | None, end: str | None, *, start: datetime | None) -> tuple[Repeat | None, str | None]:
    """Read the form's Repeats and "Until (or number of times)": the repeat (None: does not repeat) or what to fix."""
    freq = freq or NO_REPEAT
    text = " ".join((end or "").split())
    if freq == NO_REPEAT:
        return None, (_("Choose how the shift repeats, or clear the end.") if text else None)
    if freq not in FREQUENCIES:
        return None, _("Choose how often the shift repeats.")
    if not text:
        return Repeat(freq), None
    if match := TIMES.match(text):
        count = int(match.group(1))
        if not 2 <= count <= MAX_TIMES:
            return None, _("Repeat it from 2 to %(most)s times, or give a last date like 2027-06-30.") % {"most": MAX_TIMES}
        return Repeat(freq, count=count), None
    try:
        until = date.fromisoformat(text)
    except ValueError:
        return None, _("Give a last date like 2027-06-30, or a number of times like 10.")
    if start is not None and until <= start.date():
        return None, _("The last date must be after the first shift's date.")
    if start is not None and until.year > start.year + MAX_YEARS_AHEAD:
        return None, _("Plan at most %(years)s years ahead; a new series can follow.") % {"years": MAX_YEARS_AHEAD}
    return Repeat(freq, until=until), None


def repeat_of(series: Series, *, after: datetime) -> Repeat:
    """The series' repeat as a form shows it from one occurrence on: its frequency and what is left of its end."""
    if series.count is not None:
        left = len(list(series.rrule().xafter(after.astimezone(series.zone), inc=True)))
        return Repeat(series.freq, count=max(left, 1))
    until = series.until
    return Repeat(series.freq, until=until.astimezone(series.zone).date() if until else None)


# ---------------------------------------------------------------- planning and the horizon


def _insert_series(store: Store, db: Database, *, actor: str, values: dict, repeat: Repeat, channel: str | None,
                   parent: int | None = None) -> int:
    zone = ZoneInfo(values["tz"])
    start = from_iso(values["starts_at"]).astimezone(zone)
    end = from_iso(values["ends_at"]).astimezone(zone)
    now = iso(store.clock())
    row = {k: values[k] for k in TEMPLATE_FIELDS}
    row.update(rule=build_rule(repeat, start), dtstart=start.replace(tzinfo=None).isoformat(), tz=zone.key,
               end_time=end.strftime("%H:%M"), freq=repeat.freq, status="active", channel=channel, parent_id=parent,
               created_by=actor, created_at=now, updated_at=now)
    series_id = db["series"].insert(row).last_pk
    store.audit(db, actor=actor, action="series.create", subject=f"series:{series_id}",
                detail={"fields": shift_fields_set(values), "freq": repeat.freq})
    return series_id


def _occurrence_row(series: Series, start: datetime, *, actor: str, now: datetime) -> dict:
    end = sh.end_moment(start, series.end_time, series.zone)
    assert end is not None
    return dict(series.template, starts_at=iso(start), ends_at=iso(end), tz=series.tz, status="planned",
                channel=None, created_by=actor, created_at=iso(now), updated_at=iso(now), series_id=series.id,
                occurrence=iso(start))


def _make_occurrences(store: Store, db: Database, series: Series, *, now: datetime, actor: str) -> list[int]:
    """Create the series' shifts of the horizon not made yet (a unique index keeps each once); sign its members up."""
    made: list[int] = []
    for start in series.between(now, now + HORIZON):
        if start <= now:
            continue
        row = _occurrence_row(series, start, actor=actor, now=now)
        columns = ", ".join(row)
        cursor = db.execute(f"INSERT OR IGNORE INTO shifts ({columns}) VALUES ({', '.join('?' for _ in row)})",
                            list(row.values()))
        if cursor.rowcount != 1:
            continue
        shift_id = int(cursor.lastrowid)
        store.audit(db, actor=actor, action="shift.create", subject=f"shift:{shift_id}",
                    detail={"fields": shift_fields_set(row), "series": series.id})
        store.events.emit(db, Event("shift.created", shift_id, now, actor=actor))
        for user in members(db, series.id):
            sh.signup(store, shift_id=shift_id, user=user)
        made.append(shift_id)
    if series.rrule().after((now + HORIZON).astimezone(series.zone)) is None:  # every occurrence is made
        db["series"].update(series.id, {"status": "ended", "updated_at": iso(now)})
    return made


@dataclass(frozen=True)
class Created:
    """A new series and the shifts made for its first weeks."""

    series_id: int
    shifts: list[sh.Shift]


def create_series(store: Store, *, actor: str, values: dict, repeat: Repeat, channel: str | None,
                  request_key: str | None = None) -> Created | None:
    """Store a checked shift as a repeating series and make its occurrences of the next weeks.

    None when this request (a replay) was acted on before, or the rule gives no occurrence ahead.
    """
    now = store.clock()
    with store.write() as db:
        if request_key and not store.first_time(db, request_key):
            return None
        series_id = _insert_series(store, db, actor=actor, values=values, repeat=repeat, channel=channel)
        series = get_series(db, series_id)
        assert series
        made = _make_occurrences(store, db, series, now=now, actor=actor)
        if not made:
            raise ValueError("the rule gives no occurrence ahead")
        shifts = [s for s in (sh.get_shift(db, n) for n in made) if s]
    return Created(series_id, shifts)


def top_up(store: Store, *, now: datetime | None = None) -> dict[int, list[int]]:
    """Make every active series' missing occurrences of the horizon (the timer's job); new shift ids by series."""
    now = now or store.clock()
    with store.read() as db:
        ids = [r["id"] for r in db.query("SELECT id FROM series WHERE status = 'active' ORDER BY id")]
    out: dict[int, list[int]] = {}
    for series_id in ids:
        with store.write() as db:
            series = get_series(db, series_id)
            if series is None or series.status != "active":
                continue
            made = _make_occurrences(store, db, series, now=now, actor=f"series:{series_id}")
        if made:
            out[series_id] = made
    return out


# ---------------------------------------------------------------- signing up for every occurrence


@dataclass(frozen=True)
class SeriesSignup:
    """What signing up for (or leaving) a whole series did, occurrence by occurrence."""

    outcome: str  # joined, already, left, not_member, not_found, missing_training, none_ahead
    series: Series | None = None
    confirmed: list[int] = field(default_factory=list)
    waitlisted: list[int] = field(default_factory=list)
    untrained: list[int] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)


def _future(db: Database, series_id: int, now: datetime) -> list[int]:
    return [r["id"] for r in db.query(
        "SELECT id FROM shifts WHERE series_id = ? AND status = 'planned' AND starts_at > ? ORDER BY starts_at",
        [series_id, iso(now)])]


def unposted(store: Store, *, now: datetime) -> dict[int, list[int]]:
    """Shifts the timer made for a series (`top_up`) that were never posted (the process stopped between making
    and posting them), still ahead, by series. Those made with the series itself share its first post."""
    with store.read() as db:
        rows = db.query("SELECT id, series_id FROM shifts WHERE series_id IS NOT NULL AND message_ts IS NULL "
                        "AND created_by = 'series:' || series_id AND status = 'planned' AND starts_at > ? "
                        "ORDER BY starts_at, id", [iso(now)])
        out: dict[int, list[int]] = {}
        for row in rows:
            out.setdefault(row["series_id"], []).append(row["id"])
        return out


def join(store: Store, *, shift_id: int, user: str) -> SeriesSignup:
    """Sign a person up for every future occurrence of a shift's series (waitlisted where full; the training
    gate as for one signup) and for those the horizon makes later. Raises _Refused (nothing written) when
    their training is valid for none of them."""
    now = store.clock()
    with store.write() as db:
        series = series_of(db, shift_id)
        if series is None:
            return SeriesSignup("not_found")
        ahead = _future(db, series.id, now)
        if not ahead:
            return SeriesSignup("none_ahead", series)
        if is_member(db, series.id, user):
            return SeriesSignup("already", series)
        # A member first: the calendar then keeps one invite for the series instead of one per shift.
        db["series_members"].upsert({"series_id": series.id, "user_id": user, "status": "active",
                                     "created_at": iso(now), "updated_at": iso(now)}, pk=("series_id", "user_id"))
        results = {n: sh.signup(store, shift_id=n, user=user) for n in ahead}
        untrained = [n for n, r in results.items() if r.outcome == "missing_training"]
        if len(untrained) == len(ahead):
            raise _Refused(SeriesSignup("missing_training", series, untrained=untrained))
        store.audit(db, actor=user, action="series.join", subject=f"series:{series.id}")
    return SeriesSignup(
        "joined", series,
        confirmed=[n for n, r in results.items() if r.outcome in ("confirmed", "already_confirmed")],
        waitlisted=[n for n, r in results.items() if r.outcome in ("waitlisted", "already_waitlisted")],
        untrained=untrained,
    )


class _Refused(Exception):
    def __init__(self, result: SeriesSignup) -> None:
        super().__init__(result.outcome)
        self.result = result


def sign_up_all(store: Store, *, shift_id: int, user: str) -> SeriesSignup:
    """`join`, with a refusal (no valid training for any occurrence) leaving nothing written."""
    try:
        return join(store, shift_id=shift_id, user=user)
    except _Refused as refused:
        return refused.result


def leave(store: Store, *, shift_id: int, user: str) -> SeriesSignup:
    """Take a person off every future occurrence of a shift's series and stop signing them up for new ones."""
    now = store.clock()
    with store.write() as db:
        series = series_of(db, shift_id)
        if series is None:
            return SeriesSignup("not_found")
        member = is_member(db, series.id, user)
        db.execute("UPDATE series_members SET status = 'left', updated_at = ? WHERE series_id = ? AND user_id = ?",
                   [iso(now), series.id, user])
        withdrawn = [n for n in _future(db, series.id, now)
                     if sh.withdraw(store, shift_id=n, user=user).outcome in ("withdrawn", "left_waitlist")]
        if not member and not withdrawn:
            return SeriesSignup("not_member", series)
        store.audit(db, actor=user, action="series.leave", subject=f"series:{series.id}")
    return SeriesSignup("left", series, withdrawn=withdrawn)


# ---------------------------------------------------------------- this and all later ones


@dataclass(frozen=True)
class LaterChange:
    """What an edit or cancellation of this and all later occurrences did."""

    outcome: str  # done, not_found, refused
    series_id: int | None = None
    shifts: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    notified: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def _later(db: Database, series_id: int, occurrence: str, now: datetime) -> list[sh.Shift]:
    rows = db.query("SELECT id FROM shifts WHERE series_id = ? AND occurrence >= ? AND status = 'planned' "
                    "AND starts_at > ? ORDER BY occurrence", [series_id, occurrence, iso(now)])
    return [s for s in (sh.get_shift(db, r["id"]) for r in list(rows)) if s]


def this_and_later(db: Database, shift_id: int) -> list[int]:
    """The planned shifts of a shift's series from that one on (its own included): what "this and later" means."""
    return [r["id"] for r in db.query(
        "SELECT id FROM shifts WHERE series_id = (SELECT series_id FROM shifts WHERE id = ?) AND status = 'planned' "
        "AND occurrence >= (SELECT occurrence FROM shifts WHERE id = ?)", [shift_id, shift_id])]


def _end_series(db: Database, series: Series, occurrence: str, now: datetime) -> None:
    """End the rule just before an occurrence (an UNTIL); the series ends when nothing is left ahead of it."""
    rule = ended_before(series.rule, from_iso(occurrence))
    left = rrulestr(rule, dtstart=series.dtstart).after(now.astimezone(series.zone))
    db["series"].update(series.id, {"rule": rule, "status": "active" if left else "ended", "updated_at": iso(now)})


def _tell_once(db: Database, told: dict[str, list[dict]], *, template: str, key: str, now: datetime,
               extra: dict) -> list[str]:
    """One DM per person listing every occurrence that concerns them (through the outbox)."""
    for user, items in told.items():
        outbox.enqueue(db, key=f"{key}:{user}", channel=user, template=template, due_at=now, now=now,
                       context=dict(extra, user=user, shift_id=items[0]["shift_id"], items=items))
    return list(told)


def _on(db: Database, shift_id: int) -> list[str]:
    confirmed, waiting = sh.team(db, shift_id)
    return confirmed + waiting


def cancel_later(store: Store, *, actor: str, shift_id: int, reason: str,
                 request_key: str | None = None) -> LaterChange:
    """Cancel an occurrence and every later one: the rule ends before it; each person on them is told once.

    A form Slack sends again (`request_key`) answers as the first time did: what was cancelled, who was told.
    """
    now = store.clock()
    reason = sh.clean_text(reason, limit=sh.MAX_CANCEL_REASON)
    with store.write() as db:
        series = series_of(db, shift_id)
        this = sh.get_shift(db, shift_id)
        if series is not None and this is not None and replays.seen(db, request_key):
            return _cancelled_before(db, series.id, shift_id)
        if series is None or this is None or this.cancelled or this.started(now):
            return LaterChange("not_found")
        replays.record(store, db, request_key)
        occurrence = db["shifts"].get(shift_id)["occurrence"]
        _end_series(db, series, occurrence, now)
        audit_id = store.audit(db, actor=actor, action="series.cancel_later", subject=f"series:{series.id}",
                               detail={"from": f"shift:{shift_id}", **({"fields": ["reason"]} if reason else {})})
        told: dict[str, list[dict]] = {}
        cancelled = []
        for shift in _later(db, series.id, occurrence, now):
            for user in _on(db, shift.id):
                told.setdefault(user, []).append({"shift_id": shift.id, "starts_at": iso(shift.starts_at)})
            db["shifts"].update(shift.id, {"status": "cancelled", "cancel_reason": reason, "updated_at": iso(now)})
            store.audit(db, actor=actor, action="shift.cancel", subject=f"shift:{shift.id}",
                        detail={"series": series.id})
            store.events.emit(db, Event("shift.cancelled", shift.id, now, actor=actor, data={"series": series.id}))
            cancelled.append(shift.id)
        # The reason stays on the shifts (expired with them, outreach/retention.py), not in the outbox rows.
        notified = _tell_once(db, told, template="series/cancelled", key=f"series-cancelled:{audit_id}", now=now,
                              extra={})
    return LaterChange("done", series.id, cancelled=cancelled, notified=notified)


def _cancelled_before(db: Database, series_id: int, shift_id: int) -> LaterChange:
    """What a "cancel this and later" from `shift_id` did, read back from its audit record and outbox rows."""
    row = db.execute("SELECT id FROM audit WHERE action = 'series.cancel_later' AND subject = ? "
                     "AND json_extract(detail, '$.from') = ? ORDER BY id DESC LIMIT 1",
                     [f"series:{series_id}", f"shift:{shift_id}"]).fetchone()
    if row is None:
        return LaterChange("not_found")
    cancelled = [r[0] for r in db.execute(
        "SELECT CAST(substr(subject, 7) AS INTEGER) FROM audit WHERE action = 'shift.cancel' AND id > ? "
        "AND json_extract(detail, '$.series') = ? AND at = (SELECT at FROM audit WHERE id = ?) ORDER BY id",
        [row[0], series_id, row[0]])]
    told = [r[0] for r in db.execute("SELECT channel FROM notifications WHERE key LIKE ? ORDER BY id",
                                     [f"series-cancelled:{row[0]}:%"])]
    return LaterChange("done", series_id, cancelled=cancelled, notified=told)


def _carry_on(store: Store, db: Database, later: list[sh.Shift], new: Series, *, old_id: int, actor: str,
              now: datetime) -> tuple[list[int], list[int], dict[str, list[dict]]]:
    """Move each later occurrence onto the new series' dates (cancelling those its rule no longer holds): the
    shifts kept, those cancelled, and what to tell each person whose shifts moved."""
    starts = new.rrule().xafter(new.dtstart, count=len(later), inc=True)
    told: dict[str, list[dict]] = {}
    kept, cancelled = [], []
    for shift, start in zip(later, list(starts) + [None] * len(later), strict=False):
        people = _on(db, shift.id)
        if start is None:  # the new rule ends sooner: this one is no longer held
            db["shifts"].update(shift.id, {"status": "cancelled", "updated_at": iso(now)})
            store.events.emit(db, Event("shift.cancelled", shift.id, now, actor=actor, data={"series": new.id}))
            cancelled.append(shift.id)
            for user in people:
                told.setdefault(user, []).append({"shift_id": shift.id, "starts_at": iso(shift.starts_at),
                                                  "cancelled": True})
            continue
        row = _occurrence_row(new, start, actor=actor, now=now)
        update = {k: row[k] for k in (*TEMPLATE_FIELDS, "starts_at", "ends_at", "tz", "series_id", "occurrence")}
        moved = (update["starts_at"], update["ends_at"], update["venue"], update["area"]) != (
            iso(shift.starts_at), iso(shift.ends_at), shift.venue, shift.area)
        db["shifts"].update(shift.id, dict(update, updated_at=iso(now)))
        store.audit(db, actor=actor, action="shift.edit", subject=f"shift:{shift.id}",
                    detail={"fields": shift_fields_set(update), "series": new.id})
        sh._promote(store, db, shift.id, now=now)
        store.events.emit(db, Event("shift.edited", shift.id, now, actor=actor,
                                    data={"moved": moved, "series": new.id, "series_from": old_id}))
        kept.append(shift.id)
        if moved:
            for user in people:
                told.setdefault(user, []).append({"shift_id": shift.id, "starts_at": update["starts_at"],
                                                  "old_starts_at": iso(shift.starts_at)})
    return kept, cancelled, told


def edit_later(store: Store, *, actor: str, shift_id: int, values: dict, repeat: Repeat,
               request_key: str | None = None) -> LaterChange:
    """Change an occurrence and every later one: the old rule ends before it and a new series (the new template
    and rule, the same people signed up for all) carries them on; each person whose shifts moved is told once."""
    now = store.clock()
    with store.write() as db:
        old = series_of(db, shift_id)
        this = sh.get_shift(db, shift_id)
        if old is None or this is None or this.cancelled:
            return LaterChange("not_found")
        if request_key and not store.first_time(db, request_key):
            return LaterChange("done", old.id)
        occurrence = db["shifts"].get(shift_id)["occurrence"]
        later = _later(db, old.id, occurrence, now)
        if this.id not in [s.id for s in later]:
            later.insert(0, this)
        if crowded := [s for s in later if s.confirmed > values["capacity"]]:
            most = max(s.confirmed for s in crowded)
            return LaterChange("refused", old.id, refused={"capacity": sh.capacity_below_confirmed(most)})
        if this.safety_net and not values.get("safety_net", 1) and night.under_way(db, this, now):
            return LaterChange("refused", old.id, refused={"safety_net": _(sh.NET_UNDER_WAY)})  # as for one shift
        _end_series(db, old, occurrence, now)
        new_id = _insert_series(store, db, actor=actor, values=values, repeat=repeat, channel=old.channel,
                                parent=old.id)
        new = get_series(db, new_id)
        assert new
        for user in members(db, old.id):
            db["series_members"].insert({"series_id": new_id, "user_id": user, "status": "active",
                                         "created_at": iso(now), "updated_at": iso(now)}, replace=True)
        audit_id = store.audit(db, actor=actor, action="series.edit_later", subject=f"series:{old.id}",
                               detail={"from": f"shift:{shift_id}", "to": f"series:{new_id}",
                                       "fields": shift_fields_set(values)})
        kept, cancelled, told = _carry_on(store, db, later, new, old_id=old.id, actor=actor, now=now)
        made = _make_occurrences(store, db, new, now=now, actor=actor)
        notified = _tell_once(db, told, template="series/changed", key=f"series-changed:{audit_id}", now=now,
                              extra={})
    return LaterChange("done", new_id, shifts=kept + made, cancelled=cancelled, notified=notified)


# ---------------------------------------------------------------- for the calendar


@dataclass(frozen=True)
class InviteState:
    """What a person's series invite says: the rule, its first start and end, and the dates left out."""

    series: Series
    exdates: list[datetime]
    first: sh.Shift | None

    def fingerprint(self) -> str:
        """A stable text of what the invite shows, to tell when it must be sent again."""
        return json.dumps({"rule": self.series.rule, "start": self.series.dtstart.isoformat(),
                           "end": self.series.end_time, "template": self.series.template,
                           "exdates": [iso(d) for d in self.exdates]}, sort_keys=True)


def invite_state(db: Database, series_id: int, user: str, *, now: datetime) -> InviteState | None:
    """A member's series invite as it should stand: the occurrences they are not confirmed on, cancelled or
    moved (those carry their own invite) are left out. None when they are not a member or nothing is left ahead."""
    series = get_series(db, series_id)
    if series is None or not is_member(db, series_id, user):
        return None
    rows = list(db.query(
        "SELECT s.id, s.status, s.starts_at, s.occurrence, (SELECT g.status FROM signups g WHERE g.shift_id = s.id "
        "AND g.user_id = ? AND g.status IN ('confirmed', 'waitlisted')) AS mine FROM shifts s "
        "WHERE s.series_id = ? ORDER BY s.occurrence", [user, series_id]))
    left_out = [r for r in rows if r["status"] != "planned" or r["mine"] != "confirmed" or r["starts_at"] != r["occurrence"]]
    kept = [r for r in rows if r not in left_out]
    made = {r["occurrence"] for r in rows}
    beyond = next((d for d in series.rrule().xafter(now.astimezone(series.zone), count=HORIZON.days // 7 + 12)
                   if iso(d) not in made), None)
    if beyond is None and not any(r["starts_at"] > iso(now) for r in kept):
        return None
    exdates = [from_iso(r["occurrence"]).astimezone(series.zone) for r in left_out]
    first = sh.get_shift(db, (kept or rows)[0]["id"]) if rows else None
    return InviteState(series, exdates, first)


def series_of_member_shift(db: Database, shift_id: int, user: str) -> int | None:
    """The series whose single invite covers this person's place on this shift (a member, the occurrence not
    moved), or None when the shift's own invite applies."""
    row = next(db.query("SELECT series_id, starts_at, occurrence FROM shifts WHERE id = ?", [shift_id]), None)
    if not row or not row["series_id"] or row["starts_at"] != row["occurrence"]:
        return None
    return row["series_id"] if is_member(db, row["series_id"], user) else None


def everyone(db: Database, series_id: int) -> list[str]:
    """Members past and present (a former member's invite may need its cancellation)."""
    return [r["user_id"] for r in db.query("SELECT user_id FROM series_members WHERE series_id = ? ORDER BY user_id",
                                           [series_id])]


def occurrence_starts(items: list[dict]) -> list[tuple[int, datetime, datetime | None, bool]]:
    """The shifts listed in a one-message notice: number, start, earlier start (moved) and cancelled."""
    return [(int(i["shift_id"]), from_iso(i["starts_at"]),
             from_iso(i["old_starts_at"]) if i.get("old_starts_at") else None, bool(i.get("cancelled")))
            for i in items]
