"""Never quiet: is work being taken, and is what must be sent sent? `/healthz` says it, the log says
why, the admins are told.

Read from what the bot already keeps: the jobs table (outreach/jobs.py), the outbox
(outreach/outbox.py) and whether the worker process runs. Unhealthy when a job has waited longer
than WAIT_LIMIT for a worker, when one has been worked on for longer than RUN_LIMIT, when the worker
process is not running, when a safety message (an SOS, the night's safety) has waited more than
URGENT_LIMIT undelivered, when the outbox's oldest due row has waited more than DUE_LIMIT, or when
the timer (which sends the outbox, in whichever process holds the lease) has not run for TIMER_LIMIT:
it records each run in the database (`outbox.beat`), so the process that answers /healthz reads it.

The `Alarm` checks every few seconds in the process that receives requests (which stays up when the
worker does not), logs each change, and DMs each admin once when an episode begins and once when it
ends: through the outbox, as safety messages, and it sends them itself (the worker may be what is
stuck), again and again until Slack takes them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from slack_bolt import App

from handlers import blocks as bk
from handlers.notify import notice
from outreach import i18n, jobs, outages, outbox
from outreach.i18n import N_
from outreach.i18n import gettext as _
from outreach.store import Store, from_iso, iso

if TYPE_CHECKING:
    from handlers.kit import Kit
    from handlers.notify import Notifier

log = logging.getLogger(__name__)

WAIT_LIMIT = 5.0  # seconds a job may wait for a worker (they start within milliseconds when all is well)
RUN_LIMIT = 120.0  # seconds a job may be worked on (the slowest, a report with its chart, takes a few)
CHECK_SECONDS = 2.0
URGENT_LIMIT = timedelta(seconds=30)  # a safety message undelivered this long is an alarm
DUE_LIMIT = timedelta(minutes=2)  # the outbox's oldest due row
TIMER_LIMIT = timedelta(minutes=2)  # the timer ticks every 20 s


def _span(delta: timedelta) -> str:
    """A wait as the admins read it (`45 s`, `3 min`), in the language in force."""
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return _("%(seconds)s s") % {"seconds": seconds}
    return _("%(minutes)s min") % {"minutes": seconds // 60}


class Why(str):
    """Why work is not being taken: the sentence in English (for the log and /healthz), which also carries its
    message and values, so that an admin's DM says it in the admin's language (`said`). A value named `waited`
    is a wait in seconds, said as `_span` says it."""

    message: str
    values: dict[str, int | str]

    def __new__(cls, message: str, **values: int | str) -> Why:
        """The reason `message` (marked with N_) with its values, in English."""
        with i18n.speaking(None):
            why = super().__new__(cls, _say(message, values))
        why.message, why.values = message, values
        return why

    def context(self) -> dict:
        """What a queued notice keeps to say it again later (JSON)."""
        return {"why": str(self), "why_message": self.message, "why_values": self.values}


def _say(message: str, values: dict) -> str:
    """A reason in the language in force."""
    return _(message) % {k: _span(timedelta(seconds=int(v))) if k == "waited" else v for k, v in values.items()}


def said(context: dict) -> str:
    """A queued notice's reason in the language in force (one queued before reasons were kept in parts: as it
    was written)."""
    message, values = context.get("why_message"), context.get("why_values")
    if not isinstance(message, str) or not isinstance(values, dict):
        return str(context.get("why") or "")
    try:
        return _say(message, values)
    except (KeyError, TypeError, ValueError):  # a value that does not fit the message: the English kept
        return str(context.get("why") or "")


class Watch:
    """Tells whether work is being taken, and if not, why (in words for the log and /healthz)."""

    def __init__(self, store: Store, *, worker_alive: Callable[[], bool] = lambda: True,
                 clock: Callable[[], float] = time.time, wait_limit: float = WAIT_LIMIT,
                 run_limit: float = RUN_LIMIT, now: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.worker_alive = worker_alive
        self.clock = clock  # wall-clock seconds, for the jobs table
        self.now = now or store.clock  # the bot's clock, for the outbox and the timer
        self.wait_limit = wait_limit
        self.run_limit = run_limit
        self.started = self.now()  # before the timer's first run, it is measured from here

    def check(self) -> tuple[bool, str]:
        """(True, "") while work is being taken; else (False, why)."""
        if not self.worker_alive():
            return False, Why(N_("The worker process is not running"))
        try:
            backlog = jobs.backlog(self.store, now=self.clock())
        except Exception as exc:  # the database itself is the problem
            return False, Why(N_("The database cannot be read (%(error)s)"), error=type(exc).__name__)
        if backlog.waiting and backlog.oldest_wait > self.wait_limit:
            return False, Why(N_("%(count)s request(s) waiting for a worker, the oldest for %(seconds)s s"),
                              count=backlog.waiting, seconds=f"{backlog.oldest_wait:.0f}")
        if backlog.running and backlog.oldest_run > self.run_limit:
            return False, Why(N_("A request has been worked on for %(seconds)s s"),
                              seconds=f"{backlog.oldest_run:.0f}")
        return self.sending()

    def sending(self) -> tuple[bool, str]:
        """(True, "") while the outbox is sent on time and the timer runs; else (False, why)."""
        now = self.now()
        try:
            late = outbox.backlog(self.store, now=now)
            ran = outbox.last_beat(self.store) or self.started
        except Exception as exc:
            return False, Why(N_("The database cannot be read (%(error)s)"), error=type(exc).__name__)
        if late.oldest_urgent and now - late.oldest_urgent > URGENT_LIMIT:
            return False, Why(N_("A safety message (SOS or check-in) has waited %(waited)s undelivered"),
                              waited=_seconds(now - late.oldest_urgent))
        if late.oldest_due and now - late.oldest_due > DUE_LIMIT:
            return False, Why(N_("The oldest message due has waited %(waited)s undelivered"),
                              waited=_seconds(now - late.oldest_due))
        if now - ran > TIMER_LIMIT:
            return False, Why(N_("The timer has not run for %(waited)s"), waited=_seconds(now - ran))
        return True, ""

    def slack_stalled_since(self) -> datetime | None:
        """Since when Slack messages are not going out (the same limits as `sending`, on the messages for
        Slack only, not the SMS and calls); None while they go out."""
        now = self.now()
        late = outbox.backlog(self.store, now=now, slack_only=True)
        ran = outbox.last_beat(self.store) or self.started
        if late.oldest_urgent and now - late.oldest_urgent > URGENT_LIMIT:
            return late.oldest_urgent
        if late.oldest_due and now - late.oldest_due > DUE_LIMIT:
            return late.oldest_due
        return ran if now - ran > TIMER_LIMIT else None


class Alarm:
    """Checks the watch every CHECK_SECONDS; logs each change and DMs each admin once when an episode
    begins and once when it ends (through the outbox, sending those DMs itself until Slack takes them).

    With Twilio set up, when Slack messages are not going out the admins with a verified alert phone are
    also texted, once per episode (recorded in the database: once across restarts and processes), and
    once when messages go out again (outreach/outages.py).
    """

    def __init__(self, watch: Watch, *, notifier: Notifier, admins: Iterable[str],
                 every: float = CHECK_SECONDS) -> None:
        self.watch = watch
        self.notifier = notifier
        self.admins = sorted(set(admins))
        self.every = every
        self.healthy = True
        self.since: datetime | None = None
        self.outage: bool | None = None  # an episode of Slack messages not going out is open (None: not read yet)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="health", daemon=True)

    def start(self) -> None:
        """Start checking in the background."""
        self.thread.start()

    def stop(self) -> None:
        """Stop checking."""
        self._stop.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.look()

    def look(self) -> None:
        """Check once; on a change, log it and tell the admins; send what the admins were not sent yet."""
        ok, why = self.watch.check()
        try:
            if ok != self.healthy:
                self._change(ok, why)
            self._text(ok)
            if outbox.waiting(self.watch.store, prefix="health:"):
                self.notifier.flush(prefix="health:")
        except Exception as exc:  # the database or Slack refused: the log has it, the next look tries again
            log.warning("could not tell the admins (%s)", type(exc).__name__)

    def _change(self, ok: bool, why: str) -> None:
        now = self.watch.now()
        if not ok:
            log.error("work is not being taken: %s", why)
            reason = why.context() if isinstance(why, Why) else {"why": why}
            self._tell(f"health:stuck:{iso(now)}", "health/stuck", {**reason, "since": iso(now)}, now)
            self.since = now
        else:
            log.warning("work is being taken again")
            since = self.since or now
            self._tell(f"health:recovered:{iso(since)}", "health/recovered", {"since": iso(since), "at": iso(now)}, now)
            self.since = None
        self.healthy = ok

    def _text(self, ok: bool) -> None:
        """Text the admins when Slack messages stop going out and when they go out again (once per episode)."""
        if not self.notifier.services.settings.twilio:
            return
        store = self.watch.store
        if self.outage is None:
            self.outage = outages.is_open(store)
        if ok and not self.outage:
            return  # all is well: no more to read
        since = None if ok else self.watch.slack_stalled_since()
        if since is not None and not self.outage:
            if outages.begin(store, since=since, now=self.watch.now(), admins=self.admins):
                log.error("Slack messages are not going out: the admins with an alert phone are texted")
            self.outage = True
        elif since is None and self.outage:
            if outages.end(store, now=self.watch.now()):
                log.warning("Slack messages are going out again: the admins with an alert phone are texted")
            self.outage = False

    def _tell(self, key: str, template: str, context: dict, now: datetime) -> None:
        with self.watch.store.write() as db:
            for admin in self.admins:
                outbox.enqueue(db, key=f"{key}:{admin}", channel=admin, template=template, context=context,
                               due_at=now, now=now)


@notice("health/stuck")
def notice_stuck(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """To each admin: the bot stopped doing or sending what it must, and why."""
    text = kit.render("health/stuck.j2", why=said(context), since=from_iso(context["since"]),
                      tz=kit.services.settings.timezone)
    return text, bk.message([bk.section(text)])


@notice("health/recovered")
def notice_recovered(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """To each admin: the bot works again, after how long."""
    waited = from_iso(context["at"]) - from_iso(context["since"])
    text = kit.render("health/recovered.j2", waited=_span(waited) if waited >= timedelta(minutes=1) else _("under a minute"))
    return text, bk.message([bk.section(text)])


def _seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())


def _clock(moment: datetime, zone: str) -> str:
    """A time of day in the coalition's zone, as an SMS says it (01:12)."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M")


@notice("health/sms")
def notice_sms(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """To each admin's alert phone: Slack messages are not going out, since when."""
    return kit.render("health/sms.j2", since=_clock(from_iso(context["since"]), kit.services.settings.timezone)), []


@notice("health/sms_back")
def notice_sms_back(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """To each admin's alert phone texted about it: Slack messages go out again."""
    zone = kit.services.settings.timezone
    return kit.render("health/sms_back.j2", since=_clock(from_iso(context["since"]), zone),
                      at=_clock(from_iso(context["at"]), zone)), []


def register(app: App, kit: Kit) -> None:
    """Record each run of the timer (its last periodic job), for /healthz in whichever process answers it."""
    services = kit.services
    kit.periodic.append(lambda: outbox.beat(services.store, now=services.now()))
