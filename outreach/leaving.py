"""Someone who leaves the workspace (Slack deactivates them: a `user_change` with `deleted`, or the directory's
daily look-up seeing it): they leave the on-call rota and the nights they took, lose their alert phone (and duress word)
and their coordinator role, and stop being the lead of future shifts (and of the series that make them). The
coordinators are told in one message what that leaves uncovered: the rota's nights with nobody on call, and
the future shifts without a lead. A second notice of the same leaving finds nothing to do and says nothing.

Outbox key: left:<user>:<when> (to the coordinators' channel, else to each coordinator by DM).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from outreach import duress, outbox, phones, rota
from outreach.settings import Settings
from outreach.store import Store, iso


@dataclass(frozen=True)
class Left:
    """What a leaving changed."""

    user: str
    in_rota: bool
    nights_dropped: int
    phone: bool
    coordinator: bool
    shifts: list[int]

    @property
    def changed(self) -> bool:
        """Whether anything was changed at all."""
        return self.in_rota or bool(self.nights_dropped) or self.phone or self.coordinator or bool(self.shifts)


def leave(store: Store, settings: Settings, *, user: str, coordinators: list[str], now: datetime) -> Left:
    """Take a person who left the workspace out of everything that counts on them, in one transaction, and
    queue the coordinators' message when anything changed."""
    with store.write() as db:
        in_rota, dropped = rota.remove_person(db, user, now=now, settings=settings)
        phone = phones.remove(store, user=user)
        duress.remove(store, user=user)  # kept no longer than needed; never said to anyone (nobody knows it was set)
        coordinator = db.execute("DELETE FROM roles WHERE user_id = ?", [user]).rowcount == 1
        if coordinator:
            store.audit(db, actor="slack", action="role.volunteer", subject=f"user:{user}", detail={"left": True})
        shifts = [r["id"] for r in db.query(
            "SELECT id FROM shifts WHERE lead = ? AND status = 'planned' AND starts_at > ? ORDER BY starts_at, id",
            [user, iso(now)])]
        for shift_id in shifts:
            db.execute("UPDATE shifts SET lead = NULL, updated_at = ? WHERE id = ?", [iso(now), shift_id])
            store.audit(db, actor="slack", action="shift.lead_left", subject=f"shift:{shift_id}")
        db.execute("UPDATE series SET lead = NULL, updated_at = ? WHERE status = 'active' AND lead = ?",
                   [iso(now), user])
        if in_rota or dropped:
            store.audit(db, actor="slack", action="rota.left", subject=f"user:{user}", detail={"nights": dropped})
        left = Left(user=user, in_rota=in_rota, nights_dropped=dropped, phone=phone, coordinator=coordinator,
                    shifts=shifts)
        if not left.changed:
            return left
        context = {"user": user, "in_rota": in_rota, "nights_dropped": dropped, "phone": phone,
                   "coordinator": coordinator, "shifts": shifts,
                   "uncovered": [[a.isoformat(), b.isoformat()] for a, b in rota.uncovered(db, settings, now=now)]}
        targets = [settings.coordinator_channel] if settings.coordinator_channel else [
            c for c in dict.fromkeys(coordinators) if c and c != user]
        for target in targets:
            outbox.enqueue(db, key=f"left:{user}:{iso(now)}:{target}", channel=target, template="rota/left",
                           context=context, due_at=now, now=now)
    return left
