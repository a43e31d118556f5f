"""Work after the ack: written to the jobs table before the ack, done by a worker, never lost.

A command, a click or an event needs nothing from its work to be acknowledged. The middleware
writes each such request to the jobs table (outreach/jobs.py) before any listener runs; the listener
registered through `later` then only acks, and the worker is woken. A `JobWorker` claims the job with
its own token, dispatches the request to the app as Slack sent it (the same listener matches and,
this time, does the work), and deletes the job when it is done.

In `bot.py run` the JobWorker runs in a worker process of its own (`WorkerProcess`, restarted if it
dies, at the lowest CPU priority), so the process that acks never competes with the work for the
interpreter lock. In the tests' harness it runs in a thread of the same process, over the same app.

A view submission's answer (errors shown in the form) is its work, so its listener runs where it was
received (`form`, through `Runner.answer`): its job is written already claimed by that process, and
deleted once the listener is done; if that process dies first, the next worker claims it again.
A job whose claimer died is claimed again (`jobs.recover`): a request acked is done, late at worst.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from slack_bolt import Ack, App, BoltRequest
from slack_bolt.kwargs_injection import build_required_kwargs
from slack_bolt.util.utils import get_arg_names_of_callable

from handlers.web import mend_form_body
from outreach import i18n
from outreach import jobs as jobs_table
from outreach.store import Store

log = logging.getLogger(__name__)
requests_log = logging.getLogger("outreach.requests")

F = TypeVar("F", bound=Callable[..., None])
Work = Callable[..., None]
ErrorReporter = Callable[[Exception, BoltRequest], None]
# The listeners the receiving process runs itself: their answer is their work.
RUN_WHERE_ACKED = ("view_submission",)
WORKER_THREADS = 8
WORKER_NICENESS = 19
# The write-ahead log is emptied (TRUNCATE) at least this often: text deleted since leaves no copy there.
LOG_EMPTIED_EVERY = timedelta(minutes=10)
# Slack waits this long for a view submission's answer (seconds).
ANSWER_WITHIN = 3.0
# A job waits at most this long for the acks under way to end (AckGate).
MAX_YIELD = 0.02
# A worker not woken looks at the table this often anyway: claims of dead processes, jobs too old.
POLL_SECONDS = 1.0
# How often a waiting timer looks whether people's requests are done (`wait_until`): after 5 ms at
# first, then less and less often, up to every 20 ms.
YIELD_POLL = 0.005
YIELD_POLL_MAX = 0.02


class Wake(Protocol):
    """A semaphore: the process that acks releases it for each job; the worker waits on it."""

    def release(self) -> None: ...  # noqa: D102

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool: ...  # noqa: D102


def wait_until(ready: Callable[[], bool], *, most: float) -> float:
    """Wait until `ready()`, at most `most` seconds, looking less and less often; return the wait."""
    started, pause = time.monotonic(), YIELD_POLL
    while not ready() and (waited := time.monotonic() - started) < most:
        time.sleep(min(pause, most - waited))
        pause = min(pause * 2, YIELD_POLL_MAX)
    return time.monotonic() - started


def is_job(request: BoltRequest) -> bool:
    """Is this request a job being done (dispatched by a JobWorker), not one just received?"""
    return request.context.get("job_id") is not None and request.context.get("job_owner") is not None


def later(register: Callable[..., object], runner: Callable[[], Runner]) -> Callable[[F], F]:
    """Register `fn` as work after an empty ack (a decorator).

    Received, the request was written to the jobs table by the middleware: the listener only acks.
    Dispatched as a job, the listener does the work.
    """

    def decorate(fn: F) -> F:
        def ack_then_work(ack: Ack, request: BoltRequest) -> None:
            ack()
            if is_job(request):
                runner().guarded(fn, request)

        ack_then_work.__name__ = ack_then_work.__qualname__ = fn.__name__
        register(ack_then_work)
        return fn

    return decorate


def form(register: Callable[..., object], runner: Callable[[], Runner]) -> Callable[[F], F]:
    """Register a view submission's listener (a decorator): Slack gets its answer as soon as it acks;
    what it does after goes on in this process, and its job is deleted when it is done. Dispatched
    as a job (its process died before the end), the listener runs again; its answer goes nowhere."""

    def decorate(fn: F) -> F:
        def answer_then_work(ack: Ack, request: BoltRequest) -> None:
            if is_job(request):
                runner().guarded(fn, request, ack=lambda *a, **k: None)
            else:
                request.context["form_runs"] = True
                runner().answer(fn, request, ack)

        answer_then_work.__name__ = answer_then_work.__qualname__ = fn.__name__
        register(answer_then_work)
        return fn

    return decorate


def _call(fn: Work, request: BoltRequest, ack: Callable[..., object] | None = None) -> None:
    """Call a listener with the arguments Bolt would give it (`ack` replaced when given)."""
    kwargs = build_required_kwargs(logger=log, required_arg_names=get_arg_names_of_callable(fn), request=request,
                                   response=None, this_func=fn)
    if ack is not None and "ack" in kwargs:
        kwargs["ack"] = ack
    with i18n.speaking(request.context.get("language")):  # set by the middleware: the language of who asked
        fn(**kwargs)


class Runner:
    """Runs listeners; an error in work after the ack is reported to the person.

    The app dispatches every listener in the thread that received the request (Bolt's
    `process_before_response`): an ack costs no hop to another thread and no polling for it.
    """

    def __init__(self, report: ErrorReporter, executor: Executor, store: Store) -> None:
        self.report = report
        self.executor = executor
        self.store = store
        self.log_to_empty = False  # a refused form's request may still be in the write-ahead log
        self.log_emptied_at: datetime | None = None  # the last `keep_log_short` that emptied it (bot's clock)

    def keep_log_short(self, now: datetime) -> bool:
        """For the timer: empty the write-ahead log at least every LOG_EMPTIED_EVERY, and at once when a refused
        form's could not be emptied; True when it was emptied now."""
        due = self.log_emptied_at is None or now - self.log_emptied_at >= LOG_EMPTIED_EVERY
        if not (due or self.log_to_empty):
            return False
        if self.empty_log():
            self.log_emptied_at = now
            return True
        return False

    def guarded(self, fn: Work, request: BoltRequest, ack: Callable[..., object] | None = None) -> None:
        """Run the work in this thread; an error is reported, not raised."""
        try:
            _call(fn, request, ack)
        except Exception as exc:
            self.report(exc, request)

    def answer(self, fn: Work, request: BoltRequest, ack: Ack) -> None:
        """Run a listener that acks with its answer (a view submission's errors, or nothing to close the
        modal) on the pool, and return once it has acked; what it does after its ack goes on there, and
        the request's job (claimed by this process) is deleted when the listener is done.

        An error before the ack is raised here, for Bolt's error handler; one after it is reported.
        """
        answered = threading.Event()
        early: list[Exception] = []
        refused: list[bool] = []

        def acking(*args: Any, **kwargs: Any) -> object:
            try:
                return ack(*args, **kwargs)
            finally:
                refused.append(kwargs.get("response_action") == "errors")
                answered.set()

        def work() -> None:
            try:
                _call(fn, request, acking)
            except Exception as exc:
                if answered.is_set():
                    self.report(exc, request)
                else:
                    early.append(exc)
            finally:
                answered.set()
                self.finish(request, refused=any(refused))

        self.executor.submit(work)
        answered.wait(ANSWER_WITHIN)
        if early:
            raise early[0]
        if not answered.is_set():  # too late for Slack's answer: whatever follows is reported, not raised
            answered.set()

    def finish(self, request: BoltRequest, *, refused: bool = False) -> None:
        """Delete the job of a request this process ran itself; a form refused (its words, a phone number
        say, were shown back as an error) leaves no copy of its request in the write-ahead log either."""
        job_id, owner = request.context.get("own_job_id"), request.context.get("own_job_owner")
        if job_id is not None and owner and jobs_table.finish(self.store, job_id=job_id, owner=owner) and refused:
            self.empty_log()

    def empty_log(self) -> bool:
        """Empty the write-ahead log now (TRUNCATE); when readers keep it busy, the next tick tries again."""
        self.log_to_empty = not self.store.checkpoint()
        return not self.log_to_empty


