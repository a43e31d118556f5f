"""Acks before work: listener work after ack() runs a few at a time, so acks never wait behind it.

Every listener here acks first, then works. Bolt runs listeners on an executor and answers Slack as
soon as ack() is called. Under a burst, fifty listeners doing their work at once would starve the
acks still to come of CPU. So the executor is paced: once a listener has acked, it waits for one of
a few work slots before going on; the acks of other requests are never behind that queue.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from slack_bolt import Ack, BoltResponse

_local = threading.local()


class PacedExecutor(ThreadPoolExecutor):
    """A listener executor whose tasks take a work slot after they ack, and give it back at the end."""

    def __init__(self, *, workers: int, slots: int) -> None:
        super().__init__(max_workers=workers, thread_name_prefix="listener")
        self.slots = threading.BoundedSemaphore(slots)

    def submit(self, fn: Callable, /, *args: object, **kwargs: object) -> Future:
        """Run a listener task, releasing its work slot (if it took one) when it ends."""

        def run() -> object:
            _local.executor, _local.holding = self, False
            try:
                return fn(*args, **kwargs)
            finally:
                if _local.holding:
                    self.slots.release()
                _local.executor, _local.holding = None, False

        return super().submit(run)


class PacedAck(Ack):
    """Bolt's ack(); inside a paced listener it then waits for a work slot."""

    def __call__(self, *args: object, **kwargs: object) -> BoltResponse:  # type: ignore[override]
        """Acknowledge now; then queue the caller's remaining work behind the work slots."""
        response = super().__call__(*args, **kwargs)  # type: ignore[arg-type]
        executor = getattr(_local, "executor", None)
        if executor is not None and not _local.holding:
            executor.slots.acquire()
            _local.holding = True
        return response
