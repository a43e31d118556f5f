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
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from outreach.store import Store, from_iso, iso

CLAIM_TIMEOUT = timedelta(minutes=2)
MAX_ATTEMPTS = 5
MODES = ("reply", "update")


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
        "INSERT INTO notifications (key, channel, template, context, created_at, due_at, attempts, parent, mode) "
        "VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT(key) DO NOTHING",
        [key, channel, template, json.dumps(context, sort_keys=True), iso(now), iso(due_at), parent, mode],
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


def claim_due(store: Store, *, now: datetime, limit: int = 100) -> list[Notification]:
    """Claim unsent notifications that are due, under a new token, so no other sender sends them too."""
    token = uuid.uuid4().hex
    stale = iso(now - CLAIM_TIMEOUT)
    with store.write() as db:
        rows = list(
            db.query(
                "UPDATE notifications SET claimed_at = ?, claimed_by = ?, attempts = attempts + 1 "
                "WHERE id IN (SELECT n.id FROM notifications n WHERE n.sent_at IS NULL AND n.due_at <= ? "
                "AND n.attempts < ? AND (n.claimed_at IS NULL OR n.claimed_at < ?) AND (n.parent IS NULL OR "
                "NOT EXISTS (SELECT 1 FROM notifications p WHERE p.key = n.parent AND p.sent_at IS NULL)) "
                "ORDER BY n.due_at, n.id LIMIT ?) "
                "RETURNING id, key, channel, template, context, due_at, attempts, parent, mode",
                [iso(now), token, iso(now), MAX_ATTEMPTS, stale, limit],
            )
        )
    rows.sort(key=lambda r: (r["due_at"], r["id"]))
    return [
        Notification(
            id=r["id"], key=r["key"], channel=r["channel"], template=r["template"],
            context=json.loads(r["context"] or "{}"), due_at=from_iso(r["due_at"]), attempts=r["attempts"],
            token=token, parent=r["parent"], mode=r["mode"],
        )
        for r in rows
    ]


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


def cancel_pending(db: Database, *, key_prefix: str, now: datetime) -> int:
    """Skip every unsent notification whose key starts with the prefix (inside a transaction)."""
    cursor = db.execute(
        "UPDATE notifications SET sent_at = ?, error = 'skipped: superseded' "
        "WHERE sent_at IS NULL AND key LIKE ? ESCAPE '\\'",
        [iso(now), key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"],
    )
    return cursor.rowcount
