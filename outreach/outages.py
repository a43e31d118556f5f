"""When Slack messages are not going out: one episode at a time, and the admins texted once for it.

The health alarm (handlers/health.py) says when messages stopped going out (a safety message undelivered
more than 30 s, the oldest due one more than 2 minutes, the timer stopped). `begin` opens an episode
(a `slack_outages` row; one open at a time, so two processes, or a restart, open it once) and queues one
SMS to each admin with a verified alert phone; `end` closes it and texts the same admins once more. The SMS go through
the outbox's `sms:` path (Twilio), which does not need Slack.

Outbox keys:
  health:sms:<episode>:<admin>        "Slack messages are not going out since 01:12"
  health:sms-back:<episode>:<admin>   "Slack messages are going out again"
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlite_utils import Database

from outreach import outbox, phones
from outreach.store import Store, iso


def current(db: Database) -> dict | None:
    """The open episode, if any (its id, since when, when it was noticed)."""
    return next(db.query("SELECT * FROM slack_outages WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1"), None)


def is_open(store: Store) -> bool:
    """Whether an episode is open."""
    with store.read() as db:
        return current(db) is not None


def begin(store: Store, *, since: datetime, now: datetime, admins: Iterable[str]) -> bool:
    """Open an episode (unless one is open) and text each admin with a verified phone; True when opened now."""
    with store.write() as db:
        if current(db) is not None:
            return False
        episode = int(db.execute("INSERT INTO slack_outages (since, noticed_at) VALUES (?, ?)",
                                 [iso(since), iso(now)]).lastrowid)
        for admin in phones.verified(db, sorted(set(admins))):
            outbox.enqueue(db, key=f"health:sms:{episode}:{admin}", channel=f"sms:{admin}", template="health/sms",
                           context={"since": iso(since), "user": admin}, due_at=now, now=now)
        return True


def end(store: Store, *, now: datetime) -> bool:
    """Close the open episode and text each admin who was texted about it that it is over; True when closed now."""
    with store.write() as db:
        found = current(db)
        if found is None:
            return False
        db.execute("UPDATE slack_outages SET ended_at = ? WHERE id = ? AND ended_at IS NULL", [iso(now), found["id"]])
        texted = [r[0] for r in db.execute("SELECT channel FROM notifications WHERE key >= ? AND key < ? ORDER BY id",
                                           [f"health:sms:{found['id']}:", f"health:sms:{found['id']}:\uffff"])]
        for admin in (c.split(":", 1)[1] for c in texted):
            outbox.enqueue(db, key=f"health:sms-back:{found['id']}:{admin}", channel=f"sms:{admin}",
                           template="health/sms_back", context={"since": found["since"], "at": iso(now), "user": admin},
                           due_at=now, now=now)
        return True
