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

from outreach import incidents, outbox, phones
from outreach import night as nights
from outreach.events import Event
from outreach.night import EARLY_CHECKIN, Night, Watch
from outreach.night import night as night_of
from outreach.reminders import Desired, sync
from outreach.settings import Settings
from outreach.shifts import Shift, get_shift, team
from outreach.store import Store, from_iso, iso

PING_ANSWER = timedelta(minutes=10)

MIN_EVERY, MAX_EVERY = 15, 240
LOOKBACK = timedelta(days=2)
SAFETY_PREFIXES = ("checkin-prompt", "checkout-prompt", "ping")
NIGHT = "night"  # the reason under which steps of the night itself (check-outs, absences, We're out) are recorded
ASK_WENT_OUT = timedelta(minutes=30)  # a watched shift with neither Go nor a check-in by then is asked "did it go out?"
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
    """Where a shift stands on safety: its night, each person's check-in and check-out, its escalations.

    `checked_out_at` is the night being over: everyone expected out accounted for (checked out, or
    marked absent). Before that nobody may be told "everyone is safe".
    """

    shift_id: int
    checkin_every: int | None = None
    checked_in_at: datetime | None = None
    checked_in_by: str | None = None
    checked_out_at: datetime | None = None
    checked_out_by: str | None = None
    open_escalations: tuple[dict, ...] = ()
    acked: tuple[dict, ...] = ()
    members: tuple[Member, ...] = ()
    expected: tuple[str, ...] = ()  # the lead and the confirmed members: who must be accounted for
    counts_everyone: bool = False   # a watched night under way: everyone expected counts as out
    night: Night | None = None

    @property
    def over(self) -> bool:
        """The night is over: everyone expected out was accounted for."""
        return self.checked_out_at is not None

    def _people(self) -> list[str]:
        return list(dict.fromkeys([*self.expected, *(m.user for m in self.members if m.checked_in_at)]))

    def _accounted(self, user: str) -> bool:
        mine = self.member(user)
        return bool(mine and (mine.checked_out_at or mine.absent))

    @property
    def unaccounted(self) -> list[str]:
        """Everyone expected out (or who checked in) not yet checked out nor marked absent."""
        return [u for u in self._people() if not self._accounted(u)]

    @property
    def still_out(self) -> list[str]:
        """Who is out and not back: checked in, or expected on a watched night under way (absent is not out)."""
        return [u for u in self.unaccounted
                if self.counts_everyone and u in self.expected or (m := self.member(u)) is not None and m.out]

    @property
    def absent(self) -> list[str]:
        """Who was marked absent (not there that night: neither "safe" nor out)."""
        return [m.user for m in self.members if m.absent]

    def member(self, user: str) -> Member | None:
        """One person's row, when they have one."""
        return next((m for m in self.members if m.user == user), None)


def _at(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


def get_state(db: Database, shift_id: int, *, now: datetime) -> State:
    """The shift's night, check-ins and escalations, as they stand at `now`."""
    row = next(db.query("SELECT * FROM safety WHERE shift_id = ?", [shift_id]), None) or {}
    escalations = list(db.query("SELECT * FROM escalations WHERE shift_id = ? ORDER BY started_at", [shift_id]))
    shift = get_shift(db, shift_id)
    the_night = night_of(db, shift) if shift else None
    return State(
        shift_id=shift_id, checkin_every=row.get("checkin_every"),
        checked_in_at=_at(row.get("checked_in_at")), checked_in_by=row.get("checked_in_by"),
        checked_out_at=_at(row.get("checked_out_at")), checked_out_by=row.get("checked_out_by"),
        open_escalations=tuple(e for e in escalations if not e["acked_at"] and not e.get("expired_at")),
        acked=tuple(e for e in escalations if e["acked_at"]),
        members=tuple(Member(
            user=m["user_id"], checked_in_at=_at(m["checked_in_at"]), checked_in_by=m["checked_in_by"],
            checked_out_at=_at(m["checked_out_at"]), checked_out_by=m["checked_out_by"], absent=bool(m["absent"]),
        ) for m in db.query("SELECT * FROM member_checkins WHERE shift_id = ? ORDER BY rowid", [shift_id])),
        expected=tuple(roster(db, shift)) if shift else (),
        counts_everyone=bool(the_night and the_night.counts_everyone(now)), night=the_night,
    )


def load_state(store: Store, shift_id: int) -> State:
    """The state, read through the store."""
    with store.read() as db:
        return get_state(db, shift_id, now=store.clock())


def my_watches(store: Store, user: str, shift_ids: list[int]) -> dict[int, Watch]:
    """Where each shift stands for one person: out (checked in, or counted out on a watched night under
    way), and done once they are accounted for or the night is over."""
    now = store.clock()
    with store.read() as db:
        found = {}
        for i in shift_ids:
            state = get_state(db, i, now=now)
            mine = state.member(user)
            done = state.over or bool(mine and (mine.checked_out_at or mine.absent)) or bool(
                state.night and state.night.status == "not_held")
            checked_in = bool(mine and mine.out)
            found[i] = Watch(checked_in, done, counted=not checked_in and user in state.still_out)
        return found


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
    """The prompts a shift's lead should get: check in, mid-shift check-ins, check out (a watched night);
    an unwatched shift gets only the end-of-shift DM (the debrief, attendance); a night that didn't go out none."""
    if shift.cancelled or not shift.lead:
        return {}
    the_night = night_of(db, shift)
    if the_night.status == "not_held":
        return {}
    base = {"shift_id": shift.id, "user": shift.lead}
    rows: Desired = {
        f"checkout-prompt:{shift.id}:{iso(shift.ends_at)}": {
            "channel": shift.lead, "template": "safety/checkout_prompt", "due_at": shift.ends_at, "context": base},
    }
    if not the_night.watched:
        return rows
    rows[f"checkin-prompt:{shift.id}:{iso(shift.starts_at)}"] = {
        "channel": shift.lead, "template": "safety/checkin_prompt", "due_at": shift.starts_at, "context": base}
    every = next(db.query("SELECT checkin_every FROM safety WHERE shift_id = ?", [shift.id]), {}).get("checkin_every")
    for seq, due in enumerate(ping_times(shift, every), start=1):
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
                  "not_checked_in", "not_started", "nobody", "not_allowed", "not_held", "was_out", "not_asked",
                  "not_watched", "sos_pressed", "not_out"]


