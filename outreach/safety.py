"""Safety check-in / check-out, mid-shift "All OK?" check-ins, and escalation until acknowledged.

At a shift's start the lead is asked to check in; at its end, to check out (one DM, which turns
into Write debrief once the team checked out). A team that has not checked out by end + grace, or
that leaves a mid-shift check-in unanswered for PING_ANSWER, raises an escalation (row in
`escalations`). `escalate_due` (run on every tick) keeps ONE alert message per shift in the
coordinators' channel (`alert_key`), repeats each unacknowledged escalation every repeat interval as
a reply in that message's thread and rewrites the message in place (state, repeat count, who
acknowledged), and DMs each coordinator once per escalation. Acknowledging, answering the check-in
or checking out rewrites the message and the DMs in place.

Everything goes through the outbox under keys derived from the shift, the reason and the round, so
a restart neither loses nor doubles the alert message or a repeat; a reply or an update waits in
the outbox until the message it follows is posted. Keys:
  alert:<shift>:post                          the alert message in the coordinators' channel
  alert:<shift>:<reason>:repeat:<round>       a repeat (round 0: a new reason) in its thread
  alert:<shift>:<reason>:dm:<user>            a coordinator's DM, once per escalation
  alert:<shift>:<reason>:repeat:<round>:dm:<user>   a repeat in that DM's thread (no channel set)
  update:<key of the message>:<why>:<when>    the message rewritten in place
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlite_utils import Database

from outreach import outbox
from outreach.events import Event
from outreach.reminders import Desired, sync
from outreach.settings import Settings
from outreach.shifts import Shift, get_shift, team
from outreach.store import Store, from_iso, iso

PING_ANSWER = timedelta(minutes=10)
EARLY_CHECKIN = timedelta(hours=1)
MIN_EVERY, MAX_EVERY = 15, 240
LOOKBACK = timedelta(days=2)
SAFETY_PREFIXES = ("checkin-prompt", "checkout-prompt", "ping")


@dataclass(frozen=True)
class State:
    """Where a shift stands on safety."""

    shift_id: int
    checkin_every: int | None = None
    checked_in_at: datetime | None = None
    checked_in_by: str | None = None
    checked_out_at: datetime | None = None
    checked_out_by: str | None = None
    open_escalations: tuple[dict, ...] = ()
    acked: tuple[dict, ...] = ()


def _at(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


def get_state(db: Database, shift_id: int) -> State:
    """The shift's check-in state and escalations."""
    row = next(db.query("SELECT * FROM safety WHERE shift_id = ?", [shift_id]), None) or {}
    escalations = list(db.query("SELECT * FROM escalations WHERE shift_id = ? ORDER BY started_at", [shift_id]))
    return State(
        shift_id=shift_id, checkin_every=row.get("checkin_every"),
        checked_in_at=_at(row.get("checked_in_at")), checked_in_by=row.get("checked_in_by"),
        checked_out_at=_at(row.get("checked_out_at")), checked_out_by=row.get("checked_out_by"),
        open_escalations=tuple(e for e in escalations if not e["acked_at"]),
        acked=tuple(e for e in escalations if e["acked_at"]),
    )


def load_state(store: Store, shift_id: int) -> State:
    """The state, read through the store."""
    with store.read() as db:
        return get_state(db, shift_id)


def ping_times(shift: Shift, every: int | None) -> list[datetime]:
    """When the lead is asked "All OK?" during the shift (start + k × every, before the end)."""
    if not every:
        return []
    times, k = [], 1
    while shift.starts_at + timedelta(minutes=every * k) < shift.ends_at:
        times.append(shift.starts_at + timedelta(minutes=every * k))
        k += 1
    return times


def desired_rows(db: Database, shift: Shift) -> Desired:
    """The prompts a shift's lead should get: check in, mid-shift check-ins, check out."""
    if shift.cancelled or not shift.lead:
        return {}
    state = get_state(db, shift.id)
    base = {"shift_id": shift.id, "user": shift.lead}
    rows: Desired = {
        f"checkin-prompt:{shift.id}:{iso(shift.starts_at)}": {
            "channel": shift.lead, "template": "safety/checkin_prompt", "due_at": shift.starts_at, "context": base},
        f"checkout-prompt:{shift.id}:{iso(shift.ends_at)}": {
            "channel": shift.lead, "template": "safety/checkout_prompt", "due_at": shift.ends_at, "context": base},
    }
    for seq, due in enumerate(ping_times(shift, state.checkin_every), start=1):
        rows[f"ping:{shift.id}:{seq}:{iso(due)}"] = {
            "channel": shift.lead, "template": "safety/ping", "due_at": due, "context": dict(base, seq=seq)}
    return rows


