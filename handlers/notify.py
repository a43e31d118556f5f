"""Sends the outbox: renders each due notification, posts it, and records what happened.

A notice to a person (a U... user id or a D... channel) is a DM: its `text` is what a phone shows on
its lock screen, maybe beside the people met that night, so it becomes a neutral line chosen per
notice (templates/common/lock_screen.j2) and the notice's words go in the blocks. A follow-up (a
reply in another notice's thread, or an update of it in place) goes where that message is.

When Slack refuses (outreach/outbox.py and outreach/reach.py say what follows): a passing error is
tried again, a safety message until it is sent; a channel error records the channel unreachable (the
admins are told once per episode) and moves a safety message to the coordinators' DMs; a safety DM
that fails for good tells the admins once. A notice may register what to do once Slack accepted it
(`sent`); the context it was rendered with (where it may note what it said) is passed on.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from babel.dates import format_date
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from handlers import blocks as bk
from handlers.worker import wait_until
from outreach import i18n, languages, outbox, reach
from outreach import shifts as sh
from outreach.services import Services

if TYPE_CHECKING:
    from handlers.kit import Kit

log = logging.getLogger(__name__)

Rendered = tuple[str, list[dict]]
# A notice may add a third element, a file to upload beside the message:
# {"filename": ..., "content": bytes, "title": ...}.
NoticeFn = Callable[["Kit", dict], Rendered | tuple[str, list[dict], dict] | None]
NOTICES: dict[str, NoticeFn] = {}
# Conditions a notice waits on: while any says False when it comes due, it is skipped (see `gate`).
Gate = Callable[["Kit", dict], bool]
GATES: dict[str, list[Gate]] = {}
# What to do once Slack accepted a notice of a template: fn(kit, note, context it was rendered with).
AfterFn = Callable[["Kit", outbox.Notification, dict], None]
AFTER: dict[str, list[AfterFn]] = {}
# Senders for rows that do not go to Slack, by the prefix of their channel (`sms:U…`, `call:U…`):
# fn(notifier, note, rendered text) -> 1 when sent; they mark the row themselves (handlers/phone.py).
SENDERS: dict[str, Callable[[Notifier, outbox.Notification, str], int]] = {}
PERSON = re.compile(r"^[UWD][A-Z0-9]+$")

# Errors that no retry can mend: the message is dropped and the reason recorded.
# The timer's flush waits up to this long before each message while requests are being worked on.
STEP_ASIDE = 0.25
PERMANENT = {
    "channel_not_found", "user_not_found", "is_archived", "not_in_channel", "account_inactive",
    "invalid_blocks", "msg_too_long", "no_text", "cannot_dm_bot", "user_disabled",
    "message_not_found", "cant_update_message", "edit_window_closed",
}


def notice(template: str) -> Callable[[NoticeFn], NoticeFn]:
    """Register how a notification of this template is worded; returning None skips it."""

    def inner(fn: NoticeFn) -> NoticeFn:
        NOTICES[template] = fn
        return fn

    return inner


def gate(template: str) -> Callable[[Gate], Gate]:
    """Register a condition for notices of a template: one that comes due while it is False is skipped."""

    def inner(fn: Gate) -> Gate:
        GATES.setdefault(template, []).append(fn)
        return fn

    return inner


def sent(*templates: str) -> Callable[[AfterFn], AfterFn]:
    """Register what to do once Slack accepted a notice of these templates (a decorator)."""

    def inner(fn: AfterFn) -> AfterFn:
        for template in templates:
            if fn not in AFTER.setdefault(template, []):
                AFTER[template].append(fn)
        return fn

    return inner


def to_person(channel: str) -> bool:
    """True for a DM: a user id or a direct-message channel id."""
    return bool(PERSON.match(channel or ""))


def lock_screen(kit: Kit, template: str, context: dict, text: str, blocks: list[dict]) -> Rendered:
    """A DM's neutral top-level line, and blocks that carry the notice's words (made from `text` if none)."""
    shift = None
    if str(context.get("shift_id", "")).isdigit():
        shift = sh.load_shift(kit.services.store, int(context["shift_id"]))
    day = format_date(shift.local_start(), "EEEE", locale=i18n.current()) if shift else None
    line = kit.render("common/lock_screen.j2", notice=template, shift=shift, day=day, context=context)
    return line, blocks or bk.message([bk.section(text)])


class Notifier:
    """Delivers due notifications; safe to call from many threads and processes at once."""

    def __init__(self, kit: Kit, services: Services, client: WebClient) -> None:
        self.kit = kit
        self.services = services
        self.client = client
        self.stopping = threading.Event()
        self.step_aside = STEP_ASIDE

    def flush(self, *, background: bool = False, urgent: bool = False, prefix: str | None = None) -> int:
        """Send everything due now, safety messages first; return how many were sent. Concurrent flushes
        claim different rows. `urgent`: safety messages only (an SOS press sends its own at once, not
        the ordinary notices due beside them); `prefix`: only keys that start with it.

        The timer's flush (`background`) steps aside before each message while people's requests are
        under way (`Kit.requests_under_way`), for up to STEP_ASIDE seconds each:
        a reminder can wait a moment, a person who clicked should not.
        """
        sent = 0
        while not self.stopping.is_set():
            batch = outbox.claim_due(self.services.store, now=self.services.now(), limit=20, urgent=urgent,
                                     prefix=prefix)
            if not batch:
                return sent
            for index, note in enumerate(batch):
                if self.stopping.is_set():  # shutting down: give the rest back for the next start
                    outbox.release(self.services.store, batch[index:])
                    return sent
                if background:
                    self.step_aside_for_requests()
                sent += self._deliver(note)
        return sent

    def step_aside_for_requests(self) -> None:
        """Wait while people's requests are under way, for up to `step_aside` seconds."""
        wait_until(lambda: not self.kit.requests_under_way(), most=self.step_aside)

    def _follows(self, note: outbox.Notification, now: datetime) -> tuple[bool, outbox.Posted | None]:
        """For a reply in a thread or an update in place: whether it can go, and the message it follows."""
        store = self.services.store
        with store.read() as db:
            target = outbox.posted(db, note.parent or "")
            moved = target is None and outbox.moved(db, note.parent or "")
        if moved:  # its message went to people instead: it follows there
            outbox.move(store, note, to={}, now=now, reason="follows its message")
            return False, None
        if target is None:
            outbox.mark_skipped(store, note, now=now, reason="its message was never posted")
            return False, None
        return True, target

    def _post(self, note: outbox.Notification, target: outbox.Posted | None, text: str, blocks: list) -> SlackResponse:
        """Send one message: an update in place, a reply in its thread, or a new message."""
        if note.mode == "update" and target:
            return self.client.chat_update(channel=target.channel, ts=target.ts, text=text, blocks=blocks or None)
        if note.mode == "reply" and target:
            return self.client.chat_postMessage(channel=target.channel, thread_ts=target.ts, text=text,
                                                blocks=blocks or None)
        return self.client.chat_postMessage(channel=note.channel, text=text, blocks=blocks or None)

    def language_of(self, note: outbox.Notification) -> str:
        """The language a notice is worded in: its person's (a DM, an SMS or a call to `U…`), else the
        coalition's (`OUTREACH_LANGUAGE`: a channel post, an update of one). Someone the bot knows nothing of
        yet (named coordinator or lead before they ever tapped) is looked up first: Slack gives their locale; never
        before a safety message (an SOS, the night's safety), which goes at once in what the bot knows."""
        who = note.channel.split(":", 1)[-1]
        if not re.match(r"^[UW][A-Z0-9]+$", who):
            who = str(note.context.get("user") or "") if who.startswith("D") else ""
        if not who:
            return self.services.settings.language
        with self.services.store.read() as db:
            unknown = not languages.known(db, who)
        if unknown and not note.urgent:  # bounded and paced (handlers/directory.py); a safety message never waits
            self.kit.names([who])
        with self.services.store.read() as db:
            return languages.language_of(db, who)

    def _deliver(self, note: outbox.Notification) -> int:
        with i18n.speaking(self.language_of(note)):
            return self._deliver_worded(note)

    def _deliver_worded(self, note: outbox.Notification) -> int:
        store, now = self.services.store, self.services.now()
        target = None
        if note.mode:  # a reply in a thread or an update in place: where is the message it follows?
            goes, target = self._follows(note, now)
            if not goes:
                return 0
        fn = NOTICES.get(note.template)
        context = dict(note.context, _mode=note.mode) if note.mode else dict(note.context)
        try:
            held = any(not ok(self.kit, note.context) for ok in GATES.get(note.template, []))
            rendered = None if held or not fn else fn(self.kit, context)
            if rendered is not None and to_person(note.channel):
                rendered = (*lock_screen(self.kit, note.template, note.context, rendered[0], rendered[1]),
                            *rendered[2:])
        except Exception:  # a broken template must not block the queue
            log.exception("could not render notification %s", note.template)
            outbox.mark_failed(store, note, error="render failed", retry_at=now + timedelta(minutes=5))
            return 0
        if rendered is None:
            outbox.mark_skipped(store, note, now=now, reason="waits for a condition" if held else "no longer meaningful")
            return 0
        text, blocks = rendered[0], rendered[1]
        upload = rendered[2] if len(rendered) > 2 and not note.mode else None
        if not outbox.renew(store, note, now=self.services.now()):  # the claim timed out and another sender took it
            log.info("notification %s: claim taken over by another sender; not sending it", note.id)
            return 0
        elsewhere = SENDERS.get(note.channel.split(":", 1)[0]) if ":" in note.channel else None
        if elsewhere is not None:
            return elsewhere(self, note, text)
        where = target.channel if target else note.channel
        try:
            response = self._post(note, target, text, blocks)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown")) if exc.response is not None else "unknown"
            self._refused(note, where, error, now=now)
            return 0
        except Exception as exc:  # network trouble: try again shortly
            self._refused(note, where, type(exc).__name__, now=now)
            return 0
        channel = str(response.get("channel") or where)
        if not outbox.mark_sent(store, note, now=now, ts=response.get("ts"), channel=channel):
            log.warning("notification %s was sent, but its claim had been taken over meanwhile", note.id)
        if not to_person(where) and reach.reachable(store, channel=where, now=now):
            log.warning("channel %s takes posts again", where)
        if upload:
            self._upload(note, channel, upload)
        for after in AFTER.get(note.template, []):
            try:
                after(self.kit, note, context)
            except Exception:  # what follows a message must not make it look unsent
                log.exception("after sending %s", note.template)
        return 1

    def _refused(self, note: outbox.Notification, where: str, error: str, *, now: datetime) -> None:
        """Slack did not take a notice: try it again later, move it to people, or record why not."""
        store, settings = self.services.store, self.services.settings
        log.warning("notification %s to %s failed: %s", note.template, where, error)
        if error in reach.CHANNEL_ERRORS and not to_person(where):
            if reach.unreachable(store, channel=where, error=error, now=now, admins=settings.admins,
                                 coordinator_channel=settings.coordinator_channel):
                log.error("cannot post in channel %s (%s): the admins are told", where, error)
            if note.urgent:  # to each coordinator by DM instead
                to = reach.fallback(store, key=note.parent if note.mode else note.key,
                                    coordinators=self.services.coordinators())
                outbox.move(store, note, to=to, now=now, reason=error)
                return
            outbox.mark_skipped(store, note, now=now, reason=error)
            return
        if error in reach.PERSON_ERRORS and note.urgent:
            reach.person_unreachable(store, user=note.channel, error=error, template=note.template, now=now,
                                     admins=settings.admins)
        if error in PERMANENT:
            outbox.mark_skipped(store, note, now=now, reason=error)
            return
        retry = outbox.retry_at(note, now)
        if retry is None:
            outbox.mark_skipped(store, note, now=now, reason=f"gave up after {note.attempts} attempts: {error}")
        else:
            outbox.mark_failed(store, note, error=error, retry_at=retry)

    def _upload(self, note: outbox.Notification, channel: str, upload: dict) -> None:
        """Upload a notice's file (or `files`, with a `comment`) into the channel its message went to (a DM's D... id)."""
        try:
            if "files" in upload:  # several files in one message (the monthly report's chart, PDF and workbook)
                self.client.files_upload_v2(channel=channel, initial_comment=upload.get("comment"), file_uploads=[
                    {"content": data, "filename": filename, "title": title} for data, filename, title in upload["files"]])
            else:
                self.client.files_upload_v2(
                    channel=channel, content=upload["content"], filename=upload["filename"],
                    title=upload.get("title") or upload["filename"],
                )
        except Exception as exc:  # the message went out; record the missing file for the operator
            error = exc.response.get("error") if isinstance(exc, SlackApiError) and exc.response is not None else None
            log.warning("upload for notification %s failed: %s", note.template, error or type(exc).__name__)
            with self.services.store.write() as db:
                outbox.note_error(db, note.id, f"upload failed: {error or type(exc).__name__}")


@notice("reach/channel")
def notice_reach_channel(kit: Kit, context: dict) -> Rendered:
    """To an admin, once per episode: the bot cannot post in a channel, and how to fix it."""
    text = kit.render("reach/channel.j2", channel=context["channel"], error=context["error"],
                      coordinators=bool(context.get("coordinators")))
    return text, bk.message([bk.section(text)])


@notice("reach/person")
def notice_reach_person(kit: Kit, context: dict) -> Rendered:
    """To an admin, once per person and error: a safety DM could not be delivered."""
    from outreach.roles import Role

    user = str(context["user"])
    text = kit.render("reach/person.j2", user=user, error=context["error"],
                      coordinator=kit.services.role(user) >= Role.COORDINATOR)
    return text, bk.message([bk.section(text)])