@dataclass(frozen=True)
class Result:
    """What a check-in or check-out did: the outcome, the shift, and who else it concerned."""

    outcome: Outcome
    shift: Shift | None
    others: tuple[str, ...] = ()      # checked out (or in) by the lead or a coordinator
    still_out: tuple[str, ...] = ()   # not accounted for after this (expected out, not back nor absent)
    absent: tuple[str, ...] = ()      # marked absent ("wasn't out tonight")
    kept: tuple[str, ...] = ()        # not named, but already checked in by themselves: left as they are
    over: bool = False                # everyone is accounted for: the night is over


def _member(db: Database, shift: Shift, user: str) -> bool:
    return user == shift.lead or user in team(db, shift.id)[0]


def roster(db: Database, shift: Shift) -> list[str]:
    """The lead and the confirmed members, the lead first."""
    return list(dict.fromkeys(([shift.lead] if shift.lead else []) + team(db, shift.id)[0]))


def is_out(db: Database, shift_id: int, user: str) -> bool:
    """True when the person checked in on the shift and is not back (whether or not still on its team)."""
    return db.execute("SELECT 1 FROM member_checkins WHERE shift_id = ? AND user_id = ? AND checked_in_at IS NOT NULL "
                      "AND checked_out_at IS NULL AND NOT absent", [shift_id, user]).fetchone() is not None


def _ensure(db: Database, shift_id: int) -> None:
    db.execute("INSERT INTO safety (shift_id) VALUES (?) ON CONFLICT(shift_id) DO NOTHING", [shift_id])


def _refusal(db: Database, shift: Shift | None, user: str, now: datetime, *, team: bool = False,
             coordinator: bool = False) -> Outcome | None:
    """Why a person may not act on a shift's night now, or None when they may: for themselves (a member),
    or with `team` for the whole team (the lead or a coordinator)."""
    if shift is None:
        return "not_found"
    if shift.cancelled:
        return "cancelled"
    if team and user != shift.lead and not coordinator:
        return "not_allowed"
    if not team and not _member(db, shift, user):
        return "not_on_team"
    if night_of(db, shift).status == "not_held":
        return "not_held"
    if now < shift.starts_at - EARLY_CHECKIN:
        return "too_early"
    return None


def _upsert_member(db: Database, shift_id: int, user: str, **fields: object) -> None:
    db.execute("INSERT INTO member_checkins (shift_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
               [shift_id, user])
    if not fields:
        return
    sets = ", ".join(f"{k} = ?" for k in fields)
    db.execute(f"UPDATE member_checkins SET {sets} WHERE shift_id = ? AND user_id = ?",
               [*fields.values(), shift_id, user])


def _check_member_in(db: Database, shift: Shift, user: str, *, by: str, now: datetime, how: str) -> None:
    _upsert_member(db, shift.id, user, checked_in_at=iso(now), checked_in_by=by, checked_out_at=None,
                   checked_out_by=None, absent=0)
    outbox.cancel_pending(db, key_prefix=f"member-in:{shift.id}:{user}", now=now)
    if user == shift.lead:
        outbox.cancel_pending(db, key_prefix=f"checkin-prompt:{shift.id}:", now=now)
    if nights.record_out(db, shift.id, by=by, how=how, at=now):  # "Did shift #N go out?" is answered
        _rewrite_question(db, shift.id, why="out", now=now)