def plan_shift(db: Database, shift_id: int, now: datetime) -> None:
    """Re-derive a shift's safety prompts (inside the caller's transaction)."""
    shift = get_shift(db, shift_id)
    if shift is None:
        return
    want = desired_rows(db, shift)
    for prefix in SAFETY_PREFIXES:
        sync(db, prefix=f"{prefix}:{shift_id}:", desired={k: v for k, v in want.items() if k.startswith(prefix + ":")},
             now=now)


def install(store: Store) -> None:
    """Re-derive the safety prompts whenever a shift is planned, edited or cancelled."""

    @store.events.on("shift.created", "shift.edited", "shift.cancelled")
    def on_change(db: Database, event: Event) -> None:
        plan_shift(db, event.shift_id, event.now)


# ---------------------------------------------------------------- actions

Outcome = Literal["done", "early", "already", "not_found", "cancelled", "not_on_team", "too_early", "bad_interval",
                  "not_checked_in", "not_started"]


def _member(db: Database, shift: Shift, user: str) -> bool:
    return user == shift.lead or user in team(db, shift.id)[0]


def _ensure(db: Database, shift_id: int) -> None:
    db.execute("INSERT INTO safety (shift_id) VALUES (?) ON CONFLICT(shift_id) DO NOTHING", [shift_id])


def _refusal(db: Database, shift: Shift | None, user: str, now: datetime) -> Outcome | None:
    """Why a person may not check a shift in or out now, or None when they may."""
    if shift is None:
        return "not_found"
    if shift.cancelled:
        return "cancelled"
    if not _member(db, shift, user):
        return "not_on_team"
    if now < shift.starts_at - EARLY_CHECKIN:
        return "too_early"
    return None


def check_in(store: Store, *, shift_id: int, user: str) -> tuple[Outcome, Shift | None]:
    """The team is out: record who checked in and when (lead or team member)."""
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id)
        refused = _refusal(db, shift, user, now)
        if refused:
            return refused, shift
        state = get_state(db, shift_id)
        if state.checked_in_at:
            return "already", shift
        _ensure(db, shift_id)
        db.execute("UPDATE safety SET checked_in_at = ?, checked_in_by = ? WHERE shift_id = ?",
                   [iso(now), user, shift_id])
        outbox.cancel_pending(db, key_prefix=f"checkin-prompt:{shift_id}:", now=now)
        store.audit(db, actor=user, action="safety.checkin", subject=f"shift:{shift_id}")
    return "done", shift


def check_out(
    store: Store, *, shift_id: int, user: str, coordinator_channel: str | None = None,
) -> tuple[Outcome, Shift | None]:
    """Everyone is safe: record the check-out and stop every escalation of the shift.

    A shift nobody checked in that has not started yet is refused (`not_started`): a mistyped number
    must not switch off that shift's escalation. A check-out before the planned end (`early`) tells
    the coordinator channel, through the outbox in this same transaction.
    """
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id)
        refused = _refusal(db, shift, user, now)
        if refused and refused != "too_early":
            return refused, shift
        assert shift
        state = get_state(db, shift_id)
        if state.checked_out_at:
            return "already", shift
        if state.checked_in_at is None and now < shift.starts_at:
            return "not_started", shift
        _ensure(db, shift_id)
        db.execute(
            "UPDATE safety SET checked_out_at = ?, checked_out_by = ?, checked_in_at = coalesce(checked_in_at, ?), "
            "checked_in_by = coalesce(checked_in_by, ?) WHERE shift_id = ?",
            [iso(now), user, iso(now), user, shift_id],
        )
        # The lead's end-of-shift DM is kept: sent or not, it now shows Write debrief.
        for prefix in ("checkin-prompt", "ping", "alert"):
            outbox.cancel_pending(db, key_prefix=f"{prefix}:{shift_id}:", now=now)
        settle(db, shift_id, reasons=[], now=now, why="checkout")
        for row in list(db.query("SELECT key FROM notifications WHERE key >= ? AND key < ? AND mode IS NULL",
                                 [f"checkout-prompt:{shift_id}:", f"checkout-prompt:{shift_id}:\uffff"])):
            outbox.enqueue_update(db, parent=row["key"], key=f"update:{row['key']}:checkout:{iso(now)}", now=now)
        early = now < shift.ends_at
        store.audit(db, actor=user, action="safety.checkout", subject=f"shift:{shift_id}")
        if early and coordinator_channel:
            outbox.enqueue(
                db, key=f"early-checkout:{shift_id}", channel=coordinator_channel, template="safety/early_checkout",
                context={"shift_id": shift_id, "by": user, "at": iso(now)}, due_at=now, now=now,
            )
    return ("early" if early else "done"), shift


