"""Who was really out on a shift, and from when to when: the one place attendance is read.

Sources, in order, per shift:

1. per-member check-in and check-out rows (`member_checkins`: one row per member, with the times each
   checked in and out, or marked absent), when that table exists and the shift has rows in it;
   The debrief's team, once written, is the final word: a member checked in whom the lead left off it
   counts as absent, and one on it without a check-in was out for the team's times (below);
2. else the debrief's team (the attendee list the lead confirms in the debrief), each member out from
   the shift's check-in to its check-out (outreach/safety.py) when both were recorded and make sense,
   else the debrief's times (the plan when nobody checked in);
3. else nothing: a shift without either has no attendance yet.

A confirmed member (or the lead) with no presence is a no-show: derived here, shown to coordinators
on the roster; nothing blocks anyone. Hours and corrections are in outreach/hours.py.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlite_utils import Database

from outreach.store import from_iso

MEMBER_TABLE = "member_checkins"
MAX_SHIFT = timedelta(hours=24)  # a presence longer than this is read as a mistake: the plan is used instead

PRESENT = "present"
ABSENT = "absent"  # marked absent at the per-member check-in
NO_SHOW = "no-show"  # confirmed for the shift, never recorded as there
MISSED = (ABSENT, NO_SHOW)

FROM_CHECKINS = "checkins"  # per-member check-in and check-out
FROM_DEBRIEF = "debrief"  # the debrief's team with the shift's check-in and check-out
FROM_DEBRIEF_PLAN = "debrief-plan"  # the debrief's team with the debrief's (planned) times


class Presence(NamedTuple):
    """One person on one shift: whether they were there, and from when to when (UTC)."""

    user: str
    started_at: datetime | None
    ended_at: datetime | None
    status: str  # present, absent or no-show
    source: str  # checkins, debrief or debrief-plan
    hours: float = 0.0  # hours out, from the person's actual times (0 for anyone not there)


def _span(start: datetime | None, end: datetime | None) -> float:
    if start is None or end is None:
        return 0.0
    return max((end - start).total_seconds(), 0.0) / 3600


def _present(user: str, start: datetime, end: datetime, source: str) -> Presence:
    """A person who was there from `start` to `end`."""
    return Presence(user, start, end, PRESENT, source, _span(start, end))


def _ids(shift_ids: list[int]) -> str:
    return json.dumps(sorted({int(i) for i in shift_ids}))


def _at(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


def _sane(start: datetime | None, end: datetime | None) -> bool:
    return start is not None and end is not None and start < end <= start + MAX_SHIFT


# Every debriefed shift's team, with the shift's check-in and check-out, the debrief's times and the plan.
_DEBRIEFED = (
    "SELECT d.shift_id, d.team, f.checked_in_at, f.checked_out_at, d.started_at, d.ended_at, s.starts_at, s.ends_at "
    "FROM debriefs d JOIN shifts s ON s.id = d.shift_id LEFT JOIN safety f ON f.shift_id = d.shift_id "
    "WHERE d.shift_id IN (SELECT value FROM json_each(?))"
)


def _sane_sql(start: str, end: str) -> str:
    """SQL for `_debrief_times`' test of a pair of stored times: both set, in order, at most MAX_SHIFT apart."""
    return (f"({start} IS NOT NULL AND {end} IS NOT NULL AND {end} > {start} "
            f"AND (julianday({end}) - julianday({start})) * 86400 <= {int(MAX_SHIFT.total_seconds())})")


def _seconds_sql(start: str, end: str) -> str:
    return f"(julianday({end}) - julianday({start})) * 86400"


# The same, added up in SQL for `hours_by_shift`: each debriefed shift's team size (each person once) and
# the seconds they were out, chosen as `_debrief_times` chooses them.
_DEBRIEFED_HOURS = (
    "SELECT d.shift_id, (SELECT count(DISTINCT j.value) FROM json_each(d.team) j WHERE j.type = 'text'), "
    f"CASE WHEN {_sane_sql('f.checked_in_at', 'f.checked_out_at')} "
    f"THEN {_seconds_sql('f.checked_in_at', 'f.checked_out_at')} "
    f"WHEN {_sane_sql('d.started_at', 'd.ended_at')} THEN {_seconds_sql('d.started_at', 'd.ended_at')} "
    f"ELSE max({_seconds_sql('s.starts_at', 's.ends_at')}, 0) END "
    "FROM debriefs d JOIN shifts s ON s.id = d.shift_id LEFT JOIN safety f ON f.shift_id = d.shift_id "
    "WHERE d.shift_id IN (SELECT value FROM json_each(?)) AND json_valid(d.team)"
)


