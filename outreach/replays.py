"""Requests acted on once: a form submitted twice (a resend after a slow answer) changes nothing more.

A save function takes the request's key (for a form: its view id, callback id and hash, handlers/blocks.py
`submission_key`) and, inside its own write transaction, first asks `seen` (a replay: do nothing, send nothing), then checks what it must check,
and `record`s the key together with the change it writes, so a refused submission can be corrected
and sent again, and a saved one is never saved twice.
"""

from __future__ import annotations

from sqlite_utils import Database

from outreach.store import Store


def seen(db: Database, key: str | None) -> bool:
    """True when a request with this key was acted on before (inside the caller's transaction)."""
    if not key:
        return False
    return db.execute("SELECT 1 FROM seen_requests WHERE key = ?", [key]).fetchone() is not None


def record(store: Store, db: Database, key: str | None) -> bool:
    """Record the key with the change being written; False when it was recorded before."""
    return store.first_time(db, key) if key else True
