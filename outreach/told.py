"""People told what concerns them, queued inside the change that concerns them (through the outbox).

- The lead named on a new shift (or named by an Edit) hears it, unless they named themselves.
- A lead hears when their team changed: a confirmed member withdrew (and who took the place from the
  waitlist, in the same message), or a member's place was taken by cover. One message per change.

A new coordinator (outreach/roles.py) and a training recorded (outreach/trainings.py) are queued where
those changes are written. Shifts of a series are left out: their occurrences are made weeks ahead, and
their people hear of them through the series' own messages.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from outreach import outbox
from outreach.events import Event
from outreach.store import Store, iso

LEAD_TEMPLATE = "told/lead"
TEAM_TEMPLATE = "told/team"


def _shift_row(db: Database, shift_id: int) -> dict | None:
    return next(db.query("SELECT id, lead, status, series_id FROM shifts WHERE id = ?", [shift_id]), None)


def tell_lead(db: Database, event: Event, *, lead: str | None, changed: bool) -> bool:
    """Queue "you lead shift #N" for a lead someone else named (`changed`: by an Edit, not at planning)."""
    if not lead or lead == event.actor:
        return False
    return outbox.enqueue(db, key=f"lead:{event.shift_id}:{lead}:{iso(event.now)}", channel=lead,
                          template=LEAD_TEMPLATE, context={"shift_id": event.shift_id, "user": lead,
                                                           "changed": changed}, due_at=event.now, now=event.now)


def team_key(shift_id: int, left: str, event: Event) -> str:
    """The key of a lead's "your team changed" message for one member leaving at one moment."""
    return f"team:{shift_id}:{left}:{iso(event.now)}"


def install(store: Store) -> None:
    """Listen for the changes leads are told about."""

    @store.events.on("shift.created")
    def on_created(db: Database, event: Event) -> None:
        row = _shift_row(db, event.shift_id)
        if row and row["status"] == "planned" and row["series_id"] is None:
            tell_lead(db, event, lead=row["lead"], changed=False)

    @store.events.on("shift.edited")
    def on_edited(db: Database, event: Event) -> None:
        if "lead_was" not in event.data:  # a series' edit: its own messages tell its people
            return
        row = _shift_row(db, event.shift_id)
        if row and row["status"] == "planned" and row["lead"] != event.data["lead_was"]:
            tell_lead(db, event, lead=row["lead"], changed=True)

    @store.events.on("signup.withdrawn")
    def on_withdrawn(db: Database, event: Event) -> None:
        if event.data.get("was") != "confirmed" or not event.user:
            return
        row = _shift_row(db, event.shift_id)
        lead = row["lead"] if row else None
        if not row or row["status"] != "planned" or not lead or lead in (event.user, event.actor):
            return  # the lead left, or did it themselves
        outbox.enqueue(db, key=team_key(event.shift_id, event.user, event), channel=lead, template=TEAM_TEMPLATE,
                       context={"shift_id": event.shift_id, "user": lead, "left": event.user,
                                "covered_by": event.data.get("covered_by"), "joined": []},
                       due_at=event.now, now=event.now)

    @store.events.on("signup.promoted")
    def on_promoted(db: Database, event: Event) -> None:
        """Someone took the freed place from the waitlist: said in the same message as the withdrawal."""
        if event.data.get("cover") or not event.user:
            return
        pattern = f"team:{event.shift_id}:%:{iso(event.now)}"
        row = next(db.query("SELECT id, context FROM notifications WHERE key LIKE ? AND sent_at IS NULL "
                            "AND claimed_at IS NULL ORDER BY id DESC LIMIT 1", [pattern]), None)
        if row is None:
            return
        context = json.loads(row["context"] or "{}")
        if event.user in context.get("joined", []):  # told of this one already
            return
        context["joined"] = [*context.get("joined", []), event.user]
        db.execute("UPDATE notifications SET context = ? WHERE id = ?", [json.dumps(context, sort_keys=True), row["id"]])