Team = tuple[int, list[str], datetime, datetime, str]  # a debriefed shift: its team, from, to, source


def _read(db: Database, ids: str, *, teams: bool = True) -> tuple[dict[int, list[Presence]], list[Team]]:
    """The sources, read once: each shift with per-member rows as presences, and (with `teams`) every other
    debriefed shift's team with the times they were out."""
    rows: dict[int, list[tuple]] = defaultdict(list)
    if db[MEMBER_TABLE].exists():
        for row in db.execute(
                f"SELECT shift_id, user_id, checked_in_at, checked_out_at, absent FROM {MEMBER_TABLE} "
                "WHERE shift_id IN (SELECT value FROM json_each(?)) ORDER BY rowid", [ids]):
            rows[row[0]].append(row[1:])
    members: dict[int, list[Presence]] = {}
    if rows:
        for shift_id, ends_at, team_out in db.execute(
                "SELECT s.id, s.ends_at, f.checked_out_at FROM shifts s LEFT JOIN safety f ON f.shift_id = s.id "
                "WHERE s.id IN (SELECT value FROM json_each(?))", [json.dumps(sorted(rows))]):
            members[shift_id] = _from_members(rows[shift_id], _at(team_out), from_iso(ends_at))
    found: list[Team] = []
    for shift_id, team, *times in db.execute(_DEBRIEFED, [ids]) if teams else ():
        found.append((shift_id, _team(team), *_debrief_times(*times)))
    return members, found


def _join(members: list[Presence], team: Team) -> list[Presence]:
    """A shift's own check-ins joined with its debrief's team, the lead's final word on who was out: the
    team's people without a check-in were out for the team's times; anyone checked in whom the lead left
    off the team was not out (absent: no hours, whatever the safety records say)."""
    _, people, start, end, source = team
    if not people:
        return members
    kept = [p if p.user in people or p.status != PRESENT else Presence(p.user, None, None, ABSENT, FROM_DEBRIEF)
            for p in members]
    seen = {p.user for p in members}
    return kept + [_present(user, start, end, source) for user in people if user not in seen]


def attendance(db: Database, shift_ids: list[int], *, missing: bool = True) -> dict[int, list[Presence]]:
    """Who was out on each shift (present, absent, no-show), by shift id; shifts without attendance map to [].

    Without `missing`, only the people who were there.
    """
    ids = _ids(shift_ids)
    out: dict[int, list[Presence]] = {int(i): [] for i in shift_ids}
    if not out:
        return out
    members, teams = _read(db, ids)
    out.update(members)
    make = tuple.__new__  # Presence(...) without its generated __new__: thousands of rows per report
    for team in teams:
        shift_id, people, start, end, source = team
        if shift_id in members:
            out[shift_id] = _join(members[shift_id], team)
            continue
        hours = _span(start, end)
        out[shift_id] = [make(Presence, (user, start, end, PRESENT, source, hours)) for user in people]
    if missing:
        expected: dict[int, list[str]] = defaultdict(list)
        for shift_id, user in db.execute(
                "SELECT id, lead FROM shifts WHERE lead IS NOT NULL AND lead != '' "
                "AND id IN (SELECT value FROM json_each(?))", [ids]):
            expected[shift_id].append(user)
        for shift_id, user in db.execute(
                "SELECT shift_id, user_id FROM signups WHERE status = 'confirmed' "
                "AND shift_id IN (SELECT value FROM json_each(?)) ORDER BY id", [ids]):
            expected[shift_id].append(user)
        for shift_id, people in expected.items():
            found = out.get(shift_id)
            if not found and shift_id not in members:  # no attendance for this shift yet: nobody is missing
                continue
            seen = {p.user for p in found or []}
            source = found[0].source if found else FROM_DEBRIEF
            for user in dict.fromkeys(people):
                if user not in seen:
                    out[shift_id].append(Presence(user, None, None, NO_SHOW, source))
    return out


