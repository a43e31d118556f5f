"""Reaching Slack at start-up: while it cannot be reached, one line per try and a wait that doubles up to a minute.

A DNS failure or a refused connection is a network problem that fixes itself (the machine's network
comes up after the bot, a proxy restarts): the bot waits for Slack rather than stopping with a traceback.
A token Slack refuses is not retried: that needs a person (bot.py says what to do).
"""

from __future__ import annotations

import logging
import socket
import urllib.error
from collections.abc import Callable
from typing import TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)
T = TypeVar("T")
FIRST_WAIT = 1.0
LONGEST_WAIT = 60.0
# A quiet client for the probe: slack_sdk logs each failed request at ERROR, and a wait is one line per try.
_quiet = logging.getLogger("outreach.connect.probe")
_quiet.setLevel(logging.CRITICAL)
_quiet.propagate = False


def next_wait(previous: float | None) -> float:
    """The wait after a failed try: 1 s, then twice the one before, at most LONGEST_WAIT."""
    return FIRST_WAIT if previous is None else min(previous * 2, LONGEST_WAIT)


def network_problem(exc: BaseException) -> str | None:
    """A few words on why Slack could not be reached (DNS, refused, timed out), or None if `exc` is not that."""
    if isinstance(exc, SlackApiError):
        return None  # Slack answered
    reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, socket.gaierror):
        return f"the name could not be resolved: {reason.strerror or reason}"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(reason, OSError):
        return reason.strerror or type(reason).__name__
    return None


def probe(api_url: str) -> Callable[[], None]:
    """One quiet try at Slack's `api.test` (no token needed): returns once Slack answers, raises if it cannot be reached."""
    client = WebClient(base_url=api_url, timeout=10, logger=_quiet, retry_handlers=[])

    def attempt() -> None:
        try:
            client.api_test()
        except SlackApiError:
            pass  # an answer all the same
    return attempt


def until_reached(attempt: Callable[[], T], *, where: str, wait: Callable[[float], bool]) -> tuple[bool,
                  T | None]:
    """Run `attempt` until it gets through; on a network problem log one line and `wait` (True: stop asked).

    Returns (True, its result) once it got through, (False, None) when `wait` said to stop. Anything
    other than a network problem is raised as it is.
    """
    delay: float | None = None
    while True:
        try:
            return True, attempt()
        except Exception as exc:
            problem = network_problem(exc)
            if problem is None:
                raise
            delay = next_wait(delay)
            log.warning("cannot reach Slack at %s (%s); trying again in %.0f s", where, problem, delay)
        if wait(delay):
            return False, None


def once_reached(attempt: Callable[[], T], *, api_url: str, wait: Callable[[float],
                 bool]) -> tuple[bool, T | None]:
    """`until_reached` with a quiet probe first on each try, so a network problem is one line, not slack_sdk's three."""
    reach = probe(api_url)

    def tried() -> T:
        reach()
        return attempt()
    return until_reached(tried, where=api_url, wait=wait)
