"""Two bot processes on one database: scheduled notifications go out once, from one of them."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from datetime import timedelta

from test_process import free_port, start, stop, wait_http

from bench.common import children
from outreach import outbox
from outreach.store import Store, iso


def test_second_process_does_not_double_send(tmp_path, fake):
    store = Store(tmp_path / "bot.db")
    now = store.clock()
    users = [f"UD{i:02d}" for i in range(40)]
    with store.write() as db:
        start_at = now + timedelta(days=2)
        shift_id = db["shifts"].insert({
            "kind": "community", "venue": "motel", "area": "Eastside", "starts_at": iso(start_at),
            "ends_at": iso(start_at + timedelta(hours=3)), "tz": "America/Chicago", "capacity": 40, "min_team": 2,
            "languages": "[]", "lead": "ULEAD", "training": None, "notes": "", "status": "planned"}).last_pk
        for user in users:
            db["signups"].insert({"shift_id": shift_id, "user_id": user, "status": "confirmed"})
            outbox.enqueue(db, key=f"test:{user}", channel=user, template="shifts/promoted",
                           context={"shift_id": shift_id, "user": user}, due_at=now, now=now)
    store.close()
    env = {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": fake.url}
    ports = [free_port(), free_port()]
    procs = [start(tmp_path, {**env, "PORT": str(port)}) for port in ports]  # started together
    try:
        for port, proc in zip(ports, procs, strict=True):
            wait_http(port, proc)
        fake.wait_for("chat.postMessage", count=len(users), where=lambda c: c.params.get("channel") in users,
                      timeout=30)
        deadline = time.monotonic() + 30
        conn = sqlite3.connect(tmp_path / "bot.db")
        while conn.execute("SELECT count(*) FROM notifications WHERE key LIKE 'test:%' AND sent_at IS NULL").fetchone()[0]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        holder = conn.execute("SELECT pid FROM leases").fetchall()
        conn.close()
        workers = {pid for p in procs for pid in children(p.pid)}
        assert len(holder) == 1 and holder[0][0] in workers  # one scheduler acts, in a bot's worker process
    finally:
        for proc in procs:
            stop(proc)
    sent = Counter(c.params["channel"] for c in fake.calls_to("chat.postMessage") if c.params.get("channel") in users)
    assert set(sent) == set(users) and max(sent.values()) == 1
