"""Where the bot cannot post: a channel it is not in (or one archived, or gone), a person it cannot DM.

A post to a channel that fails with a channel error (CHANNEL_ERRORS) opens an episode for that
channel (a `reach` row: the error and since when), and the admins get one DM about it, through the
outbox, under a key of the episode: what is wrong and how to fix it. The next post Slack accepts in
that channel ends the episode. `status` says whether a channel is reachable, and if not why: the
notifier, the setup checklist and `check` read it.

While a safety message cannot go to its channel, it goes to people instead (`fallback`): each
coordinator gets it by DM, or it joins the DM they already have about the same thing (an SOS's DM to
a coordinator, an alert's), so its repeats go in that DM's thread. The people who raised it (who
pressed the SOS) are not sent their own alarm.

A safety DM that fails for good (PERSON_ERRORS: a deactivated account, an unknown user) tells the
admins once per person and error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from outreach import outbox
from outreach.store import Store, from_iso, iso

CHANNEL_ERRORS = frozenset({"not_in_channel", "is_archived", "channel_not_found"})
PERSON_ERRORS = frozenset({"account_inactive", "user_not_found", "user_disabled", "cannot_dm_bot"})
# A channel message moved to people joins the DM of one of these templates they have about the same thing.
JOINS = {"sos/alert": ("sos/coordinator",), "safety/alert": ("safety/escalation",)}
# People with a DM of one of these templates about the same thing raised it: they are not sent its alarm.
RAISED = ("sos/told",)
# The bot's notices about itself: never the subject of another one (no loop when an admin cannot be reached).
OWN = ("reach/", "health/")


@dataclass(frozen=True)
class Reach:
    """Whether the bot can post in a channel; if not, Slack's error and since when."""

    channel: str
    reachable: bool
    error: str | None = None
    since: datetime | None = None

    @property
    def fix(self) -> str | None:
        """What fixes it: "invite" (the bot is not a member) or "another" (archived or gone: pick another channel)."""
        if self.reachable:
            return None
        return "invite" if self.error == "not_in_channel" else "another"


def _open(db: Database, channel: str) -> dict | None:
    return next(db.query("SELECT * FROM reach WHERE channel = ? AND ended_at IS NULL ORDER BY id DESC LIMIT 1",
                         [channel]), None)


def status(store: Store, channel: str | None) -> Reach:
    """Is the channel reachable, and if not why (a channel never tried is reachable)."""
    if not channel:
        return Reach(channel="", reachable=False, error="not_set")
    with store.read() as db:
        row = _open(db, channel)
    if row is None:
        return Reach(channel=channel, reachable=True)
    return Reach(channel=channel, reachable=False, error=row["error"], since=from_iso(row["since"]))


def unreachable(store: Store, *, channel: str, error: str, now: datetime, admins: Iterable[str],
                coordinator_channel: str | None) -> bool:
    """Record that a post to a channel failed with a channel error; True when this began an episode
    (the admins' DMs about it are queued in the same transaction)."""
    with store.write() as db:
        row = _open(db, channel)
        if row is not None:
            if row["error"] != error:
                db.execute("UPDATE reach SET error = ? WHERE id = ?", [error, row["id"]])
            return False
        db.execute("INSERT INTO reach (channel, error, since) VALUES (?, ?, ?)", [channel, error, iso(now)])
        context = {"channel": channel, "error": error, "coordinators": channel == coordinator_channel}
        for admin in sorted(set(admins)):
            outbox.enqueue(db, key=f"reach:{channel}:{iso(now)}:{admin}", channel=admin, template="reach/channel",
                           context=context, due_at=now, now=now)
        return True


def reachable(store: Store, *, channel: str, now: datetime) -> bool:
    """A post to the channel was accepted: end its episode, if one is open; True when one was."""
    with store.read() as db:
        if _open(db, channel) is None:
            return False
    with store.write() as db:
        return db.execute("UPDATE reach SET ended_at = ? WHERE channel = ? AND ended_at IS NULL",
                          [iso(now), channel]).rowcount > 0


def person_unreachable(store: Store, *, user: str, error: str, template: str, now: datetime,
                       admins: Iterable[str]) -> bool:
    """A safety DM to a person failed for good: tell the admins, once per person and error; True when told now."""
    if template.startswith(OWN):
        return False
    told = False
    with store.write() as db:
        for admin in sorted(set(admins) - {user}):
            told |= outbox.enqueue(db, key=f"reach:person:{user}:{error}:{admin}", channel=admin,
                                   template="reach/person", context={"user": user, "error": error, "about": template},
                                   due_at=now, now=now)
    return told


def incident(key: str) -> str:
    """The thing a message is about, from its key: its first two parts (`sos:12`, `alert:7`)."""
    return ":".join(key.split(":")[:2]) + ":"


def fallback(store: Store, *, key: str, coordinators: Iterable[str]) -> dict[str, str | None]:
    """Who gets a safety message (a top-level one, by its key) its channel cannot take: each coordinator,
    mapped to the key of the DM about the same thing they already have (the message, or a reply to it,
    joins that DM), or None (it goes as a DM of its own)."""
    prefix = incident(key)
    with store.read() as db:
        template = db.execute("SELECT template FROM notifications WHERE key = ?", [key]).fetchone()
        template = template[0] if template else ""
        rows = list(db.query(
            "SELECT key, channel, template FROM notifications WHERE key >= ? AND key < ? AND mode IS NULL "
            "ORDER BY id", [prefix, prefix + "\uffff"]))
    raised = {r["channel"] for r in rows if r["template"] in RAISED}
    joins: dict[str, str] = {}
    for r in rows:
        if r["template"] in JOINS.get(template, ()):
            joins.setdefault(r["channel"], r["key"])
    return {person: joins.get(person) for person in dict.fromkeys(coordinators) if person and person not in raised}
