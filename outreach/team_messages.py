"""Messages to a shift's team: the lead or a coordinator writes once, each member gets one DM.

The message, a row saying who sent it, when, to which shift and to how many, and one outbox row per
person are written in one transaction, under the request's key (outreach/replays.py): a crash
neither loses nor repeats a DM, and a form sent twice sends nothing more. The words are free text:
they are screened like other free text (outreach/privacy.py) and blanked after the notes retention
period, as outreach/retention.py does for a night's notes; the row and its counts stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from outreach import outbox, replays
from outreach.i18n import gettext as _
from outreach.privacy import Finding, Screen
from outreach.roles import Role
from outreach.shifts import Shift, clean_text, get_shift, team
from outreach.store import Store, iso

MAX_MESSAGE = 1500
TEMPLATE = "team/message"


@dataclass(frozen=True)
class Sent:
    """A team message as recorded: its id, the shift, how many were told; `repeat` for a form sent again."""

    message_id: int
    shift_id: int
    told: int
    waitlist: bool
    repeat: bool = False


def may_message(shift: Shift, *, actor: str, role: Role) -> bool:
    """The shift's lead and coordinators may message its team (not once it is cancelled)."""
    return not shift.cancelled and (role >= Role.COORDINATOR or shift.lead == actor)


def check_text(text: str | None, *, screen: Screen, current_year: int) -> tuple[str, str | None, list[Finding]]:
    """The cleaned message, and what is wrong with it: a problem to show, or what the screen found."""
    cleaned = clean_text(text, limit=MAX_MESSAGE + 1, multiline=True)
    if not cleaned:
        return cleaned, _("Write the message to send to the team."), []
    if len(cleaned) > MAX_MESSAGE:
        return cleaned, _("Keep the message under %(limit)s characters; it goes to phones.") % {"limit": MAX_MESSAGE}, []
    return cleaned, None, screen(cleaned, current_year=current_year)


def _sent_row(row: dict, *, repeat: bool) -> Sent:
    return Sent(row["id"], row["shift_id"], row["recipients"], bool(row["waitlist"]), repeat=repeat)


def send(
    store: Store, *, shift_id: int, sender: str, role: Role, text: str, waitlist: bool, request_key: str | None,
) -> Sent | None:
    """Record the message and queue one DM to each confirmed member (and waitlisted one when asked), the
    sender excepted; None when the shift is gone or cancelled, or the sender may not message its team (checked
    again in the same transaction: the lead may have changed since the form was opened)."""
    now = store.clock()
    with store.write() as db:
        if request_key and replays.seen(db, request_key):
            row = next(db.query("SELECT * FROM team_messages WHERE request_key = ?", [request_key]), None)
            return _sent_row(row, repeat=True) if row else None
        shift = get_shift(db, shift_id)
        if shift is None or not may_message(shift, actor=sender, role=role):
            return None
        confirmed, waiting = team(db, shift_id)
        people = [u for u in dict.fromkeys(confirmed + (waiting if waitlist else [])) if u != sender]
        message_id = db["team_messages"].insert({
            "shift_id": shift_id, "sender": sender, "sent_at": iso(now), "recipients": len(people),
            "waitlist": int(waitlist), "text": text, "request_key": request_key,
        }).last_pk
        for user in people:
            outbox.enqueue(db, key=f"team-message:{message_id}:{user}", channel=user, template=TEMPLATE,
                           context={"shift_id": shift_id, "message_id": message_id}, due_at=now, now=now)
        store.audit(db, actor=sender, action="team.message", subject=f"shift:{shift_id}",
                    detail={"recipients": len(people), "waitlist": waitlist})
        replays.record(store, db, request_key)
    return Sent(int(message_id), shift_id, len(people), waitlist)


@dataclass(frozen=True)
class Message:
    """A recorded message as a DM shows it (its text is empty once it expired)."""

    id: int
    shift_id: int
    sender: str
    sent_at: str
    text: str


def load(db: Database, message_id: int) -> Message | None:
    """One recorded message (inside a read)."""
    row = next(db.query("SELECT id, shift_id, sender, sent_at, text FROM team_messages WHERE id = ?",
                        [message_id]), None)
    return Message(row["id"], row["shift_id"], row["sender"], row["sent_at"], row["text"] or "") if row else None


def expire(store: Store, *, now: datetime, days: int) -> int:
    """Blank the words of messages sent more than `days` ago (the notes retention period); keep the rows."""
    with store.write() as db:
        return db.execute(
            "UPDATE team_messages SET text = '', text_expired_at = ? WHERE text != '' AND sent_at <= ?",
            [iso(now), iso(now - timedelta(days=days))],
        ).rowcount
