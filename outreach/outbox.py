"""The notification outbox: every message the bot means to send, recorded before it is sent.

A notification is written in the same transaction as the change that causes it, under a unique
key, so it can neither be lost nor queued twice. Its words are rendered when it is sent, from a
template name and a small context, so a message always describes the shift as it is then.

A sender claims rows with a token of its own (one per claim). A claim older than CLAIM_TIMEOUT may
be taken over by another sender; from then on the first sender's token no longer matches, so it can
neither mark the row nor, having checked its claim just before posting (`renew`), send it.
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


def enqueue(
    db: Database, *, key: str, channel: str, template: str, context: dict,
    due_at: datetime, now: datetime,
) -> bool:
    """Queue a notification inside the caller's transaction; False when the key was queued before."""
    cursor = db.execute(
        "INSERT INTO notifications (key, channel, template, context, created_at, due_at, attempts) "
        "VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT(key) DO NOTHING",
        [key, channel, template, json.dumps(context, sort_keys=True), iso(now), iso(due_at)],
    )
    return cursor.rowcount == 1


def claim_due(store: Store, *, now: datetime, limit: int = 100) -> list[Notification]:
    """Claim unsent notifications that are due, under a new token, so no other sender sends them too."""
    token = uuid.uuid4().hex
    stale = iso(now - CLAIM_TIMEOUT)
    with store.write() as db:
        rows = list(
            db.query(
                "UPDATE notifications SET claimed_at = ?, claimed_by = ?, attempts = attempts + 1 "
                "WHERE id IN (SELECT id FROM notifications WHERE sent_at IS NULL AND due_at <= ? "
                "AND attempts < ? AND (claimed_at IS NULL OR claimed_at < ?) ORDER BY due_at, id LIMIT ?) "
                "RETURNING id, key, channel, template, context, due_at, attempts",
                [iso(now), token, iso(now), MAX_ATTEMPTS, stale, limit],
            )
        )
    rows.sort(key=lambda r: (r["due_at"], r["id"]))
    return [
        Notification(
            id=r["id"], key=r["key"], channel=r["channel"], template=r["template"],
            context=json.loads(r["context"] or "{}"), due_at=from_iso(r["due_at"]), attempts=r["attempts"],
            token=token,
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


def mark_sent(store: Store, note: Notification, *, now: datetime, ts: str | None) -> bool:
    """Record that a notification reached Slack; False when the claim was no longer this sender's."""
    with store.write() as db:
        return db.execute(
            "UPDATE notifications SET sent_at = ?, ts = ?, error = NULL, claimed_at = NULL "
            "WHERE id = ? AND claimed_by = ? AND sent_at IS NULL",
            [iso(now), ts, note.id, note.token],
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
