"""Completed trainings and whether they are valid on a given day."""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import date

from sqlite_utils import Database

from outreach.catalog import Entry
from outreach.store import Store, iso


@dataclass(frozen=True)
class TrainingRecord:
    """One completed training of one person."""

    user_id: str
    training: str
    completed_on: date
    expires_on: date | None
    recorded_by: str

    def valid_on(self, day: date) -> bool:
        """True when the training was done by `day` and has not expired before it."""
        return self.completed_on <= day and (self.expires_on is None or self.expires_on >= day)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def record_training(
    store: Store, *, actor: str, user_id: str, training: Entry, completed_on: date, expires_on: date | None,
) -> TrainingRecord:
    """Record a completed training; without an expiry, the training's `valid_months` sets one."""
    if expires_on is None and training.get("valid_months"):
        expires_on = add_months(completed_on, int(training.get("valid_months")))  # type: ignore[arg-type]
    with store.write() as db:
        db["trainings"].insert(
            {
                "user_id": user_id, "training": training.id, "completed_on": completed_on.isoformat(),
                "expires_on": expires_on.isoformat() if expires_on else None,
                "recorded_by": actor, "recorded_at": iso(store.clock()),
            }
        )
        store.audit(
            db, actor=actor, action="training.record", subject=f"user:{user_id}",
            detail={"training": training.id, "expires_on": expires_on.isoformat() if expires_on else None},
        )
    return TrainingRecord(user_id, training.id, completed_on, expires_on, actor)


def _record(row: dict) -> TrainingRecord:
    return TrainingRecord(
        user_id=row["user_id"], training=row["training"],
        completed_on=date.fromisoformat(row["completed_on"]),
        expires_on=date.fromisoformat(row["expires_on"]) if row["expires_on"] else None,
        recorded_by=row["recorded_by"],
    )


def trainings_of(store: Store, user_id: str | None = None) -> list[TrainingRecord]:
    """The latest record of each training per person (one person, or everyone)."""
    sql = (
        "SELECT * FROM trainings t WHERE id = (SELECT id FROM trainings u WHERE u.user_id = t.user_id "
        "AND u.training = t.training ORDER BY completed_on DESC, id DESC LIMIT 1)"
    )
    params: list = []
    if user_id:
        sql += " AND user_id = ?"
        params.append(user_id)
    sql += " ORDER BY user_id, training"
    with store.read() as db:
        return [_record(r) for r in db.query(sql, params)]


def records_by_person(db: Database, user_ids: list[str]) -> dict[str, list[TrainingRecord]]:
    """Every training record of these people, by person (inside a transaction; one query for all)."""
    out: dict[str, list[TrainingRecord]] = {u: [] for u in user_ids}
    for row in db.query("SELECT * FROM trainings WHERE user_id IN (SELECT value FROM json_each(?))",
                        [json.dumps(user_ids)]):
        out[row["user_id"]].append(_record(row))
    return out


def holds(records: list[TrainingRecord], training: str, on: date) -> bool:
    """True when one of a person's records is of that training and valid on that day."""
    return any(r.training == training and r.valid_on(on) for r in records)


def holds_training(db: Database, *, user_id: str, training: str, on: date) -> bool:
    """True when the person holds the training, valid on that day (inside a transaction)."""
    return holds(records_by_person(db, [user_id])[user_id], training, on)