def _check_member_out(db: Database, shift: Shift, user: str, *, by: str, now: datetime) -> None:
    """Record one person back. Someone who never checked in counts from the start (or from now, before it)."""
    _upsert_member(db, shift.id, user)
    came = iso(min(now, shift.starts_at))
    db.execute("UPDATE member_checkins SET checked_in_at = coalesce(checked_in_at, ?), "
               "checked_in_by = coalesce(checked_in_by, ?), checked_out_at = ?, checked_out_by = ?, absent = 0 "
               "WHERE shift_id = ? AND user_id = ?", [came, by, iso(now), by, shift.id, user])
    outbox.cancel_pending(db, key_prefix=f"member-in:{shift.id}:{user}", now=now)
    outbox.cancel_pending(db, key_prefix=f"member-out:{shift.id}:{user}", now=now)
    record_step(db, shift.id, NIGHT, f"out:{user}", 0, [user], now, by=by)
    _rewrite(db, shift.id, why=f"out-{user}", now=now)


def _mark_absent(db: Database, shift: Shift, user: str, *, by: str, now: datetime) -> None:
    _upsert_member(db, shift.id, user, absent=1, marked_by=by, marked_at=iso(now), checked_in_at=None,
                   checked_in_by=None, checked_out_at=None, checked_out_by=None)
    outbox.cancel_pending(db, key_prefix=f"member-in:{shift.id}:{user}", now=now)
    record_step(db, shift.id, NIGHT, f"absent:{user}", 0, [user], now, by=by)


def _rewrite(db: Database, shift_id: int, *, why: str, now: datetime) -> None:
    """Queue the rewrite in place of the end-of-shift DMs (they show who is still out), the members'
    "are you all right?" DMs and the alert."""
    for row in list(db.query(
            "SELECT key FROM notifications WHERE ((key >= ? AND key < ?) OR (key >= ? AND key < ?)) AND mode IS NULL",
            [f"checkout-prompt:{shift_id}:", f"checkout-prompt:{shift_id}:\uffff",
             f"member-out:{shift_id}:", f"member-out:{shift_id}:\uffff"])):
        outbox.enqueue_update(db, parent=row["key"], key=f"update:{row['key']}:{why}:{iso(now)}", now=now)
    top = alert_key(shift_id)
    outbox.enqueue_update(db, parent=top, key=f"update:{top}:{why}:{iso(now)}", now=now)


def _summarize(db: Database, shift: Shift, *, actor: str, now: datetime, coordinator_channel: str | None) -> bool:
    """Keep the shift-level row true to the members' rows; True when the night just ended.

    Checked in at the first member's check-in; over once everyone expected out is accounted for.
    """
    _ensure(db, shift.id)
    state = get_state(db, shift.id, now=now)
    came = [m for m in state.members if m.checked_in_at and not m.absent]
    if came and not state.checked_in_at:
        first = min(came, key=lambda m: m.checked_in_at or now)
        db.execute("UPDATE safety SET checked_in_at = ?, checked_in_by = ? WHERE shift_id = ?",
                   [iso(first.checked_in_at or now), first.checked_in_by or first.user, shift.id])
    if state.over or not state.expected or state.unaccounted:
        return False  # everyone marked absent (nobody came) is over too: nobody is out to escalate
    db.execute("UPDATE safety SET checked_out_at = ?, checked_out_by = ? WHERE shift_id = ?", [iso(now), actor, shift.id])
    # The lead's end-of-shift DM is kept: sent or not, it now shows Write debrief.
    for prefix in ("checkin-prompt", "ping", "alert", "member-in", "member-out", "ping-team", "went-out"):
        outbox.cancel_pending(db, key_prefix=f"{prefix}:{shift.id}:", now=now)
    if came:
        record_step(db, shift.id, NIGHT, "over", 0, [], now, by=actor)
    elif nights.record_not_held(db, shift.id, by=actor, at=now):  # everyone marked absent: nobody went out
        record_step(db, shift.id, NIGHT, "not_held", 0, [], now, by=actor)
    sos_open = db.execute("SELECT 1 FROM sos WHERE shift_id = ? AND acked_at IS NULL", [shift.id]).fetchone()
    if (incident := incidents.current(db, shift.id)) is not None and not sos_open:  # everyone is back: the alarm is over
        incidents.resolve(db, incident.id, user=actor, now=now)
        outbox.cancel_pending(db, key_prefix=f"incident:{incident.id}:recheck:", now=now)
    for row in state.open_escalations:
        db.execute("UPDATE escalations SET expired_at = ? WHERE shift_id = ? AND reason = ? AND acked_at IS NULL",
                   [iso(now), shift.id, row["reason"]])
    settle(db, shift.id, reasons=[r["reason"] for r in state.open_escalations], now=now, why="checkout")
    _rewrite(db, shift.id, why="checkout", now=now)
    if now < shift.ends_at and coordinator_channel and came:
        outbox.enqueue(
            db, key=f"early-checkout:{shift.id}", channel=coordinator_channel, template="safety/early_checkout",
            context={"shift_id": shift.id, "by": actor, "at": iso(now)}, due_at=now, now=now,
        )
    return True


