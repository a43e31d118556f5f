"""Work after the ack, handed over to a worker process.

A command, a click or an event needs nothing from its work to be acknowledged. Each of those
listeners is registered through `later`: Bolt sees a listener that acks and then hands the request
over, and the kit's `hand_over` decides where the work runs:
- by default, right there, after the ack, on the app's listener executor (the tests' harness);
- in `bot.py run`, the request (its raw body and headers) goes over a queue to a worker process that
  built the same app. The worker dispatches it as Slack sent it, so the same listener matches and,
  there, does its work. The process that acks never competes with the work for the interpreter
  lock, and the worker runs at a lower CPU priority, so acks come first when the machine is busy.

View submissions stay ordinary listeners: their answer (errors shown in the form) depends on them.

Bolt's own lazy listeners do the same split, but copy each request deeply before handing it on; at
about a millisecond of CPU per request in the acking process, that copy cost more than the ack.
"""

from __future__ import annotations

import logging
import os
import queue as queues
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from slack_bolt import Ack, App, BoltRequest
from slack_bolt.kwargs_injection import build_required_kwargs
from slack_bolt.util.utils import get_arg_names_of_callable

from handlers.web import mend_form_body

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., None])
Work = Callable[..., None]
ErrorReporter = Callable[[Exception, BoltRequest], None]
# A hand-over acks the request, then runs the work or sends it where it runs.
HandOver = Callable[[Work, BoltRequest, Ack], None]
# A job for the worker: the request's mode, its body (raw text over HTTP, parsed in Socket Mode), its
# headers, and how long the ack took (ms).
Job = tuple[str, str | dict, dict[str, list[str]], float]
# The listeners the acking process runs itself, whatever the hand-over: their answer is their work.
RUN_WHERE_ACKED = ("view_submission", "view_closed")
WORKER_THREADS = 8
WORKER_NICENESS = 19
# A job starts once no request has been in the acking process for QUIET_GAP seconds, or after
# MAX_YIELD seconds of waiting for that, whichever comes first.
QUIET_GAP = 0.01
MAX_YIELD = 1.0
YIELD_POLL = 0.005


def later(register: Callable[..., object], hand_over: Callable[[], HandOver]) -> Callable[[F], F]:
    """Register `fn` as work after an empty ack (use as a decorator).

    `register` is what `app.command(...)`, `app.action(...)` or `app.event(...)` returns;
    `hand_over()` gives the kit's current way of running the work.
    """

    def decorate(fn: F) -> F:
        def ack_then_work(ack: Ack, request: BoltRequest) -> None:
            hand_over()(fn, request, ack)

        ack_then_work.__name__ = ack_then_work.__qualname__ = fn.__name__
        register(ack_then_work)
        return fn

    return decorate


def run_here(report: ErrorReporter) -> HandOver:
    """A hand-over that runs the work in this thread, with Bolt's arguments; errors go to `report`."""

    def hand_over(fn: Work, request: BoltRequest, ack: Ack) -> None:
        ack()
        try:
            fn(**build_required_kwargs(logger=log, required_arg_names=get_arg_names_of_callable(fn),
                                       request=request, response=None, this_func=fn))
        except Exception as exc:
            report(exc, request)

    return hand_over


class JobQueue(Protocol):
    """What the hand-over needs of a queue (a multiprocessing queue in production)."""

    def put(self, item: Any) -> None: ...  # noqa: D102


class WorkerLink:
    """The acking process's end of the worker: hands requests over, and counts acks on the gate.

    `hand_over` acks and leaves the job on the request; once Bolt's dispatch has returned the ack,
    `send` queues the job with the ack time, and the worker writes the request's log line.
    """

    def __init__(self, jobs: JobQueue, gate: AckGate) -> None:
        self.jobs = jobs
        self.gate = gate

    def hand_over(self, _fn: Work, request: BoltRequest, ack: Ack) -> None:
        """Ack, and leave the request's job for `send`."""
        body = request.raw_body if request.mode == "http" else request.body
        request.context["job"] = (request.mode, body, {k: list(v) for k, v in request.headers.items()})
        ack()

    def send(self, request: BoltRequest, ack_ms: float) -> bool:
        """Queue the request's job, if it has one (a multiprocessing queue never blocks the caller)."""
        job = request.context.get("job")
        if job is None:
            return False
        self.jobs.put((*job, ack_ms))
        return True


