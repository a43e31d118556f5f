"""Safety: each member's check-in / check-out, mid-shift "All OK?" check-ins, and an escalation that climbs.

Every confirmed member (and the lead) checks in and out for themselves, or the lead (or a coordinator)
does it for the whole team in one go, naming who is out: the others are marked absent, never "safe".
The shift-level row in `safety` is the summary: checked in at the first member's check-in, checked
out once every member who checked in has checked out (`_summarize`). At the start each member is
asked to check in and at the end to check out (the lead's end-of-shift DM turns into Write debrief).

A member checked in and not out by end + grace, or a mid-shift "All OK?" that neither the lead nor,
after PING_ANSWER more, another member out answers, raises an escalation (row in `escalations`), which
climbs (`escalate_due`, run on every tick):
  level 1  the lead and the members concerned, by DM ("are you all right?"),
  level 2  after `escalation_team_wait`: the coordinators, in ONE alert message per shift in their
           channel (`alert_key`), repeated every `escalation_repeat` in its thread, and by DM once,
  level 3  after `escalation_contacts_after` unanswered repeats: the people named in the checklist
           item "who is called if the team goes silent" and the on-call coordinators, by DM.
Acknowledging, answering or checking out stops the climb and rewrites the messages in place; the
team is told by DM who handles it. Every step is recorded in `safety_steps` (who was told, when, at
which level, who acknowledged) for the shift's Details and the debrief.

Everything goes through the outbox under keys derived from the shift, the reason and the round, so
a restart neither loses nor doubles a message; a reply or an update waits in the outbox until the
message it follows is posted. Keys:
  alert:<shift>:post                          the alert message in the coordinators' channel
  alert:<shift>:<reason>:repeat:<round>       a repeat (round 0: a new reason) in its thread
  alert:<shift>:<reason>:dm:<user>            a coordinator's (or a level-3 contact's) DM, once
  alert:<shift>:<reason>:repeat:<round>:dm:<user>   a repeat in that DM's thread (no channel set)
  alert:<shift>:<reason>:team:<user>          level 1: a member asked "are you all right?"
  member-in:<shift>:<user> / member-out:<shift>:<user>   a member's check-in / check-out DM
  ping-team:<shift>:<seq>:<user>              "All OK?" passed on to another member out
  handled:<shift>:<user>:<when>               a member told who handles the alert
  update:<key of the message>:<why>:<when>    the message rewritten in place
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlite_utils import Database

from outreach import outbox
from outreach.events import Event
from outreach.reminders import Desired, sync
from outreach.settings import Settings
from outreach.shifts import Shift, Watch, get_shift, team
from outreach.store import Store, from_iso, iso

PING_ANSWER = timedelta(minutes=10)
EARLY_CHECKIN = timedelta(hours=1)
MIN_EVERY, MAX_EVERY = 15, 240
LOOKBACK = timedelta(days=2)
SAFETY_PREFIXES = ("checkin-prompt", "checkout-prompt", "ping")
SILENCE_ITEM = "silence-contact"  # the checklist item naming who is called if the team goes silent
MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")
MEMBER_ID = re.compile(r"^[UW][A-Z0-9]+$")  # the checklist's member picker stores the member's id


@dataclass(frozen=True)
class Member:
    """One person's own check-in and check-out on a shift (or their absence)."""

    user: str
    checked_in_at: datetime | None = None
    checked_in_by: str | None = None
    checked_out_at: datetime | None = None
    checked_out_by: str | None = None
    absent: bool = False

    @property
    def out(self) -> bool:
        """Checked in and not yet back: this person is still out there."""
        return bool(self.checked_in_at) and not self.checked_out_at and not self.absent


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
    members: tuple[Member, ...] = ()

    @property
    def still_out(self) -> list[str]:
        """Who checked in and has not checked out (absent members are not out)."""
        return [m.user for m in self.members if m.out]

    @property
    def absent(self) -> list[str]:
        """Who was marked absent (not there that night: neither "safe" nor out)."""
        return [m.user for m in self.members if m.absent]

    def member(self, user: str) -> Member | None:
        """One person's row, when they have one."""
        return next((m for m in self.members if m.user == user), None)


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
        members=tuple(Member(
            user=m["user_id"], checked_in_at=_at(m["checked_in_at"]), checked_in_by=m["checked_in_by"],
            checked_out_at=_at(m["checked_out_at"]), checked_out_by=m["checked_out_by"], absent=bool(m["absent"]),
        ) for m in db.query("SELECT * FROM member_checkins WHERE shift_id = ? ORDER BY rowid", [shift_id])),
    )


