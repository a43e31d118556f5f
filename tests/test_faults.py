"""Faults: Slack failing or slow, replays and retries, a locked database."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from conftest import ADMIN, eventually, message_text, shift_fields


def notification_rows(bot):
    return list(bot.db.query("SELECT key, sent_at, error, attempts FROM notifications WHERE key LIKE 'promoted:%' ORDER BY id"))


def to_uc(params):
    """Only the promotion DM to UC fails (not the calendar invites sent beside it)."""
    return params.get("channel") == "UC" and "A place opened" in message_text(params)


def promote_someone(bot):
    """Two people on a one-place waitlist situation; the first withdraws so the second is told."""
    number = bot.create_shift(capacity="2")
    for user in ("UA", "UB", "UC"):
        bot.train(user)
        bot.command(user, f"signup {number}").reply()
    return number


def promotions_delivered(bot):
    return [c for c in bot.dms("UC") if to_uc(c.params) and not c.failed]


def test_server_error_leaves_notification_unsent_and_retries_later(bot):
    number = promote_someone(bot)
    bot.fake.fail("chat.postMessage", status=500, times=3, where=to_uc)  # the client's own retries fail too
    bot.command("UA", f"withdraw {number}").reply()
    bot.fake.wait_for("chat.postMessage", count=3, where=lambda c: c.failed)
    rows = notification_rows(bot)
    assert len(rows) == 1 and rows[0]["sent_at"] is None and rows[0]["error"]
    bot.kit.tick()  # not due again yet: nothing sent
    assert not promotions_delivered(bot)
    bot.clock.advance(minutes=2)
    bot.kit.tick()
    assert len(promotions_delivered(bot)) == 1
    assert notification_rows(bot)[0]["sent_at"] is not None
    bot.clock.advance(minutes=10)
    bot.kit.tick()
    assert len(promotions_delivered(bot)) == 1  # never twice


def test_rate_limit_is_honoured_and_nothing_lost(bot):
    number = promote_someone(bot)
    bot.fake.fail("chat.postMessage", status=429, retry_after=1, where=to_uc)
    bot.command("UA", f"withdraw {number}").reply()
    calls = bot.fake.wait_for("chat.postMessage", count=2, where=lambda c: to_uc(c.params))
    assert calls[0].failed and not calls[1].failed
    assert notification_rows(bot)[0]["sent_at"] is not None


def test_permanent_error_is_recorded_not_retried(bot):
    number = promote_someone(bot)
    bot.fake.fail("chat.postMessage", error="user_not_found", where=to_uc)
    bot.command("UA", f"withdraw {number}").reply()
    bot.fake.wait_for("chat.postMessage", where=lambda c: c.failed)
    deadline = time.monotonic() + 5
    while notification_rows(bot)[0]["error"] is None and time.monotonic() < deadline:
        time.sleep(0.02)
    row = notification_rows(bot)[0]
    assert row["error"] == "skipped: user_not_found"
    bot.clock.advance(hours=1)
    bot.kit.tick()
    assert len([c for c in bot.dms("UC") if to_uc(c.params)]) == 1


def test_replayed_view_submission_creates_one_shift(bot):
    fields = shift_fields(bot.clock)
    for _ in range(3):
        sent = bot.submit(ADMIN, "shift_form", fields, metadata={"channel": "C1"}, view_id="VSAME")
        assert sent.status == 200
    bot.fake.wait_for("chat.postMessage")
    bot.submit(ADMIN, "shift_form", fields, metadata={"channel": "C1"}, view_id="VOTHER")
    eventually(lambda: bot.db.execute("SELECT count(*) FROM shifts WHERE message_ts IS NOT NULL").fetchone()[0] == 2)
    bot.settle()
    assert bot.db["shifts"].count == 2
    # each resend is answered: saved the first time, nothing more done
    eventually(lambda: len([c for c in bot.dms(ADMIN) if "sent twice" in str(c.params.get("text"))]) == 2)


def test_event_retries_act_once(bot):
    event = {"type": "app_home_opened", "user": "UV", "tab": "home", "channel": "D1"}
    import json

    body = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": "Ev42",
                       "event_time": int(time.time()), "event": event})
    for retry in ("", "1", "2"):
        headers = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        status, _ = bot.post(body, content_type="application/json", headers=headers)
        assert status == 200
    bot.fake.wait_for("views.publish")
    bot.event({"type": "app_home_opened", "user": "UV", "tab": "home", "channel": "D1"})  # a new event
    bot.fake.wait_for("views.publish", count=2)
    assert len(bot.fake.calls_to("views.publish")) == 2


def test_requests_wait_for_a_database_locked_by_another_process(bot):
    number = bot.create_shift()
    bot.train("UA")
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sqlite3, sys, time
        conn = sqlite3.connect({str(bot.settings.db_path)!r}, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        print("locked", flush=True)
        time.sleep(2)
        conn.execute("COMMIT")
    """)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    sent = bot.command("UA", f"signup {number}")
    assert sent.status == 200
    assert "You're signed up" in sent.text(timeout=15)
    holder.wait(timeout=10)
    assert bot.db.execute("SELECT count(*) FROM signups WHERE status = 'confirmed'").fetchone()[0] == 1


def test_timeout_is_not_recorded_as_sent(fake, tmp_path, clock):
    from conftest import Bot
    from slack_sdk import WebClient

    bot = Bot(fake, tmp_path, clock, client=WebClient(token="xoxb-test", base_url=fake.url, timeout=0.5))
    try:
        number = promote_someone(bot)
        fake.fail("chat.postMessage", delay=1.5, where=to_uc)
        bot.command("UA", f"withdraw {number}").reply()
        fake.wait_for("chat.postMessage", where=lambda c: c.failed)
        deadline = time.monotonic() + 5
        while True:  # the send is given up on after the client's time-out
            row = bot.db.execute("SELECT sent_at, error FROM notifications WHERE key LIKE 'promoted:%'").fetchone()
            if row[1] is not None or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert row[0] is None and row[1]  # not sent, the error recorded
        bot.clock.advance(minutes=2)
        bot.kit.tick()
        assert bot.db.execute("SELECT sent_at FROM notifications WHERE key LIKE 'promoted:%'").fetchone()[0] is not None
    finally:
        bot.close()
