"""SOS: one tap by a member of a shift under way, and the coordinators are alerted at once.

A shift is under way for SOS from its check-in (or its start) until its check-out, and at most
SOS_AFTER_END after its planned end when nobody checked it out. Its lead and every confirmed member
may press SOS; the press is written (`sos` row) with its notifications in one transaction (the
outbox): a top-level post in the coordinators' channel, a DM to every coordinator and a DM to the
person who pressed it. `repeat_due` (run on every tick) repeats an SOS nobody took on every
`Settings.sos_repeat`, as replies in the post's thread, and rewrites the post in place with the
repeat count. `acknowledge` ("I'm on it") records who and when, stops the repeats, rewrites the post
and every DM in place and tells the rest of the team by DM.

A press is acted on once per request (`request_key`: the tap's user and action_ts, or the typed
command's trigger id): a job run twice after a crash, or a request Slack sent twice, makes one SOS.
A press while the shift's SOS is still open adds a line to its thread instead of a second SOS.
Outbox keys (the thread replies and rewrites reuse outreach/outbox.py's `parent` / `mode`):
  sos:<id>:post                   the post in the coordinators' channel
  sos:<id>:repeat:<round>         a repeat in its thread (in each coordinator's DM thread without a channel)
  sos:<id>:again:<request>        another press while it is open, in its thread
  sos:<id>:dm:<user>              a coordinator's DM
  sos:<id>:told:<user>            the DM to a person who pressed it
  sos:<id>:team:<user>            the team told who is on it
  update:<key>:<why>              a message rewritten in place
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlite_utils import Database

from outreach import incidents, outbox, phones, safety
from outreach.shifts import Shift, get_shift, team
from outreach.store import Store, from_iso, iso

# A shift nobody checked out keeps its SOS this long after its planned end.
SOS_AFTER_END = timedelta(hours=12)

Outcome = Literal["done", "again", "not_found", "not_on_team", "not_under_way", "already"]


@dataclass(frozen=True)
class Sos:
    """One SOS: the shift, who pressed it and when, who took it on and when, how often it was repeated."""

    id: int
    shift_id: int
    pressed_by: str
    pressed_at: datetime
    acked_by: str | None = None
    acked_at: datetime | None = None
    repeats: int = 0
    duress: bool = False  # raised by a check-out with the duress word: for the coordinators' eyes only


def _sos(row: dict) -> Sos:
    return Sos(id=row["id"], shift_id=row["shift_id"], pressed_by=row["pressed_by"],
               pressed_at=from_iso(row["pressed_at"]), acked_by=row["acked_by"],
               acked_at=from_iso(row["acked_at"]) if row["acked_at"] else None, repeats=row["repeats"] or 0,
               duress=bool(row.get("duress")))


def post_key(sos_id: int) -> str:
    """The outbox key of an SOS's post in the coordinators' channel."""
    return f"sos:{sos_id}:post"


def dm_key(sos_id: int, user: str) -> str:
    """The outbox key of a coordinator's DM about an SOS."""
    return f"sos:{sos_id}:dm:{user}"


def told_key(sos_id: int, user: str) -> str:
    """The outbox key of the DM telling a person who pressed SOS that it went out."""
    return f"sos:{sos_id}:told:{user}"


def get_sos(db: Database, sos_id: int) -> Sos | None:
    """One SOS by id."""
    row = next(db.query("SELECT * FROM sos WHERE id = ?", [sos_id]), None)
    return _sos(row) if row else None


def load_sos(store: Store, sos_id: int) -> Sos | None:
    """One SOS by id, read through the store."""
    with store.read() as db:
        return get_sos(db, sos_id)


def of_shift(store: Store, shift_id: int, *, duress: bool = False) -> list[Sos]:
    """Every SOS of a shift, oldest first (a duress SOS only with `duress`: the team never sees one)."""
    with store.read() as db:
        return [_sos(r) for r in db.query("SELECT * FROM sos WHERE shift_id = ? AND (? OR NOT duress) ORDER BY id",
                                          [shift_id, duress])]


def pressers(db: Database, sos_id: int) -> list[str]:
    """Everyone who pressed this SOS (the first, then whoever pressed again while it was open)."""
    return [r["channel"] for r in db.query(
        "SELECT channel FROM notifications WHERE key >= ? AND key < ? ORDER BY id",
        [f"sos:{sos_id}:told:", f"sos:{sos_id}:told:\uffff"])]