def load_state(store: Store, shift_id: int) -> State:
    """The state, read through the store."""
    with store.read() as db:
        return get_state(db, shift_id)


def my_watches(store: Store, user: str, shift_ids: list[int]) -> dict[int, Watch]:
    """Where each shift stands for one person: their own check-in, and out once they or the shift are out."""
    with store.read() as db:
        return {i: Watch(bool(mine and mine.checked_in_at and not mine.absent),
                         bool(state.checked_out_at or (mine and mine.checked_out_at)))
                for i in shift_ids for state in [get_state(db, i)] for mine in [state.member(user)]}


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
                  "not_checked_in", "not_started", "nobody", "not_allowed"]


@dataclass(frozen=True)
class Result:
    """What a check-in or check-out did: the outcome, the shift, and who else it concerned."""

    outcome: Outcome
    shift: Shift | None
    others: tuple[str, ...] = ()      # checked out (or in) with the actor, by the lead or a coordinator
    still_out: tuple[str, ...] = ()   # checked in and not out after this
    absent: tuple[str, ...] = ()      # marked absent by a team check-in
    kept: tuple[str, ...] = ()        # not named, but already checked in by themselves: left as they are


def _member(db: Database, shift: Shift, user: str) -> bool:
    return user == shift.lead or user in team(db, shift.id)[0]


def roster(db: Database, shift: Shift) -> list[str]:
    """The lead and the confirmed members, the lead first."""
    return list(dict.fromkeys(([shift.lead] if shift.lead else []) + team(db, shift.id)[0]))


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


def _upsert_member(db: Database, shift_id: int, user: str, **fields: object) -> None:
    db.execute("INSERT INTO member_checkins (shift_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
               [shift_id, user])
    sets = ", ".join(f"{k} = ?" for k in fields)
    db.execute(f"UPDATE member_checkins SET {sets} WHERE shift_id = ? AND user_id = ?",
               [*fields.values(), shift_id, user])


def _check_member_in(db: Database, shift_id: int, user: str, *, by: str, now: datetime) -> None:
    _upsert_member(db, shift_id, user, checked_in_at=iso(now), checked_in_by=by, checked_out_at=None,
                   checked_out_by=None, absent=0)
    outbox.cancel_pending(db, key_prefix=f"member-in:{shift_id}:{user}", now=now)


def _check_member_out(db: Database, shift_id: int, user: str, *, by: str, now: datetime) -> None:
    """Record one person back (checked in at the same moment when they never checked in)."""
    db.execute("INSERT INTO member_checkins (shift_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
               [shift_id, user])
    db.execute("UPDATE member_checkins SET checked_in_at = coalesce(checked_in_at, ?), "
               "checked_in_by = coalesce(checked_in_by, ?), checked_out_at = ?, checked_out_by = ?, absent = 0 "
               "WHERE shift_id = ? AND user_id = ?", [iso(now), by, iso(now), by, shift_id, user])
    outbox.cancel_pending(db, key_prefix=f"member-in:{shift_id}:{user}", now=now)
    for row in get_state(db, shift_id).open_escalations:
        record_step(db, shift_id, row["reason"], f"out:{user}", 0, [user], now, by=by)
    _rewrite(db, shift_id, why=f"out-{user}", now=now)


