"""Drills: "Test the net" runs the whole chain to chosen people, marked TEST, and lists who took it, how
and how fast; it counts nowhere; forged taps are refused; the coordinators are reminded after 30 days
without one; and when Slack messages stop going out the admins are texted once, then once on recovery."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

from conftest import ADMIN, COORD_CHANNEL, START, Sent, at, eventually, message_text
from fakeslack import dm_channel
from phone import Phone
from test_sos import PRESS, night
from test_twilio import tbot, twilio, verify_phone, webhook  # noqa: F401 (fixtures)

from handlers.health import Alarm
from outreach import reports, sos
from outreach.store import iso

_views = itertools.count(1)


def submit_drill(bot, user, people, paths) -> Sent:
    """The "Test the net" form, submitted as Slack sends it (a people picker and tick boxes)."""
    name = f"drillview{next(_views)}"
    values = {"people": {"value": {"type": "multi_users_select", "selected_users": people}},
              "paths": {"value": {"type": "checkboxes", "selected_options": [{"value": p} for p in paths]}}}
    payload = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": user, "team_id": "T1"},
               "api_app_id": "A1", "token": "legacy", "trigger_id": f"trig-{name}",
               "view": {"id": f"V{name}", "type": "modal", "callback_id": "drill_form", "team_id": "T1",
                        "private_metadata": "{}", "state": {"values": values}, "hash": "h"}}
    status, body = bot.interactive(payload)
    return Sent(bot, status, body, name)


def accepted(bot, channel):
    """Messages and rewrites Slack accepted in a channel (a DM: the user or its D... id), in order."""
    return [c for c in bot.fake.calls_to("chat.postMessage") + bot.fake.calls_to("chat.update")
            if c.params.get("channel") in (channel, dm_channel(channel)) and not c.failed]


def drill_messages(bot):
    """Every message and rewrite of a drill Slack accepted (their words start with TEST)."""
    return [c for c in bot.fake.calls_to("chat.postMessage") + bot.fake.calls_to("chat.update")
            if not c.failed and "TEST" in message_text(c.params)]


def texts_of_blocks(params):
    """The text of each section and context block of a message."""
    found = []
    for block in json.loads(params["blocks"]) if isinstance(params.get("blocks"), str) else params.get("blocks") or []:
        if block.get("type") == "section":
            found.append(block["text"]["text"])
        elif block.get("type") == "context":
            found += [e.get("text", "") for e in block.get("elements", [])]
    return found


def latest_report(bot):
    """The starter's DM with the drill's list, as last written."""
    versions = [c for c in accepted(bot, ADMIN) if "drill #" in message_text(c.params)
                and "Took it:" in message_text(c.params)]
    assert versions, "no drill list was sent to its starter"
    return message_text(versions[-1].params)


def the_button(call, action_id):
    for block in call.params.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {message_text(call.params)}")


def test_a_drill_reaches_four_people_by_each_path_and_lists_who_took_it_how_and_how_fast(tbot, twilio):  # noqa: F811
    bot = tbot
    bot.make_coordinator("UCO")
    sms_phone = verify_phone(bot, twilio, "UB", "(312) 555-0142")
    call_phone = verify_phone(bot, twilio, "UC", "(312) 555-0143")
    # The coordinator's App Home has Test the net; the form picks the coordinators by default, every path.
    home = Phone(bot, ADMIN).home()
    assert "Drills:" in home.words and "none yet" in home.words
    bot.click(ADMIN, "drill_open", "", container={"type": "view", "view_id": "VHOME"})
    form = bot.fake.wait_for("views.open", where=lambda c: "drill_form" in str(c.params.get("view")))[0]
    view = form.params["view"] if isinstance(form.params["view"], dict) else json.loads(form.params["view"])
    picker = next(b for b in view["blocks"] if b.get("block_id") == "people")
    assert set(picker["element"]["initial_users"]) == {ADMIN, "UCO"}
    ticks = next(b for b in view["blocks"] if b.get("block_id") == "paths")
    assert [o["value"] for o in ticks["element"]["initial_options"]] == ["channel", "dm", "sms", "call"]

    sent = submit_drill(bot, ADMIN, ["UCO", "UB", "UC", "UD"], ["channel", "dm", "sms", "call"])
    assert sent.status == 200 and not sent.body
    start = bot.clock()
    eventually(lambda: any(c.params.get("channel") == COORD_CHANNEL for c in drill_messages(bot)))
    post = next(c for c in drill_messages(bot) if c.params.get("channel") == COORD_CHANNEL
                and not c.params.get("thread_ts"))
    assert post.params["text"].startswith("TEST") and "<!channel>" not in message_text(post.params)
    assert all(f"<@{u}>" in message_text(post.params) for u in ("UCO", "UB", "UC", "UD"))
    for user in ("UCO", "UB", "UC", "UD"):
        eventually(lambda u=user: any("TEST" in message_text(c.params) for c in accepted(bot, u)))
    assert twilio.wait_for("Messages", count=2, where=lambda m: m["to"] == sms_phone)[-1]["body"].startswith("TEST")
    assert twilio.wait_for("Messages", count=2, where=lambda m: m["to"] == call_phone)[-1]["body"].startswith("TEST")
    assert twilio.calls_to(sms_phone) == []  # calls only after OUTREACH_CALL_AFTER, as for an SOS

    # UCO takes it in Slack after 40 s, from the DM's button.
    bot.settle()
    bot.clock.now = start + timedelta(seconds=40)
    dm = next(c for c in accepted(bot, "UCO") if "TEST" in message_text(c.params))
    button = the_button(dm, "drill_take")
    assert button["text"]["text"].startswith("TEST")
    bot.click("UCO", "drill_take", button["value"], container={"type": "message", "channel_id": dm_channel("UCO"),
                                                                "message_ts": dm.answer["ts"]})
    eventually(lambda: "took it by DM after 40 s" in latest_report(bot))
    # UB answers the SMS with "1" after 1 min 12 s.
    bot.settle()
    bot.clock.now = start + timedelta(seconds=72)
    status, twiml = webhook(bot, "/twilio/sms", {"MessageSid": "SM" + "d" * 32, "From": sms_phone, "Body": "1"})
    assert status == 200 and "TEST" in twiml and "after 1 min 12 s" in twiml
    eventually(lambda: "took it by SMS reply after 1 min 12 s" in latest_report(bot))
    # Two minutes in: those who have not taken it are called (UC); UB, who answered, is not.
    at(bot, start + timedelta(minutes=2))
    call = twilio.wait_for("Calls", where=lambda c: c["to"] == call_phone)[0]
    assert "TEST. This is an Outreach drill" in call["twiml"] and 'numDigits="1"' in call["twiml"]
    bot.settle()
    bot.clock.now = start + timedelta(minutes=2, seconds=30)
    status, twiml = webhook(bot, "/twilio/voice", {"CallSid": call["sid"], "Digits": "1"})
    assert status == 200 and "after 2 min 30 s" in twiml
    # Ten minutes in: UD (no alert phone) never took it: not reached; nobody is called again.
    at(bot, start + timedelta(minutes=4))
    at(bot, start + timedelta(minutes=10))
    bot.settle()
    assert twilio.calls_to(sms_phone) == [] and len(twilio.calls_to(call_phone)) == 1
    report = latest_report(bot)
    assert "<@UCO>: *took it by DM after 40 s*" in report
    assert "<@UB>: *took it by SMS reply after 1 min 12 s*" in report
    assert "<@UC>: *took it by pressing 1 in a call after 2 min 30 s*" in report
    assert "<@UD>: *not reached* (not taken within 10 min)" in report and "No verified alert phone" in report
    assert "Took it: 3 of 4" in report
    assert sms_phone not in report and call_phone not in report
    listed = next(c for c in accepted(bot, COORD_CHANNEL) if c.params.get("thread_ts") == post.answer["ts"])
    assert "Took it: 0 of 4" in message_text(listed.params)  # the list in the post's thread, then rewritten in place
    rewrites = [c for c in accepted(bot, COORD_CHANNEL) if c.method == "chat.update"
                and c.params.get("ts") == listed.answer["ts"]]
    assert "Took it: 3 of 4" in message_text(rewrites[-1].params) and "not reached" in message_text(rewrites[-1].params)
    assert "over: 3 of 4 took it" in message_text([c for c in accepted(bot, COORD_CHANNEL) if c.method == "chat.update"
                                                   and c.params.get("ts") == post.answer["ts"]][-1].params)
    assert "is over" in message_text(accepted(bot, "UD")[-1].params)
    # TEST everywhere: every text and every block of every drill message, each SMS and each call.
    for c in drill_messages(bot):
        assert str(c.params["text"]).startswith("TEST"), c.params["text"]
        assert all(t.startswith("TEST") for t in texts_of_blocks(c.params)), texts_of_blocks(c.params)
    drill_sms = [m["body"] for m in twilio.messages if "your code" not in m["body"]]
    assert drill_sms and all(b.startswith("TEST") for b in drill_sms)

    # It counts nowhere: no shift, SOS, incident, escalation or safety step; the report's figures are zero.
    for table in ("shifts", "sos", "incidents", "escalations", "safety_steps"):
        assert bot.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    assert sos.open_all(bot.store, now=bot.clock())[0] == 0
    period = reports.month_span(START.date().replace(day=1), 1)
    figures = reports.figures(bot.store, period, zone=__import__("zoneinfo").ZoneInfo("America/Chicago"),
                              now=bot.clock())
    assert figures.total_nights == 0 and figures.incidents == 0
    assert "3 of 4 took it" in Phone(bot, ADMIN).home().words


def test_forged_taps_are_refused(bot):
    bot.make_coordinator("UCO")
    # A volunteer's forged "Test the net": refused by DM, no form opened; a forged submission: refused.
    bot.click("UV", "drill_open", "", container={"type": "view", "view_id": "VHOME"})
    refusal = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "UV")[0]
    assert "Test the net" in message_text(refusal.params) and "coordinator" in message_text(refusal.params)
    assert not [c for c in bot.fake.calls_to("views.open") if "drill_form" in str(c.params.get("view"))]
    answer = submit_drill(bot, "UV", ["UCO"], ["dm"]).json()
    assert answer["response_action"] == "errors" and "Only coordinators" in answer["errors"]["people"]
    assert bot.db.execute("SELECT count(*) FROM drills").fetchone()[0] == 0
    # Bad input: nobody chosen, no path ticked.
    assert "at least one person" in submit_drill(bot, ADMIN, [], ["dm"]).json()["errors"]["people"]
    assert "at least one path" in submit_drill(bot, ADMIN, ["UCO"], []).json()["errors"]["paths"]
    # SMS and calls are not offered without Twilio, and ignored if forged: the drill stays in Slack.
    assert not submit_drill(bot, ADMIN, ["UCO"], ["dm", "sms", "call"]).body
    eventually(lambda: any("TEST" in message_text(c.params) for c in accepted(bot, "UCO")))
    assert bot.db.execute("SELECT paths FROM drills").fetchone()[0] == "dm"
    dm = next(c for c in accepted(bot, "UCO") if "TEST" in message_text(c.params))
    value = the_button(dm, "drill_take")["value"]
    # Someone the drill was not sent to taps its button (forged): refused, nothing recorded.
    sent = bot.click("UV", "drill_take", value)
    assert "not sent to you" in sent.text() and sent.text().startswith("TEST")
    assert bot.db.execute("SELECT count(*) FROM drill_people WHERE user_id = 'UV'").fetchone()[0] == 0
    assert bot.db.execute("SELECT taken_at FROM drill_people WHERE user_id = 'UCO'").fetchone()[0] is None
    # The person it was sent to takes it once; again, they are told they already did.
    bot.click("UCO", "drill_take", value)
    eventually(lambda: bot.db.execute("SELECT taken_how FROM drill_people WHERE user_id = 'UCO'").fetchone()[0] == "dm")
    assert "already took" in bot.click("UCO", "drill_take", value).text()


def test_the_coordinators_are_reminded_once_when_no_drill_ran_for_30_days(bot):
    reminders = lambda: [c for c in accepted(bot, COORD_CHANNEL) if "No drill" in message_text(c.params)]  # noqa: E731
    at(bot, START + timedelta(days=31))
    assert reminders() == []  # no watched shift: the safety net is not in use
    bot.clock.now = START
    bot.create_shift()  # direct outreach, watched
    for days in (29, 31, 31.1, 45):
        at(bot, START + timedelta(days=days))
    bot.settle()
    assert len(reminders()) == 1 and "yet (31 days)" in message_text(reminders()[0].params)
    # A drill resets the count; 30 days without another, while the net is in use, and they are reminded again.
    assert not submit_drill(bot, ADMIN, [ADMIN], ["dm"]).body
    eventually(lambda: bot.db.execute("SELECT count(*) FROM drills").fetchone()[0] == 1)
    drilled = bot.clock()
    bot.clock.now = drilled + timedelta(days=20)
    bot.create_shift()
    for days in (29, 31, 32):
        at(bot, drilled + timedelta(days=days))
    bot.settle()
    assert len(reminders()) == 2 and "since" in message_text(reminders()[1].params)


def test_when_slack_messages_stop_going_out_the_admins_are_texted_once_then_on_recovery(tbot, twilio):  # noqa: F811
    bot = tbot
    admin_phone = verify_phone(bot, twilio, ADMIN, "(312) 555-0199")
    night(bot)
    at(bot, PRESS)
    alarm = Alarm(bot.watch, notifier=bot.kit.notifier, admins=[ADMIN])
    alarm.look()
    back = PRESS + timedelta(minutes=5)
    for method in ("chat.postMessage", "chat.update"):
        bot.fake.fail(method, error="service_unavailable", during=lambda: bot.clock() < back)
    Phone(bot, "UA").command("sos").reply()
    alarms = lambda: [b for b in twilio.sms_to(admin_phone) if b.startswith("Outreach bot:")]  # noqa: E731
    moment = PRESS
    while moment < back - timedelta(seconds=20):  # the timer every 20 s, the alarm beside it
        moment += timedelta(seconds=20)
        at(bot, moment)
        alarm.look()
        if moment == PRESS + timedelta(minutes=2):
            alarm = Alarm(bot.watch, notifier=bot.kit.notifier, admins=[ADMIN])  # a restart mid-episode
            alarm.look()
    eventually(lambda: len(alarms()) == 1)
    assert alarms() == ["Outreach bot: Slack messages are not going out since 21:12. Check the bot."]
    at(bot, back + timedelta(seconds=20))  # Slack answers again
    alarm.look()
    eventually(lambda: len(alarms()) == 2)
    assert alarms()[1] == "Outreach bot: Slack messages are going out again since 21:17 (they stopped at 21:12)."
    for _ in range(3):
        at(bot, bot.clock() + timedelta(seconds=20))
        Alarm(bot.watch, notifier=bot.kit.notifier, admins=[ADMIN]).look()
    bot.settle()
    assert len(alarms()) == 2
    row = bot.db.execute("SELECT since, ended_at FROM slack_outages").fetchall()
    assert len(row) == 1 and row[0][0] == iso(PRESS) and row[0][1]
