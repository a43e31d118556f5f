"""SMS and calls through Twilio: the sender of the outbox's `sms:` and `call:` rows, Do Not Disturb, the
App Home's "My alert phone", and Twilio's webhooks (a reply "1", a 1 pressed in a call).

A row is sent with twilio's REST client, its base URL rebased on OUTREACH_TWILIO_API_URL. Before the
request the row is marked "sending" (under its claim): a sender killed mid-request leaves that mark,
and whoever claims the row next first asks Twilio for a message or call to that number made since
then, and adopts it rather than sending again. A number Twilio refuses (REJECTED: invalid, not a
mobile, opted out...) is skipped and reported once to its owner and the admins; any other Twilio error
(5xx, 429, a credential refused) and network trouble are tried again (a safety row for as long as it
takes, outreach/outbox.py).

Webhooks (served beside /healthz): the X-Twilio-Signature is checked with twilio's RequestValidator
against OUTREACH_PUBLIC_URL plus the path, on the parsed form, before anything else; a MessageSid or
CallSid is acted on once (seen_requests).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from handlers import blocks as bk
from handlers import ids, points
from handlers.click import Click
from handlers.notify import SENDERS, gate, notice, sent
from outreach import i18n, languages, outbox, phones, response, safety, sos
from outreach.i18n import gettext as _
from outreach.roles import Role
from outreach.settings import DEFAULT_TWILIO_URL, Settings
from outreach.store import from_iso, iso

if TYPE_CHECKING:
    from handlers.kit import Kit
    from handlers.notify import Notifier

log = logging.getLogger(__name__)
# twilio's HTTP client logs each request at INFO (the number in its URL for a list): kept out of the log.
QUIET = logging.getLogger("outreach.twilio_http")
QUIET.setLevel(logging.WARNING)

SMS_PATH, VOICE_PATH = "/twilio/sms", "/twilio/voice"
MAX_BODY = 1024 * 1024  # as Slack's requests (handlers/web.py)
TIMEOUT = 10.0
DND_TIMEOUT = 2.0
# Twilio errors that say the number itself cannot be reached (invalid, not a mobile, opted out, not allowed).
REJECTED = {21211, 21214, 21217, 21219, 21408, 21610, 21612, 21614, 13223, 13224, 13225, 13226}
SENDING = "sending: "
# The voice Twilio's <Say> reads a call's words in, by the language they are in.
VOICES = {"es": "es-MX"}
VOICE = "en-US"
CLAIM_SLACK = timedelta(minutes=1)  # a message Twilio dated this much before the mark is still ours


class RebasedHttpClient(TwilioHttpClient):
    """twilio's HTTP client, sending what it addresses to api.twilio.com to another base URL."""

    def __init__(self, base: str, *, timeout: float = TIMEOUT) -> None:
        super().__init__(timeout=timeout, logger=QUIET)
        self.base = base.rstrip("/")

    def request(self, method: str, url: str, params: dict | None = None, data: dict | None = None,  # type: ignore[override]
                headers: dict | None = None, auth: tuple | None = None, timeout: float | None = None,
                allow_redirects: bool = False) -> Response:
        """Send the request to the same path under the configured base URL."""
        if url.startswith(DEFAULT_TWILIO_URL):
            url = self.base + url[len(DEFAULT_TWILIO_URL):]
        return super().request(method, url, params=params, data=data, headers=headers, auth=auth,
                               timeout=timeout, allow_redirects=allow_redirects)


def make_client(settings: Settings) -> Client:
    """A Twilio REST client on the configured base URL."""
    return Client(settings.twilio_sid, settings.twilio_token,
                  http_client=RebasedHttpClient(settings.twilio_api_url))


def reach_line(settings: Settings) -> str:
    """One line for the start-up log and `check`: how far the safety net reaches."""
    if not settings.twilio:
        return ("phone: Twilio is not set up, so the safety net reaches people only inside Slack "
                "(Slack's Do Not Disturb silences it at night)")
    sender = settings.twilio_from or settings.twilio_service
    calls = "SMS and calls" if settings.twilio_from else "SMS only (calls need TWILIO_FROM)"
    return (f"phone: {calls} from {sender} through {settings.twilio_api_url}; webhooks at "
            f"{settings.public_url}{SMS_PATH} and {settings.public_url}{VOICE_PATH}")


# ---------------------------------------------------------------- the sender