def _rewrite(db: Database, shift_id: int, *, why: str, now: datetime) -> None:
    """Queue the rewrite in place of the check-out DMs (they show who is still out) and of the alert."""
    for row in list(db.query(
            "SELECT key FROM notifications WHERE ((key >= ? AND key < ?) OR (key >= ? AND key < ?)) AND mode IS NULL",
            [f"checkout-prompt:{shift_id}:", f"checkout-prompt:{shift_id}:\uffff",
             f"member-out:{shift_id}:", f"member-out:{shift_id}:\uffff"])):
        outbox.enqueue_update(db, parent=row["key"], key=f"update:{row['key']}:{why}:{iso(now)}", now=now)
    top = alert_key(shift_id)
    outbox.enqueue_update(db, parent=top, key=f"update:{top}:{why}:{iso(now)}", now=now)


def _summarize(db: Database, shift: Shift, *, actor: str, now: datetime, coordinator_channel: str | None) -> bool:
    """Keep the shift-level row true to the members' rows; True when the whole shift just checked out.

    Checked in at the first member's check-in; checked out once every member who checked in is back.
    """
    _ensure(db, shift.id)
    state = get_state(db, shift.id)
    came = [m for m in state.members if m.checked_in_at and not m.absent]
    if came and not state.checked_in_at:
        first = min(came, key=lambda m: m.checked_in_at or now)
        db.execute("UPDATE safety SET checked_in_at = ?, checked_in_by = ? WHERE shift_id = ?",
                   [iso(first.checked_in_at or now), first.checked_in_by or first.user, shift.id])
    if state.checked_out_at or not came or any(m.out for m in came):
        return False
    db.execute("UPDATE safety SET checked_out_at = ?, checked_out_by = ? WHERE shift_id = ?", [iso(now), actor, shift.id])
    # The lead's end-of-shift DM is kept: sent or not, it now shows Write debrief.
    for prefix in ("checkin-prompt", "ping", "alert", "member-in", "ping-team"):
        outbox.cancel_pending(db, key_prefix=f"{prefix}:{shift.id}:", now=now)
    for row in state.open_escalations:
        record_step(db, shift.id, row["reason"], "closed", 0, [], now, by=actor)
    settle(db, shift.id, reasons=[], now=now, why="checkout")
    _rewrite(db, shift.id, why="checkout", now=now)
    if now < shift.ends_at and coordinator_channel:
        outbox.enqueue(
            db, key=f"early-checkout:{shift.id}", channel=coordinator_channel, template="safety/early_checkout",
            context={"shift_id": shift.id, "by": actor, "at": iso(now)}, due_at=now, now=now,
        )
    return True


def check_in(store: Store, *, shift_id: int, user: str) -> tuple[Outcome, Shift | None]:
    """One person is out: record their own check-in (the lead or a confirmed member)."""
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id)
        refused = _refusal(db, shift, user, now)
        if refused:
            return refused, shift
        assert shift
        state = get_state(db, shift_id)
        mine = state.member(user)
        if state.checked_out_at or (mine and mine.out):
            return "already", shift
        _check_member_in(db, shift_id, user, by=user, now=now)
        if user == shift.lead:
            outbox.cancel_pending(db, key_prefix=f"checkin-prompt:{shift_id}:", now=now)
        _summarize(db, shift, actor=user, now=now, coordinator_channel=None)
        store.audit(db, actor=user, action="safety.checkin", subject=f"shift:{shift_id}")
    return "done", shift