def _after(db: Database, shift: Shift, outcome: Outcome, now: datetime, **extra: tuple[str, ...]) -> Result:
    after = get_state(db, shift.id, now=now)
    if outcome == "done" and after.over and now < shift.ends_at:
        outcome = "early"
    return Result(outcome, shift, still_out=tuple(after.unaccounted), over=after.over, **extra)


def check_in(store: Store, *, shift_id: int, user: str) -> tuple[Outcome, Shift | None]:
    """One person is out: record their own check-in (the lead or a confirmed member)."""
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id)
        refused = _refusal(db, shift, user, now)
        if refused:
            return refused, shift
        assert shift
        state = get_state(db, shift_id, now=now)
        mine = state.member(user)
        if state.over or (mine and mine.out):
            return "already", shift
        _check_member_in(db, shift, user, by=user, now=now, how="checkin")
        _summarize(db, shift, actor=user, now=now, coordinator_channel=None)
        store.audit(db, actor=user, action="safety.checkin", subject=f"shift:{shift_id}")
    return "done", shift


def check_out(store: Store, *, shift_id: int, user: str, coordinator_channel: str | None = None) -> Result:
    """One person is back: record their own check-out, theirs only (the lead's too: the whole team is
    checked out with `team_check_out`, "Everyone back safe").

    Someone who never checked in, before the start, is refused (`not_started`): a mistyped number must
    not account for anyone. Once everyone expected out is accounted for the night is over, which stops
    its escalation; before the planned end (`early`) that tells the coordinator channel, through the
    outbox in this same transaction.
    """
    with store.write() as db:
        return check_out_in(db, store, shift_id=shift_id, user=user, now=store.clock(),
                            coordinator_channel=coordinator_channel)


def check_out_in(db: Database, store: Store, *, shift_id: int, user: str, now: datetime,
                 coordinator_channel: str | None) -> Result:
    """`check_out` inside the caller's transaction (a duress check-out adds its SOS to it)."""
    shift = get_shift(db, shift_id)
    refused = _refusal(db, shift, user, now)
    if refused == "not_on_team" and is_out(db, shift_id, user):
        refused = None  # off the team since (withdrew, or the lead replaced) but checked in: still out
    if refused and refused != "too_early":
        return Result(refused, shift)
    assert shift
    state = get_state(db, shift_id, now=now)
    if state.over:
        return Result("already", shift, over=True)
    mine = state.member(user)
    if mine and (mine.checked_out_at or mine.absent):
        return Result("already", shift, still_out=tuple(state.unaccounted), absent=(user,) if mine.absent else ())
    if not (mine and mine.checked_in_at) and now < shift.starts_at:
        return Result("not_started", shift)
    _check_member_out(db, shift, user, by=user, now=now)
    _summarize(db, shift, actor=user, now=now, coordinator_channel=coordinator_channel)
    store.audit(db, actor=user, action="safety.checkout", subject=f"shift:{shift_id}")
    return _after(db, shift, "done", now)


def _team_refusal(db: Database, shift: Shift | None, actor: str, coordinator: bool, now: datetime) -> Outcome | None:
    return _refusal(db, shift, actor, now, team=True, coordinator=coordinator)


def team_check_in(store: Store, *, shift_id: int, actor: str, out: list[str], coordinator: bool = False) -> Result:
    """The lead (or a coordinator) checks the team in in one go: the people named are out, the others absent.

    A member not named who already checked in by themselves is left as they are (`kept`).
    """
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id)
        if refused := _team_refusal(db, shift, actor, coordinator, now):
            return Result(refused, shift)
        assert shift
        people = roster(db, shift)
        strangers = tuple(u for u in out if u not in people)
        if strangers:
            return Result("not_on_team", shift, others=strangers)
        if not out:
            return Result("nobody", shift)
        state = get_state(db, shift_id, now=now)
        if state.over:
            return Result("already", shift, over=True)
        for user in out:
            mine = state.member(user)
            if not (mine and mine.out):
                _check_member_in(db, shift, user, by=actor, now=now, how="team")
        absent, kept = [], []
        for user in (u for u in people if u not in out):
            mine = state.member(user)
            if mine and (mine.out or mine.checked_out_at):
                kept.append(user)
                continue
            _mark_absent(db, shift, user, by=actor, now=now)
            absent.append(user)
        outbox.cancel_pending(db, key_prefix=f"checkin-prompt:{shift_id}:", now=now)
        _summarize(db, shift, actor=actor, now=now, coordinator_channel=None)
        store.audit(db, actor=actor, action="safety.team_checkin", subject=f"shift:{shift_id}",
                    detail={"out": len(out), "absent": len(absent)})
        return _after(db, shift, "done", now, others=tuple(out), absent=tuple(absent), kept=tuple(kept))


