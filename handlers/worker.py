"""Work after the ack, handed over to a worker process.

A command, a click or an event needs nothing from its work to be acknowledged. Each of those
listeners is registered through `later`: Bolt sees a listener that acks and then hands the request
over, and the kit's `hand_over` decides where the work runs:
- by default, in the same process, after the ack, on a pool of threads (`Runner.after`: the tests' harness);
- in `bot.py run`, the listener there only acks, and the request (its raw body and headers) goes
  over a pipe to a worker process that built the same app. The worker dispatches it as Slack sent
  it, so the same listener matches and, there, does its work. The process that acks never competes with the work for the interpreter
  lock; the worker runs at the lowest CPU priority and starts each job in a quiet moment of the
  acking process (`AckGate`), so acks come first when the machine is busy. The worker also writes
  the request's log line, with the ack time measured where it was acked.

View submissions stay in the process that received them (`kit.form`): their answer (errors shown in
the form) depends on their listener, which acks with it and goes on with its work after.

Bolt's own lazy listeners do the same split, but copy each request deeply before handing it on; at
about a millisecond of CPU per request in the acking process, that copy cost more than the ack.
"""

from __future__ import annotations

import logging
import os
import queue as queues
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
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
# headers, how long the ack took (ms), and when it ended (time.monotonic(), one clock for both processes).
Job = tuple[str, str | dict, dict[str, list[str]], float, float]
# The listeners the acking process runs itself, whatever the hand-over: their answer is their work.
RUN_WHERE_ACKED = ("view_submission", "view_closed")
WORKER_THREADS = 8
WORKER_NICENESS = 19
# Slack waits this long for a view submission's answer (seconds).
ANSWER_WITHIN = 3.0
# A job starts once no request is being acked and none was for QUIET_GAP seconds (LONE_GAP when none
# was since its own: a request on its own), or after MAX_YIELD seconds of waiting for that, whichever
# comes first. LONE_GAP keeps the first jobs of a burst from starting beside the burst's next acks.
QUIET_GAP = 0.01
LONE_GAP = 0.002
MAX_YIELD = 0.5
# How often the worker looks while it waits for the acks (`wait_until`): after 5 ms at first, then less
# and less often, up to every 20 ms (on a virtual machine of two cores, a process waking every 2 ms
# beside the acking process slowed its acks measurably). A request on its own waits LONE_GAP only.
YIELD_POLL = 0.005
YIELD_POLL_MAX = 0.02


def wait_until(ready: Callable[[], bool], *, most: float) -> float:
    """Wait until `ready()`, at most `most` seconds, looking less and less often (after YIELD_POLL at
    first, doubling up to YIELD_POLL_MAX: the looks of a process beside the acks cost the acks);
    return how long it waited."""
    started, pause = time.monotonic(), YIELD_POLL
    while not ready() and (waited := time.monotonic() - started) < most:
        time.sleep(min(pause, most - waited))
        pause = min(pause * 2, YIELD_POLL_MAX)
    return time.monotonic() - started


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


def _call(fn: Work, request: BoltRequest, ack: Callable[..., object] | None = None) -> None:
    """Call a listener with the arguments Bolt would give it (`ack` replaced when given)."""
    kwargs = build_required_kwargs(logger=log, required_arg_names=get_arg_names_of_callable(fn), request=request,
                                   response=None, this_func=fn)
    if ack is not None and "ack" in kwargs:
        kwargs["ack"] = ack
    fn(**kwargs)