def check_out(
    store: Store, *, shift_id: int, user: str, coordinator_channel: str | None = None, everyone: bool = False,
) -> Result:
    """One person is back: record their own check-out; with `everyone` (the lead only), everyone still out too.

    A shift nobody checked in that has not started yet is refused (`not_started`): a mistyped number
    must not switch off that shift's escalation. Once every member who checked in is back the shift
    is checked out, which stops its escalation; before the planned end (`early`) that tells the
    coordinator channel, through the outbox in this same transaction.
    """
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id)
        refused = _refusal(db, shift, user, now)
        if refused and refused != "too_early":
            return Result(refused, shift)
        assert shift
        state = get_state(db, shift_id)
        if state.checked_out_at:
            return Result("already", shift)
        if state.checked_in_at is None and now < shift.starts_at:
            return Result("not_started", shift)
        mine = state.member(user)
        others = [u for u in state.still_out if u != user] if everyone and user == shift.lead else []
        if mine and mine.checked_out_at and not others:
            return Result("already", shift, still_out=tuple(state.still_out))
        if not (mine and mine.checked_out_at):
            _check_member_out(db, shift_id, user, by=user, now=now)
        for other in others:
            _check_member_out(db, shift_id, other, by=user, now=now)
        whole = _summarize(db, shift, actor=user, now=now, coordinator_channel=coordinator_channel)
        store.audit(db, actor=user, action="safety.checkout", subject=f"shift:{shift_id}",
                    detail={"with": others} if others else None)
        after = get_state(db, shift_id)
    early = whole and now < shift.ends_at
    return Result("early" if early else "done", shift, others=tuple(others), still_out=tuple(after.still_out))


def team_check_in(store: Store, *, shift_id: int, actor: str, out: list[str], coordinator: bool = False) -> Result:
    """The lead (or a coordinator) checks the team in in one go: the people named are out, the others absent.

    A member not named who already checked in by themselves is left as they are (`kept`).
    """
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id)
        if shift is None:
            return Result("not_found", None)
        if shift.cancelled:
            return Result("cancelled", shift)
        if actor != shift.lead and not coordinator:
            return Result("not_allowed", shift)
        if now < shift.starts_at - EARLY_CHECKIN:
            return Result("too_early", shift)
        people = roster(db, shift)
        strangers = tuple(u for u in out if u not in people)
        if strangers:
            return Result("not_on_team", shift, others=strangers)
        if not out:
            return Result("nobody", shift)
        state = get_state(db, shift_id)
        if state.checked_out_at:
            return Result("already", shift)
        for user in out:
            mine = state.member(user)
            if not (mine and mine.out):
                _check_member_in(db, shift_id, user, by=actor, now=now)
        absent, kept = [], []
        for user in (u for u in people if u not in out):
            mine = state.member(user)
            if mine and mine.out:
                kept.append(user)
                continue
            _upsert_member(db, shift_id, user, absent=1, marked_by=actor, marked_at=iso(now), checked_in_at=None,
                           checked_in_by=None, checked_out_at=None, checked_out_by=None)
            outbox.cancel_pending(db, key_prefix=f"member-in:{shift_id}:{user}", now=now)
            absent.append(user)
        outbox.cancel_pending(db, key_prefix=f"checkin-prompt:{shift_id}:", now=now)
        _summarize(db, shift, actor=actor, now=now, coordinator_channel=None)
        store.audit(db, actor=actor, action="safety.team_checkin", subject=f"shift:{shift_id}",
                    detail={"out": len(out), "absent": len(absent)})
        after = get_state(db, shift_id)
    return Result("done", shift, others=tuple(out), still_out=tuple(after.still_out), absent=tuple(absent),
                  kept=tuple(kept))


def team_check_out(
    store: Store, *, shift_id: int, actor: str, back: list[str], coordinator: bool = False,
    coordinator_channel: str | None = None,
) -> Result:
    """The lead (or a coordinator) checks out the people named as back safe; whoever is not named stays out."""
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id)
        if shift is None:
            return Result("not_found", None)
        if shift.cancelled:
            return Result("cancelled", shift)
        if actor != shift.lead and not coordinator:
            return Result("not_allowed", shift)
        state = get_state(db, shift_id)
        if state.checked_out_at:
            return Result("already", shift)
        strangers = tuple(u for u in back if u not in state.still_out)
        if strangers:
            return Result("not_checked_in", shift, others=strangers, still_out=tuple(state.still_out))
        if not back:
            return Result("nobody", shift, still_out=tuple(state.still_out))
        for user in back:
            _check_member_out(db, shift_id, user, by=actor, now=now)
        whole = _summarize(db, shift, actor=actor, now=now, coordinator_channel=coordinator_channel)
        store.audit(db, actor=actor, action="safety.team_checkout", subject=f"shift:{shift_id}",
                    detail={"back": len(back)})
        after = get_state(db, shift_id)
    early = whole and now < shift.ends_at
    return Result("early" if early else "done", shift, others=tuple(back), still_out=tuple(after.still_out))


