"""Drills: "Test the net" runs the whole alert chain to chosen people, marked TEST, and measures it.

A coordinator picks people and paths (the coordinators' channel, DMs, SMS, calls); the drill is written
with every message it sends in one transaction (the outbox): a post in the channel, a DM with "I'm on
it" to each person, an SMS to each verified alert phone at once, and calls after `call_after` (the first
at once when calls are the only path) and CALL_AGAIN later, as an SOS does. Each person takes it for
themselves (in Slack, a reply "1", 1 pressed in a call); their own SMS and calls still to come are
cancelled. What each was sent and when, and how long each took to take it, is read from the outbox and
`drill_people` (`report`), and shown in the drill's thread and in a DM to its starter, rewritten in place
as answers come. WINDOW after the start the drill is over: whoever did not take it is "not reached".

A drill is no incident: it has its own tables and keys, and touches no shift, SOS, escalation, incident
or safety step, so no report, hours, safety figure or App Home alert counts it; it pages nobody but the
chosen people (the channel post names them, with no @channel).

The coordinators are reminded (`remind_due`) once per REMIND_EVERY without a drill, where the safety net
is in use (watched shifts).

Outbox keys:
  drill:<id>:post                  the post in the coordinators' channel
  drill:<id>:list                  the list of who was reached, in the post's thread
  drill:<id>:report                the same list, by DM to whoever started it
  drill:<id>:dm:<user>             a person's DM with "I'm on it"
  drill:<id>:sms:<user>            an SMS (channel sms:<user>)
  drill:<id>:call:<round>:<user>   a call (channel call:<user>), rounds 1 and 2
  drill:remind:<anchor>:<n>        the reminder after n periods without a drill (a `:<user>` DM each without a channel)
  update:<key>:<why>               a message rewritten in place
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlite_utils import Database

from outreach import outbox, phones
from outreach.store import Store, from_iso, iso

WINDOW = timedelta(minutes=10)  # unanswered this long after the start: "not reached"
REMIND_EVERY = timedelta(days=30)
PATHS = ("channel", "dm", "sms", "call")
HOW = ("channel", "dm", "sms", "call")
LIMIT = 20  # people in one drill (each a line of its list)

Taken = Literal["taken", "already", "not_in_drill", "over", "not_found"]


@dataclass(frozen=True)
class Attempt:
    """One message of a drill to a person: its path, and whether and when it was delivered."""

    path: str  # dm, sms, call
    state: str  # "sent", "waiting", "failed", "not_needed"
    at: datetime | None = None
    round: int = 0


@dataclass(frozen=True)
class Person:
    """A person a drill went to: when and how they took it, and what they were sent."""

    user: str
    taken_at: datetime | None = None
    taken_how: str | None = None
    attempts: tuple[Attempt, ...] = ()
    no_phone: bool = False

    def after(self, started_at: datetime) -> timedelta | None:
        """How long they took to take it."""
        return self.taken_at - started_at if self.taken_at else None


@dataclass(frozen=True)
class Drill:
    """A drill: who started it, when, by which paths, whether it is over, and its people."""

    id: int
    started_by: str
    started_at: datetime
    paths: tuple[str, ...]
    ended_at: datetime | None = None
    people: tuple[Person, ...] = field(default_factory=tuple)
    posted_at: datetime | None = None

    @property
    def over(self) -> bool:
        """The drill ended (everyone took it, or its window passed)."""
        return self.ended_at is not None

    @property
    def ends_at(self) -> datetime:
        """When the window closes."""
        return self.started_at + WINDOW

    def person(self, user: str) -> Person | None:
        """One person of the drill."""
        return next((p for p in self.people if p.user == user), None)


def post_key(drill_id: int) -> str:
    """The outbox key of a drill's post in the coordinators' channel."""
    return f"drill:{drill_id}:post"


def dm_key(drill_id: int, user: str) -> str:
    """The outbox key of a person's DM about a drill."""
    return f"drill:{drill_id}:dm:{user}"


def list_keys(drill_id: int) -> tuple[str, str]:
    """The outbox keys of the drill's list: in the post's thread, and the starter's DM."""
    return f"drill:{drill_id}:list", f"drill:{drill_id}:report"


