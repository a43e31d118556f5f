"""The first run's setup checklist: what a new coalition's admin sets up before the first night out.

Each item's state is computed from what the database holds (and, for the coordinators' channel, from
what Slack answers, passed in by the caller): never assumed. Two items are reviews that only a person
can vouch for (the trainings, the hotline card): an admin confirms them, and who and when is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from outreach.store import Store, from_iso, iso

# In the order the checklist shows them.
ITEMS = ("channel", "coordinators", "trainings", "partners", "hotlines", "first_shift")
# The items an admin confirms by hand (the others follow from what the bot holds).
CONFIRMED = ("trainings", "hotlines")


@dataclass(frozen=True)
class Item:
    """One line of the checklist: done or not, and what it rests on (a count, or who confirmed it and when)."""

    id: str
    done: bool
    count: int = 0
    by: str | None = None
    at: datetime | None = None
    problem: str | None = None  # the channel's: "not_set", or Slack's error ("not_in_channel", ...)


@dataclass(frozen=True)
class Checklist:
    """Every item, in order."""

    items: list[Item]

    @property
    def done(self) -> bool:
        """True when every item is done."""
        return all(item.done for item in self.items)

    @property
    def left(self) -> int:
        """How many items are still to do."""
        return sum(not item.done for item in self.items)


def checklist(store: Store, *, admins: Iterable[str], channel_problem: str | None) -> Checklist:
    """The checklist as the database shows it now; `channel_problem` is None when the bot is a member of
    the coordinators' channel, else why not ("not_set", or Slack's error)."""
    admin_set = set(admins)
    with store.read() as db:
        coordinators = [r["user_id"] for r in db.query("SELECT user_id FROM roles WHERE role = 'coordinator'")
                        if r["user_id"] not in admin_set]
        partners = db.execute("SELECT count(*) FROM partners").fetchone()[0]
        shifts = db.execute("SELECT count(*) FROM shifts").fetchone()[0]
        confirmed = {r["item"]: r for r in db.query("SELECT * FROM setup_confirmations")}

    def review(item: str) -> Item:
        row = confirmed.get(item)
        return Item(item, row is not None, by=row["confirmed_by"] if row else None,
                    at=from_iso(row["confirmed_at"]) if row else None)

    return Checklist([
        Item("channel", channel_problem is None, problem=channel_problem),
        Item("coordinators", bool(coordinators), count=len(coordinators)),
        review("trainings"),
        Item("partners", partners > 0, count=partners),
        review("hotlines"),
        Item("first_shift", shifts > 0, count=shifts),
    ])


def confirm(store: Store, *, item: str, actor: str, now: datetime) -> bool:
    """An admin confirms a review (`trainings`, `hotlines`): who and when are kept (the latest), and audited.
    False when it had been confirmed before (the new confirmation replaces it all the same)."""
    if item not in CONFIRMED:
        raise ValueError(item)
    with store.write() as db:
        before = db.execute("SELECT 1 FROM setup_confirmations WHERE item = ?", [item]).fetchone()
        db.execute("INSERT OR REPLACE INTO setup_confirmations (item, confirmed_by, confirmed_at) VALUES (?, ?, ?)",
                   [item, actor, iso(now)])
        store.audit(db, actor=actor, action=f"setup.{item}", subject=f"setup:{item}")
    return before is None