def answer_ping(store: Store, *, shift_id: int, seq: int, user: str) -> tuple[Outcome, Shift | None]:
    """The lead or any member answered "All OK?": it counts for the whole team."""
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
        outbox.cancel_pending(db, key_prefix=f"ping-team:{shift_id}:{seq}:", now=now)
        closed = db.execute("UPDATE escalations SET acked_at = ?, acked_by = ? WHERE shift_id = ? AND reason = ? "
                            "AND acked_at IS NULL", [iso(now), user, shift_id, f"ping{seq}"]).rowcount
        if closed:
            record_step(db, shift_id, f"ping{seq}", "answered", 0, [user], now, by=user)
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
    """A coordinator (or a named contact) takes the shift's alert on: every open escalation of the shift is
    acknowledged (one alert per shift; `reason`, carried by older buttons, names the one to report when
    none is open).

    The climb stops, the alert message and the DMs about it are rewritten in place, and the lead and
    the members out are told by DM who handles it.
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
        shift = get_shift(db, shift_id)
        told = _team_to_ask(db, shift, get_state(db, shift_id)) if shift else []
        for person in told:
            outbox.enqueue(db, key=f"handled:{shift_id}:{person}:{iso(now)}", channel=person,
                           template="safety/handled", context={"shift_id": shift_id, "by": user, "at": iso(now)},
                           due_at=now, now=now)
        for r in open_:
            record_step(db, shift_id, r["reason"], "ack", 0, told, now, by=user)
        store.audit(db, actor=user, action="safety.ack", subject=f"shift:{shift_id}",
                    detail={"reason": ",".join(r["reason"] for r in open_)})
    return "done", dict(open_[0], acked_at=iso(now), acked_by=user)


# ---------------------------------------------------------------- steps and contacts


def record_step(
    db: Database, shift_id: int, reason: str, step: str, level: int, people: list[str], at: datetime,
    *, by: str | None = None,
) -> bool:
    """Record one step of an escalation once (who was told or acted, when, at which level); False if known."""
    return db.execute(
        "INSERT INTO safety_steps (shift_id, reason, step, level, at, people, by) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(shift_id, reason, step) DO NOTHING",
        [shift_id, reason, step, level, iso(at), json.dumps(list(people)), by]).rowcount == 1


def steps(db: Database, shift_id: int) -> list[dict]:
    """Every recorded step of the shift's escalations, oldest first (`people` a list, `at` a datetime)."""
    return [dict(r, people=json.loads(r["people"]), at=from_iso(r["at"])) for r in db.query(
        "SELECT * FROM safety_steps WHERE shift_id = ? ORDER BY at, id", [shift_id])]


def load_steps(store: Store, shift_id: int) -> list[dict]:
    """The steps, read through the store."""
    with store.read() as db:
        return steps(db, shift_id)


def named_contacts(db: Database, shift_id: int) -> list[str]:
    """The Slack members picked in the shift's checklist item "who is called if the team goes silent"."""
    row = next(db.query("SELECT evidence FROM readiness_items WHERE shift_id = ? AND item_id = ?",
                        [shift_id, SILENCE_ITEM]), None)
    evidence = str((row or {}).get("evidence") or "").strip()
    return list(dict.fromkeys(MENTION.findall(evidence) or ([evidence] if MEMBER_ID.match(evidence) else [])))


def may_acknowledge(store: Store, settings: Settings, *, shift_id: int, user: str) -> bool:
    """Besides coordinators, the people level 3 reaches may take the alert on: the named contacts, on-call."""
    if user in settings.oncall_coordinators:
        return True
    with store.read() as db:
        return user in named_contacts(db, shift_id)