def answer_ping(store: Store, *, shift_id: int, seq: int, user: str) -> tuple[Outcome, Shift | None]:
    """The lead (or a team member) answered "All OK?"."""
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id)
        if shift is None:
            return "not_found", None
        if not _member(db, shift, user):
            return "not_on_team", shift
        row = next(db.query("SELECT answered_at FROM pings WHERE shift_id = ? AND seq = ?", [shift_id, seq]), None)
        if row and row["answered_at"]:
            return "already", shift
        db["pings"].upsert({"shift_id": shift_id, "seq": seq, "answered_at": iso(now), "answered_by": user},
                           pk=("shift_id", "seq"))
        closed = db.execute("UPDATE escalations SET acked_at = ?, acked_by = ? WHERE shift_id = ? AND reason = ? "
                            "AND acked_at IS NULL", [iso(now), user, shift_id, f"ping{seq}"]).rowcount
        if closed:
            settle(db, shift_id, reasons=[f"ping{seq}"], now=now, why=f"ping{seq}")
    return "done", shift


def set_every(store: Store, *, shift_id: int, minutes: int, actor: str) -> tuple[Outcome, Shift | None]:
    """Set (or with 0, turn off) the shift's mid-shift check-in interval, and re-plan its prompts."""
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id)
        if shift is None:
            return "not_found", None
        if shift.cancelled:
            return "cancelled", shift
        if minutes and not MIN_EVERY <= minutes <= MAX_EVERY:
            return "bad_interval", shift
        _ensure(db, shift_id)
        db.execute("UPDATE safety SET checkin_every = ? WHERE shift_id = ?", [minutes or None, shift_id])
        store.audit(db, actor=actor, action="safety.every", subject=f"shift:{shift_id}", detail={"minutes": minutes})
        plan_shift(db, shift_id, now)
    return "done", shift


def acknowledge(
    store: Store, *, shift_id: int, user: str, reason: str | None = None,
) -> tuple[Outcome, dict | None]:
    """A coordinator takes the shift's alert on: every open escalation of the shift is acknowledged
    (one alert per shift; `reason`, carried by older buttons, names the one to report when none is open).

    Its repeats stop, and the alert message and the coordinators' DMs are rewritten in place.
    """
    now = store.clock()
    with store.write() as db:
        rows = list(db.query("SELECT * FROM escalations WHERE shift_id = ? ORDER BY started_at", [shift_id]))
        if not rows:
            return "not_found", None
        open_ = [r for r in rows if not r["acked_at"]]
        if not open_:
            return "already", next((r for r in rows if r["reason"] == reason), rows[-1])
        db.execute("UPDATE escalations SET acked_at = ?, acked_by = ? WHERE shift_id = ? AND acked_at IS NULL",
                   [iso(now), user, shift_id])
        settle(db, shift_id, reasons=[r["reason"] for r in open_], now=now, why="ack")
        store.audit(db, actor=user, action="safety.ack", subject=f"shift:{shift_id}",
                    detail={"reason": ",".join(r["reason"] for r in open_)})
    return "done", dict(open_[0], acked_at=iso(now), acked_by=user)


# ---------------------------------------------------------------- escalation


def _open_reasons(db: Database, shift: Shift, state: State, settings: Settings, now: datetime) -> dict[str, datetime]:
    """Why a shift needs escalating now, with when each reason began."""
    if state.checked_out_at:
        return {}
    reasons: dict[str, datetime] = {}
    overdue = shift.ends_at + settings.checkout_grace
    if now >= overdue:
        reasons["checkout"] = overdue
    answered = {r["seq"] for r in db.query(
        "SELECT seq FROM pings WHERE shift_id = ? AND answered_at IS NOT NULL", [shift.id])}
    for seq, asked in enumerate(ping_times(shift, state.checkin_every), start=1):
        if seq not in answered and now >= asked + PING_ANSWER:
            reasons[f"ping{seq}"] = asked + PING_ANSWER
    return reasons


def alert_key(shift_id: int) -> str:
    """The outbox key of a shift's one alert message in the coordinators' channel."""
    return f"alert:{shift_id}:post"


def dm_key(shift_id: int, reason: str, user: str) -> str:
    """The outbox key of a coordinator's one DM about an escalation."""
    return f"alert:{shift_id}:{reason}:dm:{user}"


def alert_messages(db: Database, shift_id: int) -> list[outbox.Posted]:
    """Where the shift's alert message and the coordinators' DMs about it are (those sent)."""
    keys = [r["key"] for r in db.query(
        "SELECT key FROM notifications WHERE key >= ? AND key < ? AND mode IS NULL "
        "AND template IN ('safety/alert', 'safety/escalation')", [f"alert:{shift_id}:", f"alert:{shift_id}:\uffff"])]
    return [p for p in (outbox.posted(db, k) for k in keys) if p]


