"""The notification outbox: every message the bot means to send, recorded before it is sent.

A notification is written in the same transaction as the change that causes it, under a unique
key, so it can neither be lost nor queued twice. Its words are rendered when it is sent, from a
template name and a small context, so a message always describes the shift as it is then.

A sender claims rows with a token of its own (one per claim). A claim older than CLAIM_TIMEOUT may
be taken over by another sender; from then on the first sender's token no longer matches, so it can
neither mark the row nor, having checked its claim just before posting (`renew`), send it.

A notification may follow another one (`parent`, by key): `mode` "reply" posts in the parent's
thread, "update" rewrites the parent message in place (chat.update). Such a row is not claimed while
its parent is unsent, so a reply never overtakes the message it answers, across restarts too; once
the parent is sent (its channel and ts recorded by `mark_sent`) the row goes, and if the parent was
skipped instead, the row is skipped with it.

Safety comes first and is never given up. A row's `priority` is set from its template when it is
queued: 0 for safety (URGENT: SOS, the night's safety, the health alarm, the bot's own "cannot reach"
notices), 1 for the rest; `claim_due` takes priority 0 first, and retries a safety row after a passing
error for as long as it takes (`retry_at`: at most RETRY_MAX apart), where an ordinary row is given up
after MAX_ATTEMPTS. A row that can no longer go where it was meant to (its channel unreachable) is
`move`d: copies go to people instead (or it joins a DM they already have), recorded in `fallbacks`, and
what follows it (replies, rewrites) goes after those copies.

After an outage many rows of one kind may be due at once where only the newest is worth sending:
the repeats in one thread (REPEATS) and the rewrites of one message (they all render the message as
it is now). Such rows share a `collapse` group; when one is claimed while a newer row of its group is
due, the older ones are skipped.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from outreach.store import Store, from_iso, iso

CLAIM_TIMEOUT = timedelta(minutes=2)
MAX_ATTEMPTS = 5  # for ordinary rows; a safety row is tried until it is sent or made moot
MODES = ("reply", "update")
# Templates whose rows are safety messages (priority 0): claimed first, never given up.
URGENT = ("sos/", "safety/", "health/", "reach/")
# Repeats in a thread: after an outage only the newest due one of a thread is sent.
REPEATS = ("sos/repeat", "safety/alert_repeat")
# A safety row that failed is tried again after 2, 4, 8... seconds, at most this far apart.
RETRY_MAX = timedelta(seconds=10)
MOVED = "moved: "


def priority_of(template: str) -> int:
    """0 for a safety message (claimed first, never given up), 1 for any other."""
    return 0 if template.startswith(URGENT) else 1


def collapse_of(*, template: str, parent: str | None, mode: str | None) -> str | None:
    """The group of rows of which only the newest due one is sent: a thread's repeats, a message's rewrites."""
    if mode == "update":
        return f"update>{parent}"
    if mode == "reply" and template in REPEATS:
        return f"reply>{parent}>{template}"
    return None


def retry_at(note: Notification, now: datetime) -> datetime | None:
    """When to try a row again after a passing error; None when an ordinary row is given up."""
    if note.priority == 0:
        return now + min(timedelta(seconds=2 ** min(note.attempts, 10)), RETRY_MAX)
    if note.attempts >= MAX_ATTEMPTS:
        return None
    return now + timedelta(minutes=note.attempts)


@dataclass(frozen=True)
class Notification:
    """One message to send: to whom, with which template and context, when."""

    id: int
    key: str
    channel: str
    template: str
    context: dict
    due_at: datetime
    attempts: int
    token: str
    parent: str | None = None
    mode: str | None = None
    priority: int = 1

    @property
    def urgent(self) -> bool:
        """A safety message: claimed first, retried until sent or made moot."""
        return self.priority == 0


@dataclass(frozen=True)
class Posted:
    """Where a sent notification's message is: its channel (a DM's D... id once known) and ts."""

    channel: str
    ts: str


def enqueue(
    db: Database, *, key: str, channel: str, template: str, context: dict,
    due_at: datetime, now: datetime, parent: str | None = None, mode: str | None = None,
) -> bool:
    """Queue a notification inside the caller's transaction; False when the key was queued before.

    With `parent` (another notification's key) and `mode` ("reply" or "update"), it is sent in that
    message's thread or as an edit of it, once the parent is sent.
    """
    if (parent is None) != (mode is None) or (mode is not None and mode not in MODES):
        raise ValueError("a follow-up needs both a parent and a mode (reply or update)")
    cursor = db.execute(
        "INSERT INTO notifications (key, channel, template, context, created_at, due_at, first_due, attempts, parent, "
        "mode, priority, collapse) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
        [key, channel, template, json.dumps(context, sort_keys=True), iso(now), iso(due_at), iso(due_at), parent, mode,
         priority_of(template), collapse_of(template=template, parent=parent, mode=mode)],
    )
    return cursor.rowcount == 1


def enqueue_update(db: Database, *, parent: str, key: str, now: datetime) -> bool:
    """Queue a rewrite of a notification's message in place, worded by its own template as things are then.

    False (nothing queued) when the parent is unknown, was skipped, or the key was queued before.
    """
    row = next(db.query("SELECT channel, template, context, sent_at, ts FROM notifications WHERE key = ?",
                        [parent]), None)
    if row is None or (row["sent_at"] is not None and row["ts"] is None):
        return False
    return enqueue(db, key=key, channel=row["channel"], template=row["template"],
                   context=json.loads(row["context"] or "{}"), due_at=now, now=now, parent=parent, mode="update")


def posted(db: Database, key: str) -> Posted | None:
    """Where the message of a sent notification is (None when it is unknown, unsent or was skipped)."""
    row = next(db.query("SELECT channel, sent_channel, ts FROM notifications WHERE key = ? AND sent_at IS NOT NULL "
                        "AND ts IS NOT NULL", [key]), None)
    return Posted(channel=row["sent_channel"] or row["channel"], ts=row["ts"]) if row else None


def claim_due(store: Store, *, now: datetime, limit: int = 100, urgent: bool = False,
              prefix: str | None = None) -> list[Notification]:
    """Claim unsent notifications that are due, safety ones first, under a new token, so no other sender
    sends them too (`urgent`: safety ones only; `prefix`: only keys that start with it).

    Rows of a collapse group with a newer due row in the same group are skipped first (see the module).
    """
    token = uuid.uuid4().hex
    stale = iso(now - CLAIM_TIMEOUT)
    only = (" AND n.priority = 0" if urgent else "") + (" AND n.key >= ? AND n.key < ?" if prefix else "")
    extra = [prefix, prefix + "\uffff"] if prefix else []
    with store.write() as db:
        db.execute(
            "UPDATE notifications SET sent_at = ?, error = 'skipped: a newer one is due' WHERE id IN "
            "(SELECT o.id FROM notifications o WHERE o.sent_at IS NULL AND o.collapse IS NOT NULL AND o.due_at <= ? "
            "AND (o.claimed_at IS NULL OR o.claimed_at < ?) AND EXISTS (SELECT 1 FROM notifications n "
            "WHERE n.collapse = o.collapse AND n.sent_at IS NULL AND n.id > o.id AND n.due_at <= ?))",
            [iso(now), iso(now), stale, iso(now)],
        )
        rows = list(
            db.query(
                "UPDATE notifications SET claimed_at = ?, claimed_by = ?, attempts = attempts + 1 "
                "WHERE id IN (SELECT n.id FROM notifications n WHERE n.sent_at IS NULL AND n.due_at <= ? "
                "AND (n.priority = 0 OR n.attempts < ?) AND (n.claimed_at IS NULL OR n.claimed_at < ?) "
                "AND (n.parent IS NULL OR NOT EXISTS (SELECT 1 FROM notifications p WHERE p.key = n.parent "
                f"AND p.sent_at IS NULL)){only} ORDER BY n.priority, n.due_at, n.id LIMIT ?) "
                "RETURNING id, key, channel, template, context, due_at, attempts, parent, mode, priority",
                [iso(now), token, iso(now), MAX_ATTEMPTS, stale, *extra, limit],
            )
        )
    rows.sort(key=lambda r: (r["priority"], r["due_at"], r["id"]))
    return [
        Notification(
            id=r["id"], key=r["key"], channel=r["channel"], template=r["template"],
            context=json.loads(r["context"] or "{}"), due_at=from_iso(r["due_at"]), attempts=r["attempts"],
            token=token, parent=r["parent"], mode=r["mode"], priority=r["priority"],
        )
        for r in rows
    ]


def waiting(store: Store, *, prefix: str) -> bool:
    """Whether any unsent notification's key starts with the prefix (a read: no write lock for a look)."""
    with store.read() as db:
        return next(db.query("SELECT 1 FROM notifications WHERE key >= ? AND key < ? AND sent_at IS NULL LIMIT 1",
                             [prefix, prefix + "\uffff"]), None) is not None


def release(store: Store, notes: list[Notification]) -> int:
    """Give back claimed notifications that were not tried, so the next flush (or process) sends them.

    Only rows still held under each note's token are given back; return how many were.
    """
    released = 0
    with store.write() as db:
        for note in notes:
            released += db.execute(
                "UPDATE notifications SET claimed_at = NULL, claimed_by = NULL, attempts = attempts - 1 "
                "WHERE id = ? AND claimed_by = ? AND sent_at IS NULL",
                [note.id, note.token],
            ).rowcount
    return released


def renew(store: Store, note: Notification, *, now: datetime) -> bool:
    """Check, just before sending, that the claim is still this sender's, and restart its timeout.

    False when another sender took the row over (or it was sent or skipped meanwhile): do not send it.
    """
    with store.write() as db:
        return db.execute(
            "UPDATE notifications SET claimed_at = ? WHERE id = ? AND claimed_by = ? AND sent_at IS NULL",
            [iso(now), note.id, note.token],
        ).rowcount == 1


def mark_sent(store: Store, note: Notification, *, now: datetime, ts: str | None, channel: str | None = None) -> bool:
    """Record that a notification reached Slack, with where its message is (`channel`: the one Slack
    answered, a DM's D... id); False when the claim was no longer this sender's."""
    with store.write() as db:
        return db.execute(
            "UPDATE notifications SET sent_at = ?, ts = ?, sent_channel = ?, error = NULL, claimed_at = NULL "
            "WHERE id = ? AND claimed_by = ? AND sent_at IS NULL",
            [iso(now), ts, channel, note.id, note.token],
        ).rowcount == 1


def mark_skipped(store: Store, note: Notification, *, now: datetime, reason: str) -> bool:
    """Record that a notification is no longer meaningful and will never be sent (only under its claim)."""
    with store.write() as db:
        return db.execute(
            "UPDATE notifications SET sent_at = ?, error = ?, claimed_at = NULL "
            "WHERE id = ? AND claimed_by = ? AND sent_at IS NULL",
            [iso(now), f"skipped: {reason}", note.id, note.token],
        ).rowcount == 1


def mark_failed(store: Store, note: Notification, *, error: str, retry_at: datetime) -> bool:
    """Release a claim after a failed send so it is tried again at `retry_at` (only under its claim)."""
    with store.write() as db:
        return db.execute(
            "UPDATE notifications SET claimed_at = NULL, claimed_by = NULL, error = ?, due_at = ? "
            "WHERE id = ? AND claimed_by = ? AND sent_at IS NULL",
            [error[:500], iso(retry_at), note.id, note.token],
        ).rowcount == 1


def note_error(db: Database, note_id: int, error: str) -> None:
    """Record what went wrong after a notification was sent (a file upload that failed), for the operator."""
    db.execute("UPDATE notifications SET error = ? WHERE id = ?", [error, note_id])


def error_of(db: Database, note_id: int) -> str:
    """The error (or mark) recorded on a notification, "" when none."""
    row = db.execute("SELECT error FROM notifications WHERE id = ?", [note_id]).fetchone()
    return (row[0] if row else None) or ""


def mark_claimed(db: Database, note: Notification, mark: str) -> None:
    """Record a mark on a notification this sender still holds (like "sending: <when>" before a send)."""
    db.execute("UPDATE notifications SET error = ? WHERE id = ? AND claimed_by = ?", [mark, note.id, note.token])


def exists(db: Database, key: str) -> bool:
    """Whether a notification with this key was written."""
    return db.execute("SELECT 1 FROM notifications WHERE key = ?", [key]).fetchone() is not None


def sent_as(db: Database, ts: str) -> bool:
    """Whether a notification was recorded as sent under this message id (a Slack ts, a Twilio sid)."""
    return db.execute("SELECT 1 FROM notifications WHERE ts = ?", [ts]).fetchone() is not None


def stored_context(db: Database, note_id: int) -> dict:
    """A notification's context as stored now (a sender may have added to it since it was claimed)."""
    row = db.execute("SELECT context FROM notifications WHERE id = ?", [note_id]).fetchone()
    return json.loads(row[0] or "{}") if row else {}


def cancel_pending(db: Database, *, key_prefix: str, now: datetime) -> int:
    """Skip every unsent notification whose key starts with the prefix (inside a transaction)."""
    cursor = db.execute(
        "UPDATE notifications SET sent_at = ?, error = 'skipped: superseded' "
        "WHERE sent_at IS NULL AND key LIKE ? ESCAPE '\\'",
        [iso(now), key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"],
    )
    return cursor.rowcount


def moved(db: Database, key: str) -> bool:
    """Whether a notification was moved (its channel could not be reached): what follows it follows its copies."""
    row = next(db.query("SELECT error FROM notifications WHERE key = ?", [key]), None)
    return bool(row and str(row["error"] or "").startswith(MOVED))


def fallbacks(db: Database, key: str) -> list[tuple[str, str]]:
    """Where a moved notification went instead: (person, key of the DM it went in or joined)."""
    return [(r["user_id"], r["dm_key"]) for r in db.query(
        "SELECT user_id, dm_key FROM fallbacks WHERE key = ? ORDER BY rowid", [key])]


def move(store: Store, note: Notification, *, to: dict[str, str | None], now: datetime, reason: str) -> int:
    """Send a notification that cannot go where it was meant to to people instead (only under its claim).

    A top-level message goes to each person in `to` as a DM of its own (`<key>:to:<user>`, for a value
    None), or joins a DM about the same thing they already have (the value: that DM's key). What follows
    a moved message follows each of its copies (a rewrite leaves a joined DM alone: that DM has rewrites
    of its own). A reply to a message that was posted where it can no longer be replied to goes to the
    people in `to` like a top-level message (in the thread of the DM it joins); a rewrite of it, nowhere.
    Returns how many copies were queued.
    """
    queued = 0
    with store.write() as db:
        if not db.execute("UPDATE notifications SET sent_at = ?, error = ?, claimed_at = NULL "
                          "WHERE id = ? AND claimed_by = ? AND sent_at IS NULL",
                          [iso(now), f"{MOVED}{reason}"[:500], note.id, note.token]).rowcount:
            return 0
        places: list[tuple[str, str | None, str | None]] = []  # (person, parent of the copy or None, mode)
        if note.mode and moved(db, note.parent or ""):
            places = [(user, dm, note.mode) for user, dm in fallbacks(db, note.parent or "")
                      if note.mode == "reply" or dm.startswith(f"{note.parent}:to:")]
        elif note.mode != "update":
            places = [(user, joined, "reply" if joined and note.mode else None) for user, joined in to.items()]
        for user, parent, mode in places:
            target = f"{note.key}:to:{user}"
            if mode or parent is None:
                queued += enqueue(db, key=target, channel=user, template=note.template, context=note.context,
                                  due_at=now, now=now, parent=parent if mode else None, mode=mode)
            else:
                target = parent  # joins the DM the person has
            db.execute("INSERT INTO fallbacks (key, dm_key, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                       [note.key, target, user])
    return queued


def first_delivered(db: Database, *, key_prefix: str, templates: tuple[str, ...], not_to: str = "") -> datetime | None:
    """When Slack first accepted a top-level message under a key prefix, of these templates, to anyone
    but `not_to` (a copy of a moved message counts; a skipped or moved one does not); None before."""
    marks = ", ".join("?" for _ in templates)
    row = next(db.query(
        f"SELECT min(sent_at) AS at FROM notifications WHERE key >= ? AND key < ? AND template IN ({marks}) "
        "AND mode IS NULL AND sent_at IS NOT NULL AND ts IS NOT NULL AND channel != ?",
        [key_prefix, key_prefix + "\uffff", *templates, not_to]), None)
    return from_iso(row["at"]) if row and row["at"] else None


@dataclass(frozen=True)
class Backlog:
    """How late the outbox is: when its oldest unsent due row, and its oldest unsent safety row, first fell due."""

    oldest_due: datetime | None
    oldest_urgent: datetime | None


def backlog(store: Store, *, now: datetime, slack_only: bool = False) -> Backlog:
    """The outbox's oldest waiting rows (rows given up or waiting on a message never sent do not count;
    `slack_only`: nor the SMS and calls, which go through Twilio)."""
    live = ("sent_at IS NULL AND first_due <= ? AND (priority = 0 OR attempts < ?) AND (parent IS NULL OR NOT EXISTS "
            "(SELECT 1 FROM notifications p WHERE p.key = notifications.parent AND p.sent_at IS NOT NULL "
            "AND p.ts IS NULL AND p.error NOT LIKE 'moved:%'))")
    if slack_only:
        live += " AND channel NOT LIKE 'sms:%' AND channel NOT LIKE 'call:%'"
    with store.read() as db:
        urgent = db.execute(f"SELECT min(first_due) FROM notifications WHERE priority = 0 AND {live}",
                            [iso(now), MAX_ATTEMPTS]).fetchone()[0]
        oldest = db.execute(f"SELECT min(first_due) FROM notifications WHERE {live}",
                            [iso(now), MAX_ATTEMPTS]).fetchone()[0]
    return Backlog(oldest_due=from_iso(oldest) if oldest else None,
                   oldest_urgent=from_iso(urgent) if urgent else None)


def beat(store: Store, *, now: datetime, name: str = "timer") -> None:
    """Record that the timer (which sends the outbox) ran now."""
    with store.write() as db:
        db.execute("INSERT INTO beats (name, at) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET at = excluded.at",
                   [name, iso(now)])


def last_beat(store: Store, *, name: str = "timer") -> datetime | None:
    """When the timer last ran (None: never, in this database)."""
    with store.read() as db:
        row = next(db.query("SELECT at FROM beats WHERE name = ?", [name]), None)
    return from_iso(row["at"]) if row else None
