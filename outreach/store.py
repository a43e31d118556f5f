"""The SQLite store: one connection behind a lock, WAL, busy timeout, migrations, audit."""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from outreach.events import Bus
from outreach.migrations import migrations

Clock = Callable[[], datetime]

def utcnow() -> datetime:
    """The real clock: now, in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """A UTC timestamp as stored in the database."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def from_iso(text: str) -> datetime:
    """Parse a stored timestamp back into an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)


def shift_fields_set(values: dict) -> list[str]:
    """The fields a new shift was given (for the audit: names only, never values)."""
    return sorted(k for k, v in values.items() if v not in (None, "", "[]"))


class _Database(Database):
    """sqlite-utils' Database, reading plain SELECTs without the savepoint guard `query()` adds.

    A SELECT changes nothing, so the guard (two extra statements per query) only costs time on the
    bot's hottest paths; every other statement goes through sqlite-utils unchanged.
    """

    def query(self, sql: str, params: Sequence | dict | None = None) -> Iterator[dict]:  # type: ignore[override]
        """Rows of a query as dicts."""
        if not sql.lstrip().upper().startswith("SELECT"):
            return super().query(sql, params)
        cursor = self.conn.execute(sql, params if params is not None else ())
        keys = [d[0] for d in cursor.description]
        return (dict(zip(keys, row, strict=True)) for row in cursor)


class Store:
    """The bot's database. Every access goes through `read()` or `write()`."""

    def __init__(self, path: Path | str, *, clock: Clock = utcnow) -> None:
        self.path = Path(path)
        self.clock = clock
        self.events = Bus()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
        os.chmod(self.path, 0o600)
        self.db = self._connect()
        self._lock = threading.RLock()
        self._writing = threading.local()
        self._readers: queue.SimpleQueue[Database] = queue.SimpleQueue()
        self._appender: sqlite3.Connection | None = None
        self._append_lock = threading.Lock()
        self.db.conn.execute("PRAGMA journal_mode = WAL")
        with self._lock:
            migrations.apply(self.db)

    def _connect(self) -> Database:
        conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")  # deleted or overwritten text is zeroed, not left in free space
        conn.execute("PRAGMA synchronous = NORMAL")
        return _Database(conn)

    def checkpoint(self, *, wait_ms: int = 250) -> bool:
        """Copy the write-ahead log into the database file and empty it; False when readers kept it busy.

        After free text expires its old versions may still sit in the log; this leaves them nowhere.
        """
        with self._lock:
            conn = self.db.conn
            conn.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
            try:
                busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            finally:
                conn.execute("PRAGMA busy_timeout = 30000")
        return busy == 0

    def pending_migrations(self) -> list[str]:
        """Names of migrations not yet applied (none once the store is open)."""
        with self._lock:
            return [m.name for m in migrations.pending(self.db)]

    @contextmanager
    def read(self) -> Iterator[Database]:
        """A connection for a series of reads: the writer's inside a write, else a pooled reader.

        WAL lets readers run beside the writer, so reads (an ack's role check, say) never wait for
        a write transaction to finish.
        """
        if getattr(self._writing, "active", False):
            yield self.db
            return
        try:
            reader = self._readers.get_nowait()
        except queue.Empty:
            reader = self._connect()
        try:
            yield reader
        finally:
            if reader.conn.in_transaction:
                reader.conn.rollback()
            self._readers.put(reader)

    @contextmanager
    def write(self) -> Iterator[Database]:
        """A write transaction that holds SQLite's write lock from its first statement."""
        with self._lock:
            conn = self.db.conn
            if conn.in_transaction:
                with self.db.atomic():
                    yield self.db
                return
            conn.execute("BEGIN IMMEDIATE")
            self._writing.active = True
            try:
                yield self.db
            except BaseException:
                conn.rollback()
                raise
            else:
                conn.execute("COMMIT")
            finally:
                self._writing.active = False

    def append(self, sql: str, params: Sequence) -> int:
        """Run one INSERT as a transaction of its own, on a connection kept for it; return the row's id.

        For the ack path (outreach/jobs.py): one call into SQLite holds the write lock for the shortest
        time, and no other write of this process (a form being saved) queues in front of it. (A
        BEGIN, INSERT, COMMIT under the writer's lock gives the interpreter lock up three times, and
        under a burst of 50 requests the waits behind it added up to 100-250 ms.)
        """
        with self._append_lock:
            if self._appender is None:
                self._appender = self._connect().conn
                self._appender.isolation_level = None  # autocommit: the statement is its transaction
            return int(self._appender.execute(sql, params).lastrowid)

    def audit(self, db: Database, *, actor: str, action: str, subject: str, detail: dict | None = None) -> int:
        """Record who did what, inside the caller's transaction; return the record's id."""
        return db["audit"].insert(
            {
                "at": iso(self.clock()), "actor": actor, "action": action,
                "subject": subject, "detail": json.dumps(detail or {}, sort_keys=True),
            }
        ).last_pk

    def first_time(self, db: Database, key: str) -> bool:
        """Record a request key inside the caller's transaction; False when it was seen before."""
        cursor = db.execute("INSERT OR IGNORE INTO seen_requests (key, at) VALUES (?, ?)", [key, iso(self.clock())])
        return cursor.rowcount == 1

    def close(self) -> None:
        """Close the writer, the appender and every pooled reader."""
        with self._lock:
            self.db.conn.close()
            if self._appender is not None:
                self._appender.close()
            while True:
                try:
                    self._readers.get_nowait().conn.close()
                except queue.Empty:
                    break