def _attempt(row: dict) -> tuple[str, Attempt]:
    """(user, attempt) from one of the drill's outbox rows to a person."""
    parts = row["key"].split(":")  # drill <id> dm|sms <user>  /  drill <id> call <round> <user>
    path, user = parts[2], parts[-1]
    if row["sent_at"] is None:
        state = "waiting"
    elif row["ts"] is not None:
        state = "sent"
    elif str(row["error"] or "").startswith(("skipped: taken", "skipped: superseded", "skipped: drill over")):
        state = "not_needed"
    else:
        state = "failed"
    at = from_iso(row["sent_at"]) if state == "sent" else None
    return user, Attempt(path=path, state=state, at=at, round=int(parts[3]) if path == "call" else 0)


def get(db: Database, drill_id: int) -> Drill | None:
    """A drill with its people and what each was sent, from the tables."""
    row = next(db.query("SELECT * FROM drills WHERE id = ?", [drill_id]), None)
    if row is None:
        return None
    attempts: dict[str, list[Attempt]] = {}
    posted_at = None
    for r in db.query("SELECT key, sent_at, ts, error FROM notifications WHERE key >= ? AND key < ? AND mode IS NULL "
                      "ORDER BY id", [f"drill:{drill_id}:", f"drill:{drill_id}:\uffff"]):
        kind = r["key"].split(":")[2]
        if kind == "post" and r["sent_at"] and r["ts"]:
            posted_at = from_iso(r["sent_at"])
        if kind in ("dm", "sms", "call"):
            user, attempt = _attempt(r)
            attempts.setdefault(user, []).append(attempt)
    paths = tuple(p for p in row["paths"].split(",") if p)
    people = tuple(
        Person(user=p["user_id"], taken_at=from_iso(p["taken_at"]) if p["taken_at"] else None,
               taken_how=p["taken_how"], attempts=tuple(attempts.get(p["user_id"], [])),
               no_phone=bool({"sms", "call"} & set(paths)) and not any(
                   a.path in ("sms", "call") for a in attempts.get(p["user_id"], [])))
        for p in db.query("SELECT * FROM drill_people WHERE drill_id = ? ORDER BY rowid", [drill_id]))
    return Drill(id=row["id"], started_by=row["started_by"], started_at=from_iso(row["started_at"]), paths=paths,
                 ended_at=from_iso(row["ended_at"]) if row["ended_at"] else None, people=people, posted_at=posted_at)


def load(store: Store, drill_id: int) -> Drill | None:
    """A drill, read through the store."""
    with store.read() as db:
        return get(db, drill_id)


def latest(store: Store) -> Drill | None:
    """The newest drill, if any."""
    with store.read() as db:
        row = db.execute("SELECT max(id) FROM drills").fetchone()
        return get(db, row[0]) if row and row[0] else None


def start(
    store: Store, *, by: str, people: list[str], paths: list[str], channel: str | None, request_key: str | None,
    texts: bool, call_after: timedelta | None,
) -> Drill:
    """Write a drill and every message it sends, in one transaction (once per `request_key`).

    `channel`: the coordinators' channel (None: no post); `texts`: SMS can be sent (Twilio is set up);
    `call_after`: when the first call goes after the start (None: calls cannot be made).
    """
    now = store.clock()
    chosen = [p for p in PATHS if p in paths and (p != "channel" or channel) and (p != "sms" or texts)
              and (p != "call" or call_after is not None)]
    people = list(dict.fromkeys(p for p in people if p))[:LIMIT]
    with store.write() as db:
        if request_key:
            seen = db.execute("SELECT id FROM drills WHERE request_key = ?", [request_key]).fetchone()
            if seen:
                found = get(db, seen[0])
                assert found is not None
                return found
        drill_id = int(db.execute(
            "INSERT INTO drills (started_by, started_at, paths, request_key) VALUES (?, ?, ?, ?)",
            [by, iso(now), ",".join(chosen), request_key]).lastrowid)
        for person in people:
            db.execute("INSERT INTO drill_people (drill_id, user_id) VALUES (?, ?)", [drill_id, person])
        context = {"drill_id": drill_id}
        thread, report = list_keys(drill_id)
        if "channel" in chosen and channel:
            outbox.enqueue(db, key=post_key(drill_id), channel=channel, template="drill/post", context=context,
                           due_at=now, now=now)
            outbox.enqueue(db, key=thread, channel=channel, template="drill/list", context=context, due_at=now,
                           now=now, parent=post_key(drill_id), mode="reply")
        outbox.enqueue(db, key=report, channel=by, template="drill/list", context=context, due_at=now, now=now)
        if "dm" in chosen:
            for person in people:
                outbox.enqueue(db, key=dm_key(drill_id, person), channel=person, template="drill/dm",
                               context=dict(context, user=person), due_at=now, now=now)
        phoned = phones.verified(db, people) if {"sms", "call"} & set(chosen) else []
        first_call = (now if chosen == ["call"] else now + (call_after or timedelta(0)))
        for person in phoned:
            mine = dict(context, user=person)
            if "sms" in chosen:
                outbox.enqueue(db, key=f"drill:{drill_id}:sms:{person}", channel=f"sms:{person}", template="drill/sms",
                               context=mine, due_at=now, now=now)
            if "call" in chosen:
                for number, due in ((1, first_call), (2, first_call + phones.CALL_AGAIN)):
                    outbox.enqueue(db, key=f"drill:{drill_id}:call:{number}:{person}", channel=f"call:{person}",
                                   template="drill/call", context=dict(mine, round=number), due_at=due, now=now)
        store.audit(db, actor=by, action="drill.start", subject=f"drill:{drill_id}",
                    detail={"people": len(people), "paths": chosen})
        found = get(db, drill_id)
        assert found is not None
        return found


