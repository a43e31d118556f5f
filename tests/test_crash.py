"""kill -9 in the middle of a burst of signups: nothing acknowledged is lost, nothing overbooked."""

from __future__ import annotations

import re
import signal
import sqlite3
import threading
from datetime import timedelta

from test_process import free_port, start, stop, wait_http

from bench.common import SECRET, payload_body, signed_post
from outreach.store import Store, iso


def test_kill_during_signup_burst_then_restart(tmp_path, fake):
    store = Store(tmp_path / "bot.db")
    start_at = store.clock() + timedelta(days=30)
    with store.write() as db:
        shift_id = db["shifts"].insert({
            "kind": "community", "venue": "motel", "area": "Eastside", "starts_at": iso(start_at),
            "ends_at": iso(start_at + timedelta(hours=4)), "tz": "America/Chicago",
            "capacity": 20, "min_team": 2, "languages": "[]", "lead": "ULEAD", "training": None, "notes": "",
            "status": "planned"}).last_pk
    store.close()
    port = free_port()
    env = {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url, "PORT": str(port)}
    proc = start(tmp_path, env)
    wait_http(port, proc)
    url = f"http://127.0.0.1:{port}/slack/events"
    users = [f"UK{i:02d}" for i in range(50)]

    def click(user):
        body = payload_body({
            "type": "block_actions", "user": {"id": user}, "team": {"id": "T1"}, "trigger_id": "t",
            "container": {"type": "message", "channel_id": "C1"}, "response_url": fake.response_url(user),
            "actions": [{"type": "button", "action_id": "shift_signup", "value": str(shift_id)}]})
        try:
            signed_post(url, body, "application/x-www-form-urlencoded", timeout=5)
        except OSError:
            pass  # the process was killed under this request

    threads = [threading.Thread(target=click, args=(u,)) for u in users]
    for t in threads:
        t.start()
    fake.wait_for("response_url", count=15, timeout=30)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    for t in threads:
        t.join()
    told = {c.path.rsplit("/", 1)[1]: c.params["text"] for c in fake.calls_to("response_url")}
    assert len(told) >= 15

    proc = start(tmp_path, env)  # restart over the same database
    try:
        wait_http(port, proc)
        conn = sqlite3.connect(tmp_path / "bot.db")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT user_id, status FROM signups WHERE shift_id = ? ORDER BY id", [shift_id]).fetchall()
        conn.close()
        state = dict(rows)
        confirmed = [u for u, s in rows if s == "confirmed"]
        waitlist = [u for u, s in rows if s == "waitlisted"]
        assert len(confirmed) <= 20
        for user, text in told.items():
            if "You're signed up" in text:
                assert state.get(user) == "confirmed", user
            match = re.search(r"number (\d+)\* on its waitlist", text)
            if match:
                assert state.get(user) == "waitlisted" and waitlist.index(user) + 1 == int(match.group(1)), user
        if waitlist:
            assert len(confirmed) == 20  # nobody waits while a place is free
        # The restarted bot goes on taking signups where the old one stopped.
        late = "UKLATE"
        click(late)
        reply = fake.wait_for("response_url", where=lambda c: c.path.endswith("/" + late), timeout=10)[0]
        assert "You're signed up" in reply.params["text"] or "waitlist" in reply.params["text"]
    finally:
        stop(proc)