def team_check_out(
    store: Store, *, shift_id: int, actor: str, back: list[str], absent: list[str] | None = None,
    coordinator: bool = False, coordinator_channel: str | None = None,
) -> Result:
    """"Everyone back safe": the lead (or a coordinator) checks out the people named as back, marks absent
    those named as not out tonight; whoever is named in neither stays out and watched."""
    now = store.clock()
    absent = list(absent or [])
    with store.write() as db:
        shift = get_shift(db, shift_id)
        refused = _team_refusal(db, shift, actor, coordinator, now)
        if refused and refused != "too_early":
            return Result(refused, shift)
        assert shift
        state = get_state(db, shift_id, now=now)
        if state.over:
            return Result("already", shift, over=True)
        waiting = state.unaccounted
        strangers = tuple(u for u in [*back, *absent] if u not in waiting)
        if strangers:
            return Result("not_checked_in", shift, others=strangers, still_out=tuple(waiting))
        early = tuple(u for u in back if not ((m := state.member(u)) is not None and m.checked_in_at))
        if early and now < shift.starts_at:  # nobody is back from a night that hasn't started
            return Result("not_started", shift, others=early, still_out=tuple(waiting))
        were_out = tuple(u for u in absent if (m := state.member(u)) is not None and m.checked_in_at)
        if were_out or set(back) & set(absent):
            return Result("was_out", shift, others=were_out or tuple(set(back) & set(absent)))
        if not back and not absent:
            return Result("nobody", shift, still_out=tuple(waiting))
        for user in back:
            _check_member_out(db, shift, user, by=actor, now=now)
        for user in absent:
            _mark_absent(db, shift, user, by=actor, now=now)
        _summarize(db, shift, actor=actor, now=now, coordinator_channel=coordinator_channel)
        store.audit(db, actor=actor, action="safety.team_checkout", subject=f"shift:{shift_id}",
                    detail={"back": len(back), "absent": len(absent)})
        return _after(db, shift, "done", now, others=tuple(back), absent=tuple(absent))


def were_out(store: Store, *, shift_id: int, actor: str, coordinator: bool = False) -> Result:
    """"We're out": the lead (or a coordinator) says the team went out; the net counts everyone as out.

    Said after "It didn't go out" (a mistaken tap) before the night's planned end, it takes that back: the
    night is watched again, its prompts planned again."""
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id)
        taken_back = False
        if shift is not None and now < shift.ends_at and night_of(db, shift).status == "not_held" \
                and _team_refusal(db, shift, actor, coordinator, now) == "not_held":  # allowed, but for that
            taken_back = nights.take_back_not_held(db, shift_id)
            plan_shift(db, shift_id, now)
        if refused := _team_refusal(db, shift, actor, coordinator, now):
            return Result(refused, shift)
        assert shift
        if not nights.record_out(db, shift_id, by=actor, how="were_out", at=now) and not taken_back:
            return Result("already", shift)
        outbox.cancel_pending(db, key_prefix=f"went-out:{shift_id}:", now=now)
        _rewrite_question(db, shift_id, why="out", now=now)
        record_step(db, shift_id, NIGHT, "were_out", 0, [], now, by=actor)
        store.audit(db, actor=actor, action="safety.were_out", subject=f"shift:{shift_id}")
        return _after(db, shift, "done", now)