def _refresh(db: Database, drill_id: int, *, why: str, now: datetime, people: list[str]) -> None:
    """Rewrite in place the drill's post, its lists, and the DMs of `people`."""
    keys = [post_key(drill_id), *list_keys(drill_id), *(dm_key(drill_id, p) for p in people)]
    for key in keys:
        outbox.enqueue_update(db, parent=key, key=f"update:{key}:{why}", now=now)


def _stop_phones(db: Database, drill_id: int, *, users: list[str] | None, now: datetime, why: str) -> int:
    """Skip the drill's SMS and calls not yet sent (to `users`, or to everyone)."""
    rows = [r for r in db.query(
        "SELECT id, key FROM notifications WHERE key >= ? AND key < ? AND sent_at IS NULL AND mode IS NULL",
        [f"drill:{drill_id}:", f"drill:{drill_id}:\uffff"]) if r["key"].split(":")[2] in ("sms", "call")
        and (users is None or r["key"].split(":")[-1] in users)]
    for r in rows:
        db.execute("UPDATE notifications SET sent_at = ?, error = ? WHERE id = ? AND sent_at IS NULL",
                   [iso(now), f"skipped: {why}", r["id"]])
    return len(rows)


def take(store: Store, *, drill_id: int, user: str, how: str) -> tuple[Taken, Drill | None]:
    """A person takes the drill (as "I'm on it" would an alarm): recorded with how and when, their own SMS
    and calls still to come cancelled, the messages rewritten; the drill ends when everyone took it."""
    now = store.clock()
    with store.write() as db:
        drill = get(db, drill_id)
        if drill is None:
            return "not_found", None
        person = drill.person(user)
        if person is None:
            return "not_in_drill", drill
        if person.taken_at is not None:
            return "already", drill
        if drill.over:
            return "over", drill
        db.execute("UPDATE drill_people SET taken_at = ?, taken_how = ? WHERE drill_id = ? AND user_id = ? "
                   "AND taken_at IS NULL", [iso(now), how if how in HOW else "dm", drill_id, user])
        _stop_phones(db, drill_id, users=[user], now=now, why="taken")
        if db.execute("SELECT count(*) FROM drill_people WHERE drill_id = ? AND taken_at IS NULL",
                      [drill_id]).fetchone()[0] == 0:
            db.execute("UPDATE drills SET ended_at = ? WHERE id = ? AND ended_at IS NULL", [iso(now), drill_id])
        _refresh(db, drill_id, why=f"taken:{user}", now=now, people=[user])
        store.audit(db, actor=user, action="drill.take", subject=f"drill:{drill_id}", detail={"how": how})
        return "taken", get(db, drill_id)