class Runner:
    """Runs listeners' work in this process; an error in work after the ack is reported to the person.

    The app dispatches every listener in the thread that received the request (Bolt's
    `process_before_response`): an ack then costs no hop to another thread and no polling for it (Bolt
    otherwise checks every 10 ms whether the listener has acked). So work that follows an ack runs on
    `executor`, unless it already runs in a thread of its own (the worker's).
    """

    def __init__(self, report: ErrorReporter, executor: Executor) -> None:
        self.report = report
        self.executor = executor

    def now(self, fn: Work, request: BoltRequest, ack: Ack) -> None:
        """A hand-over: ack, then the work in this thread (a worker's job)."""
        ack()
        self._guarded(fn, request)

    def after(self, fn: Work, request: BoltRequest, ack: Ack) -> None:
        """A hand-over: ack, then the work on the pool (one process doing it all: the tests' harness)."""
        ack()
        self.executor.submit(self._guarded, fn, request)

    def answer(self, fn: Work, request: BoltRequest, ack: Ack) -> None:
        """Run a listener that acks with its answer (a view submission's errors, or nothing to close the
        modal) on the pool, and return once it has acked; what it does after its ack goes on there.

        An error before the ack is raised here, for Bolt's error handler; one after it is reported.
        """
        answered = threading.Event()
        early: list[Exception] = []

        def acking(*args: Any, **kwargs: Any) -> object:
            try:
                return ack(*args, **kwargs)
            finally:
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

        self.executor.submit(work)
        answered.wait(ANSWER_WITHIN)
        if early:
            raise early[0]

    def _guarded(self, fn: Work, request: BoltRequest) -> None:
        try:
            _call(fn, request)
        except Exception as exc:
            self.report(exc, request)


# The worker's end of a JobPipe: the pipe's read end and the count of batches read from it (shared).
PipeEnd = tuple[Any, Any]
_WAKE = object()  # wakes the JobPipe's sender without a job


class JobQueue(Protocol):
    """What the link needs of a queue of jobs (a JobPipe in production)."""

    def put(self, item: Any) -> None: ...  # noqa: D102


class WorkerLink:
    """The acking process's end of the worker: counts acks on the gate, sends the work over.

    The middleware marks each request whose work goes to the worker (`handed_over`, set before any
    listener runs: Bolt acks events before their listener starts). Once Bolt's dispatch has
    returned the ack, `send` queues the request with its ack time; the worker writes its log line.
    """

    def __init__(self, jobs: JobQueue, gate: AckGate) -> None:
        self.jobs = jobs
        self.gate = gate

    @staticmethod
    def hand_over(_fn: Work, _request: BoltRequest, ack: Ack) -> None:
        """Only ack: the request goes to the worker once dispatched (`send`)."""
        ack()

    def send(self, request: BoltRequest, ack_ms: float) -> bool:
        """Queue the request for the worker if it was handed over (a JobPipe never blocks the caller)."""
        if not request.context.get("handed_over"):
            return False
        body = request.raw_body if request.mode == "http" else request.body
        headers = {k: list(v) for k, v in request.headers.items()}
        self.jobs.put((request.mode, body, headers, ack_ms, time.monotonic()))
        return True


def request_of(job: Job) -> BoltRequest:
    """The Bolt request a job stands for, with the ack time in its context."""
    mode, body, headers, ack_ms, _ = job
    return mend_form_body(BoltRequest(body=body, headers=headers, mode=mode, context={"ack_ms": ack_ms}))