def _member(db: Database, shift: Shift, user: str) -> bool:
    """The lead, a confirmed member, or someone checked in and not back (who withdrew or was replaced as lead)."""
    return user == shift.lead or user in team(db, shift.id)[0] or safety.is_out(db, shift.id, user)


def under_way(db: Database, shift: Shift, now: datetime, *, user: str | None = None) -> bool:
    """SOS works on a live night from its start (or its first check-in, at most an hour early) until the
    night is over (everyone accounted for), and at most SOS_AFTER_END after the end; for a `user`, only
    while they have not checked out themselves."""
    if shift.cancelled or now >= shift.ends_at + SOS_AFTER_END:
        return False
    state = safety.get_state(db, shift.id, now=now)
    if state.over or (state.night and state.night.status == "not_held"):
        return False
    mine = state.member(user) if user else None
    if mine and (mine.checked_out_at or mine.absent):
        return False
    return state.checked_in_at is not None or now >= shift.starts_at


def shifts_under_way(store: Store, *, user: str, now: datetime, watched_only: bool = True) -> list[Shift]:
    """The shifts a person leads or is confirmed on where their SOS works now, latest start first
    (`watched_only`: the SOS button's; a typed SOS is sent for an unwatched shift too)."""
    with store.read() as db:
        ids = [r["id"] for r in db.query(
            "SELECT id FROM shifts s WHERE s.status = 'planned' AND s.starts_at <= ? AND s.ends_at > ? "
            "AND (s.lead = ? OR EXISTS (SELECT 1 FROM signups u WHERE u.shift_id = s.id AND u.user_id = ? "
            "AND u.status = 'confirmed') OR EXISTS (SELECT 1 FROM member_checkins m WHERE m.shift_id = s.id "
            "AND m.user_id = ? AND m.checked_in_at IS NOT NULL AND m.checked_out_at IS NULL AND NOT m.absent)) "
            "ORDER BY s.starts_at DESC, s.id DESC",
            [iso(now + safety.EARLY_CHECKIN), iso(now - SOS_AFTER_END), user, user, user])]
        found = [get_shift(db, i) for i in ids]
        return [s for s in found if s is not None and (s.safety_net or not watched_only)
                and under_way(db, s, now, user=user)]


def open_sos(db: Database, shift_id: int) -> Sos | None:
    """The shift's SOS no coordinator has taken on yet, if any (never a duress SOS: the team sees this one)."""
    row = next(db.query("SELECT * FROM sos WHERE shift_id = ? AND acked_at IS NULL AND NOT duress ORDER BY id DESC "
                        "LIMIT 1",
                        [shift_id]), None)
    return _sos(row) if row else None


def open_all(store: Store, *, now: datetime, limit: int = 5) -> tuple[int, list[Sos]]:
    """Every SOS no coordinator has taken on yet (as long as it repeats), oldest first: the total and the first ones."""
    since = iso(now - SOS_AFTER_END - timedelta(days=1))  # the window repeat_due keeps repeating them in
    with store.read() as db:
        total = db.execute("SELECT count(*) FROM sos WHERE acked_at IS NULL AND pressed_at > ?", [since]).fetchone()[0]
        rows = db.query("SELECT * FROM sos WHERE acked_at IS NULL AND pressed_at > ? ORDER BY pressed_at, id LIMIT ?",
                        [since, limit])
        return total, [_sos(r) for r in rows]


def _short(request_key: str) -> str:
    return hashlib.sha256(request_key.encode()).hexdigest()[:16]


