"""kill -9 in the middle of a burst of signups: nothing acknowledged is lost, nothing overbooked."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import threading
from datetime import timedelta

import pytest
from conftest import eventually
from test_process import free_port, start, stop, wait_http

from bench.common import SECRET, command_body, payload_body, signed_post, worker_pid
from outreach.store import Store, iso


def test_kill_during_signup_burst_then_restart(tmp_path, fake):
    proc, url, env, shift_id = burst_bot(tmp_path, fake, capacity=20)
    port = int(env["PORT"])
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


# -- issue 11: a burst of 40 mixed requests, kill -9 in the middle, restart: everything acked is done once


def burst_bot(tmp_path, fake, capacity: int = 10):
    """A bot process over a database with one shift of `capacity` places; returns (proc, url, env, shift id)."""
    store = Store(tmp_path / "bot.db")
    start_at = store.clock() + timedelta(days=30)
    with store.write() as db:
        shift_id = db["shifts"].insert({
            "kind": "community", "venue": "motel", "area": "Eastside", "starts_at": iso(start_at),
            "ends_at": iso(start_at + timedelta(hours=4)), "tz": "America/Chicago",
            "capacity": capacity, "min_team": 2, "languages": "[]", "lead": "ULEAD", "training": None, "notes": "",
            "status": "planned"}).last_pk
    store.close()
    port = free_port()
    env = {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url, "PORT": str(port)}
    proc = start(tmp_path, env)
    wait_http(port, proc)
    return proc, f"http://127.0.0.1:{port}/slack/events", env, shift_id


def mixed_burst(url, fake, shift_id):
    """40 requests at once: 20 Sign up clicks, 10 `/outreach mine`, 10 `/outreach help`, each with its
    own response_url; returns {name: status} (0 when the connection died with the process)."""
    requests = []
    for i in range(20):
        requests.append((f"su{i:02d}", payload_body({
            "type": "block_actions", "user": {"id": f"USU{i:02d}"}, "team": {"id": "T1"}, "trigger_id": "t",
            "container": {"type": "message", "channel_id": "C1"}, "response_url": fake.response_url(f"su{i:02d}"),
            "actions": [{"type": "button", "action_id": "shift_signup", "value": str(shift_id)}]})))
    for i in range(10):
        requests.append((f"mine{i}", command_body(f"UM{i}", "mine", fake.response_url(f"mine{i}"))))
        requests.append((f"help{i}", command_body(f"UH{i}", "help", fake.response_url(f"help{i}"))))
    statuses: dict[str, int] = {}

    def send(name, body):
        try:
            statuses[name] = signed_post(url, body, "application/x-www-form-urlencoded", timeout=10)[0]
        except OSError:
            statuses[name] = 0  # the process was killed under this request: not acknowledged

    threads = [threading.Thread(target=send, args=r) for r in requests]
    for t in threads:
        t.start()
    return threads, statuses


def check_done_once(tmp_path, fake, shift_id, statuses):
    """Every acknowledged request was answered, and every acknowledged signup took effect once."""
    acked = {name for name, status in statuses.items() if status == 200}
    assert len(acked) >= 10, statuses  # the kill came in the middle of the burst, not before it
    for name in acked:
        fake.wait_for("response_url", where=lambda c, n=name: c.path.endswith("/" + n), timeout=30)
    conn = sqlite3.connect(tmp_path / "bot.db")
    rows = conn.execute("SELECT user_id, status FROM signups WHERE shift_id = ?", [shift_id]).fetchall()
    conn.close()
    users = [u for u, _ in rows]
    assert len(users) == len(set(users))  # nobody twice
    state = dict(rows)
    for name in acked:
        if name.startswith("su"):
            assert f"USU{name[2:]}" in state, name  # acknowledged, so it took effect
    assert sum(1 for s in state.values() if s == "confirmed") == min(10, len(state))  # no overbooking, no gap
    for call in fake.calls_to("response_url"):
        name = call.path.rsplit("/", 1)[1]
        # a post cut short by the kill arrives with no body: no person saw it
        if name.startswith("su") and "You're signed up" in str(call.params.get("text", "")):
            assert state[f"USU{name[2:]}"] == "confirmed"
    conn = sqlite3.connect(tmp_path / "bot.db")
    try:  # nothing left behind in the jobs table (a job is deleted just after its answer)
        eventually(lambda: conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0, timeout=10)
    finally:
        conn.close()


def test_worker_killed_in_a_burst_every_acked_request_is_done_once(tmp_path, fake):
    proc, url, env, shift_id = burst_bot(tmp_path, fake)
    try:
        worker = worker_pid(proc.pid)
        threads, statuses = mixed_burst(url, fake, shift_id)
        fake.wait_for("response_url", count=5, timeout=30)
        os.kill(worker, signal.SIGKILL)  # the main process starts another; it claims the dead one's jobs
        for t in threads:
            t.join()
        check_done_once(tmp_path, fake, shift_id, statuses)
    finally:
        code, err = stop(proc)
    assert "the worker process ended (exit code -9); starting another" in err


@pytest.mark.parametrize("victims", ["main", "both"])
def test_main_process_killed_in_a_burst_every_acked_request_is_done_after_restart(tmp_path, fake, victims):
    proc, url, env, shift_id = burst_bot(tmp_path, fake)
    worker = worker_pid(proc.pid)
    threads, statuses = mixed_burst(url, fake, shift_id)
    fake.wait_for("response_url", count=5, timeout=30)
    if victims == "both":
        os.kill(worker, signal.SIGKILL)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    for t in threads:
        t.join()
    proc = start(tmp_path, env)  # restart over the same database
    try:
        wait_http(int(env["PORT"]), proc)
        check_done_once(tmp_path, fake, shift_id, statuses)
    finally:
        stop(proc)
