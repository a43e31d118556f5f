"""The one place the domain's modules subscribe to the store's events (outreach/events.py).

Listeners run in the order they were installed, inside the transaction of the change that emits the
event; this order is the one the surfaces had when each installed its own.
"""

from __future__ import annotations

from outreach import cover, debriefs, ics, readiness, reminders, safety, told
from outreach.readiness import Protocol
from outreach.settings import Settings
from outreach.store import Store


def install(store: Store, settings: Settings, protocol: Protocol) -> None:
    """Subscribe every domain module to the events it follows, once per store."""
    if getattr(store, "subscribed", False):
        return
    readiness.install(store, protocol, coordinator_channel=settings.coordinator_channel)
    debriefs.install(store)
    reminders.install(store, settings)
    ics.install(store)
    safety.install(store)
    cover.install(store)
    told.install(store)
    store.subscribed = True  # type: ignore[attr-defined]