def not_held(store: Store, *, shift_id: int, actor: str, coordinator: bool = False) -> Result:
    """"It didn't go out": the night is recorded as not held; its prompts and escalations stop. Refused
    while anyone is checked in and not back (`was_out`, naming them)."""
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id)
        refused = _team_refusal(db, shift, actor, coordinator, now)
        if refused:
            return Result(refused, shift)
        assert shift
        if now < shift.starts_at:  # a stale or forged tap must not switch a night off before it begins
            return Result("too_early", shift)
        state = get_state(db, shift_id, now=now)
        if state.night and state.night.status == "not_held":
            return Result("already", shift)
        out = tuple(m.user for m in state.members if m.out)
        if out or state.over:
            return Result("was_out", shift, others=out)
        came = tuple(m.user for m in state.members if m.checked_in_at and not m.absent)
        if came:  # someone checked in (and is back): the night went out
            return Result("was_out", shift, others=came)
        pressed = tuple(dict.fromkeys(r["pressed_by"] for r in db.query(
            "SELECT pressed_by FROM sos WHERE shift_id = ? AND NOT duress ORDER BY id", [shift_id])))  # never tell a duress
        if pressed:  # someone called for help from this night: it went out
            return Result("sos_pressed", shift, others=pressed)
        nights.record_not_held(db, shift_id, by=actor, at=now)
        for prefix in (*SAFETY_PREFIXES, "checkout-prompt", "member-in", "member-out", "ping-team", "alert",
                       "went-out"):
            outbox.cancel_pending(db, key_prefix=f"{prefix}:{shift_id}:", now=now)
        reasons = [r["reason"] for r in state.open_escalations]
        db.execute("UPDATE escalations SET expired_at = ? WHERE shift_id = ? AND acked_at IS NULL AND expired_at IS NULL",
                   [iso(now), shift_id])
        settle(db, shift_id, reasons=reasons, now=now, why="not-held")
        duress_open = db.execute("SELECT 1 FROM sos WHERE shift_id = ? AND duress AND acked_at IS NULL",
                                 [shift_id]).fetchone()  # a coordinator closes that one, unseen by the team
        if (incident := incidents.current(db, shift_id)) is not None and not duress_open:  # no SOS (refused above)
            incidents.resolve(db, incident.id, user=actor, now=now)
            outbox.cancel_pending(db, key_prefix=f"incident:{incident.id}:recheck:", now=now)
        _rewrite_question(db, shift_id, why="not-held", now=now)
        record_step(db, shift_id, NIGHT, "not_held", 0, [], now, by=actor)
        store.audit(db, actor=actor, action="safety.not_held", subject=f"shift:{shift_id}")
        return Result("done", shift)


def answer_ping(store: Store, *, shift_id: int, seq: int, user: str) -> tuple[Outcome, Shift | None]:
    """The lead or any member answered "All OK?": it counts for the whole team, only once it was asked."""
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id)
        if shift is None:
            return "not_found", None
        if not _member(db, shift, user):
            return "not_on_team", shift
        if db.execute("SELECT 1 FROM member_checkins WHERE shift_id = ? AND user_id = ? AND absent",
                      [shift_id, user]).fetchone():
            return "not_out", shift  # marked "wasn't out tonight": cannot say the team is OK
        every = next(db.query("SELECT checkin_every FROM safety WHERE shift_id = ?", [shift_id]), {}).get("checkin_every")
        asked = ping_times(shift, every)
        if not 1 <= seq <= len(asked) or now < asked[seq - 1]:
            return "not_asked", shift
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
        if minutes and not shift.safety_net:
            return "not_watched", shift
        if minutes and not MIN_EVERY <= minutes <= MAX_EVERY:
            return "bad_interval", shift
        _ensure(db, shift_id)
        db.execute("UPDATE safety SET checkin_every = ? WHERE shift_id = ?", [minutes or None, shift_id])
        store.audit(db, actor=actor, action="safety.every", subject=f"shift:{shift_id}", detail={"minutes": minutes})
        plan_shift(db, shift_id, now)
    return "done", shift


def ack_escalations(db: Database, store: Store, *, shift_id: int, user: str, now: datetime) -> list[str]:
    """Take every open escalation of the shift on (inside the caller's transaction); return their reasons.

    The climb stops, the alert message and the DMs about it are rewritten in place, and the lead and
    the members out are told by DM who handles it.
    """
    open_ = [r for r in db.query("SELECT * FROM escalations WHERE shift_id = ? AND acked_at IS NULL "
                                 "AND expired_at IS NULL ORDER BY started_at", [shift_id])]
    if not open_:
        return []
    db.execute("UPDATE escalations SET acked_at = ?, acked_by = ? WHERE shift_id = ? AND acked_at IS NULL "
               "AND expired_at IS NULL", [iso(now), user, shift_id])
    settle(db, shift_id, reasons=[r["reason"] for r in open_], now=now, why="ack")
    shift = get_shift(db, shift_id)
    told = _team_to_ask(db, shift, get_state(db, shift_id, now=now)) if shift else []
    for person in told:
        outbox.enqueue(db, key=f"handled:{shift_id}:{person}:{iso(now)}", channel=person,
                       template="safety/handled", context={"shift_id": shift_id, "by": user, "at": iso(now)},
                       due_at=now, now=now)
    for r in open_:
        record_step(db, shift_id, r["reason"], "ack", 0, told, now, by=user)
    store.audit(db, actor=user, action="safety.ack", subject=f"shift:{shift_id}",
                detail={"reason": ",".join(r["reason"] for r in open_)})
    return [r["reason"] for r in open_]


def escalations_of(db: Database, shift_id: int) -> list[dict]:
    """Every escalation of a shift, oldest first (level, reason, when, who acknowledged it)."""
    return list(db.query("SELECT * FROM escalations WHERE shift_id = ? ORDER BY started_at", [shift_id]))