def lead_messages(db: Database, shift_id: int) -> list[outbox.Posted]:
    """Where the lead's end-of-shift DM (Check out, then Write debrief) is, once sent."""
    keys = [r["key"] for r in db.query("SELECT key FROM notifications WHERE key >= ? AND key < ? AND mode IS NULL",
                                       [f"checkout-prompt:{shift_id}:", f"checkout-prompt:{shift_id}:\uffff"])]
    return [p for p in (outbox.posted(db, k) for k in keys) if p]


def settle(db: Database, shift_id: int, *, reasons: list[str], now: datetime, why: str) -> None:
    """Escalations were taken on or ended (inside the caller's transaction): drop their unsent repeats
    and DMs, and queue the rewrite in place of the shift's alert message and of every coordinator's DM."""
    for reason in reasons:
        outbox.cancel_pending(db, key_prefix=f"alert:{shift_id}:{reason}:", now=now)
    top = alert_key(shift_id)
    outbox.enqueue_update(db, parent=top, key=f"update:{top}:{why}:{iso(now)}", now=now)
    for row in list(db.query(
            "SELECT key FROM notifications WHERE key >= ? AND key < ? AND mode IS NULL AND template = ?",
            [f"alert:{shift_id}:", f"alert:{shift_id}:\uffff", "safety/escalation"])):
        outbox.enqueue_update(db, parent=row["key"], key=f"update:{row['key']}:{why}:{iso(now)}", now=now)


def _raise(
    db: Database, *, shift_id: int, reason: str, rounds: int, new: bool, channel: str | None,
    people: list[str], now: datetime,
) -> int:
    """Queue what an open escalation needs now; return how many messages were queued.

    The shift's alert message (once per shift); in its thread, a reply when another reason opens and
    at each new round, with the message rewritten (state, repeat count); one DM to each coordinator
    per escalation. Without a coordinators' channel the repeats go in each coordinator's DM thread.
    """
    queued, repeated = 0, False
    context = {"shift_id": shift_id, "reason": reason}
    top = alert_key(shift_id)
    if channel:
        if outbox.enqueue(db, key=top, channel=channel, template="safety/alert", context={"shift_id": shift_id},
                          due_at=now, now=now):
            queued += 1
        elif (new or rounds) and outbox.enqueue(
                db, key=f"alert:{shift_id}:{reason}:repeat:{rounds}", channel=channel, template="safety/alert_repeat",
                context=dict(context, round=rounds), due_at=now, now=now, parent=top, mode="reply"):
            queued += 1
            repeated = rounds > 0
            outbox.enqueue_update(db, parent=top, key=f"update:{top}:{reason}:{rounds}", now=now)
    for user in people:
        key = dm_key(shift_id, reason, user)
        if outbox.enqueue(db, key=key, channel=user, template="safety/escalation", context=context,
                          due_at=now, now=now):
            queued += 1
        elif not channel and rounds and outbox.enqueue(
                db, key=f"alert:{shift_id}:{reason}:repeat:{rounds}:dm:{user}", channel=user,
                template="safety/alert_repeat", context=dict(context, round=rounds), due_at=now, now=now,
                parent=key, mode="reply"):
            queued += 1
            repeated = True
    if repeated:
        db.execute("UPDATE escalations SET repeats = repeats + 1 WHERE shift_id = ? AND reason = ?", [shift_id, reason])
    return queued


def escalate_due(store: Store, settings: Settings, *, coordinators: list[str]) -> int:
    """Open escalations that are due and queue what each needs now (see `_raise`); return messages queued."""
    now = store.clock()
    queued = 0
    people = [c for c in dict.fromkeys(coordinators) if c]
    with store.write() as db:
        ids = [r["id"] for r in db.query(
            "SELECT id FROM shifts WHERE status = 'planned' AND starts_at <= ? AND ends_at > ?",
            [iso(now), iso(now - LOOKBACK)])]
        for shift_id in ids:
            shift = get_shift(db, shift_id)
            assert shift
            state = get_state(db, shift_id)
            for reason, began in _open_reasons(db, shift, state, settings, now).items():
                new = db.execute("INSERT INTO escalations (shift_id, reason, started_at) VALUES (?, ?, ?) "
                                 "ON CONFLICT(shift_id, reason) DO NOTHING", [shift_id, reason, iso(began)]).rowcount == 1
                row = next(db.query("SELECT * FROM escalations WHERE shift_id = ? AND reason = ?", [shift_id, reason]))
                if row["acked_at"]:
                    continue
                rounds = int((now - from_iso(row["started_at"])) / settings.escalation_repeat)
                queued += _raise(db, shift_id=shift_id, reason=reason, rounds=rounds, new=new,
                                 channel=settings.coordinator_channel, people=people, now=now)
    return queued