# ---------------------------------------------------------------- escalation


def _team_to_ask(db: Database, shift: Shift, state: State) -> list[str]:
    """Level 1: the lead and whoever is still out (nobody checked in: the whole team not marked absent)."""
    gone = set(state.absent)
    if any(m.checked_in_at for m in state.members):
        people = [shift.lead] + state.still_out if shift.lead else state.still_out
    else:
        people = roster(db, shift)
    return [u for u in dict.fromkeys(people) if u and u not in gone]


def _asked_team(db: Database, shift_id: int) -> set[int]:
    """The "All OK?" check-ins passed on to the other members out (their seq)."""
    return {int(r["key"].split(":")[2]) for r in db.query(
        "SELECT key FROM notifications WHERE key >= ? AND key < ?",
        [f"ping-team:{shift_id}:", f"ping-team:{shift_id}:\uffff"])}


def answered_pings(db: Database, shift_id: int) -> set[int]:
    """The mid-shift check-ins somebody answered (their seq)."""
    return {r["seq"] for r in db.query("SELECT seq FROM pings WHERE shift_id = ? AND answered_at IS NOT NULL",
                                       [shift_id])}


def _open_reasons(db: Database, shift: Shift, state: State, settings: Settings, now: datetime) -> dict[str, datetime]:
    """Why a shift needs escalating now, with when each reason began."""
    if state.checked_out_at:
        return {}
    reasons: dict[str, datetime] = {}
    overdue = shift.ends_at + settings.checkout_grace
    if now >= overdue:
        reasons["checkout"] = overdue
    answered, passed_on = answered_pings(db, shift.id), _asked_team(db, shift.id)
    for seq, asked in enumerate(ping_times(shift, state.checkin_every), start=1):
        wait = PING_ANSWER * (2 if seq in passed_on else 1)
        if seq not in answered and now >= asked + wait:
            reasons[f"ping{seq}"] = asked + wait
    return reasons


def _prompt_members(db: Database, shift: Shift, state: State, now: datetime) -> None:
    """Ask each confirmed member (the lead has its own DMs) to check in at the start and out at the end."""
    if state.checked_out_at or shift.cancelled:
        return
    members = [u for u in roster(db, shift) if u != shift.lead]
    for user in members:
        mine = state.member(user)
        if now < shift.ends_at and not (mine and (mine.checked_in_at or mine.absent)):
            outbox.enqueue(db, key=f"member-in:{shift.id}:{user}", channel=user, template="safety/checkin_prompt",
                           context={"shift_id": shift.id, "user": user}, due_at=now, now=now)
        if now >= shift.ends_at and mine and mine.out:
            outbox.enqueue(db, key=f"member-out:{shift.id}:{user}", channel=user, template="safety/checkout_prompt",
                           context={"shift_id": shift.id, "user": user}, due_at=now, now=now)


def _pass_on_pings(db: Database, shift: Shift, state: State, now: datetime) -> None:
    """An "All OK?" the lead left unanswered for PING_ANSWER goes to the other members out."""
    answered = answered_pings(db, shift.id)
    others = [u for u in state.still_out if u != shift.lead]
    for seq, asked in enumerate(ping_times(shift, state.checkin_every), start=1):
        if seq in answered or not asked + PING_ANSWER <= now < asked + 2 * PING_ANSWER or not others:
            continue
        for user in others:
            outbox.enqueue(db, key=f"ping-team:{shift.id}:{seq}:{user}", channel=user, template="safety/ping",
                           context={"shift_id": shift.id, "user": user, "seq": seq, "passed_on": True},
                           due_at=now, now=now)
        record_step(db, shift.id, f"ping{seq}", "passed-on", 1, others, now)


