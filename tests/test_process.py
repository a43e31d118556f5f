"""`python bot.py` as a real process against the fake Slack: HTTP mode and Socket Mode."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(tmp_path, env):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OUTREACH_"))}
    full.update({"OUTREACH_DB": str(tmp_path / "bot.db"), "OUTREACH_ADMINS": "UADMIN",
                 "OUTREACH_FEED_PORT": str(free_port()), **env})
    return subprocess.Popen([sys.executable, str(ROOT / "bot.py")], env=full, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    return proc.returncode, err


def wait_http(port, proc, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("bot did not start serving")


def test_http_mode_serves_a_signed_slash_command(tmp_path, fake):
    port = free_port()
    proc = start(tmp_path, {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_SIGNING_SECRET": "sec", "SLACK_API_URL": fake.url,
                            "PORT": str(port)})
    try:
        wait_http(port, proc)
        body = urllib.parse.urlencode({"command": "/outreach", "text": "help", "user_id": "UV", "team_id": "T1",
                                       "channel_id": "C1", "response_url": fake.response_url("http"),
                                       "trigger_id": "t"})
        ts = str(int(time.time()))
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
                   "X-Slack-Signature": SignatureVerifier("sec").generate_signature(timestamp=ts, body=body)}
        request = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        reply = fake.wait_for("response_url", timeout=10)[0]
        assert "/outreach shifts" in reply.params["text"]
        assert fake.calls_to("auth.test")
    finally:
        code, err = stop(proc)
    assert code == 0, err
    assert "stopped" in err
    assert re.search(r"handled command:/outreach help wait_ms=[0-9.]+ work_ms=[0-9.]+", err)  # one line per request
    assert "xoxb-t" not in err and "sec" not in err.replace("second", "")  # no token or secret in logs


def test_socket_mode_serves_a_slash_command(tmp_path, fake):
    proc = start(tmp_path, {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_APP_TOKEN": "xapp-t", "SLACK_API_URL": fake.url})
    try:
        fake.socket_connected(timeout=20)
        assert fake.calls_to("apps.connections.open")
        ack = fake.socket_send("slash_commands", {
            "command": "/outreach", "text": "mine", "user_id": "UV", "team_id": "T1", "channel_id": "C1",
            "response_url": fake.response_url("socket"), "trigger_id": "t", "api_app_id": "A1",
        }, timeout=10)
        assert "envelope_id" in ack
        reply = fake.wait_for("response_url", timeout=10)[0]
        assert "no upcoming shifts" in reply.params["text"]
    finally:
        code, err = stop(proc)
    assert code == 0, err


def test_restart_over_the_same_database_keeps_data(tmp_path, fake):
    env = {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_APP_TOKEN": "xapp-t", "SLACK_API_URL": fake.url}
    proc = start(tmp_path, env)
    fake.socket_connected(timeout=20)
    fake.socket_send("slash_commands", {
        "command": "/outreach", "text": "role <@UC1> coordinator", "user_id": "UADMIN", "team_id": "T1",
        "channel_id": "C1", "response_url": fake.response_url("role"), "trigger_id": "t", "api_app_id": "A1"})
    fake.wait_for("response_url", timeout=10)
    proc.kill()  # kill -9: no clean shutdown
    proc.wait(timeout=10)
    proc = start(tmp_path, env)
    try:
        import sqlite3

        deadline = time.monotonic() + 20
        while len(fake.calls_to("apps.connections.open")) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(fake.calls_to("apps.connections.open")) >= 2
        conn = sqlite3.connect(tmp_path / "bot.db")
        assert conn.execute("SELECT user_id, role FROM roles").fetchall() == [("UC1", "coordinator")]
        assert json.loads(conn.execute("SELECT detail FROM audit").fetchone()[0]) == {}
        conn.close()
    finally:
        stop(proc)
