"""One incident per shift: its SOS presses and its safety escalations are one alarm with one handler.

An incident opens with the shift's first SOS or escalation and stays open until a coordinator
resolves it (or it expires with the look-back window). Taking any part of it on ("I'm on it",
Acknowledge, a reply from a phone) makes that person its handler; a reason that opens later goes to
the handler rather than climbing again. The orchestration (what taking on stops and rewrites) is in
outreach/response.py; this module keeps the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from outreach.shifts import Shift, get_shift
from outreach.store import Store, from_iso, iso


@dataclass(frozen=True)
class Incident:
    """A shift's alarm: when it opened, who took it on and when, when it was resolved and by whom."""

    id: int
    shift_id: int
    opened_at: datetime
    handler: str | None = None
    taken_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    rechecks: int = 0


def _incident(row: dict) -> Incident:
    return Incident(
        id=row["id"], shift_id=row["shift_id"], opened_at=from_iso(row["opened_at"]), handler=row["handler"],
        taken_at=from_iso(row["taken_at"]) if row["taken_at"] else None,
        resolved_at=from_iso(row["resolved_at"]) if row["resolved_at"] else None,
        resolved_by=row["resolved_by"], rechecks=row["rechecks"] or 0,
    )


def current(db: Database, shift_id: int) -> Incident | None:
    """The shift's open (unresolved) incident, if any."""
    row = next(db.query("SELECT * FROM incidents WHERE shift_id = ? AND resolved_at IS NULL", [shift_id]), None)
    return _incident(row) if row else None


def latest(db: Database, shift_id: int) -> Incident | None:
    """The shift's newest incident, open or resolved."""
    row = next(db.query("SELECT * FROM incidents WHERE shift_id = ? ORDER BY id DESC LIMIT 1", [shift_id]), None)
    return _incident(row) if row else None


def ensure(db: Database, shift_id: int, *, now: datetime) -> Incident:
    """The shift's open incident, opened now if there is none (inside the caller's transaction)."""
    db.execute("INSERT INTO incidents (shift_id, opened_at, rechecks) VALUES (?, ?, 0) "
               "ON CONFLICT(shift_id) WHERE resolved_at IS NULL DO NOTHING", [shift_id, iso(now)])
    found = current(db, shift_id)
    assert found is not None
    return found


def take(db: Database, shift_id: int, *, user: str, now: datetime) -> tuple[Incident, bool]:
    """Make `user` the handler of the shift's open incident (opened if needed); False when someone had it."""
    found = ensure(db, shift_id, now=now)
    if found.handler:
        return found, False
    db.execute("UPDATE incidents SET handler = ?, taken_at = ?, rechecks = 0 WHERE id = ?", [user, iso(now), found.id])
    updated = current(db, shift_id)
    assert updated is not None
    return updated, True


def resolve(db: Database, incident_id: int, *, user: str, now: datetime) -> bool:
    """Close an incident; False when it was closed before."""
    return db.execute("UPDATE incidents SET resolved_at = ?, resolved_by = ? WHERE id = ? AND resolved_at IS NULL",
                      [iso(now), user, incident_id]).rowcount == 1


def taken_unresolved(db: Database) -> list[Incident]:
    """Incidents someone took on and nobody resolved yet, oldest first."""
    return [_incident(r) for r in db.query(
        "SELECT * FROM incidents WHERE resolved_at IS NULL AND handler IS NOT NULL ORDER BY taken_at, id")]


def count_recheck(db: Database, incident_id: int, rounds: int) -> bool:
    """Record that the incident's recheck round `rounds` was done; False when it was before."""
    return db.execute("UPDATE incidents SET rechecks = ? WHERE id = ? AND rechecks < ?",
                      [rounds, incident_id, rounds]).rowcount == 1


@dataclass(frozen=True)
class Alert:
    """An escalation no coordinator has acknowledged yet, of a shift not checked out."""

    shift: Shift
    reason: str
    since: datetime


def open_alerts(store: Store, *, limit: int = 25) -> tuple[int, list[Alert]]:
    """Unacknowledged escalations of shifts not checked out, oldest first: the total and the first ones."""
    where = (
        "e.acked_at IS NULL AND s.status = 'planned' AND NOT EXISTS (SELECT 1 FROM safety f "
        "WHERE f.shift_id = s.id AND f.checked_out_at IS NOT NULL)"
    )
    with store.read() as db:
        total = db.execute(f"SELECT count(*) FROM escalations e JOIN shifts s ON s.id = e.shift_id WHERE {where}"
                           ).fetchone()[0]
        rows = db.execute(f"SELECT e.shift_id, e.reason, e.started_at FROM escalations e JOIN shifts s "
                          f"ON s.id = e.shift_id WHERE {where} ORDER BY e.started_at, s.id LIMIT ?", [limit]).fetchall()
        found = [(get_shift(db, shift_id), reason, since) for shift_id, reason, since in rows]
    return total, [Alert(shift, reason, from_iso(since)) for shift, reason, since in found if shift]
