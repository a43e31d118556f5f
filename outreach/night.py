"""The night's status: one place says whether a shift went out, and whether the safety net watches it.

A shift's night is `planned` until it goes out, `out` from the first sign that the team is out (a
check-in, the lead's team check-in, "We're out"), `not_held` once the lead or a coordinator said "It
didn't go out", and `cancelled` with the shift. The first Go recorded before the start is kept here
(`go_at`) even when a later re-check takes the Go back in readiness: a night that went out stays so.

Only watched shifts (`Shift.safety_net`: on by default for direct outreach, off for trainings and
community events) get check-ins, SOS buttons and alerts. On a watched shift everyone expected out
(the lead and each confirmed member) counts as out from the start, or from the first check-in, until
they check out or are marked absent; `counts_everyone` says when that holds.

The row lives in `safety` (one per shift, created on first write). The actions that change it with
their side effects (prompts, escalations) are in outreach/safety.py; the reports read `held` from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlite_utils import Database

from outreach.shifts import Shift
from outreach.store import from_iso, iso

EARLY_CHECKIN = timedelta(hours=1)  # check-in opens an hour before the start


@dataclass(frozen=True)
class Watch:
    """Where a shift stands in its check-in and check-out, for one person."""

    checked_in: bool = False
    checked_out: bool = False
    counted: bool = False  # not checked in, but counted as out (a watched night under way)


def open_for_checkin(shift: Shift, watch: Watch | None, now: datetime) -> bool:
    """From an hour before the start until checked out (Check in / Check out apply)."""
    return not shift.cancelled and now >= shift.starts_at - EARLY_CHECKIN and not (watch and watch.checked_out)

Status = Literal["planned", "out", "not_held", "cancelled"]
HOW = ("checkin", "team", "were_out", "debrief")


@dataclass(frozen=True)
class Night:
    """Where a shift's night stands: went out (when, by whom, how), Go before the start, not held."""

    shift_id: int
    watched: bool
    cancelled: bool
    starts_at: datetime
    went_out_at: datetime | None = None
    went_out_by: str | None = None
    went_out_how: str | None = None
    go_at: datetime | None = None
    go_by: str | None = None
    not_held_at: datetime | None = None
    not_held_by: str | None = None

    @property
    def status(self) -> Status:
        """planned, out, not_held or cancelled."""
        if self.cancelled:
            return "cancelled"
        if self.not_held_at:
            return "not_held"
        return "out" if self.went_out_at else "planned"

    def counts_everyone(self, now: datetime) -> bool:
        """True when everyone expected out counts as out: a watched night, from its start or its first check-in."""
        return self.watched and self.status in ("planned", "out") and (
            self.went_out_at is not None or now >= self.starts_at)

    def live(self) -> bool:
        """True while the safety net may act on this night (watched, neither cancelled nor not held)."""
        return self.watched and self.status in ("planned", "out")


def _at(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


def night(db: Database, shift: Shift) -> Night:
    """The night of one shift, as the database has it."""
    row = next(db.query("SELECT * FROM safety WHERE shift_id = ?", [shift.id]), None) or {}
    return Night(
        shift_id=shift.id, watched=shift.safety_net, cancelled=shift.cancelled, starts_at=shift.starts_at,
        went_out_at=_at(row.get("went_out_at")), went_out_by=row.get("went_out_by"),
        went_out_how=row.get("went_out_how"), go_at=_at(row.get("go_at")), go_by=row.get("go_by"),
        not_held_at=_at(row.get("not_held_at")), not_held_by=row.get("not_held_by"),
    )


def _ensure(db: Database, shift_id: int) -> None:
    db.execute("INSERT INTO safety (shift_id) VALUES (?) ON CONFLICT(shift_id) DO NOTHING", [shift_id])


def under_way(db: Database, shift: Shift, now: datetime) -> bool:
    """True while a watched night counts everyone out and is not over: its safety net may not be turned off."""
    from outreach.safety import LOOKBACK

    if not night(db, shift).counts_everyone(now) or now >= shift.ends_at + LOOKBACK:
        return False
    row = db.execute("SELECT checked_out_at FROM safety WHERE shift_id = ?", [shift.id]).fetchone()
    return not (row and row[0])


def record_out(db: Database, shift_id: int, *, by: str, how: str, at: datetime) -> bool:
    """The first sign that the team is out (inside the caller's transaction); False when known before."""
    if how not in HOW:
        raise ValueError(f"unknown way of going out: {how}")
    _ensure(db, shift_id)
    return db.execute("UPDATE safety SET went_out_at = ?, went_out_by = ?, went_out_how = ? "
                      "WHERE shift_id = ? AND went_out_at IS NULL", [iso(at), by, how, shift_id]).rowcount == 1


def record_go(db: Database, shift: Shift, *, by: str, at: datetime) -> bool:
    """Keep the first Go recorded before the shift's start (a later re-check taking it back changes nothing)."""
    if at >= shift.starts_at:
        return False
    _ensure(db, shift.id)
    return db.execute("UPDATE safety SET go_at = ?, go_by = ? WHERE shift_id = ? AND go_at IS NULL",
                      [iso(at), by, shift.id]).rowcount == 1


def take_back_not_held(db: Database, shift_id: int) -> bool:
    """"It didn't go out" said by mistake: the night is planned again (inside the caller's transaction)."""
    return db.execute("UPDATE safety SET not_held_at = NULL, not_held_by = NULL WHERE shift_id = ? "
                      "AND not_held_at IS NOT NULL", [shift_id]).rowcount == 1


def record_not_held(db: Database, shift_id: int, *, by: str, at: datetime) -> bool:
    """"It didn't go out" (inside the caller's transaction); False when it was said before."""
    _ensure(db, shift_id)
    return db.execute("UPDATE safety SET not_held_at = ?, not_held_by = ? WHERE shift_id = ? AND not_held_at IS NULL",
                      [iso(at), by, shift_id]).rowcount == 1

