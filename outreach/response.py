"""The coordinators' response to a night's alarm: take it on, keep it from going quiet, resolve it.

A shift's SOS presses and its safety escalations are one incident (outreach/incidents.py): taking any
of them on takes all of them (every open SOS and escalation of the shift), and the taker becomes its
handler. An incident taken on and not resolved within `Settings.incident_recheck` asks its handler
again (round 1), then the other coordinators (each later round), until a coordinator resolves it.
Resolving posts the night's timeline in the alert's thread (or the SOS post's).

Outbox keys:
  incident:<id>:recheck:<round>:<user>    the handler (round 1) or another coordinator asked again
  incident:<id>:resolved:<where>           the resolution with the timeline, in the alert's thread or a DM
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from outreach import incidents, outbox, safety, sos
from outreach.incidents import Incident
from outreach.settings import Settings
from outreach.shifts import get_shift
from outreach.store import Store

Outcome = Literal["done", "already", "not_found", "resolved"]


@dataclass(frozen=True)
class Taken:
    """What taking an alarm on did: the outcome, the shift, its incident, and what it took on."""

    outcome: Outcome
    shift_id: int | None
    incident: Incident | None = None
    sos_ids: tuple[int, ...] = ()
    reasons: tuple[str, ...] = ()


def take(store: Store, *, shift_id: int, user: str) -> Taken:
    """Take the shift's alarm on: every open SOS and escalation of the shift, in one transaction.

    `already` when nothing was open to take (someone took it first); the incident says who handles it.
    """
    now = store.clock()
    with store.write() as db:
        if get_shift(db, shift_id) is None:
            return Taken("not_found", None)
        open_sos = sos.open_of_shift(db, shift_id)
        open_escalations = [r["reason"] for r in db.query(
            "SELECT reason FROM escalations WHERE shift_id = ? AND acked_at IS NULL AND expired_at IS NULL",
            [shift_id])]
        if not open_sos and not open_escalations:
            return Taken("already", shift_id, incidents.latest(db, shift_id))
        incident, _ = incidents.take(db, shift_id, user=user, now=now)
        taken_sos = tuple(i for i in open_sos if sos.ack_sos(db, store, sos_id=i, user=user, now=now))
        reasons = tuple(safety.ack_escalations(db, store, shift_id=shift_id, user=user, now=now))
        safety.record_step(db, shift_id, safety.NIGHT, f"taken:{incident.id}", 2, [user], now, by=user)
        outbox.enqueue_update(db, parent=safety.alert_key(shift_id),
                              key=f"update:{safety.alert_key(shift_id)}:taken:{incident.id}", now=now)
        return Taken("done", shift_id, incidents.current(db, shift_id), taken_sos, reasons)


def take_sos(store: Store, *, sos_id: int, user: str) -> Taken:
    """"I'm on it" on an SOS: take its shift's whole alarm on."""
    item = sos.load_sos(store, sos_id)
    if item is None:
        return Taken("not_found", None)
    return take(store, shift_id=item.shift_id, user=user)


def resolve(store: Store, *, shift_id: int, user: str, channel: str | None) -> Taken:
    """A coordinator closes the shift's incident ("Resolved"): whatever is still open is taken on by
    them first, then the night's timeline goes in the alert's thread (or to them by DM)."""
    now = store.clock()
    with store.write() as db:
        if get_shift(db, shift_id) is None:
            return Taken("not_found", None)
        incident = incidents.current(db, shift_id)
        if incident is None:
            return Taken("resolved", shift_id, incidents.latest(db, shift_id))
        if not incident.handler:
            incidents.take(db, shift_id, user=user, now=now)
        for sos_id in sos.open_of_shift(db, shift_id):
            sos.ack_sos(db, store, sos_id=sos_id, user=user, now=now)
        safety.ack_escalations(db, store, shift_id=shift_id, user=user, now=now)
        incidents.resolve(db, incident.id, user=user, now=now)
        outbox.cancel_pending(db, key_prefix=f"incident:{incident.id}:recheck:", now=now)
        safety.record_step(db, shift_id, safety.NIGHT, f"resolved:{incident.id}", 0, [], now, by=user)
        context = {"shift_id": shift_id, "incident_id": incident.id}
        posts = [safety.alert_key(shift_id)] + [sos.post_key(r["id"]) for r in db.query(
            "SELECT id FROM sos WHERE shift_id = ? ORDER BY id DESC", [shift_id])]
        top = next((k for k in posts if db.execute("SELECT 1 FROM notifications WHERE key = ?", [k]).fetchone()), None)
        if top:
            outbox.enqueue(db, key=f"incident:{incident.id}:resolved:thread", channel=channel or user,
                           template="safety/resolved", context=context, due_at=now, now=now, parent=top, mode="reply")
            outbox.enqueue_update(db, parent=top, key=f"update:{top}:resolved:{incident.id}", now=now)
        else:
            outbox.enqueue(db, key=f"incident:{incident.id}:resolved:{user}", channel=user,  # a coordinator's DM:
                           template="safety/resolved", context=dict(context, private=True),  # every step shown
                           due_at=now, now=now)
        store.audit(db, actor=user, action="incident.resolve", subject=f"shift:{shift_id}",
                    detail={"incident": incident.id})
        return Taken("done", shift_id, incidents.latest(db, shift_id))


def recheck_due(store: Store, settings: Settings, *, coordinators: list[str]) -> int:
    """Ask again about incidents taken on and not resolved: the handler after one `incident_recheck`,
    then every other coordinator after each further one; return how many messages were queued."""
    now = store.clock()
    every = settings.incident_recheck
    queued = 0
    with store.write() as db:
        for incident in incidents.taken_unresolved(db):
            assert incident.taken_at is not None
            rounds = int((now - incident.taken_at) / every) if every.total_seconds() > 0 else 0
            if rounds < 1 or not incidents.count_recheck(db, incident.id, rounds):
                continue
            people = [incident.handler] if incident.rechecks == 0 else []  # the handler first
            if rounds >= 2:  # then every other coordinator
                people += [c for c in dict.fromkeys(coordinators) if c and c != incident.handler]
            if db.execute("SELECT 1 FROM sos WHERE shift_id = ? AND duress", [incident.shift_id]).fetchone():
                shift = get_shift(db, incident.shift_id)  # a duress SOS is never told to anyone on the team
                people = [p for p in people if shift is None or p not in safety.roster(db, shift)]
            for person in people:
                if person and outbox.enqueue(
                        db, key=f"incident:{incident.id}:recheck:{rounds}:{person}", channel=person,
                        template="safety/recheck", context={"shift_id": incident.shift_id, "incident_id": incident.id,
                                                            "round": rounds}, due_at=now, now=now):
                    queued += 1
            safety.record_step(db, incident.shift_id, safety.NIGHT, f"recheck:{incident.id}:{rounds}", 2,
                               [p for p in people if p], now)
    return queued


def handler_of(store: Store, shift_id: int) -> Incident | None:
    """The shift's newest incident (who handles it, whether it was resolved)."""
    with store.read() as db:
        return incidents.latest(db, shift_id)

