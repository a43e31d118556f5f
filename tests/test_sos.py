"""SOS: one tap during a shift reaches the coordinators' channel and every coordinator, repeats every
minute in its thread until someone taps I'm on it, is made once per tap (a Slack retry, a job run
again after kill -9), and the team and the person who pressed it are told who is on it."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest
from conftest import ADMIN, COORD_CHANNEL, Bot, at, eventually, message_text
from fakeslack import dm_channel
from phone import Phone
from test_process import free_port, start, stop, wait_http
from test_readiness import pick_contact

from bench.common import SECRET, payload_body, signed_post, worker_pid
from outreach.settings import load_settings
from outreach.store import Store, iso

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)   # the default test shift, 19:00 Chicago
PRESS = datetime(2026, 11, 24, 3, 12, tzinfo=UTC)  # 21:12 Chicago, mid-shift
SOS = "SOS: I need help now"



def night(bot) -> int:
    """Shift of tomorrow evening with ULEAD leading, UA confirmed, UCO a coordinator (and the admin)."""
    number = bot.create_shift()
    bot.make_coordinator("UCO")
    bot.train("UA")
    assert "signed up" in bot.command("UA", f"signup {number}").text()
    return number


def top_posts(bot, channel=COORD_CHANNEL):
    return [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == channel
            and not c.params.get("thread_ts") and not c.failed and "SOS" in str(c.params.get("text"))]


def replies(bot, call):
    return [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("thread_ts") == call.answer["ts"]]


def sos_dms(bot, user):
    """DMs about an SOS to a person (by their lock-screen line)."""
    return [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") in (user, dm_channel(user))
            and not c.params.get("thread_ts") and "coordinator now" in str(c.params.get("text"))]


def test_sos_from_the_app_home_reaches_everyone_repeats_until_someone_is_on_it(bot):
    number = night(bot)
    pick_contact(bot, number, name="County Vice Unit", phone="555 0199")  # the night's agency, from the directory
    at(bot, START)
    volunteer, coordinator, lead = Phone(bot, "UA"), Phone(bot, "UCO"), Phone(bot, "ULEAD")
    assert SOS not in Phone(bot, "UB").home().buttons  # not on the team: no SOS
    at(bot, PRESS)

    home = volunteer.home()
    assert home.buttons[0] == SOS  # the first thing on the App Home during the shift
    tapped = home.tap(SOS, confirm=True)
    told = tapped.dm(where=lambda s: "Coordinators alerted" in s.words)
    assert told.text == "Your alert: tap to see"
    assert "Coordinators alerted at <!date^" in told.words
    post = tapped.posted(COORD_CHANNEL, where=lambda s: "SOS" in s.text)
    assert post.text.startswith("<!channel> ")
    for words in (f"SOS from shift #{number}", "Eastside", "<@UA> pressed SOS at <!date^", "<@ULEAD>",
                  "County Vice Unit, 555 0199"):
        assert words in post.words, words
    assert post.buttons == ["I'm on it", "Details"]
    for person in (ADMIN, "UCO"):
        eventually(lambda p=person: len(sos_dms(bot, p)) == 1)
        dm = Phone(bot, person).last_dm()
        assert dm.text == "A team needs a coordinator now: tap to see"
        assert "<!channel>" not in dm.words and "County Vice Unit" in dm.words and dm.buttons == ["I'm on it", "Details"]
    assert bot.db.execute("SELECT count(*) FROM sos").fetchone()[0] == 1
    assert SOS in tapped.home().buttons

    # Every minute, a repeat in the post's thread, and the post rewritten with the count.
    top = top_posts(bot)[0]
    at(bot, PRESS + timedelta(seconds=40))
    assert replies(bot, top) == []
    at(bot, PRESS + timedelta(minutes=1))
    at(bot, PRESS + timedelta(minutes=1, seconds=20))
    assert len(replies(bot, top)) == 1 and "Still nobody on it (repeat 1)" in message_text(replies(bot, top)[0].params)
    at(bot, PRESS + timedelta(minutes=2))
    assert len(replies(bot, top)) == 2
    assert "repeated 2 times" in post.now().words

    # A coordinator taps I'm on it in the DM: the repeats stop, every message says who.
    dm = coordinator.last_dm()
    at(bot, PRESS + timedelta(minutes=2, seconds=30))
    dm.tap("I'm on it")
    eventually(lambda: dm.now().buttons == [] and "<@UCO> is on it" in dm.now().words)
    eventually(lambda: "<@UCO> is on it" in post.now().text and post.now().buttons == ["Details"])
    assert "<!channel>" not in post.now().text
    eventually(lambda: "Coordinators alerted at" in told.now().words and "<@UCO> is on it" in told.now().words)
    eventually(lambda: Phone(bot, ADMIN).last_dm().now().buttons == [])
    eventually(lambda: lead.last_dm().text == "A coordinator is on it: tap to see")
    on_it = lead.last_dm()
    assert on_it.text == "A coordinator is on it: tap to see" and "<@UCO> is on it" in on_it.words
    row = bot.db["sos"].get(1)
    assert (row["pressed_by"], row["acked_by"], row["acked_at"]) == ("UA", "UCO", "2026-11-24T03:14:30+00:00")
    at(bot, PRESS + timedelta(minutes=6))
    assert len(replies(bot, top)) == 2 and len(top_posts(bot)) == 1
    assert len(sos_dms(bot, "UCO")) == 1

    # Details shows it.
    details = post.now().tap("Details").modal()
    assert "SOS by <@UA> at <!date^" in details.words and "acknowledged by <@UCO> at <!date^" in details.words


def test_the_same_tap_delivered_twice_makes_one_sos(bot):
    number = night(bot)
    at(bot, PRESS)
    payload = {
        "type": "block_actions", "team": {"id": "T1"}, "user": {"id": "UA", "team_id": "T1"}, "api_app_id": "A1",
        "token": "legacy", "trigger_id": "trig-sos", "container": {"type": "view", "view_id": "VHOME"},
        "view": {"id": "VHOME", "type": "home", "blocks": []},
        "actions": [{"type": "button", "action_id": "sos_press", "block_id": f"sos_press:{number}",
                     "value": str(number), "action_ts": "1764385920.123456"}],
    }
    assert bot.interactive(payload)[0] == 200
    assert bot.interactive(payload)[0] == 200  # Slack's retry: the same payload
    eventually(lambda: bot.db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0)
    eventually(lambda: len(top_posts(bot)) == 1 and len(sos_dms(bot, "UCO")) == 1)
    bot.kit.notifier.flush()
    assert bot.db.execute("SELECT count(*) FROM sos").fetchone()[0] == 1
    assert len(top_posts(bot)) == 1 and len(sos_dms(bot, "UCO")) == 1 and len(sos_dms(bot, ADMIN)) == 1
    assert len([c for c in bot.dms("UA") if "Your alert: tap to see" in str(c.params.get("text"))]) == 1


def test_sos_typed_infers_the_shift_and_says_so_when_none_is_under_way(bot):
    number = night(bot)
    volunteer = Phone(bot, "UA")
    assert "no shift under way" in volunteer.command("sos").reply().words
    assert bot.db.execute("SELECT count(*) FROM sos").fetchone()[0] == 0
    at(bot, PRESS)
    assert "Only the lead or a confirmed member" in Phone(bot, "UB").command(f"sos {number}").reply().words
    assert "no shift under way" in Phone(bot, "UB").command("sos").reply().words
    answer = volunteer.command("sos help us").reply()  # words after sos are not a shift number: ignored
    assert "Sending your alert" in answer.words and "alerted" not in answer.words  # the DM says when it is delivered
    eventually(lambda: len(top_posts(bot)) == 1)
    assert f"SOS from shift #{number}" in top_posts(bot)[0].params["text"]
    assert volunteer.last_dm().text == "Your alert: tap to see"
    # A second press while nobody is on it yet goes in the thread, not in a second post.
    again = Phone(bot, "ULEAD").command("sos").reply()
    assert "still open; I added your press to it" in again.words and "alerted" not in again.words
    eventually(lambda: any("<@ULEAD> pressed SOS again" in message_text(c.params) for c in replies(bot, top_posts(bot)[0])))
    assert len(top_posts(bot)) == 1 and bot.db.execute("SELECT count(*) FROM sos").fetchone()[0] == 1
    # The lead's own check-out ends the lead's presence only: the volunteer still out keeps the SOS.
    assert "Checked out" in bot.command("ULEAD", f"checkout {number}").text()
    assert "added your press" in volunteer.command("sos").reply().words
    # Once everyone is back, no more SOS for that shift.
    assert "the night is over" in bot.command("UA", f"checkout {number}").text()
    assert "no shift under way" in volunteer.command("sos").reply().words


def test_a_non_member_cannot_sos_a_shift_even_with_a_forged_button(bot):
    number = night(bot)
    at(bot, PRESS)
    sent = bot.click("UB", "sos_press", str(number), container={"type": "message", "channel_id": "DB", "message_ts": "1.1"})
    assert "Only the lead or a confirmed member" in sent.text()
    assert bot.db.execute("SELECT count(*) FROM sos").fetchone()[0] == 0 and top_posts(bot) == []


def test_only_coordinators_take_an_sos_on(bot):
    night(bot)
    at(bot, PRESS)
    Phone(bot, "UA").command("sos").reply()
    eventually(lambda: bot.db.execute("SELECT count(*) FROM sos").fetchone()[0] == 1)
    sent = bot.click("UA", "sos_ack", "1")
    assert "coordinator" in sent.text().lower()
    assert bot.db["sos"].get(1)["acked_at"] is None


def test_the_check_in_dm_has_the_sos_button(bot):
    number = night(bot)
    at(bot, START)
    checkin = Phone(bot, "ULEAD").last_dm()
    assert checkin.buttons == ["Check in (me)", "Who is out tonight?", SOS]
    checkin.tap(SOS, confirm=True)
    eventually(lambda: len(top_posts(bot)) == 1)
    assert f"shift #{number}" in top_posts(bot)[0].params["text"]
    eventually(lambda: Phone(bot, "ULEAD").last_dm().text == "Your alert: tap to see")


def test_without_a_coordinator_channel_repeats_go_in_each_coordinators_dm_thread(fake, tmp_path, clock):
    bot = Bot(fake, tmp_path, clock, env={"OUTREACH_COORDINATOR_CHANNEL": ""})
    try:
        night(bot)
        at(bot, PRESS)
        Phone(bot, "UA").command("sos").reply()
        eventually(lambda: len(sos_dms(bot, "UCO")) == 1)
        at(bot, PRESS + timedelta(minutes=1))
        dm = sos_dms(bot, "UCO")[0]
        assert len(replies(bot, dm)) == 1 and fake.calls_to("chat.postMessage")[0].params.get("channel") != COORD_CHANNEL
    finally:
        bot.close()


def test_the_repeat_interval_is_a_setting():
    base = {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_SIGNING_SECRET": "s"}
    assert load_settings(base).sos_repeat == timedelta(minutes=1)
    assert load_settings(dict(base, OUTREACH_SOS_REPEAT="2m")).sos_repeat == timedelta(minutes=2)


# -- kill -9 right after the tap: one SOS, one post, every coordinator told once


def sos_bot(tmp_path, fake, extra: dict | None = None):
    """A bot process over a database with a shift under way now (ULEAD leads, UA confirmed, UCO coordinator);
    `extra`: more settings."""
    store = Store(tmp_path / "bot.db")
    now = store.clock()
    with store.write() as db:
        shift_id = db["shifts"].insert({
            "kind": "direct", "venue": "motel", "area": "Eastside", "starts_at": iso(now - timedelta(hours=1)),
            "ends_at": iso(now + timedelta(hours=3)), "tz": "America/Chicago", "capacity": 3, "min_team": 2,
            "languages": "[]", "lead": "ULEAD", "training": None, "notes": "", "status": "planned"}).last_pk
        db["signups"].insert({"shift_id": shift_id, "user_id": "UA", "status": "confirmed",
                              "created_at": iso(now), "updated_at": iso(now)})
        db["roles"].insert({"user_id": "UCO", "role": "coordinator", "granted_by": "UADMIN", "granted_at": iso(now)})
    store.close()
    port = free_port()
    env = {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url, "PORT": str(port),
           "OUTREACH_COORDINATOR_CHANNEL": COORD_CHANNEL, **(extra or {})}
    proc = start(tmp_path, env)
    wait_http(port, proc)
    return proc, f"http://127.0.0.1:{port}/slack/events", env, shift_id


def tap_sos(url, shift_id):
    body = payload_body({
        "type": "block_actions", "user": {"id": "UA"}, "team": {"id": "T1"}, "trigger_id": "t-sos",
        "container": {"type": "view", "view_id": "VHOME"}, "view": {"id": "VHOME", "type": "home", "blocks": []},
        "actions": [{"type": "button", "action_id": "sos_press", "value": str(shift_id),
                     "action_ts": f"{time.time():.6f}"}]})
    return signed_post(url, body, "application/x-www-form-urlencoded", timeout=10)[0]


def settled(tmp_path) -> bool:
    """No job left, and nothing of the SOS left to send."""
    conn = sqlite3.connect(tmp_path / "bot.db")
    try:
        jobs = conn.execute("SELECT count(*) FROM jobs").fetchone()[0]
        unsent = conn.execute("SELECT count(*) FROM notifications WHERE key LIKE 'sos:%' AND sent_at IS NULL").fetchone()[0]
        sos = conn.execute("SELECT count(*) FROM sos").fetchone()[0]
    finally:
        conn.close()
    return jobs == 0 and unsent == 0 and sos > 0


def check_once(tmp_path, fake):
    eventually(lambda: settled(tmp_path), timeout=60)
    conn = sqlite3.connect(tmp_path / "bot.db")
    try:
        assert conn.execute("SELECT count(*) FROM sos").fetchone()[0] == 1
        keys = [r[0] for r in conn.execute("SELECT key FROM notifications WHERE key LIKE 'sos:%' AND mode IS NULL")]
    finally:
        conn.close()
    assert sorted(keys) == ["sos:1:dm:UADMIN", "sos:1:dm:UCO", "sos:1:post", "sos:1:told:UA"]
    posts = [c for c in fake.calls_to("chat.postMessage") if not c.params.get("thread_ts")]
    channel = [c for c in posts if c.params.get("channel") == COORD_CHANNEL]
    assert len(channel) == 1 and str(channel[0].params["text"]).startswith("<!channel> ")
    sos_texts = ("Your alert: tap to see", "A team needs a coordinator now: tap to see")
    for person in ("UADMIN", "UCO", "UA"):  # (UA also gets the shift's own check-in DM: not an SOS)
        assert len([c for c in posts if c.params.get("channel") == person and c.params.get("text") in sos_texts]) == 1, \
            person


@pytest.mark.parametrize("victim", ["worker", "main"])
def test_kill_9_right_after_the_tap_makes_exactly_one_sos(tmp_path, fake, victim):
    proc, url, env, shift_id = sos_bot(tmp_path, fake)
    try:
        worker = worker_pid(proc.pid)
        assert tap_sos(url, shift_id) == 200  # acknowledged: the tap is in the jobs table
        if victim == "worker":
            os.kill(worker, signal.SIGKILL)  # the main process starts another, which claims the job again
        else:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            proc = start(tmp_path, env)  # start again over the same database
            wait_http(int(env["PORT"]), proc)
        check_once(tmp_path, fake)
    finally:
        _, err = stop(proc)
    if victim == "worker":
        assert "the worker process ended (exit code -9); starting another" in err



def test_with_nobody_to_reach_the_presser_is_told_to_call_not_that_coordinators_were_alerted(fake, tmp_path, clock):
    bot = Bot(fake, tmp_path, clock, env={"OUTREACH_COORDINATOR_CHANNEL": ""})
    try:  # no coordinators' channel, and the only coordinator (the admin) leads the shift and presses SOS
        bot.create_shift(lead=ADMIN)
        at(bot, PRESS)
        answer = Phone(bot, ADMIN).command("sos").reply().words
        assert "No coordinator is set up to receive an SOS" in answer and "Coordinators alerted" not in answer
        eventually(lambda: "No coordinator is set up" in Phone(bot, ADMIN).last_dm().words)
    finally:
        bot.close()