class PhoneSender:
    """Sends the outbox's SMS and calls through Twilio."""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit
        self._client: Client | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Client:
        """The Twilio client, made on first use."""
        with self._lock:
            if self._client is None:
                self._client = make_client(self.kit.services.settings)
            return self._client

    def __call__(self, notifier: Notifier, note: outbox.Notification, text: str) -> int:
        """Send one SMS or call row; 1 when Twilio took it."""
        services = self.kit.services
        store, settings, now = services.store, services.settings, services.now()
        kind = note.channel.split(":", 1)[0]
        if not settings.twilio or (kind == "call" and not settings.twilio_from):
            outbox.mark_skipped(store, note, now=now, reason="Twilio is not set up for this")
            return 0
        with store.read() as db:
            number = phones.number_for(db, note)
            mark = outbox.error_of(db, note.id)
        if number is None:
            outbox.mark_skipped(store, note, now=now, reason="no verified alert phone")
            return 0
        sid = self._sent_before(kind, number, text, mark) if mark.startswith(SENDING) else None
        if sid is None:
            with store.write() as db:
                outbox.mark_claimed(db, note, SENDING + iso(now))
            try:
                sid = self._send(kind, number, text)
            except TwilioRestException as exc:
                return self._refused(note, number, status=exc.status, code=exc.code, now=now)
            except (TwilioException, OSError, ValueError) as exc:
                return self._refused(note, number, status=0, code=None, now=now, error=type(exc).__name__)
        if not outbox.mark_sent(store, note, now=now, ts=sid, channel=note.channel):
            log.warning("%s %s was sent, but its claim had been taken over meanwhile", kind, note.key)
        self._record(note, kind, ok=True, now=now)
        return 1

    def _send(self, kind: str, number: str, text: str) -> str:
        settings = self.kit.services.settings
        if kind == "sms":
            sender = {"messaging_service_sid": settings.twilio_service} if settings.twilio_service else {
                "from_": settings.twilio_from}
            return str(self.client.messages.create(to=number, body=text, **sender).sid)
        return str(self.client.calls.create(to=number, from_=settings.twilio_from, twiml=call_twiml(settings, text)).sid)

    def _sent_before(self, kind: str, number: str, text: str, mark: str) -> str | None:
        """After a sender died mid-request: the sid of what Twilio made for this number since the mark (an SMS
        with these words), that no other row has; None when there is none."""
        since = from_iso(mark[len(SENDING):]) - CLAIM_SLACK
        try:
            found = (self.client.messages.list(to=number, limit=20) if kind == "sms"
                     else self.client.calls.list(to=number, limit=20))
        except (TwilioException, OSError, ValueError):
            return None  # cannot tell: send (a double is better than a silence)
        with self.kit.services.store.read() as db:
            for item in found:
                created = getattr(item, "date_created", None)
                if created is None or created < since or (kind == "sms" and getattr(item, "body", None) != text):
                    continue
                if not outbox.sent_as(db, str(item.sid)):
                    return str(item.sid)
        return None

    def _refused(self, note: outbox.Notification, number: str, *, status: int, code: int | None, now: datetime,
                 error: str | None = None) -> int:
        services = self.kit.services
        store = services.store
        why = error or f"twilio {status}" + (f" ({code})" if code else "")
        log.warning("%s %s failed: %s", note.channel.split(":", 1)[0], note.template, why)
        if code in REJECTED:  # the number itself: no retry mends it
            outbox.mark_skipped(store, note, now=now, reason=why)
            phones.rejected(store, user=note.channel.split(":", 1)[1], e164=number, error=why,
                            admins=sorted(services.settings.admins), now=now)
            self._record(note, note.channel.split(":", 1)[0], ok=False, now=now)
            return 0
        retry = outbox.retry_at(note, now)
        if retry is None:
            outbox.mark_skipped(store, note, now=now, reason=f"gave up after {note.attempts} attempts: {why}")
            self._record(note, note.channel.split(":", 1)[0], ok=False, now=now)
        else:
            outbox.mark_failed(store, note, error=why, retry_at=retry)
        return 0

    def _record(self, note: outbox.Notification, kind: str, *, ok: bool, now: datetime) -> None:
        """The SMS or call in the safety timeline (the member, never the number); a DND text noted in the thread."""
        context = note.context
        if "shift_id" not in context:
            return
        user = note.channel.split(":", 1)[1]
        step = f"{kind}{context.get('round', '')}{'' if ok else '-failed'}:{user}"
        with self.kit.services.store.write() as db:
            safety.record_step(db, int(context["shift_id"]), phones.reason_of(context), step, 2, [user], now)
            if ok and outbox.stored_context(db, note.id).get("dnd"):
                dnd_line(db, context, user=user, at=now, now=now)


