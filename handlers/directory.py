"""Names from Slack for files read outside it: `users.info` (with the locale) on first need and daily by
the timer, `user_change` events, and member ids for as long as the app lacks `users:read`.

A look-up is never made while acking: files are made after the ack (a worker, a form's work, the
outbox), and each spends at most FIRST_NEED_SECONDS looking names up; a name still missing then is
the member id in that file, and queued for the timer (outreach/people.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import points
from handlers.kit import Kit
from outreach import people
from outreach.services import Services
from outreach.shifts import USER_ID

log = logging.getLogger(__name__)

SCOPE = "users:read"
LOOKUP_TIMEOUT = 2  # seconds for one users.info call
FIRST_NEED_SECONDS = 3.0  # what one file may spend looking names up before it uses member ids
PER_TICK = 10  # look-ups per timer tick (every 20 s): at most 30 a minute, under users.info's limit
SCOPE_PAUSE = timedelta(hours=1)  # after `missing_scope`, no look-up for an hour (the app may be reinstalled since)
RATE_PAUSE = timedelta(minutes=1)  # after `ratelimited` without a Retry-After
SLOW_PAUSE = timedelta(minutes=1)  # after a look-up that timed out or found Slack unreachable


def left(kit: Kit, user: str) -> None:
    """A member left the workspace: run what follows it."""
    for fn in points.LEFT:
        try:
            fn(kit, user)
        except Exception:  # one consequence failing must not stop the others; the next notice tries again
            log.exception("after %s left the workspace, %s failed", user, getattr(fn, "__name__", fn))


def person_from_slack(user: dict) -> people.Person | None:
    """A directory entry from a Slack user object (users.info, user_change); None when it has no id."""
    user_id = str(user.get("id") or "")
    if not USER_ID.match(user_id):
        return None
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    return people.Person(
        user_id=user_id, real_name=people.clean(profile.get("real_name") or user.get("real_name")),
        display_name=people.clean(profile.get("display_name")), locale=people.clean(user.get("locale")),
        deleted=bool(user.get("deleted")))


class Directory:
    """Looks people up in Slack for the directory, paced, and falls back to member ids."""

    def __init__(self, services: Services, client: WebClient, kit: Kit) -> None:
        self.services = services
        self.kit = kit
        # Its own client: a short timeout, and no retry that would wait through a rate limit or a timeout.
        self.client = WebClient(token=client.token, base_url=client.base_url, timeout=LOOKUP_TIMEOUT,
                                retry_handlers=[])
        self._paused_until: datetime | None = None
        self._told = False
        self._lock = threading.Lock()

    def paused(self) -> bool:
        """Whether look-ups wait (the scope is missing, Slack asked to slow down or did not answer)."""
        until = self._paused_until
        return until is not None and self.services.now() < until

    def _pause(self, wait: timedelta) -> None:
        with self._lock:
            until = self.services.now() + wait
            self._paused_until = max(self._paused_until or until, until)

    def look_up(self, user: str) -> bool:
        """Ask Slack for one member and keep the answer; False when there was none to keep."""
        if self.paused():
            return False
        now = self.services.now()
        try:
            answer = self.client.users_info(user=user, include_locale=True)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            if error == "missing_scope":
                self._pause(SCOPE_PAUSE)
                if not self._told:
                    self._told = True
                    log.warning("Slack refused users.info (missing_scope): files show member ids instead of names "
                                "until the app is reinstalled to grant %s (see `python bot.py check`)", SCOPE)
                return False
            if exc.response.status_code == 429 or error == "ratelimited":
                retry = str(exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after") or "")
                self._pause(timedelta(seconds=int(retry)) if retry.isdigit() else RATE_PAUSE)
                return False
            log.info("users.info for %s: %s", user, error or exc.response.status_code)
            people.tried(self.services.store, user, now=now)
            return False
        except Exception as exc:  # Slack unreachable or slow: files use ids a while; the timer tries again
            log.info("users.info for %s failed (%s)", user, type(exc).__name__)
            self._pause(SLOW_PAUSE)
            return False
        self._told = False  # answered: a later missing_scope (the scope taken away) is logged again
        person = person_from_slack(answer.get("user") or {})
        if person is None or person.user_id != user:
            people.tried(self.services.store, user, now=now)
            return False
        people.record(self.services.store, person, now=now)
        if person.deleted:
            left(self.kit, person.user_id)
        return True

    def names(self, ids: Iterable[str | None], *, fetch: bool = True) -> dict[str, str]:
        """Each member's name for a file (real name, else display name, else the member id).

        With `fetch`, members Slack has not described yet are looked up first, for at most
        FIRST_NEED_SECONDS in all; whoever is still missing is queued for the timer.
        """
        wanted = [i for i in {str(i) for i in ids if i} if USER_ID.match(i)]
        store, now = self.services.store, self.services.now()
        missing = people.to_look_up(store, wanted, now=now)
        if missing and fetch:
            deadline = time.monotonic() + FIRST_NEED_SECONDS
            for user in missing:
                if self.paused() or time.monotonic() >= deadline:
                    break
                self.look_up(user)
            missing = people.to_look_up(store, missing, now=now)
        people.queue(store, missing)
        return people.names(store, wanted)

    def refresh(self) -> int:
        """The timer's share: look up the members due (new ones first, then those a day old); how many."""
        done = 0
        for user in people.due(self.services.store, now=self.services.now(), limit=PER_TICK):
            if self.paused():
                break
            done += self.look_up(user)
        return done


def on_user_change(kit: Kit, event: dict) -> None:
    user = event.get("user")
    person = person_from_slack(user) if isinstance(user, dict) else None
    if person is not None:  # kept only for members the bot already needs
        people.record(kit.services.store, person, now=kit.services.now(), only_known=True)
        if person.deleted:  # whether the directory knew them or not: the rota, a role, a lead may
            left(kit, person.user_id)


def register(app: App, kit: Kit) -> None:
    """Give the kit names for files, refresh the directory on the timer, and follow profile changes."""
    directory = Directory(kit.services, app.client, kit)
    kit.names = directory.names
    kit.periodic.append(directory.refresh)
    kit.wire(app, events={
        "user_change": on_user_change,
    })
