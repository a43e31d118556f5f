"""Requests acknowledged and not yet done: the jobs table, the hand-over between the two processes.

Every command, click and event is written here before Slack gets its acknowledgement, in the same
database as everything else; the worker claims it with a token, does it and deletes it. A job whose
claimer died (`kill -9` of the worker, or of the process that acks, which claims the forms it runs
itself) is claimed again by the next worker, so nothing acknowledged is lost. Requests are kept as
Slack sent them (mode, body, headers): a job is a request to dispatch again, with no Slack import here.

Times are wall-clock seconds (`time.time()`), passed in by the caller: a request's `response_url`
stays valid for 30 minutes of real time, whatever the bot's own clock says.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass

from outreach.lease import alive, started
from outreach.store import Store

# A response_url is valid for 30 minutes: a job older than that can no longer be answered.
MAX_AGE = 30 * 60.0
# A job claimed this many times by processes that all died is given up (it may be what kills them).
MAX_ATTEMPTS = 3
# A claim by a process on another host (or one whose pid cannot be checked) is taken back after this.
STALE_CLAIM = 10 * 60.0


@dataclass(frozen=True)
class Job:
    """One acknowledged request: how Slack sent it, when it came, and how often it was tried."""

    id: int
    kind: str
    mode: str
    body: str | dict
    headers: dict[str, list[str]]
    received: float
    attempts: int


@dataclass(frozen=True)
class Backlog:
    """What the jobs table says about the work: waiting (unclaimed) jobs and running (claimed) ones."""

    waiting: int
    oldest_wait: float  # seconds the oldest unclaimed job has waited (0 when none)
    running: int
    oldest_run: float  # seconds since the oldest claim still held was taken (0 when none)


INSERT = ("INSERT INTO jobs (kind, mode, body, headers, received, claimed_by, claimed_at, attempts) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


def add(store: Store, *, kind: str, mode: str, body: str | dict, headers: dict[str, list[str]], now: float,
        owner: str | None = None, key: str | None = None) -> int | None:
    """Record a request (claimed by `owner` when it runs it itself); return the job's id.

    With a `key` (an event's id), a request seen before is not recorded again: None (Slack's retry).
    """
    text = body if isinstance(body, str) else json.dumps(body)
    params = [kind[:200], mode, text, json.dumps(headers), now, owner, now if owner else None, 1 if owner else 0]
    if key is None:
        return store.append(INSERT, params)
    with store.write() as db:
        if not store.first_time(db, key):
            return None
        return int(db.execute(INSERT, params).lastrowid)


def claim(store: Store, *, owner: str, now: float, limit: int) -> list[Job]:
    """Claim up to `limit` unclaimed jobs, oldest first, for `owner`."""
    if limit <= 0:
        return []
    with store.read() as db:  # most looks find nothing: no write lock for them
        if next(db.query("SELECT 1 FROM jobs WHERE claimed_by IS NULL LIMIT 1"), None) is None:
            return []
    with store.write() as db:
        rows = list(db.query(
            "UPDATE jobs SET claimed_by = ?, claimed_at = ?, attempts = attempts + 1 WHERE id IN "
            "(SELECT id FROM jobs WHERE claimed_by IS NULL ORDER BY id LIMIT ?) "
            "RETURNING id, kind, mode, body, headers, received, attempts",
            [owner, now, limit],
        ))
    rows.sort(key=lambda r: r["id"])
    return [
        Job(id=r["id"], kind=r["kind"], mode=r["mode"],
            body=json.loads(r["body"]) if r["mode"] == "socket_mode" else r["body"],
            headers=json.loads(r["headers"]), received=r["received"], attempts=r["attempts"])
        for r in rows
    ]


def finish(store: Store, *, job_id: int, owner: str) -> bool:
    """The job is done: delete it, if `owner` still holds it."""
    with store.write() as db:
        return db.execute("DELETE FROM jobs WHERE id = ? AND claimed_by = ?", [job_id, owner]).rowcount == 1


def _claimer_gone(claimed_by: str, claimed_at: float, *, now: float, host: str) -> bool:
    """Is the process that holds a claim gone? A pid on this host is checked (with its start time,
    when the claim has one: a reused pid is another process); claims from elsewhere time out."""
    parts = claimed_by.split(":")
    if parts[0] == host and len(parts) >= 3 and parts[1].isdigit():
        pid = int(parts[1])
        if not alive(pid):
            return True
        return len(parts) >= 4 and parts[2] not in ("0", started(pid))
    return now - claimed_at > STALE_CLAIM


def recover(store: Store, *, now: float, host: str | None = None) -> tuple[int, list[str]]:
    """Give back the claims of processes that are gone, and drop jobs too old to answer.

    A job whose claimers died MAX_ATTEMPTS times is dropped too: it may be what kills them.
    Returns how many claims were given back, and the kinds of the jobs dropped (for the log).
    """
    host = host or socket.gethostname()
    with store.read() as db:
        claims = list(db.query("SELECT claimed_by, min(claimed_at) AS at FROM jobs "
                               "WHERE claimed_by IS NOT NULL GROUP BY claimed_by"))
        old = next(db.query("SELECT 1 FROM jobs WHERE received < ? LIMIT 1", [now - MAX_AGE]), None)
    gone = [c["claimed_by"] for c in claims if _claimer_gone(c["claimed_by"], c["at"], now=now, host=host)]
    if not gone and old is None:
        return 0, []
    with store.write() as db:
        dropped = [r["kind"] for r in db.query(
            "DELETE FROM jobs WHERE received < ? RETURNING kind", [now - MAX_AGE])]
        given_back = 0
        for claimer in gone:
            dropped += [r["kind"] for r in db.query(
                "DELETE FROM jobs WHERE claimed_by = ? AND attempts >= ? RETURNING kind", [claimer, MAX_ATTEMPTS])]
            given_back += db.execute(
                "UPDATE jobs SET claimed_by = NULL, claimed_at = NULL WHERE claimed_by = ?", [claimer]
            ).rowcount
    return given_back, dropped


def backlog(store: Store, *, now: float) -> Backlog:
    """How many jobs wait and run, and for how long the oldest of each has."""
    with store.read() as db:
        row = next(db.query(
            "SELECT sum(claimed_by IS NULL) AS waiting, min(CASE WHEN claimed_by IS NULL THEN received END) AS w, "
            "sum(claimed_by IS NOT NULL) AS running, min(claimed_at) AS r FROM jobs"
        ))
    return Backlog(
        waiting=row["waiting"] or 0, oldest_wait=max(now - row["w"], 0.0) if row["w"] is not None else 0.0,
        running=row["running"] or 0, oldest_run=max(now - row["r"], 0.0) if row["r"] is not None else 0.0,
    )
