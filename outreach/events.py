"""Domain events: what happened to a shift or a signup, told to listeners inside the same transaction.

Listeners run inside the transaction of the change, so whatever they write (an outbox row, a
readiness flag) commits or rolls back with it. They must not call Slack or sleep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlite_utils import Database

log = logging.getLogger(__name__)

# The events the domain emits, and what `user` and `data` carry for each.
NAMES = {
    "shift.created": "a shift was planned",
    "shift.edited": "a shift was edited; data: moved (time or place changed), lead_was (the lead before; one shift's Edit)",
    "shift.cancelled": "a shift was cancelled",
    "signup.confirmed": "user got a place by signing up",
    "signup.waitlisted": "user joined the waitlist",
    "signup.promoted": "user moved up from the waitlist to a place",
    "signup.withdrawn": "user left; data: was (confirmed or waitlisted)",
}


@dataclass(frozen=True)
class Event:
    """Something that happened, with the shift, the person concerned, who did it and when."""

    name: str
    shift_id: int
    now: datetime
    user: str | None = None
    actor: str | None = None
    data: dict = field(default_factory=dict)


Listener = Callable[[Database, Event], None]


class Bus:
    """Listeners by event name; emit() calls them in registration order."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = {}

    def on(self, *names: str) -> Callable[[Listener], Listener]:
        """Register a listener for one or more event names."""
        unknown = [n for n in names if n not in NAMES]
        if unknown:
            raise ValueError(f"unknown events: {unknown}")

        def inner(fn: Listener) -> Listener:
            for name in names:
                self._listeners.setdefault(name, []).append(fn)
            return fn

        return inner

    def emit(self, db: Database, event: Event) -> None:
        """Tell every listener, inside the caller's transaction (a listener's error rolls it back)."""
        for fn in self._listeners.get(event.name, []):
            fn(db, event)
