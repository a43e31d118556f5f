"""Safety: check-in / check-out prompts and commands, escalation until acknowledged, mid-shift check-ins."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import ADMIN, COORD_CHANNEL, at, eventually, message_text
from phone import Phone

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)   # the default test shift, 19:00 Chicago
END = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)     # 23:00 Chicago



def posts(bot, channel, words):
    return [c for c in bot.fake.calls_to("chat.postMessage")
            if c.params.get("channel") == channel and words in message_text(c.params)]


def buttons(params):
    return [e for b in params.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]


def is_alert(params):
    return any(str(b.get("block_id") or "").startswith(("alert:", "escalation:")) for b in params.get("blocks") or [])


def escalations(bot, channel=COORD_CHANNEL):
    """The alert messages posted at the top level of a channel (or a coordinator's DMs of them)."""
    return [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == channel
            and not c.params.get("thread_ts") and is_alert(c.params) and not c.failed]


def replies(bot, call):
    """The replies in the thread of a posted message."""
    return [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("thread_ts") == call.answer["ts"]]


def updates(bot, call):
    """The in-place rewrites (chat.update) of a posted message, oldest first."""
    return [c for c in bot.fake.calls_to("chat.update")
            if c.params.get("ts") == call.answer["ts"] and c.params.get("channel") == call.answer["channel"]]


def latest(bot, call):
    """A message's params as it stands now."""
    return (updates(bot, call) or [call])[-1].params


def test_checkin_prompt_at_start_and_checkout_prompt_at_end(bot):
    number = bot.create_shift()
    at(bot, datetime(2026, 11, 24, 0, 59, tzinfo=UTC))
    assert posts(bot, "ULEAD", "starts now") == []
    at(bot, START)
    prompt = posts(bot, "ULEAD", "starts now")
    assert len(prompt) == 1
    button = buttons(prompt[0].params)[0]
    assert button["action_id"] == "safety_checkin"
    sent = bot.click("ULEAD", "safety_checkin", button["value"], container={"type": "message", "channel_id": "DLEAD"})
    assert "Checked in" in sent.reply()["text"]
    row = bot.db["safety"].get(number)
    assert row["checked_in_by"] == "ULEAD" and row["checked_in_at"] == "2026-11-24T01:00:00+00:00"
    shifts = bot.command(ADMIN, "shifts").text()
    assert "checked in" in shifts and "<@ULEAD>" in shifts
    at(bot, END)
    out = posts(bot, "ULEAD", "ends now")
    assert len(out) == 1 and buttons(out[0].params)[0]["action_id"] == "safety_checkout"
    assert "Checked out" in bot.command("ULEAD", f"checkout {number}").text()
    at(bot, datetime(2026, 11, 24, 7, 0, tzinfo=UTC))
    assert escalations(bot) == []


def test_only_the_team_checks_in_or_out(bot):
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    assert "hasn't started" in bot.command("ULEAD", f"checkin {number}").text()
    bot.clock.now = START
    assert "Only the lead or a confirmed member" in bot.command("UX", f"checkin {number}").text()
    replay = bot.click("UX", "safety_checkout", str(number))
    assert "Only the lead or a confirmed member" in replay.reply()["text"]
    assert bot.db["safety"].count == 0
    assert "Checked in" in bot.command("UA", f"checkin {number}").text()
    assert "already checked in" in bot.command("UA", f"checkin {number}").text()  # each member for themselves
    assert "Checked in" in bot.command("ULEAD", f"checkin {number}").text()
    assert {r["user_id"] for r in bot.db["member_checkins"].rows} == {"UA", "ULEAD"}
    assert "checkin N" in bot.command("UA", "checkin").text()


def test_missing_checkout_escalates_repeats_and_stops_on_acknowledge(bot):
    bot.kit.contact_providers.append(lambda shift_id: "Sgt. Liaison, vice unit, 555-0100")
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    bot.make_coordinator("UCO")
    at(bot, START)
    bot.command("ULEAD", f"checkin {number}").reply()
    at(bot, datetime(2026, 11, 24, 5, 29, tzinfo=UTC))
    assert escalations(bot) == []
    at(bot, datetime(2026, 11, 24, 5, 30, tzinfo=UTC))  # end + 30m grace
    first = escalations(bot)
    assert len(first) == 1
    assert "alert open* (not everyone back)" in Phone(bot, "ULEAD").home().words  # the state on the home
    top = first[0]
    assert "has not checked out" in top.params["text"] and f"#{number}" in top.params["text"]
    text = message_text(top.params)
    for words in (f"#{number}", "Not checked out", "Eastside", "<@ULEAD>", "<@UA>", "Sgt. Liaison, vice unit"):
        assert words in text, words
    for coordinator in (ADMIN, "UCO"):  # every coordinator by DM, the detail in the blocks
        dm = escalations(bot, coordinator)
        assert len(dm) == 1 and "Sgt. Liaison" in message_text(dm[0].params)
        assert dm[0].params["text"] == "A team needs a coordinator: tap to see"
    at(bot, datetime(2026, 11, 24, 5, 40, tzinfo=UTC))
    assert replies(bot, top) == []  # not yet the repeat
    for minute in (45, 0, 15):  # three repeats, every 15 minutes
        at(bot, datetime(2026, 11, 24, 5 if minute == 45 else 6, minute, tzinfo=UTC))
    assert len(escalations(bot)) == 1  # one top-level post, however often it repeats
    thread = replies(bot, top)
    assert len(thread) == 3 and "Reminder 2" in thread[0].params["text"] and "Reminder 4" in thread[2].params["text"]
    assert not any(c.params.get("reply_broadcast") for c in thread)
    assert not any(buttons(c.params) for c in thread)  # one live Acknowledge button: the top message's
    assert "repeated 3 times" in message_text(latest(bot, top))
    assert len(escalations(bot, ADMIN)) == 1 and len(escalations(bot, "UCO")) == 1  # DM'd once, not per repeat
    assert bot.db["escalations"].get((number, "checkout"))["repeats"] == 3
    ack = [b for b in buttons(latest(bot, top)) if b["action_id"] == "safety_ack"][0]
    where = {"type": "message", "channel_id": COORD_CHANNEL, "message_ts": top.answer["ts"]}
    # A volunteer replaying the button is refused and nothing changes.
    refused = bot.click("UA", "safety_ack", ack["value"], container=where)
    assert "coordinator" in refused.reply()["text"]
    assert bot.db["escalations"].get((number, "checkout"))["acked_by"] is None
    bot.click("UCO", "safety_ack", ack["value"], container=where)
    eventually(lambda: "acknowledged by <@UCO>" in message_text(latest(bot, top)))
    now = latest(bot, top)
    assert not [b for b in buttons(now) if b["action_id"] == "safety_ack"] and "repeated 3 times" in message_text(now)
    for coordinator in (ADMIN, "UCO"):  # each DM's Acknowledge became one line, and Resolved to close it
        dm = escalations(bot, coordinator)[0]
        eventually(lambda dm=dm: updates(bot, dm))
        assert [b["action_id"] for b in buttons(latest(bot, dm))] == ["incident_resolve"]
        assert "Acknowledged by <@UCO>" in message_text(latest(bot, dm))
    row = bot.db["escalations"].get((number, "checkout"))
    assert row["acked_by"] == "UCO" and row["acked_at"] == "2026-11-24T06:15:00+00:00"
    again = bot.click(ADMIN, "safety_ack", ack["value"], container=where)
    assert "already acknowledged by <@UCO>" in again.reply()["text"]
    for minute in (30, 45, 59):
        at(bot, datetime(2026, 11, 24, 6, minute, tzinfo=UTC))
    assert len(replies(bot, top)) == 3 and len(escalations(bot)) == 1
    details = bot.click(ADMIN, "shift_details", str(number))
    assert details.status == 200
    view = bot.fake.wait_for("views.open")[-1].params["view"]
    assert "acknowledged by <@UCO>" in message_text(view)


def test_alert_survives_a_restart_without_a_second_post(fake, tmp_path, clock):
    """The bot stops after posting the alert and starts again over the same database: the repeats go
    in the same thread, and acknowledging there rewrites the message posted by the first process."""
    from conftest import Bot

    first = Bot(fake, tmp_path, clock)
    try:
        number = first.create_shift()
        at(first, datetime(2026, 11, 24, 5, 30, tzinfo=UTC))
        top = escalations(first)[0]
    finally:
        first.close()
    second = Bot(fake, tmp_path, clock)
    try:
        at(second, datetime(2026, 11, 24, 5, 45, tzinfo=UTC))
        at(second, datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
        assert len(escalations(second)) == 1 and len(replies(second, top)) == 2
        assert "repeated 2 times" in message_text(latest(second, top))
        assert len(escalations(second, ADMIN)) == 1
        second.click(ADMIN, "safety_ack", f"{number}:checkout",
                     container={"type": "message", "channel_id": COORD_CHANNEL, "message_ts": top.answer["ts"]})
        eventually(lambda: "acknowledged by <@UADMIN>" in message_text(latest(second, top)))
        row = next(second.db.query("SELECT channel, sent_channel, ts FROM notifications WHERE key = ?",
                                   [f"alert:{number}:post"]))
        assert (row["sent_channel"], row["ts"]) == (COORD_CHANNEL, top.answer["ts"])  # where the alert is, stored
    finally:
        second.close()


def test_a_repeat_waits_for_its_alert_to_be_posted(bot):
    """Slack refuses the alert message twice: the repeat that comes due meanwhile waits for it, then
    goes in its thread (never as a post of its own)."""
    number = bot.create_shift()
    bot.fake.fail("chat.postMessage", error="internal_error", times=2,
                  where=lambda p: p.get("channel") == COORD_CHANNEL)
    at(bot, datetime(2026, 11, 24, 5, 30, tzinfo=UTC))
    at(bot, datetime(2026, 11, 24, 5, 45, tzinfo=UTC))  # the retry fails again; the first repeat comes due
    assert escalations(bot) == []
    waiting = bot.db.execute("SELECT sent_at, parent, mode FROM notifications WHERE key = ?",
                             [f"alert:{number}:checkout:repeat:1"]).fetchone()
    assert waiting == (None, f"alert:{number}:post", "reply")
    at(bot, datetime(2026, 11, 24, 5, 50, tzinfo=UTC))
    top = escalations(bot)
    assert len(top) == 1 and len(replies(bot, top[0])) == 1
    assert [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == COORD_CHANNEL
            and not c.params.get("thread_ts") and "Reminder" in message_text(c.params)] == []


def test_without_a_coordinator_channel_repeats_go_in_each_dm_thread(fake, tmp_path, clock):
    from conftest import Bot

    bot = Bot(fake, tmp_path, clock, env={"OUTREACH_COORDINATOR_CHANNEL": ""})
    try:
        number = bot.create_shift()
        for minute in (30, 45):
            at(bot, datetime(2026, 11, 24, 5, minute, tzinfo=UTC))
        dm = escalations(bot, ADMIN)
        assert len(dm) == 1 and len(replies(bot, dm[0])) == 1
        assert replies(bot, dm[0])[0].params["text"] == "A team needs a coordinator: tap to see"
        assert "Reminder 2" in message_text(replies(bot, dm[0])[0].params)
        assert bot.db["escalations"].get((number, "checkout"))["repeats"] == 1
    finally:
        bot.close()


def test_checkout_by_a_team_member_stops_escalation(bot):
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    at(bot, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    bot.command("UA", f"checkin {number}").reply()
    bot.event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})
    home = bot.fake.wait_for("views.publish")[-1].params["view"]
    assert "checked in" in message_text(home) and "<@UA>" in message_text(home)
    at(bot, datetime(2026, 11, 24, 5, 31, tzinfo=UTC))
    assert len(escalations(bot)) == 1
    assert "Checked out" in bot.command("UA", f"checkout {number}").text()
    for minute in (46, 59):
        at(bot, datetime(2026, 11, 24, 5, minute, tzinfo=UTC))
    assert len(escalations(bot)) == 1
    details = bot.click(ADMIN, "shift_details", str(number))
    assert details.status == 200
    view = bot.fake.wait_for("views.open")[-1].params["view"]
    assert "checked out" in message_text(view)


def test_escalation_due_while_down_is_sent_at_startup(fake, tmp_path, clock):
    from conftest import Bot

    first = Bot(fake, tmp_path, clock)
    number = first.create_shift()
    first.close()
    clock.now = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    second = Bot(fake, tmp_path, clock)
    try:
        second.kit.tick()
        second.kit.tick()
        assert len(escalations(second)) == 1 and f"#{number}" in escalations(second)[0].params["text"]
    finally:
        second.close()


def test_mid_shift_checkins_escalate_when_unanswered(bot):
    number = bot.create_shift()
    assert "coordinators" in bot.command("UA", f"checkevery {number} 60").text()  # coordinators only
    assert "from 15 to 240" in bot.command(ADMIN, f"checkevery {number} 5").text()
    assert "every 60 minutes" in bot.command(ADMIN, f"checkevery {number} 60").text()
    at(bot, START)
    bot.command("ULEAD", f"checkin {number}").reply()
    at(bot, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    ping = posts(bot, "ULEAD", "all OK?")
    assert len(ping) == 1
    ok = buttons(ping[0].params)[0]
    answered = bot.click("ULEAD", "safety_ok", ok["value"], container={"type": "message", "channel_id": "DLEAD"})
    assert "is OK" in answered.reply()["text"]
    at(bot, datetime(2026, 11, 24, 2, 11, tzinfo=UTC))
    assert escalations(bot) == []
    at(bot, datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    assert len(posts(bot, "ULEAD", "all OK?")) == 2
    at(bot, datetime(2026, 11, 24, 3, 9, tzinfo=UTC))
    assert escalations(bot) == []
    at(bot, datetime(2026, 11, 24, 3, 10, tzinfo=UTC))
    alert = escalations(bot)
    assert len(alert) == 1 and "did not answer a check-in" in alert[0].params["text"]
    assert bot.db["escalations"].get((number, "ping2"))["acked_at"] is None


def test_cancelled_shift_gets_no_safety_prompts(bot):
    number = bot.create_shift()
    bot.command(ADMIN, f"cancel {number}").reply()
    for moment in (START, END, datetime(2026, 11, 24, 6, 0, tzinfo=UTC)):
        at(bot, moment)
    assert posts(bot, "ULEAD", "starts now") == [] and escalations(bot) == []


def test_escalation_names_the_law_enforcement_contact_from_the_checklist(bot):
    from test_readiness import pick_contact

    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    pick_contact(bot, number, name="County Vice Unit", phone="555 0199")  # an agency from the partner directory
    at(bot, START)
    bot.command("ULEAD", f"checkin {number}").reply()
    at(bot, datetime(2026, 11, 24, 5, 30, tzinfo=UTC))
    assert "*Law enforcement contact:* County Vice Unit, 555 0199" in message_text(escalations(bot)[0].params)


def test_checklist_updates_only_go_to_slack_response_urls():
    from handlers.readiness import is_slack_url

    api = "http://127.0.0.1:5000/api/"
    assert is_slack_url("https://hooks.slack.com/actions/T1/1/abc", api)
    assert is_slack_url("http://127.0.0.1:5000/response_url/x", api)
    assert not is_slack_url("https://evil.example/x", api)
    assert not is_slack_url("http://127.0.0.1:6000/x", api) and not is_slack_url(None, api)


def test_checkout_before_checkin_and_before_the_start_is_refused(bot):
    """A mistyped number (tomorrow's shift instead of tonight's) must not switch off that night's alert."""
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    for moment in (bot.clock(), datetime(2026, 11, 24, 0, 30, tzinfo=UTC)):  # days before; within the hour before
        bot.clock.now = moment
        text = bot.command("ULEAD", f"checkout {number}").text()
        assert f"Shift #{number} hasn't started and you haven't checked in" in text and "not* check you out" in text
        clicked = bot.click("UA", "safety_checkout", str(number), container={"type": "message", "channel_id": "DUA"})
        assert "you haven't checked in" in clicked.reply()["text"]
    assert bot.db["safety"].count == 0 or bot.db["safety"].get(number)["checked_out_at"] is None
    assert bot.db["audit"].count_where("action = 'safety.checkout'") == 0
    at(bot, datetime(2026, 11, 24, 5, 30, tzinfo=UTC))  # end + grace, never checked in nor out
    assert len(escalations(bot)) == 1
    assert "Checked out" in bot.command("ULEAD", f"checkout {number}").text()  # after the start it is accepted


def test_early_checkout_tells_the_coordinator_channel(bot):
    number = bot.create_shift()
    at(bot, datetime(2026, 11, 24, 0, 30, tzinfo=UTC))
    bot.command("ULEAD", f"checkin {number}").reply()  # checked in half an hour early
    at(bot, datetime(2026, 11, 24, 2, 15, tzinfo=UTC))  # 20:15 in Chicago; planned end 23:00
    text = bot.command("ULEAD", f"checkout {number}").text()
    assert "Checked out of shift" in text and "before its planned end" in text and "a note goes to the coordinators" in text
    eventually(lambda: posts(bot, COORD_CHANNEL, "checked out early"))
    told = posts(bot, COORD_CHANNEL, "checked out early")
    assert len(told) == 1
    words = message_text(told[0].params)
    for expected in (f"Shift #{number} checked out early", "<@ULEAD>", "Eastside", "<!date^1795486500^", "20:15 CST"):
        assert expected in words, expected
    row = next(bot.db.query("SELECT channel, sent_at FROM notifications WHERE key = ?", [f"early-checkout:{number}"]))
    assert row["channel"] == COORD_CHANNEL and row["sent_at"]
    assert bot.db["safety"].get(number)["checked_out_at"] == "2026-11-24T02:15:00+00:00"
    for moment in (END, datetime(2026, 11, 24, 5, 30, tzinfo=UTC), datetime(2026, 11, 24, 6, 0, tzinfo=UTC)):
        at(bot, moment)
    assert escalations(bot) == [] and len(posts(bot, COORD_CHANNEL, "checked out early")) == 1
    assert "the night is over" in bot.command("ULEAD", f"checkout {number}").text()


def test_checkout_at_the_planned_end_tells_nobody(bot):
    number = bot.create_shift()
    at(bot, START)
    bot.command("ULEAD", f"checkin {number}").reply()
    at(bot, END)
    text = bot.command("ULEAD", f"checkout {number}").text()
    assert "Checked out of shift" in text and "planned end" not in text
    assert bot.db["notifications"].count_where("key LIKE 'early-checkout:%'") == 0


# ---------------------------------------------------------------- the lead's one DM at the shift's end


def debrief_asks(bot, user="ULEAD"):
    """DMs posted to the lead with a debrief button (a chat.update of the check-out DM is not a new DM)."""
    return [c for c in bot.dms(user) if "debrief_open" in str(c.params.get("blocks"))]


def test_lead_gets_one_dm_at_the_end_check_out_confirms_then_the_same_dm_offers_the_debrief(bot):
    from phone import Phone

    number = bot.create_shift()
    at(bot, START)
    bot.command("ULEAD", f"checkin {number}").reply()
    at(bot, END)
    lead = Phone(bot, "ULEAD")
    dm = lead.last_dm()
    assert "ends now" in dm.words and dm.buttons == ["Check out (me)", "Everyone back safe"]
    assert dm.text == f"Shift #{number}: tap to see"
    confirm = dm.button("Check out (me)")["confirm"]
    assert confirm["title"]["text"] == f"Check out of shift #{number}?" and "back and safe" in confirm["text"]["text"]
    assert debrief_asks(bot) == []  # no "record the debrief" before the check-out
    before = len(lead.dms())
    at(bot, datetime(2026, 11, 24, 5, 10, tzinfo=UTC))
    assert debrief_asks(bot) == []
    dm.tap("Check out (me)", confirm=True)
    eventually(lambda: dm.now().has_button("Write debrief"))
    after = dm.now()
    update = [c for c in bot.fake.calls_to("chat.update") if c.params.get("ts") == dm.ts][-1]
    assert update.params["channel"] == "DLEAD" and after.ts == dm.ts  # the same DM, rewritten in place
    assert "everyone is back" in after.words and "<@ULEAD>" in after.words and after.buttons == ["Write debrief"]
    assert after.button("Write debrief")["action_id"] == "debrief_open" and after.button("Write debrief")["value"] == str(number)
    assert len(lead.dms()) == before and debrief_asks(bot) == []  # no second DM
    form = after.tap("Write debrief").modal()
    assert form.view["callback_id"] == "debrief_form"
    assert bot.db["safety"].get(number)["checked_out_by"] == "ULEAD"
    at(bot, datetime(2026, 11, 24, 17, 0, tzinfo=UTC))  # 12 h on, still no debrief: the nudge
    assert len(debrief_asks(bot)) == 1 and "Reminder" in message_text(debrief_asks(bot)[0].params)


def test_an_early_check_out_makes_the_end_dm_offer_the_debrief_at_once(bot):
    number = bot.create_shift()
    at(bot, START)
    bot.command("ULEAD", f"checkin {number}").reply()
    at(bot, datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    assert "before its planned end" in bot.command("ULEAD", f"checkout {number}").text()
    at(bot, END)
    end = posts(bot, "ULEAD", "everyone is back")
    assert len(end) == 1 and [b["action_id"] for b in buttons(end[0].params)] == ["debrief_open"]
    assert posts(bot, "ULEAD", "ends now") == []


def test_debrief_nudges_wait_for_the_check_out(bot):
    number = bot.create_shift()
    at(bot, START)
    bot.command("ULEAD", f"checkin {number}").reply()
    at(bot, datetime(2026, 11, 24, 5, 30, tzinfo=UTC))
    bot.click(ADMIN, "safety_ack", f"{number}:checkout", container={"type": "message", "channel_id": COORD_CHANNEL})
    eventually(lambda: bot.db["escalations"].get((number, "checkout"))["acked_by"] == ADMIN)
    at(bot, datetime(2026, 11, 24, 17, 0, tzinfo=UTC))  # 12 h after the end, never checked out
    assert debrief_asks(bot) == []
    row = bot.db.execute("SELECT error FROM notifications WHERE template = 'debriefs/request' AND sent_at IS NOT NULL "
                         "ORDER BY id LIMIT 1").fetchone()
    assert row[0] == "skipped: waits for a condition"
    bot.command("ULEAD", f"checkout {number}").reply()
    lead_dm = posts(bot, "ULEAD", "ends now")[0]
    eventually(lambda: updates(bot, lead_dm))
    assert [b["action_id"] for b in buttons(latest(bot, lead_dm))] == ["debrief_open"]
    at(bot, datetime(2026, 11, 25, 17, 0, tzinfo=UTC))  # the 36 h nudge goes, now that the team checked out
    assert len(debrief_asks(bot)) == 1


def test_check_out_rewrites_the_alert_and_the_coordinators_dms(bot):
    number = bot.create_shift()
    at(bot, datetime(2026, 11, 24, 5, 30, tzinfo=UTC))
    top = escalations(bot)[0]
    dm = escalations(bot, ADMIN)[0]
    bot.command("ULEAD", f"checkout {number}").reply()
    eventually(lambda: updates(bot, top) and updates(bot, dm))
    assert "everyone is back" in latest(bot, top)["text"] and buttons(latest(bot, top))[0]["action_id"] == "shift_details"
    assert buttons(latest(bot, dm)) == [] and "Everyone back" in message_text(latest(bot, dm))
    at(bot, datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
    assert replies(bot, top) == [] and len(escalations(bot)) == 1


def test_check_out_from_the_app_home_asks_first_and_answers_by_dm(bot):
    from phone import Phone

    number = bot.create_shift()
    at(bot, START)
    bot.command("ULEAD", f"checkin {number}").reply()
    at(bot, datetime(2026, 11, 24, 4, 0, tzinfo=UTC))
    lead = Phone(bot, "ULEAD")
    tapped = lead.home().tap("Check out (me)", near=f"#{number}", confirm=True)
    assert "Checked out of shift" in tapped.dm().words
    assert "Check out" not in tapped.home().buttons
    assert bot.db["safety"].get(number)["checked_out_by"] == "ULEAD"
