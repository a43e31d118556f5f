"""`python bot.py check` against the fake Slack, and `python bot.py` started while Slack cannot be reached."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fakeslack import FakeSlack
from test_process import free_port
from test_settings import GOOD, run_bot

from handlers.connect import network_problem, next_wait
from handlers.manifest import BOT_SCOPES
from outreach.setup_check import example_text, placeholders, read_examples

ROOT = Path(__file__).resolve().parent.parent
CHANNEL = "CCOORD"


def settings(fake, tmp_path, **more):
    """A good configuration against the fake: one admin who exists, the coordinators' channel with the bot in it."""
    return {**GOOD, "SLACK_API_URL": fake.url, "OUTREACH_DB": str(tmp_path / "o.db"), "OUTREACH_ADMINS": "UADMIN",
            "OUTREACH_COORDINATOR_CHANNEL": CHANNEL, **more}


def lines_about(output: str, name: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(f"{name}:")]


def reach_dms(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT channel, template FROM notifications WHERE template = 'reach/channel'").fetchall()
    finally:
        conn.close()


def test_the_untouched_example_is_refused_setting_by_setting(tmp_path, fake):
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    result = run_bot("check", env={"SLACK_API_URL": fake.url, "OUTREACH_DB": str(tmp_path / "o.db")}, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "check: ok" not in result.stdout
    expected = {"SLACK_BOT_TOKEN": ("xoxb-your-bot-token", "Bot User OAuth Token"),
                "SLACK_APP_TOKEN": ("xapp-your-app-token", "connections:write"),
                "OUTREACH_ADMINS": ("U0123456789", "member id"),
                "OUTREACH_COORDINATOR_CHANNEL": ("C0123456789", "channel id"),
                "OUTREACH_PUBLIC_URL": ("https://outreach.example.org", "https://")}
    for name, (placeholder, instead) in expected.items():
        [line] = lines_about(result.stdout, name)
        assert placeholder in line and "as in .env.example" in line and instead in line.split(";", 1)[1], line
    assert "slack: not tried" in result.stdout
    refused = [line for line in result.stdout.splitlines() if "as in .env.example;" in line]
    assert f"check: {len(refused)} problem(s)" in result.stdout  # one line per problem
    assert not fake.calls  # a placeholder token is not sent anywhere


def test_placeholders_are_read_from_the_example_and_only_they_are_refused():
    text = example_text()
    found = {e.name for e in read_examples(text).values() if e.placeholder}
    assert found >= {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "OUTREACH_ADMINS", "OUTREACH_COORDINATOR_CHANNEL",
                     "OUTREACH_PUBLIC_URL", "OUTREACH_COALITION_NAME", "OUTREACH_STATEMENT_ISSUER"}
    defaults = {"PORT", "SLACK_API_URL", "OUTREACH_DB", "OUTREACH_TIMEZONE", "OUTREACH_REGION", "OUTREACH_FEED_PORT",
                "OUTREACH_REMINDER_LEADS", "OUTREACH_INKIND_RATE", "OUTREACH_CURRENCY"}
    assert not found & defaults  # real defaults are not placeholders
    left = placeholders({"OUTREACH_ADMINS": "U0REAL1, U0123456789", "OUTREACH_PUBLIC_URL": "https://outreach.example.org/",
                         "OUTREACH_STATEMENT_ISSUER": "Dana Reyes, Volunteer Coordinator", "PORT": "3000",
                         "OUTREACH_COALITION_NAME": "Eastside Coalition", "SLACK_BOT_TOKEN": "xoxb-1-2-3"}, text)
    assert set(left) == {"OUTREACH_ADMINS", "OUTREACH_PUBLIC_URL", "OUTREACH_STATEMENT_ISSUER"}
    assert left["OUTREACH_ADMINS"].values == ("U0123456789",)  # the real id beside it is not refused
    assert "OUTREACH_STATEMENT_ISSUER: still Dana Reyes" in left["OUTREACH_STATEMENT_ISSUER"].line


def test_an_admin_who_does_not_exist_is_named(tmp_path, fake):
    fake.add_user("UADMIN", real_name="Ada Admin")
    fake.add_user("UGONE", deleted=True)
    fake.add_channel(CHANNEL)
    result = run_bot("check", env=settings(fake, tmp_path, OUTREACH_ADMINS="UADMIN,UGHOST,UGONE"), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    [line] = lines_about(result.stdout, "OUTREACH_ADMINS")
    assert "UGHOST is not a member of this workspace" in line and "UGONE is a deactivated account" in line
    assert "UADMIN" not in line and "Copy member ID" in line
    assert {c.params["user"] for c in fake.calls_to("users.info")} == {"UADMIN", "UGHOST", "UGONE"}
    assert "check: 1 problem(s)" in result.stdout


def test_the_bot_outside_the_channel_is_said_recorded_once_and_told_by_the_running_bot(tmp_path, fake):
    fake.add_user("UADMIN")
    fake.add_channel(CHANNEL, name="coordinators", is_member=False)
    env = settings(fake, tmp_path)
    result = run_bot("check", env=env, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    [line] = lines_about(result.stdout, "OUTREACH_COORDINATOR_CHANNEL")
    assert "not a member of #coordinators (CCOORD)" in line and "/invite @outreach" in line and "queued" in line
    assert fake.calls_to("conversations.info")[0].params["channel"] == CHANNEL
    again = run_bot("check", env=env, cwd=tmp_path)
    assert again.returncode == 1 and "already recorded" in again.stdout
    assert reach_dms(tmp_path / "o.db") == [("UADMIN", "reach/channel")]  # once, however often check runs

    from test_process import start, stop

    proc = start(tmp_path, {**env, "SLACK_APP_TOKEN": "xapp-t", "OUTREACH_DB": str(tmp_path / "o.db")})
    try:
        [dm] = fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "UADMIN", timeout=30)
    finally:
        code, err = stop(proc)
    assert code == 0, err
    told = str(dm.params.get("blocks") or dm.params.get("text"))
    assert "cannot post in <#CCOORD>" in told and "/invite @outreach" in told

    fake.add_channel(CHANNEL, name="coordinators", is_member=True)  # invited
    fixed = run_bot("check", env=env, cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout
    assert "ok (the bot is a member of #coordinators (CCOORD); the problem recorded before is cleared)" in fixed.stdout


def test_a_private_channel_the_bot_cannot_see(tmp_path, fake):
    fake.add_user("UADMIN")
    fake.add_channel(CHANNEL, is_private=True, is_member=False)
    result = run_bot("check", env=settings(fake, tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    [line] = lines_about(result.stdout, "OUTREACH_COORDINATOR_CHANNEL")
    assert "cannot see CCOORD" in line and "private channel, type /invite @outreach" in line


def test_a_missing_scope_is_named_with_reinstall(tmp_path, fake):
    fake.add_user("UADMIN")
    fake.add_channel(CHANNEL)
    fake.scopes = [s for s in BOT_SCOPES if s not in ("groups:read", "files:write")]
    result = run_bot("check", env=settings(fake, tmp_path), cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    [line] = [line for line in result.stdout.splitlines() if line.startswith("slack: the token lacks")]
    assert "lacks files:write, groups:read, which the manifest asks for" in line and "reinstall the app" in line
    assert "OUTREACH_COORDINATOR_CHANNEL: not checked" in result.stdout  # conversations.info needs the scope
    assert "check: 1 problem(s)" in result.stdout


def test_all_good_says_ok(tmp_path, fake):
    fake.add_user("UADMIN")
    fake.add_channel(CHANNEL, name="coordinators")
    result = run_bot("check", env=settings(fake, tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0].startswith("settings: ok")
    assert f"the token has all {len(BOT_SCOPES)} scopes" in result.stdout
    assert "OUTREACH_ADMINS: ok (1 member(s)" in result.stdout
    assert "OUTREACH_COORDINATOR_CHANNEL: ok (the bot is a member of #coordinators (CCOORD))" in result.stdout
    assert result.stdout.rstrip().endswith("check: ok")
    assert reach_dms(tmp_path / "o.db") == []
    assert "channels:read" in BOT_SCOPES and "groups:read" in BOT_SCOPES


def test_waits_double_up_to_a_minute_and_network_problems_are_told_apart():
    waits, wait = [], None
    for _ in range(9):
        wait = next_wait(wait)
        waits.append(wait)
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    import urllib.error

    from slack_sdk.errors import SlackApiError

    assert "resolved" in network_problem(urllib.error.URLError(socket.gaierror(-2, "Name or service not known")))
    assert network_problem(urllib.error.URLError(ConnectionRefusedError(111, "refused"))) == "connection refused"
    assert network_problem(SlackApiError("no", {"ok": False, "error": "invalid_auth"})) is None
    assert network_problem(ValueError("bug")) is None


class Started:
    """`python bot.py` as a process whose log lines are read as they come."""

    def __init__(self, tmp_path, env):
        full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OUTREACH_"))}
        full.update({"OUTREACH_DB": str(tmp_path / "bot.db"), "OUTREACH_ADMINS": "UADMIN",
                     "OUTREACH_FEED_PORT": str(free_port()), **env})
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bot.py")], env=full, cwd=tmp_path,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_lines(self, text, count, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.lines if text in line]
            if len(found) >= count:
                return found
            assert self.proc.poll() is None, "\n".join(self.lines)
            time.sleep(0.05)
        raise AssertionError(f"no {count} line(s) with {text!r}: " + "\n".join(self.lines))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.reader.join(timeout=10)
        return self.proc.returncode


@pytest.mark.parametrize("mode", ["socket", "http"])
def test_a_start_with_slack_unreachable_says_one_line_per_try_and_connects_once_it_answers(tmp_path, mode):
    port = free_port()  # nothing listens there yet: every connection is refused
    api = f"http://127.0.0.1:{port}/api/"
    env = {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_API_URL": api}
    env.update({"SLACK_APP_TOKEN": "xapp-t"} if mode == "socket" else {"SLACK_SIGNING_SECRET": "s", "PORT": str(free_port())})
    bot = Started(tmp_path, env)
    try:
        tries = bot.wait_lines("cannot reach Slack", 2)
        assert f"cannot reach Slack at {api} (connection refused); trying again in 1 s" in tries[0]
        assert "trying again in 2 s" in tries[1]
        with FakeSlack(port=port) as fake:
            if mode == "socket":
                fake.socket_connected(timeout=30)
            else:
                fake.wait_for("auth.test", timeout=30)
                bot.wait_lines("serving Slack requests", 1)
            assert bot.proc.poll() is None
            code = bot.stop()
    finally:
        if bot.proc.poll() is None:
            bot.proc.kill()
    assert code == 0, "\n".join(bot.lines)
    text = "\n".join(bot.lines)
    assert "Traceback" not in text and "gaierror" not in text
    failed = [line for line in bot.lines if " ERROR " in line or "Failed to send" in line]
    assert failed == []  # each try is the one line above, not slack_sdk's own
    assert len([line for line in bot.lines if "cannot reach Slack" in line]) >= 2


def test_sigterm_while_waiting_for_slack_stops_cleanly(tmp_path):
    port = free_port()
    bot = Started(tmp_path, {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_SIGNING_SECRET": "s", "PORT": str(free_port()),
                             "SLACK_API_URL": f"http://127.0.0.1:{port}/api/"})
    try:
        bot.wait_lines("cannot reach Slack", 1)
        code = bot.stop()
    finally:
        if bot.proc.poll() is None:
            bot.proc.kill()
    assert code == 0, "\n".join(bot.lines)
    assert "stopped before Slack could be reached" in bot.lines[-1]
    assert "Traceback" not in "\n".join(bot.lines)