def close_due(store: Store) -> int:
    """End every drill whose window has passed: those who did not take it are "not reached"; their SMS and
    calls still to come are cancelled, and every message is rewritten. Returns how many ended."""
    now = store.clock()
    ended = 0
    with store.read() as db:  # every tick: a look first, the write lock only when a drill ends
        if not db.execute("SELECT 1 FROM drills WHERE ended_at IS NULL AND started_at <= ?",
                          [iso(now - WINDOW)]).fetchone():
            return 0
    with store.write() as db:
        for (drill_id,) in db.execute("SELECT id FROM drills WHERE ended_at IS NULL AND started_at <= ?",
                                      [iso(now - WINDOW)]).fetchall():
            db.execute("UPDATE drills SET ended_at = ? WHERE id = ?", [iso(now), drill_id])
            _stop_phones(db, drill_id, users=None, now=now, why="drill over")
            waiting = [r[0] for r in db.execute(
                "SELECT user_id FROM drill_people WHERE drill_id = ? AND taken_at IS NULL", [drill_id])]
            _refresh(db, drill_id, why="over", now=now, people=waiting)
            ended += 1
    return ended


def is_open(db: Database, drill_id: int, user: str) -> bool:
    """Whether this person may still take the drill (it is under way and they have not)."""
    return db.execute("SELECT 1 FROM drills d JOIN drill_people p ON p.drill_id = d.id WHERE d.id = ? "
                      "AND p.user_id = ? AND d.ended_at IS NULL AND p.taken_at IS NULL", [drill_id, user]).fetchone() \
        is not None


def open_for_phone(db: Database, user: str) -> int | None:
    """The newest drill under way this person was texted or called about and has not taken yet."""
    for (key,) in db.execute(
            "SELECT key FROM notifications WHERE channel IN (?, ?) AND key LIKE 'drill:%' AND ts IS NOT NULL "
            "ORDER BY id DESC", [f"sms:{user}", f"call:{user}"]).fetchall():
        drill_id = int(key.split(":")[1])
        if is_open(db, drill_id, user):
            return drill_id
    return None


def call_of(db: Database, sid: str) -> tuple[int, str] | None:
    """The drill and member of a call the bot placed for a drill, by Twilio's CallSid."""
    row = next(db.query("SELECT channel, context FROM notifications WHERE ts = ? AND channel LIKE 'call:%' "
                        "AND key LIKE 'drill:%'", [sid]), None)
    if row is None:
        return None
    return int(json.loads(row["context"])["drill_id"]), row["channel"].split(":", 1)[1]


# ---------------------------------------------------------------- the reminder


def in_use(db: Database, *, now: datetime) -> bool:
    """The safety net is in use: a watched shift ended within the last REMIND_EVERY, or is still to come."""
    return db.execute("SELECT 1 FROM shifts WHERE safety_net = 1 AND status = 'planned' AND ends_at > ? LIMIT 1",
                      [iso(now - REMIND_EVERY)]).fetchone() is not None


def remind_due(store: Store, *, channel: str | None, coordinators: list[str]) -> bool:
    """Remind the coordinators once per REMIND_EVERY without a drill (counted from the last drill, or from
    the first watched shift), where the safety net is in use; True when a reminder was queued now."""
    now = store.clock()
    with store.read() as db:  # every tick: reads only, until a reminder is due
        last = db.execute("SELECT max(started_at) FROM drills").fetchone()[0]
        if (last and now - from_iso(last) < REMIND_EVERY) or not in_use(db, now=now):
            return False
        anchor = last or db.execute("SELECT min(created_at) FROM shifts WHERE safety_net = 1").fetchone()[0]
        if not anchor or now - from_iso(anchor) < REMIND_EVERY:
            return False
        periods = int((now - from_iso(anchor)) / REMIND_EVERY)
        key = f"drill:remind:{anchor}:{periods}"
        if db.execute("SELECT 1 FROM notifications WHERE key = ? OR (key >= ? AND key < ?) LIMIT 1",
                      [key, f"{key}:", f"{key}:\uffff"]).fetchone():
            return False
    context = {"last": last, "days": (now - from_iso(anchor)).days}
    told = False
    with store.write() as db:
        for person in [None] if channel else list(dict.fromkeys(coordinators)):
            told |= outbox.enqueue(db, key=f"{key}:{person}" if person else key, channel=person or channel or "",
                                   template="drill/remind", context=context, due_at=now, now=now)
    return told
