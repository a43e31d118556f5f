"""Never quiet: is work being taken? `/healthz` says it, the log says why, the coordinators are told.

Read from what the bot already keeps: the jobs table (outreach/jobs.py) and whether the worker
process runs. Unhealthy when a job has waited longer than WAIT_LIMIT for a worker, when one has been
worked on for longer than RUN_LIMIT, or when the worker process is not running. The `Alarm` checks
every few seconds in the process that receives requests (which stays up when the worker does not),
logs each change, and posts to the coordinator channel once when work stops and once when it resumes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient

from handlers.render import Renderer
from outreach import jobs
from outreach.store import Store

log = logging.getLogger(__name__)

WAIT_LIMIT = 5.0  # seconds a job may wait for a worker (they start within milliseconds when all is well)
RUN_LIMIT = 120.0  # seconds a job may be worked on (the slowest, a report with its chart, takes a few)
CHECK_SECONDS = 2.0


class Watch:
    """Tells whether work is being taken, and if not, why (in words for the log and /healthz)."""

    def __init__(self, store: Store, *, worker_alive: Callable[[], bool] = lambda: True,
                 clock: Callable[[], float] = time.time, wait_limit: float = WAIT_LIMIT,
                 run_limit: float = RUN_LIMIT) -> None:
        self.store = store
        self.worker_alive = worker_alive
        self.clock = clock
        self.wait_limit = wait_limit
        self.run_limit = run_limit

    def check(self) -> tuple[bool, str]:
        """(True, "") while work is being taken; else (False, why)."""
        if not self.worker_alive():
            return False, "The worker process is not running"
        try:
            backlog = jobs.backlog(self.store, now=self.clock())
        except Exception as exc:  # the database itself is the problem
            return False, f"The database cannot be read ({type(exc).__name__})"
        if backlog.waiting and backlog.oldest_wait > self.wait_limit:
            return False, (f"{backlog.waiting} request(s) waiting for a worker, the oldest for "
                           f"{backlog.oldest_wait:.0f} s")
        if backlog.running and backlog.oldest_run > self.run_limit:
            return False, f"A request has been worked on for {backlog.oldest_run:.0f} s"
        return True, ""


class Alarm:
    """Checks the watch every CHECK_SECONDS; logs each change and tells the coordinator channel once
    when work stops being taken, and once when it resumes."""

    def __init__(self, watch: Watch, *, client: WebClient, channel: str | None, render: Renderer,
                 every: float = CHECK_SECONDS) -> None:
        self.watch = watch
        self.client = client
        self.channel = channel
        self.render = render
        self.every = every
        self.healthy = True
        self.since = 0.0
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
        """Check once; on a change, log it and tell the coordinators."""
        ok, why = self.watch.check()
        if ok == self.healthy:
            return
        self.healthy = ok
        if not ok:
            self.since = time.monotonic()
            log.error("work is not being taken: %s", why)
            self._tell(self.render("health/stuck.j2", why=why))
        else:
            minutes = (time.monotonic() - self.since) / 60
            log.warning("work is being taken again")
            self._tell(self.render("health/recovered.j2",
                                   waited=f"{minutes:.0f} min" if minutes >= 1 else "under a minute"))

    def _tell(self, text: str) -> None:
        if not self.channel:
            return
        try:
            self.client.chat_postMessage(channel=self.channel, text=text)
        except Exception as exc:  # Slack unreachable: the log has it
            log.warning("could not tell the coordinator channel (%s)", type(exc).__name__)
