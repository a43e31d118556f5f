"""The scheduler lease: only one bot process acts on a database's timed work at a time.

A row in `leases` names the holder (owner id, host, pid) and when the lease runs out. The holder
renews it on every tick; another process takes it only once it has run out, or at once when the
holder is a process on the same host that no longer exists (a `kill -9`).
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from outreach.store import Store, from_iso, iso

NAME = "scheduler"


def started(pid: int) -> str:
    """When a process started, in clock ticks since boot (Linux /proc), or "" where that cannot be read.

    With the pid, it names one process: a pid is reused, but not at the same start time (in a
    container restarted after a crash, the new processes often get the old ones' pids).
    """
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def make_owner() -> str:
    """A unique id for this process's claim: host, pid, start time, and a random part."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{started(pid) or 0}:{uuid.uuid4().hex[:8]}"


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def acquire(store: Store, *, owner: str, now: datetime, ttl: timedelta, pid: int | None = None,
            host: str | None = None) -> bool:
    """Take or renew the lease; False while another live process holds it."""
    pid = os.getpid() if pid is None else pid
    host = socket.gethostname() if host is None else host
    with store.write() as db:
        row = next(db.query("SELECT * FROM leases WHERE name = ?", [NAME]), None)
        free = (
            row is None or row["owner"] == owner or from_iso(row["expires_at"]) <= now
            or (row["host"] == host and row["pid"] != pid and not alive(row["pid"]))
        )
        if not free:
            return False
        db["leases"].upsert(
            {"name": NAME, "owner": owner, "host": host, "pid": pid, "expires_at": iso(now + ttl)}, pk="name"
        )
        return True


def release(store: Store, *, owner: str) -> None:
    """Give the lease up (on a clean stop) so another process can take it at once."""
    with store.write() as db:
        db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", [NAME, owner])


def holder(store: Store) -> dict | None:
    """Who holds the lease, if anyone."""
    with store.read() as db:
        return next(db.query("SELECT * FROM leases WHERE name = ?", [NAME]), None)
