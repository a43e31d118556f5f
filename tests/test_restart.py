"""Restarts and the scheduler lease: `python bot.py` killed with -9 while a reminder comes due, then started again."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest
from test_process import free_port, start, stop

from bench.common import children
from outreach import lease
from outreach.settings import SettingsError, load_settings
from outreach.store import Store


def wait_until(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def query(db_path, sql, args=()):
    conn = sqlite3.connect(db_path, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def reminders(fake):
    return [c for c in fake.calls_to("chat.postMessage")
            if c.params.get("channel") == "UV" and "Reminder: shift" in str(c.params.get("text"))]


def test_reminder_due_while_killed_is_sent_once_after_restart(tmp_path, fake):
    t0 = time.time()
    start_at = datetime.fromtimestamp(t0, UTC).replace(second=0, microsecond=0) + timedelta(minutes=4)
    due = t0 + 14  # the reminder falls due 14 s after the first start, while the bot is down
    lead = int(start_at.timestamp() - due)
    env = {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_APP_TOKEN": "xapp-t", "SLACK_API_URL": fake.url,
           "OUTREACH_TIMEZONE": "UTC", "OUTREACH_REMINDER_LEADS": f"{lead}s",
           "OUTREACH_FEED_PORT": str(free_port())}
    db_path = tmp_path / "bot.db"
    proc = start(tmp_path, env)
    try:
        fake.socket_connected(timeout=20)
        end_at = start_at + timedelta(hours=2)
        fields = {
            "kind": "community", "venue": "motel", "area": "Eastside",
            "start_date": start_at.date().isoformat(), "start_time": start_at.strftime("%H:%M"),
            "end_date": end_at.date().isoformat(), "end_time": end_at.strftime("%H:%M"),
            "capacity": "3", "min_team": "1", "languages": [], "lead": "UADMIN", "training": "none", "notes": "",
        }
        from conftest import state_values

        fake.socket_send("interactive", {
            "type": "view_submission", "team": {"id": "T1"}, "user": {"id": "UADMIN", "team_id": "T1"},
            "api_app_id": "A1", "token": "x", "trigger_id": "t",
            "view": {"id": "V1", "type": "modal", "callback_id": "shift_form", "team_id": "T1",
                     "private_metadata": json.dumps({"channel": "CGENERAL"}),
                     "state": {"values": state_values(fields)}, "hash": "h"},
        }, timeout=10)
        wait_until(lambda: query(db_path, "SELECT id FROM shifts"))
        fake.socket_send("slash_commands", {
            "command": "/outreach", "text": "signup 1", "user_id": "UV", "team_id": "T1", "channel_id": "C1",
            "response_url": fake.response_url("signup"), "trigger_id": "t", "api_app_id": "A1"}, timeout=10)
        reply = fake.wait_for("response_url", where=lambda c: c.path.endswith("/signup"), timeout=10)[0]
        assert "signed up" in reply.params["text"]
        rows = query(db_path, "SELECT due_at, sent_at FROM notifications WHERE key LIKE 'reminder:%'")
        assert len(rows) == 1 and rows[0][1] is None
    finally:
        proc.kill()  # kill -9: no clean shutdown, the lease is left behind
        proc.wait(timeout=10)
    assert time.time() < due, "the setup took too long to stop before the reminder was due"
    assert reminders(fake) == []
    time.sleep(max(0.0, due - time.time()) + 1)  # real time must pass for the reminder to come due
    proc = start(tmp_path, env)
    try:
        wait_until(lambda: reminders(fake), timeout=20)
        assert "Reminder: shift #1" in reminders(fake)[0].params["text"]
    finally:
        code, err = stop(proc)
    assert code == 0, err
    proc = start(tmp_path, env)  # and again: nothing is repeated
    try:
        wait_until(lambda: len(fake.calls_to("apps.connections.open")) >= 3)
        wait_until(lambda: [row[0] for row in query(db_path, "SELECT pid FROM leases")] in ([p] for p in children(proc.pid)))
        time.sleep(0.5)  # the first tick runs as soon as the lease is taken
    finally:
        stop(proc)
    assert len(reminders(fake)) == 1
    sent = query(db_path, "SELECT sent_at, error FROM notifications WHERE key LIKE 'reminder:%'")
    assert len(sent) == 1 and sent[0][0] is not None and sent[0][1] is None


def test_lease_one_holder_at_a_time_and_takeover(tmp_path):
    store = Store(tmp_path / "l.db")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ttl = timedelta(seconds=60)
    me, other = os.getpid(), os.getppid()  # two live processes on this host
    assert lease.acquire(store, owner="a", now=now, ttl=ttl, pid=me)
    assert not lease.acquire(store, owner="b", now=now + timedelta(seconds=30), ttl=ttl, pid=other)
    assert lease.acquire(store, owner="a", now=now + timedelta(seconds=50), ttl=ttl, pid=me)  # renewed
    assert not lease.acquire(store, owner="b", now=now + timedelta(seconds=100), ttl=ttl, pid=other)
    assert lease.acquire(store, owner="b", now=now + timedelta(seconds=111), ttl=ttl, pid=other)  # expired
    assert lease.holder(store)["owner"] == "b"
    lease.release(store, owner="b")
    assert lease.acquire(store, owner="a", now=now + timedelta(seconds=112), ttl=ttl, pid=me)
    # A holder on this host whose process is gone (kill -9) is replaced at once.
    store.db.execute("UPDATE leases SET pid = 999999999, owner = 'dead'")
    store.db.conn.commit()
    assert lease.acquire(store, owner="c", now=now + timedelta(seconds=113), ttl=ttl, pid=other)
    store.close()


@pytest.mark.parametrize("name, value", [
    ("OUTREACH_REMINDER_LEADS", "soon"), ("OUTREACH_REMINDER_LEADS", "0h"), ("OUTREACH_UNDERSTAFFED_ALERT", "2 days"),
    ("OUTREACH_READINESS_ALERT", "-1h"), ("OUTREACH_CHECKOUT_GRACE", "30"), ("OUTREACH_ESCALATION_REPEAT", "15m,5m"),
    ("OUTREACH_FEED_PORT", "99999"), ("OUTREACH_PUBLIC_URL", "outreach.example.org"),
])
def test_time_settings_are_validated(name, value):
    with pytest.raises(SettingsError) as info:
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", name: value})
    assert info.value.name == name


def test_time_settings_parse():
    s = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "OUTREACH_REMINDER_LEADS": "90m, 1d",
                       "OUTREACH_PUBLIC_URL": "https://o.example.org/"})
    assert s.reminder_leads == (timedelta(days=1), timedelta(minutes=90))
    assert s.checkout_grace == timedelta(minutes=30) and s.escalation_repeat == timedelta(minutes=15)
    assert s.public_url == "https://o.example.org" and s.feed_port == 8080
