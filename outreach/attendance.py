"""Who was really out on a shift, and from when to when: the one place attendance is read.

Sources, in order, per shift:

1. per-member check-in and check-out rows (`member_checkins`: one row per member, with the times each
   checked in and out, or marked absent), when that table exists and the shift has rows in it;
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

    @property
    def hours(self) -> float:
        """Hours out, from the person's actual times (0 for anyone not there)."""
        if self.status != PRESENT or self.started_at is None or self.ended_at is None:
            return 0.0
        return max((self.ended_at - self.started_at).total_seconds(), 0.0) / 3600


def _ids(shift_ids: list[int]) -> str:
    return json.dumps(sorted({int(i) for i in shift_ids}))


def _at(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


def _sane(start: datetime | None, end: datetime | None) -> bool:
    return start is not None and end is not None and start < end <= start + MAX_SHIFT


def attendance(db: Database, shift_ids: list[int]) -> dict[int, list[Presence]]:
    """Who was out on each shift (present, absent, no-show), by shift id; shifts without attendance map to []."""
    ids = _ids(shift_ids)
    out: dict[int, list[Presence]] = {int(i): [] for i in shift_ids}
    if not out:
        return out
    shifts = {row[0]: row[1:] for row in db.execute(
        "SELECT id, lead, starts_at, ends_at FROM shifts WHERE id IN (SELECT value FROM json_each(?))", [ids])}
    expected: dict[int, list[str]] = defaultdict(list)
    for shift_id, (lead, _, _) in shifts.items():
        if lead:
            expected[shift_id].append(lead)
    for shift_id, user in db.execute(
            "SELECT shift_id, user_id FROM signups WHERE status = 'confirmed' "
            "AND shift_id IN (SELECT value FROM json_each(?)) ORDER BY id", [ids]):
        expected[shift_id].append(user)
    safety = {row[0]: (_at(row[1]), _at(row[2])) for row in db.execute(
        "SELECT shift_id, checked_in_at, checked_out_at FROM safety "
        "WHERE shift_id IN (SELECT value FROM json_each(?))", [ids])}
    members: dict[int, list[tuple]] = defaultdict(list)
    if db[MEMBER_TABLE].exists():
        for row in db.execute(
                f"SELECT shift_id, user_id, checked_in_at, checked_out_at, absent FROM {MEMBER_TABLE} "
                "WHERE shift_id IN (SELECT value FROM json_each(?)) ORDER BY rowid", [ids]):
            members[row[0]].append(row[1:])
    debriefs = {row[0]: row[1:] for row in db.execute(
        "SELECT shift_id, team, started_at, ended_at FROM debriefs WHERE shift_id IN (SELECT value FROM json_each(?))",
        [ids])}
    for shift_id, (_, starts_at, ends_at) in shifts.items():
        planned_end = from_iso(ends_at)
        if members.get(shift_id):
            found = _from_members(members[shift_id], safety.get(shift_id), planned_end)
        elif shift_id in debriefs:
            found = _from_debrief(debriefs[shift_id], safety.get(shift_id), starts_at, ends_at)
        else:
            continue
        seen = {p.user for p in found}
        source = found[0].source if found else FROM_DEBRIEF
        for user in dict.fromkeys(expected.get(shift_id, [])):
            if user not in seen:
                found.append(Presence(user, None, None, NO_SHOW, source))
        out[shift_id] = found
    return out


def _from_members(rows: list[tuple], shift_times: tuple | None, planned_end: datetime) -> list[Presence]:
    """Each member's own times; a member who checked in and never out is out until the team's check-out,
    else the planned end."""
    found: dict[str, Presence] = {}
    team_out = shift_times[1] if shift_times else None
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
        found[user] = Presence(user, start, end, PRESENT, FROM_CHECKINS)
    return list(found.values())


def _from_debrief(row: tuple, shift_times: tuple | None, starts_at: str, ends_at: str) -> list[Presence]:
    """The debrief's team, out from the shift's check-in to its check-out, else the debrief's (or planned) times."""
    team, started_at, ended_at = row
    try:
        people = [u for u in json.loads(team or "[]") if isinstance(u, str)]
    except ValueError:
        people = []
    start, end = shift_times or (None, None)
    source = FROM_DEBRIEF
    if not _sane(start, end):
        start, end, source = _at(started_at or starts_at), _at(ended_at or ends_at), FROM_DEBRIEF_PLAN
        if not _sane(start, end):
            start, end = from_iso(starts_at), from_iso(ends_at)
    return [Presence(user, start, end, PRESENT, source) for user in dict.fromkeys(people)]


def no_shows(present: dict[int, list[Presence]]) -> dict[str, int]:
    """How many times each person was confirmed and not there (absent or no-show) on these shifts."""
    counts: dict[str, int] = defaultdict(int)
    for people in present.values():
        for p in people:
            if p.status in MISSED:
                counts[p.user] += 1
    return dict(counts)