def press(
    store: Store, *, shift_id: int, user: str, request_key: str, channel: str | None, coordinators: list[str],
    typed: bool = False, texted: list[str] | None = None, call_after: timedelta | None = None,
) -> tuple[Outcome, Sos | None, Shift | None]:
    """A member presses SOS: write it with its post and DMs (once per `request_key`); `texted`: the people
    it also goes to by SMS at once, and by call after `call_after` (outreach/phones.py).

    `again` when the shift's SOS was still open: the press goes in its thread and the person is told.
    A `typed` SOS is never refused for the night's state: from an hour before the start to
    SOS_AFTER_END after the end, on any shift of the person's, it is sent.
    """
    now = store.clock()
    with store.write() as db:
        seen = next(db.query("SELECT * FROM sos WHERE request_key = ?", [request_key]), None)
        if seen:  # the same request again (a job run twice, a Slack retry): what it did the first time
            return "done", _sos(seen), get_shift(db, seen["shift_id"])
        shift = get_shift(db, shift_id)
        if shift is None:
            return "not_found", None, None
        if not _member(db, shift, user):
            return "not_on_team", None, shift
        if not under_way(db, shift, now, user=None if typed else user) and not (
                typed and shift.starts_at - safety.EARLY_CHECKIN <= now < shift.ends_at + SOS_AFTER_END):
            return "not_under_way", None, shift
        current = open_sos(db, shift_id)
        if current is not None:
            context = {"shift_id": shift_id, "sos_id": current.id}
            if channel:
                outbox.enqueue(db, key=f"sos:{current.id}:again:{_short(request_key)}", channel=channel,
                               template="sos/again", context=dict(context, by=user, at=iso(now)), due_at=now,
                               now=now, parent=post_key(current.id), mode="reply")
            if not outbox.enqueue(db, key=told_key(current.id, user), channel=user, template="sos/told",
                                  context=context, due_at=now, now=now):  # pressed again: the DM shown again
                outbox.enqueue_update(db, parent=told_key(current.id, user),
                                      key=f"update:{told_key(current.id, user)}:again:{_short(request_key)}", now=now)
            store.audit(db, actor=user, action="sos.again", subject=f"shift:{shift_id}", detail={"sos": current.id})
            return "again", current, shift
        sos_id = int(db.execute(
            "INSERT INTO sos (shift_id, pressed_by, pressed_at, request_key, repeats) VALUES (?, ?, ?, ?, 0)",
            [shift_id, user, iso(now), request_key]).lastrowid)
        incidents.ensure(db, shift_id, now=now)
        safety.record_step(db, shift_id, f"sos:{sos_id}", "pressed", 2, [user], now, by=user)
        context = {"shift_id": shift_id, "sos_id": sos_id}
        if channel:
            outbox.enqueue(db, key=post_key(sos_id), channel=channel, template="sos/alert", context=context,
                           due_at=now, now=now)
        for person in dict.fromkeys(coordinators):
            if person and person != user:
                outbox.enqueue(db, key=dm_key(sos_id, person), channel=person, template="sos/coordinator",
                               context=context, due_at=now, now=now)
        outbox.enqueue(db, key=told_key(sos_id, user), channel=user, template="sos/told", context=context,
                       due_at=now, now=now)
        if texted:
            phones.queue_sos(db, sos_id=sos_id, shift_id=shift_id, people=[p for p in texted if p != user], now=now,
                             call_after=call_after)
        store.audit(db, actor=user, action="sos.press", subject=f"shift:{shift_id}", detail={"sos": sos_id})
        return "done", get_sos(db, sos_id), shift


def _messages(db: Database, sos_id: int, template: str) -> list[str]:
    """Keys of an SOS's top-level messages of one template (its post, DMs), not its replies or rewrites."""
    return [r["key"] for r in db.query(
        "SELECT key FROM notifications WHERE key >= ? AND key < ? AND mode IS NULL AND template = ?",
        [f"sos:{sos_id}:", f"sos:{sos_id}:\uffff", template])]


def ack_sos(db: Database, store: Store, *, sos_id: int, user: str, now: datetime) -> bool:
    """Take one SOS on (inside the caller's transaction): record who and when, stop the repeats, rewrite
    the post and every DM in place, tell the rest of the team by DM; False when it was taken before."""
    current = get_sos(db, sos_id)
    if current is None or current.acked_at:
        return False
    db.execute("UPDATE sos SET acked_by = ?, acked_at = ? WHERE id = ?", [user, iso(now), sos_id])
    outbox.cancel_pending(db, key_prefix=f"sos:{sos_id}:repeat:", now=now)
    for key in [post_key(sos_id)] + [k for t in ("sos/coordinator", "sos/told") for k in _messages(db, sos_id, t)]:
        outbox.enqueue_update(db, parent=key, key=f"update:{key}:ack", now=now)
    shift = get_shift(db, current.shift_id)
    told = set(pressers(db, sos_id))
    if shift is not None and not current.duress:  # a duress SOS is never told to the team
        for member in dict.fromkeys([shift.lead, *team(db, shift.id)[0]]):
            if member and member not in told:
                outbox.enqueue(db, key=f"sos:{sos_id}:team:{member}", channel=member, template="sos/on_it",
                               context={"shift_id": shift.id, "sos_id": sos_id}, due_at=now, now=now)
    safety.record_step(db, current.shift_id, f"sos:{sos_id}", "ack", 0, [], now, by=user)
    store.audit(db, actor=user, action="sos.ack", subject=f"shift:{current.shift_id}", detail={"sos": sos_id})
    return True