class AckGate:
    """Shared by the acking process and the worker: are requests being acked right now?

    The acking process counts the requests it is acknowledging; the worker waits for a quiet moment
    before it starts a job. On a machine of two cores, work running beside a burst of acks slows the
    acks even at the lowest CPU priority (the cores share caches and, on a virtual machine, often one
    physical core), so the worker steps aside while acks are under way. It waits at most MAX_YIELD
    before each job, so a job is late by at most that after the ones before it (a modal's trigger is
    valid for 3 s). Under a flood of requests lasting longer, jobs start at that pace until it ends.
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

    def quiet(self, *, since: float = 0.0, gap: float = QUIET_GAP, lone: float = LONE_GAP) -> bool:
        """No request is being acked, and none was for `gap` seconds, or for `lone` seconds when none
        ended after `since` (the end of the job's own ack: a lone request's work starts almost at once)."""
        last = self.last.value
        return self.busy.value == 0 and time.monotonic() - last >= (lone if last <= since else gap)

    def wait_quiet(self, *, since: float = 0.0, most: float = MAX_YIELD) -> float:
        """Wait for a quiet moment, at most `most` seconds; return how long it waited."""
        started = time.monotonic()
        if self.busy.value == 0 and self.last.value <= since:  # a request on its own: LONE_GAP is all it waits
            time.sleep(min(max(self.last.value + LONE_GAP - started, 0.0), most))
        wait_until(lambda: self.quiet(since=since), most=most - (time.monotonic() - started))
        return time.monotonic() - started


class Worker:
    """Takes jobs off the queue and dispatches each to the app on a pool of threads."""

    def __init__(self, app: App, jobs: Any, *, gate: AckGate | None = None, threads: int = WORKER_THREADS) -> None:
        self.app = app
        self.jobs = jobs
        self.gate = gate
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="work")
        self._active = 0
        self._lock = threading.Lock()

    def active(self) -> int:
        """How many jobs (people waiting for an answer) are under way."""
        return self._active

    def dispatch(self, job: Job) -> None:
        """Dispatch one job (the listener's hand-over reports any error to the person)."""
        with self._lock:
            self._active += 1
        try:
            self.app.dispatch(request_of(job))
        except Exception:
            log.exception("a job could not be dispatched")
        finally:
            with self._lock:
                self._active -= 1

    def serve(self) -> None:
        """Run jobs until the stop mark (None) comes, then finish them.

        A PipeJobs gives None too once the bot's main process is gone (its end of the pipe closes),
        after the jobs it had already written: those are done before the worker exits.
        """
        while True:
            try:
                job = self.jobs.get(timeout=0.5)
            except queues.Empty:
                continue
            if job is None:
                break
            if self.gate is not None:
                self.gate.wait_quiet(since=job[4])  # a job starts in a quiet moment of the acking process
            self.pool.submit(self.dispatch, job)
        self.pool.shutdown(wait=True)


class JobPipe:
    """The acking process's side of the jobs: `put` never blocks; a thread writes them into a pipe.

    Each worker process gets a pipe of its own (`renew`), read by it alone: no lock is shared with a
    process that may be killed (a multiprocessing queue's read lock would stay taken by a killed
    worker, and its successor would wait for it forever). The worker counts the batches it has read
    (`received`, in shared memory); when it dies, the batches written that it never read go first to
    the next worker. Jobs it had read and not finished are lost with it.
    """

    def __init__(self, context: Any) -> None:
        self.context = context
        self.pending: queues.SimpleQueue = queues.SimpleQueue()
        self._lock = threading.Lock()
        self._reader, self._writer = context.Pipe(duplex=False)
        self._received = context.RawValue("q", 0)  # batches the worker has read from this pipe
        self._sent: deque[tuple[int, list]] = deque()  # (number, batch) written and maybe not read yet
        self._count = 0  # batches written into this pipe
        self._carried: list[list] = []  # batches a dead worker never read, for the next one
        self._sender = threading.Thread(target=self._send, name="jobs", daemon=True)
        self._sender.start()

    def put(self, job: Job | None) -> None:
        """Queue a job for the worker (None asks the worker to stop after the jobs before it)."""
        self.pending.put(job)

    def reader(self) -> PipeEnd:
        """The read end of the current pipe and its count of batches read, for the worker being started."""
        with self._lock:
            return self._reader, self._received

    def renew(self) -> PipeEnd:
        """A new pipe for a new worker; the batches the old one never read will go first into it."""
        with self._lock:
            old = (self._reader, self._writer)
            read = self._received.value
            self._carried += [batch for number, batch in self._sent if number > read]
            self._reader, self._writer = self.context.Pipe(duplex=False)
            self._received, self._sent, self._count = self.context.RawValue("q", 0), deque(), 0
            carried = bool(self._carried)
        for end in old:
            end.close()  # a write blocked on the old pipe now fails: its batch was carried over
        if carried:
            self.pending.put(_WAKE)  # the sender may be waiting for a job: it writes the carried ones now
        return self.reader()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the sender once it has written everything queued."""
        self._sender.join(timeout=timeout)

    def _send(self) -> None:
        while True:
            batch = [self.pending.get()]  # under a burst, what queued meanwhile goes in one write
            while batch[-1] is not None:
                try:
                    batch.append(self.pending.get_nowait())
                except queues.Empty:
                    break
            batch = [job for job in batch if job is not _WAKE]
            with self._lock:
                todo, self._carried = self._carried + ([batch] if batch else []), []
            for each in todo:
                self._write(each)
            if batch and batch[-1] is None:
                return

    def _write(self, batch: list) -> None:
        with self._lock:
            while self._sent and self._sent[0][0] <= self._received.value:
                self._sent.popleft()  # read by the worker: no longer needed
            self._count += 1
            self._sent.append((self._count, batch))  # before writing: a renew meanwhile carries it over
            writer = self._writer
        try:
            writer.send(batch)
        except (OSError, ValueError):  # the pipe was renewed (its worker died); the batch was carried over
            pass


class PipeJobs:
    """The worker's side of a JobPipe, read like a queue (the pipe carries jobs in batches)."""

    def __init__(self, end: PipeEnd) -> None:
        self.reader, self.received = end
        self.ready: list[Job | None] = []

    def get(self, timeout: float | None = None) -> Job | None:
        """The next job; queue.Empty when none came in time; None (stop) when the writer is gone."""
        if not self.ready:
            try:
                if not self.reader.poll(timeout):
                    raise queues.Empty
                self.ready = list(self.reader.recv())
                self.received.value += 1
            except (EOFError, OSError):
                return None
        return self.ready.pop(0)

    def get_nowait(self) -> Job | None:
        """The next job if one is waiting."""
        return self.get(timeout=0)


class WorkerProcess:
    """The worker process, started again if it dies; jobs wait for it meanwhile."""

    def __init__(self, target: Callable[..., None], *, stop_seconds: float = 60.0) -> None:
        import multiprocessing

        self.context = multiprocessing.get_context("spawn")
        self.target = target
        self.stop_seconds = stop_seconds
        self.jobs = JobPipe(self.context)
        self.gate = AckGate(self.context)
        self.stopping = threading.Event()
        self.process = self._spawn(self.jobs.reader())
        self.watcher = threading.Thread(target=self._watch, name="worker-watch", daemon=True)
        self.watcher.start()

    def _spawn(self, reader: Any) -> Any:
        process = self.context.Process(target=self.target, args=(reader, self.gate), name="outreach-worker")
        process.start()
        return process

    def _watch(self) -> None:
        while not self.stopping.is_set():
            self.process.join(timeout=1.0)
            if self.process.exitcode is not None and not self.stopping.is_set():
                log.error("the worker process ended (exit code %s); starting another", self.process.exitcode)
                self.process = self._spawn(self.jobs.renew())

    def stop(self) -> None:
        """Let the worker finish the jobs it has, then end it."""
        self.stopping.set()
        self.jobs.put(None)
        self.process.join(timeout=self.stop_seconds)
        if self.process.exitcode is None:
            log.warning("the worker did not finish within %.0f s; stopping it", self.stop_seconds)
            self.process.terminate()
            self.process.join(timeout=10)
        self.jobs.close()


def lower_priority() -> None:
    """Let the acking process come first for the CPU: the worker takes the lowest priority (nice 19).

    An unprivileged process may lower its own priority; its threads inherit it.
    """
    try:
        os.nice(WORKER_NICENESS)
    except OSError:
        log.info("could not lower the worker's CPU priority")