def request_of(job: jobs_table.Job, owner: str) -> BoltRequest:
    """The Bolt request a job stands for, marked as a job (see `is_job`)."""
    request = BoltRequest(body=job.body, headers=job.headers, mode=job.mode,
                          context={"job_id": job.id, "job_owner": owner})
    return mend_form_body(request)


class AckGate:
    """Acks under way in the process that receives requests, in shared memory: the worker starts a job
    only when none is, waiting at most MAX_YIELD, so a burst's acks do not share the machine with work.

    Measured (bench/README.md): without it, acks at 10 at once had a p99 2.5x bare Bolt's (the worker
    on the other core, and its writes beside the acks' inserts); with a wait of at most 0.5 s, 1.15x,
    but answers in a burst came 2.3-2.7x later than bare Bolt's; at most 20 ms keeps both near 1.5x.
    """

    def __init__(self, context: Any) -> None:
        self.busy = context.RawValue("i", 0)  # written only under the receiving process's lock
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {"busy": self.busy}

    def __setstate__(self, state: dict) -> None:
        self.busy, self._lock = state["busy"], threading.Lock()

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

    def quiet(self) -> bool:
        """No request is being acknowledged."""
        return self.busy.value == 0


class JobWorker:
    """Claims jobs from the table and dispatches each to the app on a pool of threads.

    Woken by `wake` for each new job, and every POLL_SECONDS anyway, when it also takes back the
    claims of processes that are gone and drops jobs too old to answer (logged).
    """

    def __init__(self, app: App, store: Store, wake: Wake, *, owner: str, threads: int = WORKER_THREADS,
                 clock: Callable[[], float] = time.time, gate: AckGate | None = None) -> None:
        self.app = app
        self.gate = gate
        self.store = store
        self.wake = wake
        self.owner = owner
        self.threads = threads
        self.clock = clock
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="work")
        self.stopping = threading.Event()
        self._active = 0
        self._lock = threading.Lock()

    def active(self) -> int:
        """How many jobs (people waiting for an answer) are under way."""
        return self._active

    def recover(self) -> None:
        """Take back the claims of processes that are gone; drop (and log) jobs too old to answer."""
        given_back, dropped = jobs_table.recover(self.store, now=self.clock())
        if given_back:
            log.warning("%d acknowledged request(s) of a process that ended are being done now", given_back)
        for kind in dropped:
            log.error("dropped %s: acknowledged and never done (over %d minutes old, or %d workers died on it)",
                      kind, jobs_table.MAX_AGE // 60, jobs_table.MAX_ATTEMPTS)

    def take(self) -> int:
        """Claim as many jobs as there are free threads and start them; return how many started."""
        with self._lock:
            free = self.threads - self._active
        batch = jobs_table.claim(self.store, owner=self.owner, now=self.clock(), limit=free)
        with self._lock:
            self._active += len(batch)
        for job in batch:
            self.pool.submit(self._run, job)
        return len(batch)

    def _run(self, job: jobs_table.Job) -> None:
        started = time.monotonic()
        try:
            request = request_of(job, self.owner)
            if self.gate is not None:
                wait_until(self.gate.quiet, most=MAX_YIELD)
            started, waited = time.monotonic(), max(self.clock() - job.received, 0.0)
            self.app.dispatch(request)
            requests_log.info("handled %s wait_ms=%.1f work_ms=%.1f", job.kind, waited * 1000,
                              (time.monotonic() - started) * 1000)
        except Exception:
            log.exception("job %s (%s) could not be dispatched", job.id, job.kind)
        finally:
            try:
                jobs_table.finish(self.store, job_id=job.id, owner=self.owner)
            except Exception:  # the database refused: the job stays claimed, /healthz will say so
                log.exception("job %s (%s) was done but could not be deleted", job.id, job.kind)
            finally:
                with self._lock:
                    self._active -= 1
                self.wake.release()  # a thread is free: look for more

    def serve(self, *, keep_going: Callable[[], bool] = lambda: True) -> None:
        """Do jobs until `stop()` (or `keep_going()` turns false), then finish those waiting and return."""
        self.recover()
        last_recover = time.monotonic()
        while not self.stopping.is_set() and keep_going():
            woken = self.wake.acquire(timeout=POLL_SECONDS)
            while woken and self.wake.acquire(False):  # one look for every wake-up already given
                pass
            if time.monotonic() - last_recover >= POLL_SECONDS:
                self.recover()
                last_recover = time.monotonic()
            self.take()
        while self.take() or self.active():  # what was acked before the stop is done before the exit
            self.wake.acquire(timeout=0.05)
        self.pool.shutdown(wait=True)

    def stop(self) -> None:
        """Ask `serve` to finish the jobs waiting and return."""
        self.stopping.set()
        self.wake.release()


class WorkerProcess:
    """The worker process, started again if it dies; jobs wait in the table meanwhile."""

    def __init__(self, target: Callable[..., None], *, stop_seconds: float = 60.0) -> None:
        import multiprocessing

        self.context = multiprocessing.get_context("spawn")
        self.target = target
        self.stop_seconds = stop_seconds
        self.wake = self.context.Semaphore(0)  # a posix semaphore: no lock a killed worker could keep
        self.stop_flag = self.context.RawValue("b", 0)  # set: finish the waiting jobs and exit
        self.gate = AckGate(self.context)
        self.stopping = threading.Event()
        self.restarts = 0
        self.process = self._spawn()
        self.watcher = threading.Thread(target=self._watch, name="worker-watch", daemon=True)
        self.watcher.start()

    def _spawn(self) -> Any:
        process = self.context.Process(target=self.target, args=(self.wake, self.stop_flag, self.gate, os.getpid()), name="outreach-worker")
        process.start()
        return process

    def alive(self) -> bool:
        """Is the worker process running?"""
        return self.process.is_alive()

    def _watch(self) -> None:
        while not self.stopping.is_set():
            self.process.join(timeout=1.0)
            if self.process.exitcode is not None and not self.stopping.is_set():
                log.error("the worker process ended (exit code %s); starting another", self.process.exitcode)
                self.restarts += 1
                self.process = self._spawn()

    def stop(self) -> None:
        """Let the worker finish the jobs waiting, then end it."""
        self.stopping.set()
        self.stop_flag.value = 1  # read by the worker once started, however early this comes
        self.wake.release()
        self.process.join(timeout=self.stop_seconds)
        if self.process.exitcode is None:
            log.warning("the worker did not finish within %.0f s; killing it (its jobs wait for the next start)",
                        self.stop_seconds)
            self.process.kill()
            self.process.join(timeout=10)


def lower_priority() -> None:
    """Let the acking process come first for the CPU: the worker takes the lowest priority (nice 19)."""
    try:
        os.nice(WORKER_NICENESS)
    except OSError:
        log.info("could not lower the worker's CPU priority")