def escalation_open(db: Database, shift_id: int, reason: str) -> bool:
    """Whether this escalation of a shift still waits for someone to take it on (not acknowledged, not expired)."""
    return db.execute("SELECT 1 FROM escalations WHERE shift_id = ? AND reason = ? AND acked_at IS NULL "
                      "AND expired_at IS NULL", [shift_id, reason]).fetchone() is not None


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
    """Besides coordinators, the people level 3 reaches may take the alert on: the on-call coordinators, and
    the named contacts once level 3 reached them (before that, a tap would take on what they were never told)."""
    with store.read() as db:
        if user in phones.people_on_call(db, settings, now=store.clock()):
            return True
        return user in named_contacts(db, shift_id) and any(
            s["step"] == "contacts" and user in s["people"] for s in steps(db, shift_id))


# ---------------------------------------------------------------- escalation


def _team_to_ask(db: Database, shift: Shift, state: State) -> list[str]:
    """Level 1: the lead and everyone still out (never those marked absent)."""
    gone = set(state.absent)
    people = ([shift.lead] if shift.lead else []) + state.still_out
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
    members = [u for u in dict.fromkeys(roster(db, shift) + state.still_out) if u != shift.lead]  # and anyone out
    for user in members:
        mine = state.member(user)
        if now < shift.ends_at and not (mine and (mine.checked_in_at or mine.absent)):
            outbox.enqueue(db, key=f"member-in:{shift.id}:{user}", channel=user, template="safety/checkin_prompt",
                           context={"shift_id": shift.id, "user": user}, due_at=now, now=now)
        if now >= shift.ends_at and user in state.still_out:
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
        on_call = phones.people_on_call(db, settings, now=now)
        if settings.twilio:  # by SMS: the people on call at once, everyone told after sms_after unless taken on
            phones.queue_escalation(db, shift_id=shift.id, reason=reason, at_once=on_call,
                                    later=coordinators, now=now, after=settings.sms_after)
        for k in range(1, rounds + 1):
            record_step(db, shift.id, reason, f"repeat:{k}", 2, [], coordinators_at + k * settings.escalation_repeat)
        if rounds >= settings.escalation_contacts_after:  # level 3: the named contacts and the on-call list
            level = 3
            contacts = list(dict.fromkeys(named_contacts(db, shift.id) + on_call))
            if settings.twilio:
                phones.queue_escalation(db, shift_id=shift.id, reason=reason, at_once=on_call,
                                        later=contacts, now=now, after=settings.sms_after)
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


def _ask_went_out(db: Database, shift: Shift, state: State, channel: str | None, coordinators: list[str],
                  now: datetime) -> None:
    """A watched shift with neither Go nor any sign of going out ASK_WENT_OUT after its start: ask the
    lead and the coordinators once, "Did shift #N go out?" (We're out / It didn't go out)."""
    the_night = state.night
    if the_night is None or the_night.go_at or the_night.went_out_at or now < shift.starts_at + ASK_WENT_OUT:
        return
    if now >= shift.ends_at:
        return
    context = {"shift_id": shift.id}
    people = ([shift.lead] if shift.lead else []) + ([] if channel else coordinators)
    for person in dict.fromkeys(people):
        outbox.enqueue(db, key=f"went-out:{shift.id}:{person}", channel=person, template="safety/went_out",
                       context=context, due_at=now, now=now)
    if channel:
        outbox.enqueue(db, key=f"went-out:{shift.id}:channel", channel=channel, template="safety/went_out",
                       context=context, due_at=now, now=now)
    record_step(db, shift.id, NIGHT, "asked_went_out", 0, people, now)


def _rewrite_question(db: Database, shift_id: int, *, why: str, now: datetime) -> None:
    """Rewrite the "Did shift #N go out?" messages in place once it was answered."""
    for row in list(db.query("SELECT key FROM notifications WHERE key >= ? AND key < ? AND mode IS NULL",
                             [f"went-out:{shift_id}:", f"went-out:{shift_id}:\uffff"])):
        outbox.enqueue_update(db, parent=row["key"], key=f"update:{row['key']}:{why}", now=now)


def _handled_reason(db: Database, shift: Shift, reason: str, handler: str, now: datetime) -> None:
    """A reason that opens while the shift's incident is taken on goes to its handler, not up the climb."""
    db.execute("UPDATE escalations SET acked_at = ?, acked_by = ? WHERE shift_id = ? AND reason = ? "
               "AND acked_at IS NULL", [iso(now), handler, shift.id, reason])
    outbox.enqueue(db, key=f"alert:{shift.id}:{reason}:handler:{handler}", channel=handler,
                   template="safety/to_handler", context={"shift_id": shift.id, "reason": reason},
                   due_at=now, now=now)
    record_step(db, shift.id, reason, "to_handler", 2, [handler], now)
    outbox.enqueue_update(db, parent=alert_key(shift.id), key=f"update:{alert_key(shift.id)}:{reason}:handler",
                          now=now)