def voice() -> str:
    """The voice for words in the language in force: Spanish read as Spanish (es-MX), else English (en-US)."""
    return VOICES.get(i18n.current(), VOICE)


def call_twiml(settings: Settings, text: str) -> str:
    """What a call says: the words, then "press 1", gathering one digit (said twice), in their language's voice."""
    twiml = VoiceResponse()
    for _round in range(2):
        gather = twiml.gather(num_digits=1, action=f"{settings.public_url}{VOICE_PATH}", method="POST", timeout=8)
        gather.say(text, language=voice())
    return str(twiml)


def dnd_line(db: object, context: dict, *, user: str, at: datetime, now: datetime) -> bool:
    """Queue "@ana: Do Not Disturb scheduled, texted at 01:12" in the alert's thread (once per person)."""
    if "sos_id" in context:
        parent, key = sos.post_key(int(context["sos_id"])), f"sos:{context['sos_id']}:dnd:{user}"
    else:
        parent = safety.alert_key(int(context["shift_id"]))
        key = f"alert:{context['shift_id']}:{context.get('reason')}:dnd:{user}"
    if not outbox.exists(db, parent):  # type: ignore[arg-type]
        return False
    return outbox.enqueue(db, key=key, channel="thread", template="safety/dnd",  # type: ignore[arg-type]
                          context={"shift_id": int(context["shift_id"]), "user": user, "at": iso(at)},
                          due_at=now, now=now, parent=parent, mode="reply")


# ---------------------------------------------------------------- Do Not Disturb


def in_dnd(client: WebClient, user: str, now: datetime) -> bool:
    """Whether a person's scheduled Do Not Disturb is on now (dnd.teamInfo; False when it cannot be read)."""
    quick = WebClient(token=client.token, base_url=client.base_url, timeout=int(DND_TIMEOUT))
    try:
        found = (quick.api_call("dnd.teamInfo", params={"users": user}).get("users") or {}).get(user) or {}
    except Exception as exc:  # a look-up that fails changes nothing: the SMS waits its turn
        log.info("dnd.teamInfo for a recipient failed: %s", type(exc).__name__)
        return False
    start, end = found.get("next_dnd_start_ts"), found.get("next_dnd_end_ts")
    stamp = now.timestamp()
    return bool(found.get("dnd_enabled")) and bool(start and end) and float(start) <= stamp < float(end)


@sent("sos/coordinator", "safety/escalation")
def text_if_dnd(kit: Kit, note: outbox.Notification, context: dict) -> None:
    """A level 2 or 3 DM (or an SOS's) went out: if its person is in scheduled Do Not Disturb, text them now."""
    settings = kit.services.settings
    if note.mode or not settings.twilio or "shift_id" not in note.context:
        return
    user, now, store = note.channel, kit.services.now(), kit.services.store
    with store.read() as db:
        if not phones.verified(db, [user]):
            return
    if not in_dnd(kit.notifier.client, user, now):
        return
    ctx = note.context
    key = (f"sos:{ctx['sos_id']}:sms:{user}" if "sos_id" in ctx
           else phones.sms_key(int(ctx["shift_id"]), str(ctx.get("reason")), user))
    with store.write() as db:
        if not phones.text_now(db, key, now=now):
            if "reason" in ctx and not outbox.exists(db, key):
                phones.queue_escalation(db, shift_id=int(ctx["shift_id"]), reason=str(ctx["reason"]),
                                        at_once=[user], later=[], now=now, after=timedelta(0))
                phones.text_now(db, key, now=now)
            elif (at := phones.sent_at(db, key)) is not None:
                dnd_line(db, ctx, user=user, at=at, now=now)
    kit.notifier.flush(urgent=True, prefix=key)


# ---------------------------------------------------------------- the words


def _sos_open(kit: Kit, context: dict) -> bool:
    item = sos.load_sos(kit.services.store, int(context["sos_id"]))
    return item is not None and item.acked_at is None


def _escalation_open(kit: Kit, context: dict) -> bool:
    with kit.services.store.read() as db:
        return safety.escalation_open(db, int(context["shift_id"]), str(context["reason"]))


gate("sos/sms")(_sos_open)
gate("sos/call")(_sos_open)
gate("safety/sms")(_escalation_open)