def hours_by_shift(db: Database, shift_ids: list[int]) -> dict[int, float]:
    """The hours each shift's people were out, added up: the same attendance as `attendance`, read the same
    way, without a row per person (the report adds up thousands of shifts)."""
    out = {int(i): 0.0 for i in shift_ids}
    if not out:
        return out
    ids = _ids(shift_ids)
    members = _read(db, ids, teams=False)[0]
    if members:  # the few shifts with their own check-ins: with their debriefs' teams, as `attendance` does
        members = {k: v for k, v in attendance(db, list(members), missing=False).items()}
    for shift_id, people in members.items():
        out[shift_id] = sum(p.hours for p in people)
    for shift_id, team, seconds in db.execute(_DEBRIEFED_HOURS, [ids]):
        if shift_id not in members:
            out[shift_id] = team * round(seconds) / 3600
    return out


def _from_members(rows: list[tuple], team_out: datetime | None, planned_end: datetime) -> list[Presence]:
    """Each member's own times; a member who checked in and never out is out until the team's check-out,
    else the planned end."""
    found: dict[str, Presence] = {}
    for user, checked_in, checked_out, absent in rows:
        start, end = _at(checked_in), _at(checked_out)
        if absent and start is None:
            found.setdefault(user, Presence(user, None, None, ABSENT, FROM_CHECKINS))
            continue
        if start is None:
            continue
        if not _sane(start, end):
            end = next((e for e in (team_out, planned_end) if _sane(start, e)), start)
        earlier = found.get(user)
        if earlier is not None and earlier.status == PRESENT:  # counted once per shift: the widest span
            start, end = min(start, earlier.started_at), max(end, earlier.ended_at)  # type: ignore[type-var]
        found[user] = _present(user, start, end, FROM_CHECKINS)  # type: ignore[arg-type]
    return list(found.values())


def _debrief_times(checked_in: str | None, checked_out: str | None, started: str | None, ended: str | None,
                   starts: str, ends: str) -> tuple[datetime, datetime, str]:
    """The shift's check-in and check-out when both make sense, else the debrief's times (the plan when
    nobody checked in), else the plan; and which it was."""
    source = FROM_DEBRIEF
    for first, last in ((checked_in, checked_out), (started, ended), (starts, ends)):
        if first and last and last > first:
            start, end = datetime.fromisoformat(first), datetime.fromisoformat(last)
            if end - start <= MAX_SHIFT:
                return start, end, source
        source = FROM_DEBRIEF_PLAN
    return from_iso(starts), from_iso(ends), source


def _team(team: str | None) -> list[str]:
    """The people of a debrief's team (stored JSON), each once."""
    try:
        people = json.loads(team or "[]")
    except ValueError:
        return []
    return [user for user in dict.fromkeys(people) if isinstance(user, str)] if isinstance(people, list) else []


def no_shows(present: dict[int, list[Presence]]) -> dict[str, int]:
    """How many times each person was confirmed and not there (absent or no-show) on these shifts."""
    counts: dict[str, int] = defaultdict(int)
    for people in present.values():
        for p in people:
            if p.status in MISSED:
                counts[p.user] += 1
    return dict(counts)


def present_by_shift(db: Database, shift_ids: list[int]) -> dict[int, set[str]]:
    """Who was present on each shift, by shift id: the same attendance as `attendance`, read the same way,
    as sets of people (the report counts distinct volunteers over thousands of shifts)."""
    out: dict[int, set[str]] = {int(i): set() for i in shift_ids}
    if not out:
        return out
    ids = _ids(shift_ids)
    members = _read(db, ids, teams=False)[0]
    if members:  # the few shifts with their own check-ins: with their debriefs' teams, as `attendance` does
        for shift_id, people in attendance(db, list(members), missing=False).items():
            out[shift_id] = {p.user for p in people if p.status == PRESENT}
    for shift_id, user in db.execute(
            "SELECT d.shift_id, j.value FROM debriefs d, "
            "json_each(CASE WHEN json_valid(d.team) THEN d.team ELSE '[]' END) j "
            "WHERE j.type = 'text' AND d.shift_id IN (SELECT value FROM json_each(?))", [ids]):
        if shift_id not in members:
            out[shift_id].add(user)
    return out
