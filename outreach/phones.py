"""Reaching the people on call beyond Slack: each person's verified alert phone, and the SMS and calls
an SOS or a safety escalation sends to it (through Twilio, handlers/phone.py).

An alert phone is a person's own number, recorded by themselves (App Home, My alert phone), parsed and
normalised to E.164, and used only once a 6-digit code sent to it by SMS was typed back. The code is
never stored: it is derived from the row's `code_nonce` and a secret (the Twilio auth token), again when
the SMS is sent, and only its hash is kept, with its expiry and the attempts made. A number is nowhere
else in the app: every SMS and call is an outbox row on a `sms:<member>` or `call:<member>` channel,
and the sender reads the number when it sends; the timeline names the member, never the number.

Outbox keys (beside the Slack messages of the same SOS or escalation, so they are cancelled with them):
  sos:<id>:sms:<user>                    an SOS, by SMS at once
  sos:<id>:call:<round>:<user>           an SOS untaken after `call_after` (round 1), 2 minutes later (round 2)
  alert:<shift>:<reason>:sms:<user>      an escalation: at once to the people on call (and anyone in Do Not
                                         Disturb), after `sms_after` to everyone of the level
  start:<shift>:sms:<user>               a watched shift's start, to each person expected out (IN / OUT / SOS)
  phone:code:<user>:<nonce>              the verification code
  phone:rejected:<user>:<number hash>:<to>   a number Twilio refused, told to its owner and the admins once
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import phonenumbers
from sqlite_utils import Database

from outreach import outbox, rota
from outreach.settings import Settings
from outreach.store import Store, from_iso, iso

CODE_LIFE = timedelta(minutes=10)
CODE_ATTEMPTS = 5
CALL_AGAIN = timedelta(minutes=2)  # the second call to those who did not press 1
PHONE_CHANNELS = ("sms:", "call:")
TAKE = re.compile(r"^\s*1\s*(?:#?\s*(\d{1,9}))?\s*$")

Started = Literal["sent", "bad_number", "taken"]
Checked = Literal["verified", "wrong", "expired", "too_many", "none"]


def people_on_call(db: Database, settings: Settings, *, now: datetime) -> list[str]:
    """The people on call at `now`, the one place that says who they are: tonight's person on the rota (an
    override first, outreach/rota.py), else OUTREACH_ONCALL_COORDINATORS. It takes `now` (the caller's clock)
    and the caller's connection, so a climb inside its transaction asks at its own instant."""
    person = rota.on_call(db, settings, at=now)
    return [person] if person else list(settings.oncall_coordinators)


def normalise(text: str, region: str) -> str | None:
    """A phone number as typed, in E.164 (None when it is not a valid number)."""
    cleaned = "".join(c for c in unicodedata.normalize("NFKC", text or "") if unicodedata.category(c) != "Cf")
    try:
        number = phonenumbers.parse(cleaned.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def masked(e164: str) -> str:
    """A number as shown to its owner: the country code and the last two digits only."""
    return f"{e164[:2]} ••• ••• ••{e164[-2:]}" if len(e164) > 4 else "••••"


def code_for(secret: str, *, user: str, nonce: str) -> str:
    """The 6-digit code for a verification (derived, never stored)."""
    digest = hmac.new(secret.encode(), f"{user}:{nonce}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def _hash(code: str, nonce: str) -> str:
    return hashlib.sha256(f"{nonce}:{code}".encode()).hexdigest()


@dataclass(frozen=True)
class AlertPhone:
    """A person's alert phone: the number, whether it was verified, and whether a code waits to be typed."""

    user: str
    e164: str
    verified_at: datetime | None
    code_expires: datetime | None = None
    rejected_at: datetime | None = None

    @property
    def masked(self) -> str:
        """The number as shown to its owner."""
        return masked(self.e164)


def get(db: Database, user: str) -> AlertPhone | None:
    """A person's alert phone row (verified or not)."""
    row = next(db.query("SELECT * FROM alert_phones WHERE user_id = ?", [user]), None)
    if row is None:
        return None
    return AlertPhone(user=user, e164=row["e164"], verified_at=from_iso(row["verified_at"]) if row["verified_at"] else None,
                      code_expires=from_iso(row["code_expires"]) if row["code_expires"] else None,
                      rejected_at=from_iso(row["rejected_at"]) if row["rejected_at"] else None)


def load(store: Store, user: str) -> AlertPhone | None:
    """A person's alert phone, read through the store."""
    with store.read() as db:
        return get(db, user)


def verified(db: Database, people: list[str]) -> list[str]:
    """Those of `people` who have a verified alert phone, in order."""
    if not people:
        return []
    marks = ", ".join("?" for _ in people)
    have = {r["user_id"] for r in db.query(
        f"SELECT user_id FROM alert_phones WHERE verified_at IS NOT NULL AND user_id IN ({marks})", list(people))}
    return [p for p in dict.fromkeys(people) if p in have]


def owner_of(db: Database, e164: str) -> str | None:
    """The member whose verified alert phone this is."""
    row = db.execute("SELECT user_id FROM alert_phones WHERE e164 = ? AND verified_at IS NOT NULL", [e164]).fetchone()
    return row[0] if row else None


def pending(db: Database, e164: str) -> bool:
    """Whether this number was recorded as someone's alert phone and is waiting for its code."""
    return db.execute("SELECT 1 FROM alert_phones WHERE e164 = ? AND verified_at IS NULL", [e164]).fetchone() is not None


def start(store: Store, *, user: str, text: str, region: str, secret: str) -> tuple[Started, str | None]:
    """Record the number a person typed and queue its code by SMS (replacing any number they had)."""
    e164 = normalise(text, region)
    if e164 is None:
        return "bad_number", None
    now = store.clock()
    nonce = secrets.token_hex(8)
    with store.write() as db:
        other = owner_of(db, e164)
        if other and other != user:
            return "taken", e164
        db.execute(
            "INSERT INTO alert_phones (user_id, e164, verified_at, code_hash, code_expires, attempts, created_at, "
            "code_nonce) VALUES (?, ?, NULL, ?, ?, 0, ?, ?) ON CONFLICT(user_id) DO UPDATE SET e164 = excluded.e164, "
            "verified_at = NULL, code_hash = excluded.code_hash, code_expires = excluded.code_expires, attempts = 0, "
            "created_at = excluded.created_at, code_nonce = excluded.code_nonce, rejected_at = NULL",
            [user, e164, _hash(code_for(secret, user=user, nonce=nonce), nonce), iso(now + CODE_LIFE), iso(now), nonce])
        outbox.enqueue(db, key=f"phone:code:{user}:{nonce}", channel=f"sms:{user}", template="phone/code",
                       context={"user": user, "nonce": nonce}, due_at=now, now=now)
        store.audit(db, actor=user, action="phone.start", subject=f"user:{user}")
    return "sent", e164


def verify(store: Store, *, user: str, code: str) -> Checked:
    """Check the code a person typed back: the number is verified, or why not."""
    now = store.clock()
    typed = re.sub(r"\D", "", code or "")
    with store.write() as db:
        row = next(db.query("SELECT * FROM alert_phones WHERE user_id = ? AND verified_at IS NULL", [user]), None)
        if row is None or not row["code_nonce"]:
            return "none"
        if row["attempts"] >= CODE_ATTEMPTS:
            return "too_many"
        if not row["code_expires"] or now > from_iso(row["code_expires"]):
            return "expired"
        db.execute("UPDATE alert_phones SET attempts = attempts + 1 WHERE user_id = ?", [user])
        if not row["code_hash"] or not hmac.compare_digest(_hash(typed, row["code_nonce"]), row["code_hash"]):
            return "wrong"
        if owner_of(db, row["e164"]):
            return "wrong"  # verified by someone else meanwhile
        db.execute("UPDATE alert_phones SET verified_at = ?, code_hash = NULL, code_expires = NULL WHERE user_id = ?",
                   [iso(now), user])
        store.audit(db, actor=user, action="phone.verified", subject=f"user:{user}")
    return "verified"


def forget(store: Store, *, table: str, user: str, action: str) -> bool:
    """Delete a person's own row of `table` (their alert phone, their duress word), audited; False when none."""
    with store.write() as db:
        gone = db.execute(f"DELETE FROM {table} WHERE user_id = ?", [user]).rowcount == 1
        if gone:
            store.audit(db, actor=user, action=action, subject=f"user:{user}")
        return gone


def remove(store: Store, *, user: str) -> bool:
    """Forget a person's alert phone; False when they had none."""
    return forget(store, table="alert_phones", user=user, action="phone.remove")


def number_for(db: Database, note: outbox.Notification) -> str | None:
    """The number a phone row goes to: the member's verified number (a code: the number being verified)."""
    user = note.channel.split(":", 1)[1]
    if note.template == "phone/code":
        row = db.execute("SELECT e164 FROM alert_phones WHERE user_id = ? AND code_nonce = ? AND verified_at IS NULL",
                         [user, note.context.get("nonce")]).fetchone()
    else:
        row = db.execute("SELECT e164 FROM alert_phones WHERE user_id = ? AND verified_at IS NOT NULL", [user]).fetchone()
    return row[0] if row else None


# ---------------------------------------------------------------- what an alarm sends


def queue_sos(db: Database, *, sos_id: int, shift_id: int, people: list[str], now: datetime,
              call_after: timedelta | None) -> int:
    """An SOS by SMS at once to each of `people` with a verified phone, and (`call_after`: calls are set
    up) a call after it, and a second one CALL_AGAIN later; inside the press's transaction."""
    queued = 0
    context = {"shift_id": shift_id, "sos_id": sos_id}
    for user in verified(db, people):
        queued += outbox.enqueue(db, key=f"sos:{sos_id}:sms:{user}", channel=f"sms:{user}", template="sos/sms",
                                 context=dict(context, user=user), due_at=now, now=now)
        if call_after is not None:
            for number, due in ((1, now + call_after), (2, now + call_after + CALL_AGAIN)):
                queued += outbox.enqueue(db, key=f"sos:{sos_id}:call:{number}:{user}", channel=f"call:{user}",
                                         template="sos/call", context=dict(context, user=user, round=number),
                                         due_at=due, now=now)
    return queued


def queue_start(db: Database, *, shift_id: int, people: list[str], now: datetime) -> int:
    """A watched shift's start by SMS, once, to each of `people` (those expected out) with a verified phone: the
    words they may reply (IN, OUT, SOS); inside the timer's transaction."""
    return sum(outbox.enqueue(db, key=f"start:{shift_id}:sms:{user}", channel=f"sms:{user}", template="safety/start_sms",
                              context={"shift_id": shift_id, "user": user}, due_at=now, now=now)
               for user in verified(db, people))


def sms_key(shift_id: int, reason: str, user: str) -> str:
    """The outbox key of an escalation's SMS to one person."""
    return f"alert:{shift_id}:{reason}:sms:{user}"


def queue_escalation(db: Database, *, shift_id: int, reason: str, at_once: list[str], later: list[str],
                     now: datetime, after: timedelta) -> int:
    """An escalation by SMS: at once to `at_once` (the people on call), after `after` to `later` (everyone of
    the level), each once, to those with a verified phone; inside the climb's transaction."""
    queued = 0
    context = {"shift_id": shift_id, "reason": reason}
    for people, due in ((at_once, now), (later, now + after)):
        for user in verified(db, people):
            queued += outbox.enqueue(db, key=sms_key(shift_id, reason, user), channel=f"sms:{user}",
                                     template="safety/sms", context=dict(context, user=user), due_at=due, now=now)
    return queued


def text_now(db: Database, key: str, *, now: datetime) -> bool:
    """Send an SMS not yet sent at once (its person is in Do Not Disturb), marking it so its sending is
    noted in the alert's thread; False when it was sent already (or there is none)."""
    return db.execute(
        "UPDATE notifications SET due_at = min(due_at, ?), context = json_set(context, '$.dnd', 1) "
        "WHERE key = ? AND sent_at IS NULL", [iso(now), key]).rowcount == 1


def sent_at(db: Database, key: str) -> datetime | None:
    """When an SMS or call was accepted by Twilio (None: not, or skipped)."""
    row = db.execute("SELECT sent_at FROM notifications WHERE key = ? AND ts IS NOT NULL", [key]).fetchone()
    return from_iso(row[0]) if row and row[0] else None


def open_alarms(db: Database, user: str) -> list[int]:
    """The shifts whose alarm this person was texted or called about and which nobody has taken on yet (a shift's
    start, texted to its members, is no alarm: it would offer them "reply 1" for their own shift's)."""
    shifts = [int(r["s"]) for r in db.query(
        "SELECT DISTINCT json_extract(context, '$.shift_id') AS s FROM notifications WHERE channel IN (?, ?) "
        "AND template != 'safety/start_sms' AND json_extract(context, '$.shift_id') IS NOT NULL ORDER BY s",
        [f"sms:{user}", f"call:{user}"])]
    return [s for s in shifts if db.execute(
        "SELECT 1 FROM sos WHERE shift_id = ? AND acked_at IS NULL UNION ALL SELECT 1 FROM escalations "
        "WHERE shift_id = ? AND acked_at IS NULL AND expired_at IS NULL LIMIT 1", [s, s]).fetchone()]


def team_told(store: Store, shift_id: int) -> bool:
    """Whether taking the shift's alarm on tells its team: False when all that is open is a duress SOS."""
    with store.read() as db:
        return db.execute("SELECT 1 FROM sos WHERE shift_id = ? AND acked_at IS NULL AND NOT duress UNION ALL "
                          "SELECT 1 FROM escalations WHERE shift_id = ? AND acked_at IS NULL AND expired_at IS NULL "
                          "LIMIT 1", [shift_id, shift_id]).fetchone() is not None or not db.execute(
            "SELECT 1 FROM sos WHERE shift_id = ? AND acked_at IS NULL AND duress", [shift_id]).fetchone()


def callee_of(db: Database, sid: str) -> str | None:
    """Who a call the bot placed went to (an alarm's or a drill's), by Twilio's CallSid."""
    row = next(db.query("SELECT channel FROM notifications WHERE ts = ? AND channel LIKE 'call:%'", [sid]), None)
    return row["channel"].split(":", 1)[1] if row else None


def call_of(db: Database, sid: str) -> tuple[str, int] | None:
    """The member and shift of a call placed by the bot, by Twilio's CallSid."""
    row = next(db.query("SELECT channel, context FROM notifications WHERE ts = ? AND channel LIKE 'call:%'", [sid]), None)
    if row is None:
        return None
    return row["channel"].split(":", 1)[1], int(json.loads(row["context"])["shift_id"])


def reason_of(context: dict) -> str:
    """The timeline reason a phone row belongs to: its SOS, or its escalation's reason."""
    return f"sos:{context['sos_id']}" if "sos_id" in context else str(context.get("reason", "night"))


def rejected(store: Store, *, user: str, e164: str, error: str, admins: list[str], now: datetime) -> bool:
    """Twilio refused a number: tell its owner and the admins, once per number; True when told now."""
    tag = hashlib.sha256(e164.encode()).hexdigest()[:10]
    told = False
    with store.write() as db:
        db.execute("UPDATE alert_phones SET rejected_at = ? WHERE user_id = ? AND e164 = ?", [iso(now), user, e164])
        for person in dict.fromkeys([user, *sorted(admins)]):
            told |= outbox.enqueue(db, key=f"phone:rejected:{user}:{tag}:{person}", channel=person,
                                   template="reach/phone", context={"user": user, "error": error, "owner": person == user},
                                   due_at=now, now=now)
    return told