def _climb(
    db: Database, shift: Shift, state: State, row: dict, settings: Settings, *, coordinators: list[str],
    now: datetime,
) -> int:
    """Queue what one open escalation needs now, level by level; return how many messages were queued."""
    reason, queued, level = row["reason"], 0, 1
    started = from_iso(row["started_at"])
    asked = _team_to_ask(db, shift, state)
    for user in asked:  # level 1: the lead and the team, by DM
        if outbox.enqueue(db, key=f"alert:{shift.id}:{reason}:team:{user}", channel=user,
                          template="safety/are_you_ok", context={"shift_id": shift.id, "reason": reason, "user": user},
                          due_at=now, now=now):
            queued += 1
    record_step(db, shift.id, reason, "team", 1, asked, now)
    coordinators_at = started + settings.escalation_team_wait
    if now >= coordinators_at:  # level 2: the coordinators, channel and DMs, repeated in the thread
        level = 2
        rounds = int((now - coordinators_at) / settings.escalation_repeat)
        channel = settings.coordinator_channel
        new = record_step(db, shift.id, reason, "coordinators", 2, ([channel] if channel else []) + coordinators, now)
        queued += _raise(db, shift_id=shift.id, reason=reason, rounds=rounds, new=new, channel=channel,
                         people=coordinators, now=now)
        for k in range(1, rounds + 1):
            record_step(db, shift.id, reason, f"repeat:{k}", 2, [], coordinators_at + k * settings.escalation_repeat)
        if rounds >= settings.escalation_contacts_after:  # level 3: the named contacts and the on-call list
            level = 3
            contacts = list(dict.fromkeys(named_contacts(db, shift.id) + list(settings.oncall_coordinators)))
            for user in contacts:
                if outbox.enqueue(db, key=dm_key(shift.id, reason, user), channel=user, template="safety/escalation",
                                  context={"shift_id": shift.id, "reason": reason}, due_at=now, now=now):
                    queued += 1
            if record_step(db, shift.id, reason, "contacts", 3, contacts, now):
                outbox.enqueue_update(db, parent=alert_key(shift.id), key=f"update:{alert_key(shift.id)}:level3:{reason}",
                                      now=now)
    db.execute("UPDATE escalations SET level = max(level, ?) WHERE shift_id = ? AND reason = ?",
               [level, shift.id, reason])
    return queued


def escalate_due(store: Store, settings: Settings, *, coordinators: list[str]) -> int:
    """Prompt the members, pass unanswered check-ins on, open escalations that are due and climb each
    (see `_climb`); return how many escalation messages were queued."""
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
            _prompt_members(db, shift, state, now)
            _pass_on_pings(db, shift, state, now)
            for reason, began in _open_reasons(db, shift, state, settings, now).items():
                db.execute("INSERT INTO escalations (shift_id, reason, started_at) VALUES (?, ?, ?) "
                           "ON CONFLICT(shift_id, reason) DO NOTHING", [shift_id, reason, iso(began)])
                row = next(db.query("SELECT * FROM escalations WHERE shift_id = ? AND reason = ?", [shift_id, reason]))
                if row["acked_at"]:
                    continue
                queued += _climb(db, shift, get_state(db, shift_id), row, settings, coordinators=people, now=now)
    return queued


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


def member_messages(db: Database, shift_id: int) -> list[outbox.Posted]:
    """Where the members' end-of-shift DMs (Check out) are, once sent."""
    keys = [r["key"] for r in db.query("SELECT key FROM notifications WHERE key >= ? AND key < ? AND mode IS NULL",
                                       [f"member-out:{shift_id}:", f"member-out:{shift_id}:\uffff"])]
    return [p for p in (outbox.posted(db, k) for k in keys) if p]


def settle(db: Database, shift_id: int, *, reasons: list[str], now: datetime, why: str) -> None:
    """Escalations were taken on or ended (inside the caller's transaction): drop their unsent repeats
    and DMs, and queue the rewrite in place of the shift's alert message and of every coordinator's DM."""
    for reason in reasons:
        outbox.cancel_pending(db, key_prefix=f"alert:{shift_id}:{reason}:", now=now)
    if reasons:
        outbox.cancel_pending(db, key_prefix=f"ping-team:{shift_id}:", now=now)
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