def _watched_under_way(db: Database, now: datetime) -> list[int]:
    return [r["id"] for r in db.query(
        "SELECT s.id FROM shifts s LEFT JOIN safety f ON f.shift_id = s.id WHERE s.status = 'planned' "
        "AND s.safety_net = 1 AND s.starts_at <= ? AND s.ends_at > ? AND f.not_held_at IS NULL "
        "AND f.checked_out_at IS NULL", [iso(now), iso(now - LOOKBACK)])]


def escalate_due(store: Store, settings: Settings, *, coordinators: list[str]) -> int:
    """Prompt the members, pass unanswered check-ins on, ask whether a silent shift went out, open
    escalations that are due and climb each (see `_climb`), close those past the look-back window;
    return how many escalation messages were queued. Only watched nights that went out or started."""
    now = store.clock()
    queued = 0
    people = [c for c in dict.fromkeys(coordinators) if c]
    with store.write() as db:
        for shift_id in _watched_under_way(db, now):
            shift = get_shift(db, shift_id)
            assert shift
            state = get_state(db, shift_id, now=now)
            _prompt_members(db, shift, state, now)
            if settings.twilio and now < shift.ends_at:  # the start by SMS to those out with a verified phone
                phones.queue_start(db, shift_id=shift_id, people=[u for u in state.unaccounted if u in state.expected],
                                   now=now)
            _pass_on_pings(db, shift, state, now)
            _ask_went_out(db, shift, state, settings.coordinator_channel, people, now)
            for reason, began in _open_reasons(db, shift, state, settings, now).items():
                new = db.execute("INSERT INTO escalations (shift_id, reason, started_at) VALUES (?, ?, ?) "
                                 "ON CONFLICT(shift_id, reason) DO NOTHING", [shift_id, reason, iso(began)]).rowcount
                incident = incidents.ensure(db, shift_id, now=now)
                if new and incident.handler:
                    _handled_reason(db, shift, reason, incident.handler, now)
                row = next(db.query("SELECT * FROM escalations WHERE shift_id = ? AND reason = ?", [shift_id, reason]))
                if row["acked_at"] or row["expired_at"]:
                    continue
                queued += _climb(db, shift, get_state(db, shift_id, now=now), row, settings, coordinators=people, now=now)
        _expire(db, settings.coordinator_channel, people, now)
    return queued


def _expire(db: Database, channel: str | None, coordinators: list[str], now: datetime) -> None:
    """Escalations still open past the look-back window close with a notice to the coordinators, never silently;
    so does a night that went out and that the timer never saw end (the bot down, the clock jumping past it)."""
    missed = [r["id"] for r in db.query(
        "SELECT s.id FROM shifts s JOIN safety f ON f.shift_id = s.id WHERE s.status = 'planned' AND s.safety_net = 1 "
        "AND s.ends_at <= ? AND f.went_out_at IS NOT NULL AND f.checked_out_at IS NULL AND f.not_held_at IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.shift_id = s.id)", [iso(now - LOOKBACK)])]
    for shift_id in missed:
        db.execute("INSERT INTO escalations (shift_id, reason, started_at) SELECT id, 'checkout', ends_at FROM shifts "
                   "WHERE id = ?", [shift_id])
    rows = list(db.query(
        "SELECT e.shift_id, e.reason FROM escalations e JOIN shifts s ON s.id = e.shift_id "
        "WHERE e.acked_at IS NULL AND e.expired_at IS NULL AND s.ends_at <= ?", [iso(now - LOOKBACK)]))
    for shift_id in dict.fromkeys(r["shift_id"] for r in rows):
        db.execute("UPDATE escalations SET expired_at = ? WHERE shift_id = ? AND acked_at IS NULL AND expired_at IS NULL",
                   [iso(now), shift_id])
        record_step(db, shift_id, NIGHT, "expired", 2, [], now)
        context = {"shift_id": shift_id, "missed": shift_id in missed}
        for person in ([channel] if channel else coordinators):
            outbox.enqueue(db, key=f"expired:{shift_id}:{person}", channel=person, template="safety/expired",
                           context=context, due_at=now, now=now)
        settle(db, shift_id, reasons=[r["reason"] for r in rows if r["shift_id"] == shift_id], now=now, why="expired")


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
            "SELECT key FROM notifications WHERE key >= ? AND key < ? AND mode IS NULL AND template IN (?, ?) "
            "AND sent_at IS NOT NULL AND ts IS NOT NULL",
            [f"alert:{shift_id}:", f"alert:{shift_id}:\uffff", "safety/escalation", "safety/are_you_ok"])):
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


