"""The directory of people: each Slack member's names and locale as Slack gave them, so that files read
outside Slack (the roster workbook, a statement of hours, calendar invites) carry names, not member ids.

Only members the bot needs are kept: a member is added when a file first needs their name (queued for
the timer when it could not be looked up then) and refreshed daily; a profile change Slack announces
updates a member already here. Nothing here talks to Slack: handlers/directory.py looks people up and
hands the answers in. These are coalition members' own Slack names, never anyone met in the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from outreach.store import Store, from_iso, iso

REFRESH_AFTER = timedelta(days=1)  # a name is looked up again once a day
RETRY_AFTER = timedelta(hours=1)  # a look-up that failed is tried again after this long
NAME_MAX = 120


@dataclass(frozen=True)
class Person:
    """One Slack member as Slack last described them."""

    user_id: str
    real_name: str = ""
    display_name: str = ""
    locale: str = ""
    deleted: bool = False
    refreshed_at: datetime | None = None

    @property
    def name(self) -> str:
        """The name for a court or a school: the real name, else the display name, else the member id."""
        return self.real_name or self.display_name or self.user_id


def clean(text: object) -> str:
    """A name as it may be printed: one line, no control characters, at most NAME_MAX characters."""
    words = "".join(c if c.isprintable() else " " for c in str(text or ""))
    return " ".join(words.split())[:NAME_MAX].strip()


def _person(row: dict) -> Person:
    return Person(user_id=row["user_id"], real_name=row["real_name"] or "", display_name=row["display_name"] or "",
                  locale=row["locale"] or "", deleted=bool(row["deleted"]),
                  refreshed_at=from_iso(row["refreshed_at"]) if row["refreshed_at"] else None)


def _ids(ids: Iterable[str | None]) -> list[str]:
    return sorted({i for i in ids if i})


def lookup(store: Store, ids: Iterable[str | None]) -> dict[str, Person]:
    """The directory's entry for each of these members that Slack has described (others are left out)."""
    wanted = _ids(ids)
    if not wanted:
        return {}
    with store.read() as db:
        rows = db.query("SELECT * FROM people WHERE refreshed_at IS NOT NULL AND user_id IN "
                        "(SELECT value FROM json_each(?))", [json.dumps(wanted)])
        return {row["user_id"]: _person(row) for row in rows}


def names(store: Store, ids: Iterable[str | None]) -> dict[str, str]:
    """Each member's name for a file: from the directory, else the member id itself."""
    wanted = _ids(ids)
    known = lookup(store, wanted)
    return {user: known[user].name if user in known else user for user in wanted}


def to_look_up(store: Store, ids: Iterable[str | None], *, now: datetime) -> list[str]:
    """The members Slack has not described yet and whose last look-up (if any) failed long enough ago."""
    wanted = _ids(ids)
    if not wanted:
        return []
    with store.read() as db:
        rows = {row["user_id"]: row for row in db.query(
            "SELECT user_id, refreshed_at, tried_at FROM people WHERE user_id IN (SELECT value FROM json_each(?))",
            [json.dumps(wanted)])}
    since = iso(now - RETRY_AFTER)
    return [user for user in wanted if user not in rows or (
        rows[user]["refreshed_at"] is None and (rows[user]["tried_at"] is None or rows[user]["tried_at"] <= since))]


def queue(store: Store, ids: Iterable[str | None]) -> None:
    """Add members to the directory without names yet: the timer looks them up (`due`)."""
    wanted = _ids(ids)
    if wanted:
        with store.write() as db:
            db.conn.executemany("INSERT OR IGNORE INTO people (user_id, deleted) VALUES (?, 0)", [(u,) for u in wanted])


def record(store: Store, person: Person, *, now: datetime, only_known: bool = False) -> bool:
    """Keep what Slack said of a member (a locale Slack left out keeps the one known); with `only_known`,
    only for a member already in the directory. True when recorded."""
    with store.write() as db:
        row = next(db.query("SELECT locale FROM people WHERE user_id = ?", [person.user_id]), None)
        if row is None and only_known:
            return False
        db["people"].upsert({
            "user_id": person.user_id, "real_name": clean(person.real_name), "display_name": clean(person.display_name),
            "locale": clean(person.locale) or (row["locale"] if row else "") or "", "deleted": int(person.deleted),
            "refreshed_at": iso(now), "tried_at": None,
        }, pk="user_id")
    return True


def tried(store: Store, user_id: str, *, now: datetime) -> None:
    """A look-up of this member failed (unknown to Slack, a timeout): try again after RETRY_AFTER."""
    with store.write() as db:
        db.execute("INSERT INTO people (user_id, deleted, tried_at) VALUES (?, 0, ?) "
                   "ON CONFLICT(user_id) DO UPDATE SET tried_at = excluded.tried_at", [user_id, iso(now)])


def due(store: Store, *, now: datetime, limit: int) -> list[str]:
    """The members to look up now, at most `limit`: those never described first, then the oldest entries
    over a day old; a member whose look-up failed waits RETRY_AFTER."""
    with store.read() as db:
        return [row[0] for row in db.execute(
            "SELECT user_id FROM people WHERE (tried_at IS NULL OR tried_at <= ?) "
            "AND (refreshed_at IS NULL OR refreshed_at <= ?) "
            "ORDER BY refreshed_at IS NOT NULL, refreshed_at, user_id LIMIT ?",
            [iso(now - RETRY_AFTER), iso(now - REFRESH_AFTER), limit])]