def _choices(kit: Kit, context: dict) -> list[int]:
    """The shifts this person may take from the phone now (for "Reply 1 12" when there are several)."""
    with kit.services.store.read() as db:
        found = phones.open_alarms(db, str(context.get("user")))
    shift_id = int(context["shift_id"])
    return found if len(found) > 1 else [shift_id]


@notice("sos/sms")
@notice("safety/sms")
def notice_sms(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """The SMS: short and lock-screen safe, with which reply takes which when several are open."""
    return kit.render("phone/sms.j2", shift_id=int(context["shift_id"]), choices=_choices(kit, context)), []


@notice("sos/call")
def notice_call(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """What the call says."""
    return kit.render("phone/call.j2"), []


@notice("phone/code")
def notice_code(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """The verification code, derived again from its nonce (it is never stored)."""
    code = phones.code_for(kit.services.settings.twilio_token or "", user=str(context["user"]),
                           nonce=str(context["nonce"]))
    return kit.render("phone/code.j2", code=code), []


@notice("reach/phone")
def notice_rejected(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """To a number's owner and the admins: Twilio refused the alert phone."""
    text = kit.render("reach/phone.j2", user=context["user"], owner=bool(context.get("owner")),
                      error=context["error"])
    return text, bk.message([bk.section(text)])


@notice("safety/dnd")
def notice_dnd(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """In the alert's thread: a person in Do Not Disturb was texted."""
    text = kit.render("phone/dnd.j2", user=context["user"], at=from_iso(context["at"]),
                      tz=kit.services.settings.timezone)
    return text, bk.message([bk.section(text)])


# ---------------------------------------------------------------- taking it on from the phone


def may_take(kit: Kit, user: str, shift_id: int) -> bool:
    """Coordinators, the people on call and the shift's named contacts may take an alarm from their phone."""
    services = kit.services
    return services.role(user) >= Role.COORDINATOR or \
        safety.may_acknowledge(services.store, services.settings, shift_id=shift_id, user=user)


def take(kit: Kit, *, user: str, shift_id: int, how: str) -> bool:
    """Take a shift's alarm on from the phone, exactly as "I'm on it"; True when this took it."""
    store = kit.services.store
    if not may_take(kit, user, shift_id):
        return False
    taken = response.take(store, shift_id=shift_id, user=user)
    if taken.outcome != "done":
        return False
    with store.write() as db:
        safety.record_step(db, shift_id, safety.NIGHT, f"by-{how}:{user}", 2, [user], store.clock(), by=user)
    threading.Thread(target=kit.notifier.flush, kwargs={"urgent": True}, name="phone-take", daemon=True).start()
    return True


def answer_sms(kit: Kit, *, sender: str, body: str, sid: str = "") -> str:
    """What a reply by SMS does and what to answer (TwiML), in the language of the phone's owner: "1" takes an
    alarm; the words other surfaces know (points.SMS_WORDS: IN, OUT, SOS, LLEGUÉ, TERMINÉ) act for the owner."""
    number = phones.normalise(sender, kit.services.settings.region)
    with kit.services.store.read() as db:
        user = phones.owner_of(db, number) if number else None
        language = languages.language_of(db, user) if user else None
    with i18n.speaking(language):
        return _answer_sms(kit, sender=sender, body=body, sid=sid)


def _answer_sms(kit: Kit, *, sender: str, body: str, sid: str) -> str:
    store, region = kit.services.store, kit.services.settings.region
    reply = MessagingResponse()
    number = phones.normalise(sender, region)
    with store.read() as db:
        user = phones.owner_of(db, number) if number else None
        choices = phones.open_alarms(db, user) if user else []
        pending = number is not None and user is None and phones.pending(db, number)
    if user is None:
        if pending:  # recorded, not verified yet: say so, act on nothing
            reply.message(kit.render("phone/answer.j2", outcome="unverified", choices=[]))
        return str(reply)  # not an alert phone: nothing to say to it
    for other in points.SMS_REPLIES:
        said = other(kit, user, body or "", choices)
        if said is not None:
            reply.message(said)
            return str(reply)
    wanted = phones.TAKE.match(body or "")
    if wanted is None:
        said = next((t for t in (words(kit, user=user, body=body or "", sid=sid) for words in points.SMS_WORDS)
                     if t is not None), None)
        if said is not None:
            reply.message(said)
            return str(reply)
    if wanted is None or not choices:
        reply.message(kit.render("phone/answer.j2", outcome="help" if choices else "none", choices=choices,
                                 field=bool(points.SMS_WORDS)))
        return str(reply)
    shift_id = int(wanted.group(1)) if wanted.group(1) else (choices[0] if len(choices) == 1 else None)
    if shift_id is None or shift_id not in choices:
        reply.message(kit.render("phone/answer.j2", outcome="choose", choices=choices))
        return str(reply)
    told = phones.team_told(store, shift_id)
    done = take(kit, user=user, shift_id=shift_id, how="sms")
    reply.message(kit.render("phone/answer.j2", outcome="taken" if done else "not_taken", shift_id=shift_id,
                             choices=choices, told=told))
    return str(reply)


def answer_voice(kit: Kit, *, call_sid: str, digits: str) -> str:
    """What a digit pressed in a call does and what the call says next (TwiML), in the language of who was
    called (their voice too: `<Say language=...>`)."""
    with kit.services.store.read() as db:
        callee = phones.callee_of(db, call_sid)
        language = languages.language_of(db, callee) if callee else None
    with i18n.speaking(language):
        return _answer_voice(kit, call_sid=call_sid, digits=digits)


def _answer_voice(kit: Kit, *, call_sid: str, digits: str) -> str:
    store = kit.services.store
    twiml = VoiceResponse()
    for other in points.VOICE_REPLIES:
        said = other(kit, call_sid, digits)
        if said is not None:
            twiml.say(said, language=voice())
            return str(twiml)
    with store.read() as db:
        found = phones.call_of(db, call_sid)
    if found is None:
        twiml.say(kit.render("phone/voice.j2", outcome="unknown"), language=voice())
        return str(twiml)
    user, shift_id = found
    if digits.strip() != "1":
        twiml.say(kit.render("phone/voice.j2", outcome="not_taken"), language=voice())
        return str(twiml)
    with store.write() as db:
        safety.record_step(db, shift_id, safety.NIGHT, f"pressed1:{user}", 2, [user], store.clock(), by=user)
    told = phones.team_told(store, shift_id)
    done = take(kit, user=user, shift_id=shift_id, how="call")
    twiml.say(kit.render("phone/voice.j2", outcome="taken" if done else "already", told=told), language=voice())
    return str(twiml)


# ---------------------------------------------------------------- webhooks


def webhooks(kit: Kit) -> Callable[[dict, Callable], Iterable[bytes]]:
    """The WSGI app for /twilio/: signed webhooks only, each acted on once."""
    settings = kit.services.settings
    validator = RequestValidator(settings.twilio_token or "")

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")

        def answer(status: str, body: str, kind: str = "text/xml") -> Iterable[bytes]:
            start_response(status, [("Content-Type", kind)])
            return [body.encode()]

        if path not in (SMS_PATH, VOICE_PATH) or environ.get("REQUEST_METHOD") != "POST":
            return answer("404 Not Found", "not found", "text/plain")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            return answer("413 Payload Too Large", "too large", "text/plain")
        raw = environ["wsgi.input"].read(length).decode("utf-8", "replace") if length else ""
        form = dict(parse_qsl(raw, keep_blank_values=True))
        query = environ.get("QUERY_STRING", "")
        url = f"{settings.public_url}{path}" + (f"?{query}" if query else "")
        if not settings.twilio or not validator.validate(url, form, environ.get("HTTP_X_TWILIO_SIGNATURE", "")):
            log.info("refused a request to %s status=403 (bad or missing Twilio signature)", path)
            return answer("403 Forbidden", "forbidden", "text/plain")
        sid = form.get("MessageSid") or form.get("CallSid") or ""
        store = kit.services.store
        once = f"twilio:{sid}:{form.get('Digits', '')}"
        with store.write() as db:
            first = bool(sid) and store.first_time(db, once)
        if path == SMS_PATH:
            body = answer_sms(kit, sender=form.get("From", ""), body=form.get("Body", ""), sid=sid) if first else str(
                MessagingResponse())
        elif "Digits" in form:
            body = answer_voice(kit, call_sid=form.get("CallSid", ""), digits=form["Digits"]) if first else str(
                VoiceResponse())
        else:  # someone calls the number: where to go
            twiml = VoiceResponse()
            twiml.say(kit.render("phone/voice.j2", outcome="inbound"), language=voice())
            body = str(twiml)
        return answer("200 OK", body)

    return application


def routes(kit: Kit) -> dict:
    """The web server's extra routes for Twilio (none when it is not set up)."""
    return {"/twilio/": webhooks(kit)} if kit.services.settings.twilio else {}


# ---------------------------------------------------------------- My alert phone (App Home)


def home_blocks(kit: Kit, user: str) -> list[Block]:
    """The App Home's line about the reader's alert phone, with its button (only when Twilio is set up)."""
    if not kit.services.settings.twilio:
        return []
    mine = phones.load(kit.services.store, user)
    coordinator = kit.services.role(user) >= Role.COORDINATOR
    return [bk.divider(), bk.section(kit.render("phone/home.j2", phone=mine, coordinator=coordinator),
                                     accessory=bk.button(_("My alert phone"), ids.PHONE_OPEN), block_id="alert_phone")]


def phone_view(kit: Kit, user: str, *, note: str | None = None) -> dict:
    """The first screen: the number (or the one recorded, masked, with Remove)."""
    mine = phones.load(kit.services.store, user)
    parts: list[Block] = [bk.section(kit.render("phone/form.j2", part="intro", phone=mine, note=note))]
    if mine and mine.verified_at:
        parts.append(bk.actions(bk.button(_("Remove"), ids.PHONE_REMOVE, style="danger", confirm=bk.confirm(
            _("Remove your alert phone?"), kit.render("phone/form.j2", part="remove", phone=mine), yes=_("Remove"))),
            block_id=ids.PHONE_REMOVE))
    parts.append(bk.text_input("phone", kit.render("phone/form.j2", part="label"), max_length=40,
                               placeholder="+1 555 123 4567"))
    for extra in points.PHONE_PARTS:
        parts += extra(kit, user)
    return bk.modal(title=_("My alert phone"), blocks=parts, callback_id=ids.PHONE_NUMBER, submit=_("Send code"))


def code_view(kit: Kit, phone: str) -> dict:
    """The second screen: type the code sent to the number."""
    return bk.modal(title=_("My alert phone"), callback_id=ids.PHONE_CODE, submit=_("Verify"), blocks=[
        bk.section(kit.render("phone/form.j2", part="code", masked=phones.masked(phone))),
        bk.text_input("code", _("Code"), max_length=12, placeholder="123456")])


def on_open(kit: Kit, click: Click) -> None:
    if kit.services.settings.twilio:  # from My profile: pushed on top of it
        click.show(phone_view(kit, click.actor))


def on_remove(kit: Kit, click: Click) -> None:
    gone = phones.remove(kit.services.store, user=click.actor)
    click.update(phone_view(kit, click.actor, note=kit.render("phone/form.j2", part="removed" if gone else "none")))
    points.publish_home(kit, click.client, click.actor)


def on_number(kit: Kit, ack: Ack, context: BoltContext) -> None:
    services = kit.services
    actor, typed = context["actor"], str((context.get("form") or {}).get("phone") or "")
    if not services.settings.twilio:
        ack(response_action="errors", errors={"phone": kit.render("phone/form.j2", part="off")})
        return
    outcome, e164 = phones.start(services.store, user=actor, text=typed, region=services.settings.region,
                                 secret=services.settings.twilio_token or "")
    if outcome != "sent" or e164 is None:
        ack(response_action="errors", errors={"phone": kit.render("phone/form.j2", part=outcome,
                                                                  region=services.settings.region)})
        return
    ack(response_action="update", view=code_view(kit, e164))
    kit.notifier.flush(prefix=f"phone:code:{actor}:")


def on_code(kit: Kit, ack: Ack, context: BoltContext, client: WebClient) -> None:
    services = kit.services
    actor = context["actor"]
    outcome = phones.verify(services.store, user=actor, code=str((context.get("form") or {}).get("code") or ""))
    if outcome != "verified":
        ack(response_action="errors", errors={"code": kit.render("phone/form.j2", part=outcome)})
        return
    ack(response_action="update", view=phone_view(kit, actor, note=kit.render("phone/form.j2", part="verified")))
    points.publish_home(kit, client, actor)


def register(app: App, kit: Kit) -> None:
    """The phone sender, the App Home line and its modals."""

    sender = PhoneSender(kit)
    SENDERS["sms"] = SENDERS["call"] = sender
    points.add(points.HOME_SECTIONS, home_blocks)
    kit.wire(app, actions={
        ids.PHONE_OPEN: on_open,
        ids.PHONE_REMOVE: on_remove,
    }, forms={
        ids.PHONE_NUMBER: on_number,
        ids.PHONE_CODE: on_code,
    })
