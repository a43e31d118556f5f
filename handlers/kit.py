"""What every Slack surface needs: the domain services, the renderer and the notifier."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial, wraps
from typing import TYPE_CHECKING, TypeVar

from slack_bolt import App

from handlers.click import Only, gate
from handlers.render import Renderer
from handlers.worker import F, Runner, form, later
from outreach import i18n
from outreach.lease import make_owner
from outreach.services import Services

if TYPE_CHECKING:
    from handlers.notify import Notifier
    from outreach.shifts import Shift


Listener = Callable[..., None] | Only
T = TypeVar("T")


@dataclass
class Kit:
    """Services plus the Slack-side helpers built on them."""

    services: Services
    render: Renderer
    notifier: Notifier = field(init=False)
    # Work to run on every tick of the bot's timer (about every 20 s), after the outbox is sent.
    periodic: list[Callable[[], None]] = field(default_factory=list)
    # Work for the first tick only, before anything is sent (start-up derivations).
    startup: list[Callable[[], None]] = field(default_factory=list)
    # Readiness checks for the "not ready" alert and reminders: each takes a shift id and returns
    # what is missing (empty when ready), or None when it keeps no checklist for that shift.
    readiness_checkers: list[Callable[[int], list[str] | None]] = field(default_factory=list)
    # Where an escalation finds the night's law enforcement contact: shift id -> text, or None.
    contact_providers: list[Callable[[int], str | None]] = field(default_factory=list)
    # What a list of shifts shows per line, read once for the whole list: fn(shifts) -> template variables.
    list_readers: list[Callable[[list[Shift]], dict]] = field(default_factory=list)
    # Runs listeners in this process: a form's answer first, the work after it (handlers/worker.py).
    runner: Runner = field(init=False)
    # This process's claim token on the jobs it runs itself (the forms it receives).
    owner: str = field(default_factory=make_owner)
    # Tells the worker a job was written (set where a worker runs: bot.py run, or the tests' harness).
    wake: Callable[[], None] = lambda: None
    # How many people's requests are under way (in the worker: the jobs it is doing).
    requests_under_way: Callable[[], int] = lambda: 0
    # Members' names for files read outside Slack, by member id (handlers/directory.py): the real name,
    # else the display name, else the id itself; `fetch=False` uses only what the directory holds.
    names: Callable[..., dict[str, str]] = lambda ids, fetch=True: {i: i for i in ids if i}
    # Every listener `wire` registered, by (kind, id): its role rule, or None for anyone (tests read it).
    wired: dict[tuple[str, str], Only | None] = field(default_factory=dict)

    def later(self, register: Callable[..., object]) -> Callable[[F], F]:
        """Register a listener as work after an empty ack, done by a worker from the jobs table (a decorator)."""
        return later(register, lambda: self.runner)

    def form(self, register: Callable[..., object]) -> Callable[[F], F]:
        """Register a view submission's listener: Slack gets its answer as soon as it acks (errors, or the
        modal closes); what it does after its ack goes on in this process (a decorator)."""
        return form(register, lambda: self.runner)

    def wire(self, app: App, *, actions: Mapping[str, Listener] | None = None,
             forms: Mapping[str, Listener] | None = None,
             events: Mapping[str, Listener] | None = None,
             commands: Mapping[str, Listener] | None = None) -> None:
        """Register a surface's table of top-level listeners, each called with this kit first: buttons,
        events and slash commands as work after an empty ack (`later`), view submissions as forms (`form`).
        A listener given as `only(role, fn, what)` (handlers/click.py) gets its role check as listener middleware."""
        for kind, table, wrap in (("action", actions, self.later), ("view", forms, self.form),
                                  ("event", events, self.later), ("command", commands, self.later)):
            for name, entry in (table or {}).items():
                if (kind, name) in self.wired:  # Bolt would run only the first: the second would never be reached
                    raise ValueError(f"{kind} {name!r} is registered twice")
                rule = entry if isinstance(entry, Only) else None
                self.wired[(kind, name)] = rule
                listener = rule.listener if rule else entry
                bound = partial(listener, self)
                bound.__name__ = listener.__name__  # type: ignore[attr-defined]  # how the worker names it in logs
                register = getattr(app, kind)(name, middleware=[gate(self, rule)] if rule else None)
                wrap(register)(bound)

    def read_ahead(self, shifts: list[Shift]) -> dict:
        """Template variables for rendering a list of shifts, each read with a few queries for them all."""
        out: dict = {}
        for reader in self.list_readers:
            out.update(reader(shifts))
        return out

    def readiness(self, shift_id: int) -> list[str] | None:
        """What is missing before a shift can go out (None when no checker knows the shift)."""
        results = [r for r in (check(shift_id) for check in self.readiness_checkers) if r is not None]
        return None if not results else [item for r in results for item in r]

    def contact(self, shift_id: int) -> str | None:
        """The law enforcement contact of a shift, when a provider knows it."""
        return next((c for c in (p(shift_id) for p in self.contact_providers) if c), None)

    def tick(self) -> None:
        """Send what is due, then run each periodic job (one job's failure does not stop the rest).

        The first tick first runs the start-up jobs (deriving what is due from the tables).
        """
        import logging

        while self.startup:
            job = self.startup.pop(0)
            try:
                job()
            except Exception:
                logging.getLogger(__name__).exception("start-up job %s failed", getattr(job, "__name__", job))
        self.notifier.flush(background=True)
        for job in self.periodic:
            self.notifier.step_aside_for_requests()  # each periodic job starts between people's requests
            try:
                job()
            except Exception:
                logging.getLogger(__name__).exception("periodic job %s failed", getattr(job, "__name__", job))


def for_everyone(fn: Callable[..., T]) -> Callable[..., T]:
    """Word what a function says in the coalition's language (`OUTREACH_LANGUAGE`), whoever made it happen:
    for words not meant for one person, such as a channel post (a decorator; the function takes the kit first)."""

    @wraps(fn)
    def inner(kit: Kit, *args: object, **kwargs: object) -> T:
        with i18n.speaking(kit.services.settings.language):
            return fn(kit, *args, **kwargs)

    return inner
