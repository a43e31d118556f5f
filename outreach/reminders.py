"""Reminders and alerts: outbox rows with a future due time, derived from the shifts and signups.

Every planned notification has a key that names the shift, the person, the lead and the due time
(`reminder:<shift>:<user>:<lead>:<due>`). `plan_shift` computes the rows a shift should have and
syncs the outbox with them, so it can run after any change and at every start-up: rows that no
longer apply are skipped, new ones are queued, and rows already sent are never queued again. A row
whose due time has passed is only queued if it existed before (it came due while the bot was down);
a new signup never gets a reminder whose lead has already passed.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlite_utils import Database

from outreach import outbox
from outreach.durations import format_duration
from outreach.events import Event
from outreach.settings import Settings
from outreach.shifts import Shift, get_shift, team
from outreach.store import Store, from_iso, iso

Desired = dict[str, dict]  # key -> {"channel", "template", "context", "due_at"}
MEETING_POINT = "meeting-point"  # the checklist item whose evidence says where the team meets


def briefing(db: Database, shift_id: int) -> dict:
    """What a reminder tells the team beside the shift: Go (who recorded it and when) and the meeting point."""
    go = next(db.query("SELECT go_by, go_at FROM readiness WHERE shift_id = ?", [shift_id]), None) or {}
    point = next(db.query("SELECT evidence FROM readiness_items WHERE shift_id = ? AND item_id = ? "
                          "AND ticked_at IS NOT NULL", [shift_id, MEETING_POINT]), None) or {}
    return {"go_by": go.get("go_by"), "go_at": from_iso(go["go_at"]) if go.get("go_at") else None,
            "meeting_point": point.get("evidence") or None}


def sync(db: Database, *, prefix: str, desired: Desired, now: datetime) -> None:
    """Make the unsent outbox rows under a key prefix match `desired` (inside a transaction)."""
    existing = {
        r["key"]: r
        for r in db.query(
            "SELECT key, channel, context, sent_at, error FROM notifications WHERE key >= ? AND key < ?",
            [prefix, prefix + "\uffff"]
        )
    }
    for key, row in existing.items():
        if key not in desired and row["sent_at"] is None:
            outbox.cancel_pending(db, key_prefix=key, now=now)
    for key, want in desired.items():
        row = existing.get(key)
        if want["due_at"] <= now and (row is None or row["sent_at"] is not None):
            continue  # a lead that passed before this row was planned: never send it stale
        if row is None:
            outbox.enqueue(db, key=key, channel=want["channel"], template=want["template"],
                           context=want["context"], due_at=want["due_at"], now=now)
        elif row["sent_at"] is None and (row["channel"], row["context"]) != (
                want["channel"], json.dumps(want["context"], sort_keys=True)):  # e.g. the lead changed by Edit
            db.execute("UPDATE notifications SET channel = ?, context = ? WHERE key = ? AND sent_at IS NULL "
                       "AND claimed_at IS NULL", [want["channel"], json.dumps(want["context"], sort_keys=True), key])
        elif row["sent_at"] is not None and row["error"] == "skipped: superseded":
            db.execute(
                "UPDATE notifications SET sent_at = NULL, error = NULL, attempts = 0, claimed_at = NULL, "
                "due_at = ? WHERE key = ?",
                [iso(want["due_at"]), key],
            )


def desired_rows(db: Database, shift: Shift, settings: Settings) -> Desired:
    """Every timed notification a planned shift should have, by key."""
    if shift.cancelled:
        return {}
    rows: Desired = {}
    confirmed, _ = team(db, shift.id)
    for lead in settings.reminder_leads:
        due = shift.starts_at - lead
        for user in confirmed:
            rows[f"reminder:{shift.id}:{user}:{format_duration(lead)}:{iso(due)}"] = {
                "channel": user, "template": "reminders/reminder", "due_at": due,
                "context": {"shift_id": shift.id, "user": user, "lead": format_duration(lead)},
            }
    if settings.coordinator_channel:
        due = shift.starts_at - settings.understaffed_alert
        rows[f"understaffed:{shift.id}:{iso(due)}"] = {
            "channel": settings.coordinator_channel, "template": "reminders/understaffed", "due_at": due,
            "context": {"shift_id": shift.id},
        }
    due = shift.starts_at - settings.readiness_alert
    for channel in dict.fromkeys(c for c in (settings.coordinator_channel, shift.lead) if c):
        rows[f"notready:{shift.id}:{channel}:{iso(due)}"] = {
            "channel": channel, "template": "reminders/not_ready", "due_at": due,
            "context": {"shift_id": shift.id},
        }
    return rows


PREFIXES = ("reminder", "understaffed", "notready")


def plan_shift(db: Database, shift_id: int, settings: Settings, *, now: datetime) -> None:
    """Re-derive a shift's reminders and alerts (inside the caller's transaction)."""
    shift = get_shift(db, shift_id)
    if shift is None:
        return
    if shift.started(now) and not shift.cancelled:
        return  # a running shift keeps what it has; its notices decide
    want = desired_rows(db, shift, settings)
    for prefix in PREFIXES:
        mine = {k: v for k, v in want.items() if k.startswith(f"{prefix}:")}
        sync(db, prefix=f"{prefix}:{shift_id}:", desired=mine, now=now)


def rederive_all(store: Store, settings: Settings, *, planners: list | None = None) -> int:
    """At start-up: re-derive every planned shift that has not ended; return how many."""
    now = store.clock()
    with store.write() as db:
        ids = [r["id"] for r in db.query(
            "SELECT id FROM shifts WHERE status = 'planned' AND ends_at > ?", [iso(now - timedelta(days=1))]
        )]
        for shift_id in ids:
            plan_shift(db, shift_id, settings, now=now)
            for planner in planners or []:
                planner(db, shift_id, now)
    return len(ids)


def install(store: Store, settings: Settings) -> None:
    """Re-derive a shift's reminders whenever its team, time or status changes."""

    @store.events.on("signup.confirmed", "signup.promoted", "signup.withdrawn", "shift.created", "shift.cancelled")
    def on_change(db: Database, event: Event) -> None:
        plan_shift(db, event.shift_id, settings, now=event.now)

    @store.events.on("shift.edited")
    def on_edit(db: Database, event: Event) -> None:
        plan_shift(db, event.shift_id, settings, now=event.now)