def open_of_shift(db: Database, shift_id: int) -> list[int]:
    """The ids of the shift's SOS nobody took on yet."""
    return [r["id"] for r in db.query("SELECT id FROM sos WHERE shift_id = ? AND acked_at IS NULL", [shift_id])]


def repeat_due(store: Store, *, every: timedelta, channel: str | None) -> int:
    """Repeat each SOS nobody took on, once per `every` since it was pressed: a reply in its post's
    thread (in each coordinator's DM thread without a channel), the post rewritten with the count."""
    now = store.clock()
    queued = 0
    with store.write() as db:
        rows = [_sos(r) for r in db.query("SELECT * FROM sos WHERE acked_at IS NULL AND pressed_at > ?",
                                          [iso(now - SOS_AFTER_END - timedelta(days=1))])]
        for item in rows:
            rounds = int((now - item.pressed_at) / every)
            if rounds < 1:
                continue
            context = {"shift_id": item.shift_id, "sos_id": item.id, "round": rounds}
            repeated = False
            if channel and db.execute("SELECT 1 FROM notifications WHERE key = ?", [post_key(item.id)]).fetchone():
                top = post_key(item.id)
                if outbox.enqueue(db, key=f"sos:{item.id}:repeat:{rounds}", channel=channel, template="sos/repeat",
                                  context=context, due_at=now, now=now, parent=top, mode="reply"):
                    repeated = True
                    outbox.enqueue_update(db, parent=top, key=f"update:{top}:repeat:{rounds}", now=now)
            else:
                for key in _messages(db, item.id, "sos/coordinator"):
                    user = key.rsplit(":", 1)[1]
                    if outbox.enqueue(db, key=f"sos:{item.id}:repeat:{rounds}:dm:{user}", channel=user,
                                      template="sos/repeat", context=context, due_at=now, now=now, parent=key,
                                      mode="reply"):
                        repeated = True
            if repeated:
                queued += 1
                db.execute("UPDATE sos SET repeats = repeats + 1 WHERE id = ?", [item.id])
    return queued


def raise_duress(db: Database, store: Store, *, shift: Shift, user: str, now: datetime, channel: str | None,
                 coordinators: list[str], texted: list[str], call_after: timedelta | None) -> int | None:
    """A check-out with the duress word (inside its transaction): an SOS marked duress, by DM to every
    coordinator not on the shift's team (by SMS to those of `texted`), never to the team nor the person, and
    in the coordinators' channel only when no coordinator outside the team can be told. One per person while
    open; returns its id (None when they are not on the shift)."""
    if not _member(db, shift, user):
        return None
    seen = db.execute("SELECT id FROM sos WHERE shift_id = ? AND pressed_by = ? AND duress AND acked_at IS NULL",
                      [shift.id, user]).fetchone()
    if seen:
        return int(seen[0])
    sos_id = int(db.execute(
        "INSERT INTO sos (shift_id, pressed_by, pressed_at, request_key, repeats, duress) VALUES (?, ?, ?, ?, 0, 1)",
        [shift.id, user, iso(now), f"duress:{shift.id}:{user}:{iso(now)}"]).lastrowid)
    incidents.ensure(db, shift.id, now=now)
    safety.record_step(db, shift.id, f"sos:{sos_id}", "duress", 2, [user], now, by=user)
    context = {"shift_id": shift.id, "sos_id": sos_id}
    team_ = set(safety.roster(db, shift)) | {user}
    told = [p for p in dict.fromkeys(coordinators) if p and p not in team_]
    for person in told:
        outbox.enqueue(db, key=dm_key(sos_id, person), channel=person, template="sos/coordinator", context=context,
                       due_at=now, now=now)
    if not told and channel:
        outbox.enqueue(db, key=post_key(sos_id), channel=channel, template="sos/alert", context=context,
                       due_at=now, now=now)
    phones.queue_sos(db, sos_id=sos_id, shift_id=shift.id, people=[p for p in texted if p not in team_], now=now,
                     call_after=call_after)
    store.audit(db, actor=user, action="sos.duress", subject=f"shift:{shift.id}", detail={"sos": sos_id})
    return sos_id
