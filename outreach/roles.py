"""Who may do what: admins (from settings), coordinators (granted), volunteers (everyone)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from enum import IntEnum

from outreach import outbox, rota
from outreach.store import Store, iso

MAX_USERS = 500
COORDINATOR_TEMPLATE = "told/coordinator"


class Role(IntEnum):
    """Roles in increasing order of what they may do."""

    VOLUNTEER = 1
    COORDINATOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        """The role's name as people read it."""
        return self.name.lower()


def role_of(store: Store, admins: Iterable[str], user_id: str) -> Role:
    """The role a Slack user holds now."""
    if user_id in set(admins):
        return Role.ADMIN
    with store.read() as db:
        row = next(db.query("SELECT role FROM roles WHERE user_id = ?", [user_id]), None)
    return Role.COORDINATOR if row and row["role"] == "coordinator" else Role.VOLUNTEER


def coordinators(store: Store, admins: Iterable[str]) -> list[str]:
    """Every admin and coordinator, admins first."""
    with store.read() as db:
        granted = [r["user_id"] for r in db.query("SELECT user_id FROM roles WHERE role = 'coordinator' ORDER BY granted_at")]
    admin_list = sorted(set(admins))
    return admin_list + [u for u in granted if u not in admin_list]


def set_role(store: Store, *, actor: str, user_id: str, role: str) -> bool:
    """Grant or remove the coordinator role; False when nothing changed. A new coordinator is told by DM
    what they can now do (queued with the grant)."""
    if role not in ("coordinator", "volunteer"):
        raise ValueError(role)
    now = store.clock()
    with store.write() as db:
        current = next(db.query("SELECT role FROM roles WHERE user_id = ?", [user_id]), None)
        if role == "coordinator":
            if current:
                return False
            db["roles"].insert(
                {"user_id": user_id, "role": "coordinator", "granted_by": actor, "granted_at": iso(now)}
            )
            outbox.enqueue(db, key=f"coordinator:{user_id}:{iso(now)}", channel=user_id,
                           template=COORDINATOR_TEMPLATE, context={"user": user_id, "by": actor}, due_at=now, now=now)
        else:
            if not current:
                return False
            db.execute("DELETE FROM roles WHERE user_id = ?", [user_id])
            # no longer on call either (else still texted every SOS and allowed to take any alert on); from two
            # days back in UTC, which covers tonight's night in any zone and at any hand-over time
            rota.drop_person(db, user_id, since=now.date() - timedelta(days=2))
        store.audit(db, actor=actor, action=f"role.{role}", subject=f"user:{user_id}")
    return True
