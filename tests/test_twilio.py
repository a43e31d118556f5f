"""Beyond Slack: a verified alert phone, an SOS by SMS at once and by call after the wait, a reply "1"
that takes it, signed webhooks only, Do Not Disturb read from Slack, and nothing lost or doubled when
Twilio fails or the bot is killed mid-send."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from conftest import ADMIN, COORD_CHANNEL, Bot, at, eventually, message_text
from faketwilio import FakeTwilio
from phone import Phone
from test_process import start, stop, wait_http
from test_sos import PRESS, night, sos_bot, tap_sos, top_posts
from twilio.request_validator import RequestValidator

from bench.common import worker_pid
from handlers.phone import reach_line, routes
from handlers.web import WebServer, wsgi_app
from outreach import phones
from outreach.settings import SettingsError, load_settings
from outreach.store import Store, iso

NUMBER = "+13125550142"
TAKE_TEXT = "Outreach: a team needs a coordinator now. Reply 1 to take it, or open Slack."
PUBLIC = "https://outreach.example.org"


@pytest.fixture
def twilio():
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def tbot(fake, tmp_path, clock, twilio):
    instance = Bot(fake, tmp_path, clock, env=twilio.env())
    hooks = WebServer(wsgi_app(None, routes(instance.kit)), host="127.0.0.1", port=0)
    hooks.start()
    instance.hooks = f"http://127.0.0.1:{hooks.port}"
    yield instance
    hooks.stop()
    instance.close()


def webhook(bot, path, form, *, token=None, signature=None):
    """POST a form to the bot's Twilio webhook as Twilio would, signed for the public URL (or not)."""
    if signature is None:
        signature = RequestValidator(token or bot.settings.twilio_token).compute_signature(PUBLIC + path, form)
    request = urllib.request.Request(bot.hooks + path, data=urllib.parse.urlencode(form).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              **({"X-Twilio-Signature": signature} if signature else {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def verify_phone(bot, twilio, user, typed="(312) 555-0142"):
    """Record and verify a person's alert phone through the App Home and its two screens."""
    person = Phone(bot, user)
    assert "My alert phone" in person.home().buttons
    bot.click(user, "phone_open", "", container={"type": "view", "view_id": "VHOME"})
    bot.fake.wait_for("views.open", where=lambda c: "Send code" in str(c.params.get("view")))
    e164 = phones.normalise(typed, "US")
    before = len(twilio.sms_to(e164))
    assert bot.submit(user, "phone_number", {"phone": typed}).json()["response_action"] == "update"
    body = twilio.wait_for("Messages", count=before + 1, where=lambda m: m["to"] == e164)[-1]["body"]
    code = re.search(r"\b(\d{6})\b", body).group(1)
    done = bot.submit(user, "phone_code", {"code": code}).json()
    assert done["response_action"] == "update" and "Verified" in message_text(done["view"])
    return e164


# -- settings


def test_without_twilio_the_net_says_it_reaches_people_only_inside_slack():
    base = {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_SIGNING_SECRET": "s"}
    settings = load_settings(base)
    assert not settings.twilio and "only inside Slack" in reach_line(settings)
    twilio = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+15005550006"}
    with pytest.raises(SettingsError, match="OUTREACH_PUBLIC_URL.*public https"):
        load_settings(dict(base, **twilio, OUTREACH_PUBLIC_URL="http://outreach.example.org"))
    with pytest.raises(SettingsError, match="OUTREACH_PUBLIC_URL"):
        load_settings(dict(base, **twilio, OUTREACH_PUBLIC_URL="https://localhost:3000"))
    with pytest.raises(SettingsError, match="TWILIO_AUTH_TOKEN"):
        load_settings(dict(base, TWILIO_ACCOUNT_SID="AC" + "1" * 32))
    on = load_settings(dict(base, **twilio, OUTREACH_PUBLIC_URL=PUBLIC, OUTREACH_CALL_AFTER="3m"))
    assert on.twilio and on.call_after == timedelta(minutes=3) and on.sms_after == timedelta(minutes=5)
    assert f"{PUBLIC}/twilio/sms" in reach_line(on)


# -- the alert phone


def test_phone_verification_end_to_end(tbot, twilio):
    bot = tbot
    person = Phone(bot, "UCO")
    bot.click("UCO", "phone_open", "", container={"type": "view", "view_id": "VHOME"})
    bad = bot.submit("UCO", "phone_number", {"phone": "call me"}).json()
    assert bad["response_action"] == "errors" and "not a phone number" in bad["errors"]["phone"]
    assert bot.submit("UCO", "phone_number", {"phone": "312 555 0142"}).json()["response_action"] == "update"
    twilio.wait_for("Messages", where=lambda m: m["to"] == NUMBER)
    wrong = bot.submit("UCO", "phone_code", {"code": "000000"}).json()
    assert wrong["response_action"] == "errors" and "not the code" in wrong["errors"]["code"]
    with bot.store.read() as db:
        assert phones.verified(db, ["UCO"]) == []  # not used before it is verified
    assert verify_phone(bot, twilio, "UCO") == NUMBER
    home = person.home().words
    assert "+1 ••• ••• ••42, verified" in home and NUMBER not in home and "5550142" not in home
    with bot.store.read() as db:
        row = next(db.query("SELECT * FROM alert_phones WHERE user_id = 'UCO'"))
        stored = json_text(db)
    assert row["verified_at"] and row["code_hash"] is None
    assert not re.search(r"\b\d{6}\b", stored)  # the code was never stored
    # another member cannot take the same number
    bot.click("UA", "phone_open", "", container={"type": "view", "view_id": "VHOME"})
    taken = bot.submit("UA", "phone_number", {"phone": NUMBER}).json()
    assert "already someone else's" in taken["errors"]["phone"]
    bot.click("UCO", "phone_remove", "", container={"type": "view", "view_id": "VHOME"},
              view={"id": "VPHONE", "type": "modal"})
    eventually(lambda: phones.load(bot.store, "UCO") is None)
    assert "none. Add one" in person.home().words


def json_text(db):
    """Everything the outbox holds about phones, as text."""
    return " ".join(str(r) for r in db.query("SELECT key, channel, context FROM notifications WHERE channel LIKE 'sms:%'"))


# -- an SOS by SMS and calls, DND, a reply "1"


def dnd_now(bot, user):
    stamp = PRESS.timestamp()
    bot.fake.dnd[user] = {"dnd_enabled": True, "next_dnd_start_ts": int(stamp - 3600), "next_dnd_end_ts": int(stamp + 8 * 3600)}


def test_sos_texts_at_once_calls_after_the_wait_and_a_reply_1_takes_it(tbot, twilio):
    bot = tbot
    number = night(bot)
    verify_phone(bot, twilio, "UCO")
    dnd_now(bot, "UCO")
    at(bot, PRESS)
    Phone(bot, "UA").command("sos").reply()
    twilio.wait_for("Messages", count=2, where=lambda m: m["to"] == NUMBER)  # the code, then the SOS
    assert twilio.sms_to(NUMBER)[-1] == TAKE_TEXT
    post = eventually_post(bot)
    line = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("thread_ts") == post.answer["ts"]
                             and "Do Not Disturb scheduled, texted at" in message_text(c.params))[0]
    assert "<@UCO>" in message_text(line.params)
    assert twilio.calls_to(NUMBER) == []
    at(bot, PRESS + timedelta(minutes=2))  # nobody took it on: the call
    call = twilio.wait_for("Calls", where=lambda c: c["to"] == NUMBER)[0]
    assert "Press 1 to take it" in call["twiml"] and 'numDigits="1"' in call["twiml"]
    assert f'action="{PUBLIC}/twilio/voice"' in call["twiml"]
    # forged or unsigned, a reply changes nothing
    reply = {"MessageSid": "SM" + "a" * 32, "From": NUMBER, "To": "+15005550006", "Body": "1"}
    assert webhook(bot, "/twilio/sms", reply, token="not-the-token")[0] == 403
    assert webhook(bot, "/twilio/sms", reply, signature="")[0] == 403
    assert bot.db.execute("SELECT acked_by FROM sos").fetchone()[0] is None
    status, twiml = webhook(bot, "/twilio/sms", reply)
    assert status == 200 and f"#{number} is yours" in twiml
    assert bot.db.execute("SELECT acked_by FROM sos").fetchone()[0] == "UCO"
    eventually(lambda: any("On it" in message_text(c.params) or "<@UCO>" in message_text(c.params)
                           for c in bot.fake.calls_to("chat.update") if c.params.get("ts") == post.answer["ts"]))
    eventually(lambda: len(Phone(bot, "ULEAD").dms()) > 0 and "<@UCO>" in Phone(bot, "ULEAD").last_dm().words)
    assert webhook(bot, "/twilio/sms", reply)[1].count("<Message>") == 0  # the same MessageSid again: acted on once
    at(bot, PRESS + timedelta(minutes=4))  # taken on: no second call
    bot.settle()
    assert len(twilio.calls_to(NUMBER)) == 1
    steps = [s for (s,) in bot.db.execute("SELECT step FROM safety_steps ORDER BY id")]
    assert "sms:UCO" in steps and "call1:UCO" in steps and "by-sms:UCO" in steps
    timeline = bot.kit.render("safety/timeline.j2", shift=bot_shift(bot, number), steps=timeline_steps(bot, number))
    assert "texted <@UCO>" in timeline and "took it from their phone (a reply to the SMS)" in timeline
    assert NUMBER not in timeline


def eventually_post(bot):
    eventually(lambda: len(top_posts(bot)) == 1)
    return top_posts(bot)[0]


def bot_shift(bot, number):
    from outreach.shifts import load_shift
    return load_shift(bot.store, number)


def timeline_steps(bot, number):
    from outreach import safety
    return safety.load_steps(bot.store, number)


def test_a_second_call_goes_to_whoever_did_not_press_1_and_pressing_1_takes_it(tbot, twilio):
    bot = tbot
    verify_phone(bot, twilio, "UCO")
    number = night(bot)
    at(bot, PRESS)
    Phone(bot, "UA").command("sos").reply()
    at(bot, PRESS + timedelta(minutes=2))
    at(bot, PRESS + timedelta(minutes=4))
    calls = twilio.wait_for("Calls", count=2, where=lambda c: c["to"] == NUMBER)
    assert webhook(bot, "/twilio/voice", {"CallSid": calls[1]["sid"], "Digits": "2"})[1].count("Nothing was taken") == 1
    status, twiml = webhook(bot, "/twilio/voice", {"CallSid": calls[1]["sid"], "Digits": "1", "To": NUMBER})
    assert status == 200 and "It is yours" in twiml
    assert bot.db.execute("SELECT acked_by FROM sos").fetchone()[0] == "UCO"
    steps = [s for (s,) in bot.db.execute("SELECT step FROM safety_steps WHERE shift_id = ?", [number])]
    assert {"call1:UCO", "call2:UCO", "pressed1:UCO", "by-call:UCO"} <= set(steps)


def test_with_two_open_alarms_a_bare_1_is_answered_with_the_choice(tbot, twilio):
    bot = tbot
    verify_phone(bot, twilio, "UCO")
    first = night(bot)
    second = bot.create_shift(lead="ULEAD2")
    assert "signed up" in bot.command("UA", f"signup {second}").text()
    at(bot, PRESS)
    Phone(bot, "UA").command(f"sos {first}").reply()
    Phone(bot, "UA").command(f"sos {second}").reply()
    twilio.wait_for("Messages", count=3, where=lambda m: m["to"] == NUMBER)
    assert f"Reply 1 {first} or 1 {second}" in twilio.sms_to(NUMBER)[-1]
    twiml = webhook(bot, "/twilio/sms", {"MessageSid": "SM" + "b" * 32, "From": NUMBER, "Body": "1"})[1]
    assert f"Reply 1 {first} or 1 {second}" in twiml
    assert bot.db.execute("SELECT count(*) FROM sos WHERE acked_by IS NOT NULL").fetchone()[0] == 0
    twiml = webhook(bot, "/twilio/sms", {"MessageSid": "SM" + "c" * 32, "From": NUMBER, "Body": f"1 {second}"})[1]
    assert f"#{second} is yours" in twiml
    assert bot.db.execute("SELECT shift_id FROM sos WHERE acked_by = 'UCO'").fetchall() == [(second,)]


# -- Twilio failing, a number refused


def test_twilio_answering_500_for_10_minutes_loses_nothing(tbot, twilio):
    bot = tbot
    verify_phone(bot, twilio, "UCO")
    night(bot)
    twilio.fail(status=500, during=lambda: bot.clock() < PRESS + timedelta(minutes=10), resource="Messages")
    at(bot, PRESS)
    Phone(bot, "UA").command("sos").reply()
    for minute in range(1, 12):
        at(bot, PRESS + timedelta(minutes=minute))
    bot.settle()
    assert twilio.sms_to(NUMBER).count(TAKE_TEXT) == 1
    failed = [r for r in twilio.requests if r.resource == "Messages" and r.method == "POST"]
    assert len(failed) > 5  # it kept trying
    row = bot.db.execute("SELECT sent_at, ts FROM notifications WHERE key = 'sos:1:sms:UCO'").fetchone()
    assert row[0] >= iso(PRESS + timedelta(minutes=10)) and row[1].startswith("SM")


def test_a_number_twilio_refuses_is_reported_to_its_owner_and_the_admins_once(tbot, twilio):
    bot = tbot
    verify_phone(bot, twilio, "UCO")
    night(bot)
    twilio.fail(status=400, code=21614, times=5, resource="Messages")
    at(bot, PRESS)
    Phone(bot, "UA").command("sos").reply()
    eventually(lambda: "cannot get texts or calls" in Phone(bot, "UCO").last_dm().words)
    eventually(lambda: "<@UCO>" in Phone(bot, ADMIN).last_dm().words)
    bot.settle()
    row = bot.db.execute("SELECT error FROM notifications WHERE key = 'sos:1:sms:UCO'").fetchone()
    assert "21614" in row[0]
    told = bot.db.execute("SELECT count(*) FROM notifications WHERE template = 'reach/phone'").fetchone()[0]
    assert told == 2 and NUMBER not in str(bot.db.execute("SELECT context FROM notifications "
                                                          "WHERE template = 'reach/phone'").fetchall())
    assert "sms-failed:UCO" in [s for (s,) in bot.db.execute("SELECT step FROM safety_steps")]


# -- escalations


def test_an_escalation_texts_the_people_on_call_at_level_2_and_everyone_after_the_wait(fake, tmp_path, clock, twilio):
    bot = Bot(fake, tmp_path, clock, env=dict(twilio.env(), OUTREACH_ONCALL_COORDINATORS="UON"))
    try:
        verify_phone(bot, twilio, "UON", "312 555 0150")
        verify_phone(bot, twilio, "UCO")
        verify_phone(bot, twilio, "UDN", "312 555 0160")
        number = night(bot)
        bot.make_coordinator("UON")
        bot.make_coordinator("UDN")
        dnd_now(bot, "UDN")
        end = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 23:00 Chicago
        at(bot, PRESS)
        assert "Checked in" in bot.command("ULEAD", f"checkin {number}").text()
        at(bot, end + timedelta(minutes=31))  # nobody checked out: level 2 at once (no team wait)
        twilio.wait_for("Messages", where=lambda m: m["to"] == "+13125550150" and m["body"] == TAKE_TEXT)
        twilio.wait_for("Messages", where=lambda m: m["to"] == "+13125550160" and m["body"] == TAKE_TEXT)  # in DND
        bot.settle()
        post = next(c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == COORD_CHANNEL
                    and not c.params.get("thread_ts") and c.answer and "Did shift" not in str(c.params.get("text")))
        bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("thread_ts") == post.answer["ts"]
                          and "<@UDN>: Do Not Disturb scheduled, texted at" in message_text(c.params))
        assert TAKE_TEXT not in twilio.sms_to(NUMBER)  # neither on call nor in DND: only after the wait
        at(bot, end + timedelta(minutes=37))
        twilio.wait_for("Messages", where=lambda m: m["to"] == NUMBER and m["body"] == TAKE_TEXT)
    finally:
        bot.close()


# -- kill -9 during an SMS send


def test_kill_9_during_an_sms_send_neither_loses_nor_doubles_it(tmp_path, fake, twilio):
    store = Store(tmp_path / "bot.db")
    with store.write() as db:
        db["alert_phones"].insert({"user_id": "UCO", "e164": NUMBER, "verified_at": iso(store.clock()),
                                   "created_at": iso(store.clock()), "attempts": 0})
    store.close()
    twilio.fail(delay=30, resource="Messages")  # Twilio takes the message, then the answer hangs
    proc, url, env, shift_id = sos_bot(tmp_path, fake, twilio.env())
    try:
        assert tap_sos(url, shift_id) == 200
        twilio.wait_for("Messages", where=lambda m: m["to"] == NUMBER, timeout=30)
        os.kill(worker_pid(proc.pid), signal.SIGKILL)  # mid-request: Twilio has it, the bot never heard back
        conn = sqlite3.connect(tmp_path / "bot.db")
        conn.execute("UPDATE notifications SET claimed_at = '2000-01-01T00:00:00+00:00' WHERE key LIKE 'sos:%:sms:%' "
                     "AND sent_at IS NULL")  # as if the claim's timeout had passed
        conn.commit()

        def sent():
            return conn.execute("SELECT ts FROM notifications WHERE key LIKE 'sos:%:sms:UCO' "
                                "AND sent_at IS NOT NULL").fetchone()

        eventually(lambda: sent() is not None, timeout=60)
        assert len(twilio.sms_to(NUMBER)) == 1 and sent()[0] == twilio.messages[0]["sid"]
        conn.close()
    finally:
        stop(proc)


def test_the_webhooks_are_served_beside_healthz_in_http_mode(tmp_path, fake, twilio):
    from test_process import free_port

    port = free_port()
    env = {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": fake.url, "PORT": str(port),
           "OUTREACH_COORDINATOR_CHANNEL": COORD_CHANNEL, **twilio.env()}
    proc = start(tmp_path, env)
    try:
        wait_http(port, proc)
        form = urllib.parse.urlencode({"MessageSid": "SM1", "From": NUMBER, "Body": "1"}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/twilio/sms", data=form, method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 403
    finally:
        _, err = stop(proc)
    assert "phone: SMS and calls from +15005550006" in err


def test_a_coordinator_who_reads_spanish_is_texted_and_called_in_spanish_in_a_spanish_voice(tbot, twilio):
    from outreach import languages

    bot = tbot
    night(bot)
    verify_phone(bot, twilio, "UCO")
    languages.choose_language(bot.store, "UCO", "es", now=bot.clock())
    dnd_now(bot, "UCO")
    at(bot, PRESS)
    Phone(bot, "UA").command("sos").reply()
    twilio.wait_for("Messages", count=2, where=lambda m: m["to"] == NUMBER)
    assert twilio.sms_to(NUMBER)[-1] != TAKE_TEXT and "Outreach" in twilio.sms_to(NUMBER)[-1]  # the Spanish SMS
    at(bot, PRESS + timedelta(minutes=2))
    call = twilio.wait_for("Calls", where=lambda c: c["to"] == NUMBER)[0]
    assert 'language="es-MX"' in call["twiml"] and "Press 1" not in call["twiml"]
    status, twiml = webhook(bot, "/twilio/voice", {"CallSid": call["sid"], "Digits": "1"})
    assert status == 200 and 'language="es-MX"' in twiml