def request_of(job: Job) -> BoltRequest:
    """The Bolt request a job stands for, with the ack time in its context."""
    mode, body, headers, ack_ms = job
    return mend_form_body(BoltRequest(body=body, headers=headers, mode=mode, context={"ack_ms": ack_ms}))


class AckGate:
    """Shared by the acking process and the worker: are requests being acked right now?

    The acking process counts the requests it is acknowledging; the worker waits for a quiet moment
    before it starts a job. On a machine of two cores, work running beside a burst of acks slows the
    acks even at the lowest CPU priority (the cores share caches and, on a virtual machine, often one
    physical core), so the worker steps aside while acks are under way. It never waits longer than
    MAX_YIELD for a job, so work (and a modal's trigger, valid for 3 s) is late by at most that.
    """

    def __init__(self, context: Any) -> None:
        self.busy = context.RawValue("i", 0)  # shared memory; written only under the acking process's lock
        self.last = context.RawValue("d", 0.0)  # time.monotonic() of the last ack (one clock for all processes)
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {"busy": self.busy, "last": self.last}

    def __setstate__(self, state: dict) -> None:
        self.busy, self.last, self._lock = state["busy"], state["last"], threading.Lock()

    @contextmanager
    def acking(self) -> Iterator[None]:
        """Count a request while it is being acknowledged."""
        with self._lock:
            self.busy.value += 1
        try:
            yield
        finally:
            with self._lock:
                self.busy.value -= 1
                self.last.value = time.monotonic()

    def quiet(self, *, gap: float = QUIET_GAP) -> bool:
        """No request is being acked, and none was for `gap` seconds."""
        return self.busy.value == 0 and time.monotonic() - self.last.value >= gap

    def wait_quiet(self, *, most: float = MAX_YIELD) -> float:
        """Wait for a quiet moment, at most `most` seconds; return how long it waited."""
        started = time.monotonic()
        while not self.quiet() and time.monotonic() - started < most:
            time.sleep(YIELD_POLL)
        return time.monotonic() - started


class Worker:
    """Takes jobs off the queue and dispatches each to the app on a pool of threads."""

    def __init__(self, app: App, jobs: Any, *, gate: AckGate | None = None, threads: int = WORKER_THREADS,
                 parent_alive: Callable[[], bool] = lambda: True) -> None:
        self.app = app
        self.jobs = jobs
        self.gate = gate
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="work")
        self.parent_alive = parent_alive
        self.done = threading.Event()

    def dispatch(self, job: Job) -> None:
        """Dispatch one job (the listener's hand-over reports any error to the person)."""
        try:
            self.app.dispatch(request_of(job))
        except Exception:
            log.exception("a job could not be dispatched")

    def serve(self) -> None:
        """Run jobs until the stop mark (None) arrives or the parent process is gone; then finish them."""
        while True:
            try:
                job = self.jobs.get(timeout=0.5)
            except queues.Empty:
                if self.parent_alive():
                    continue
                log.warning("the bot's main process is gone; finishing the work already handed over")
                self._drain()
                break
            if job is None:
                break
            if self.gate is not None:
                self.gate.wait_quiet()  # a job starts in a quiet moment of the acking process
            self.pool.submit(self.dispatch, job)
        self.pool.shutdown(wait=True)
        self.done.set()

    def _drain(self) -> None:
        while True:
            try:
                job = self.jobs.get_nowait()
            except (queues.Empty, OSError, EOFError):
                return
            if job is not None:
                self.pool.submit(self.dispatch, job)


def lower_priority() -> None:
    """Let the acking process come first for the CPU (an unprivileged process may lower its own priority).

    Linux's SCHED_IDLE policy runs this process only on a CPU nothing else wants, and any waking thread
    of the acking process takes the CPU back at once; elsewhere the worker takes the lowest nice value.
    Call it before the process starts threads: they inherit the policy.
    """
    try:
        if os.environ.get("XIDLE") and hasattr(os, "SCHED_IDLE"):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        else:
            os.nice(WORKER_NICENESS)
    except OSError:
        log.info("could not lower the worker's CPU priority")
