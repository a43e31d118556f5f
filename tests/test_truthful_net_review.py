"""A hostile review of the truthful safety net (issue 19): forged payloads, odd orderings, and anything
that says something untrue, through the real pipeline."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import ADMIN, COORD_CHANNEL, at, eventually, everyone_back, message_text, submit_typed
from test_truthful_net import alerts, dms_with, night_row, team_of

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 19:00 in Chicago
END = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
GRACE = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)
DM = {"type": "message", "channel_id": "DUX", "message_ts": "9.9"}



# ---------------------------------------------------------------- forged payloads


def test_forged_night_buttons_from_a_member_and_a_stranger_change_nothing(bot):
    number = team_of(bot, "UA")
    at(bot, datetime(2026, 11, 24, 1, 30, tzinfo=UTC))
    for user in ("UA", "UZZ"):
        for action in ("night_out", "night_not_held"):
            bot.click(user, action, str(number), container=DM)
    bot.settle()
    eventually(lambda: len(dms_with(bot, "UZZ", "Only the lead or a coordinator")) == 2)
    assert len(dms_with(bot, "UA", "Only the lead or a coordinator")) == 2
    row = night_row(bot, number)
    assert row.get("went_out_at") is None and row.get("not_held_at") is None
    bot.click("UA", "night_out", "99", container=DM)  # no such shift: nothing, no crash
    bot.click("UA", "night_out", "x", container=DM)
    bot.settle()
    assert night_row(bot, 99) == {}


def test_forged_everyone_back_safe_names_strangers_duplicates_and_500_ids(bot):
    number = team_of(bot, "UA", "UB")
    at(bot, START)
    bot.command("UA", f"checkin {number}").reply()
    for user in ("UA", "UZZ"):  # a member and a stranger: only the lead or a coordinator
        refused = submit_typed(bot, user, "safety_team_out", {"back": ["ULEAD", "UA", "UB"]},
                               metadata={"shift_id": number})
        assert b"Only the lead or a coordinator" in refused.body
    many = [f"U{i:06d}" for i in range(500)]
    refused = submit_typed(bot, "ULEAD", "safety_team_out", {"back": ["UA", *many]}, metadata={"shift_id": number})
    assert b"Not on the list" in refused.body
    refused = submit_typed(bot, "ULEAD", "safety_team_out", {"back": ["UA"], "absent": ["UA"]},
                           metadata={"shift_id": number})
    assert b"checked in tonight" in refused.body
    assert bot.db["member_checkins"].get((number, "UA"))["checked_out_at"] is None
    everyone_back(bot, number, back=["UA", "UA", "ULEAD"])  # a duplicate is one person
    ua = bot.db["member_checkins"].get((number, "UA"))
    assert ua["checked_out_by"] == "ULEAD"
    assert night_row(bot, number)["checked_out_at"] is None  # UB is still out
    refused = submit_typed(bot, "ULEAD", "safety_team_out", {"back": ["UA"]}, metadata={"shift_id": number})
    assert b"Not on the list" in refused.body  # UA is already back


def test_forged_checkout_all_and_odd_all_ok_values(bot):
    number = team_of(bot, "UA")
    bot.command(ADMIN, f"checkevery {number} 60").reply()
    at(bot, START)
    bot.command("UA", f"checkin {number}").reply()
    bot.click("UA", "safety_checkout", f"{number}:all", container=DM)  # a member: no team form
    bot.click("UZZ", "safety_checkout", f"{number}:all", container=DM)
    eventually(lambda: dms_with(bot, "UZZ", "Only the lead or a coordinator"))
    assert dms_with(bot, "UA", "Only the lead or a coordinator") and not bot.fake.calls_to("views.open")
    # The lead's older DM ("N:all") opens the form that names who is back.
    bot.click("ULEAD", "safety_checkout", f"{number}:all", container=DM)
    eventually(lambda: bot.fake.calls_to("views.open"))
    assert bot.fake.calls_to("views.open")[-1].params["view"]["callback_id"] == "safety_team_out"
    at(bot, datetime(2026, 11, 24, 2, 1, tzinfo=UTC))  # the 20:00 check-in was asked
    for value in (f"{number}:0", f"{number}:-1", f"{number}:", f"{number}", f"{number}:1:2",
                  f"{number}:99999999999999999999", f"{number}:2", ":1"):
        bot.click("UA", "safety_ok", value, container=DM)
    bot.click("UZZ", "safety_ok", f"{number}:1", container=DM)  # a stranger
    bot.settle()
    assert bot.db["pings"].count == 0
    bot.click("UA", "safety_ok", f"{number}:1", container=DM)
    bot.settle()
    eventually(lambda: bot.db["pings"].count == 1)


def test_sos_ack_by_a_volunteer_is_refused_and_a_coordinator_takes_only_that_shift(bot):
    first = team_of(bot, "UA")
    second = team_of(bot, "UB", start_time="19:30")
    bot.make_coordinator("UCO")
    at(bot, datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    bot.command("UA", f"sos {first}").reply()
    bot.command("UB", f"sos {second}").reply()
    bot.click("UB", "sos_ack", "1", container=DM)  # a member of the other shift: not a coordinator
    bot.settle()
    assert bot.db["sos"].get(1)["acked_at"] is None
    bot.click("UCO", "sos_ack", "2", container={"type": "message", "channel_id": COORD_CHANNEL})
    eventually(lambda: bot.db["sos"].get(2)["acked_by"] == "UCO")
    assert bot.db["sos"].get(1)["acked_at"] is None  # shift 1's SOS is still open


def test_resolved_on_a_shift_that_never_had_an_alert_does_not_say_it_was_resolved(bot):
    number = team_of(bot, "UA")
    bot.make_coordinator("UCO")
    at(bot, START)
    sent = bot.click("UCO", "incident_resolve", str(number))
    text = message_text(sent.reply())
    assert "already resolved" not in text and "no open alert" in text
    assert bot.db["incidents"].count == 0


# ---------------------------------------------------------------- orderings


def test_everyone_marked_absent_is_never_an_alert_about_nobody(bot):
    number = team_of(bot, "UA")
    at(bot, datetime(2026, 11, 24, 1, 10, tzinfo=UTC))
    everyone_back(bot, number, back=[], absent=["ULEAD", "UA"])  # nobody came tonight
    for moment in (END, GRACE, datetime(2026, 11, 24, 7, 0, tzinfo=UTC)):
        at(bot, moment)
    assert alerts(bot) == [] and not dms_with(bot, "ULEAD", "are you all right")
    assert bot.db["escalations"].count == 0
    assert night_row(bot, number)["not_held_by"] == "ULEAD"  # nobody went out: the night was not held
    from handlers.safety import state_line
    from outreach import shifts as sh
    line = state_line(bot.kit, sh.load_shift(bot.store, number))
    assert "didn't go out" in line and "everyone back" not in line


def test_a_member_who_withdrew_after_checking_in_can_still_check_out(bot):
    number = team_of(bot, "UA", "UB")
    at(bot, datetime(2026, 11, 24, 0, 30, tzinfo=UTC))  # 18:30: checked in early, then withdrew
    bot.command("UA", f"checkin {number}").reply()
    bot.command("UA", f"withdraw {number}").reply()
    assert bot.db["member_checkins"].get((number, "UA"))["checked_in_at"]
    at(bot, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    assert "Sending your alert" in bot.command("UA", "sos").text()  # still out: SOS works for them
    assert bot.db["sos"].get(1)["shift_id"] == number
    text = bot.command("UA", f"checkout {number}").text()
    assert "Checked out" in text, text
    assert bot.db["member_checkins"].get((number, "UA"))["checked_out_at"]


def test_a_lead_replaced_mid_night_can_still_check_out_and_is_escalated_until_then(bot):
    from conftest import shift_fields
    bot.train("UNEW")
    number = team_of(bot, "UA")
    at(bot, START)
    bot.command("ULEAD", f"checkin {number}").reply()
    fields = shift_fields(bot.clock, lead="UNEW")
    fields["start_date"] = fields["end_date"] = "2026-11-23"
    edited = bot.submit(ADMIN, "shift_form", fields, metadata={"shift_id": number})
    assert edited.status == 200 and not edited.body, edited.body
    eventually(lambda: bot.db["shifts"].get(number)["lead"] == "UNEW")
    at(bot, END)  # still out: asked to check out at the end like anyone out
    assert dms_with(bot, "ULEAD", "ends now") and dms_with(bot, "UNEW", "ends now")
    at(bot, GRACE)
    assert alerts(bot) and "<@ULEAD>" in alerts(bot)[0].params["text"]
    text = bot.command("ULEAD", f"checkout {number}").text()
    assert "Checked out" in text, text


def test_it_didnt_go_out_is_refused_once_someone_pressed_sos(bot):
    number = team_of(bot, "UA")
    at(bot, datetime(2026, 11, 24, 1, 20, tzinfo=UTC))
    bot.command("UA", f"sos {number}").reply()
    bot.click("ULEAD", "night_not_held", str(number), container=DM)
    bot.settle()
    assert night_row(bot, number).get("not_held_at") is None
    at(bot, GRACE)
    assert alerts(bot)  # nobody checked out: still watched


def test_everyone_back_safe_while_an_sos_is_open_keeps_one_incident_until_a_coordinator_takes_it(bot):
    number = team_of(bot, "UA")
    bot.make_coordinator("UCO")
    at(bot, datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    bot.command("UA", f"sos {number}").reply()
    everyone_back(bot, number)
    assert night_row(bot, number)["checked_out_at"]
    bot.click("UCO", "sos_ack", "1", container={"type": "message", "channel_id": COORD_CHANNEL})
    eventually(lambda: bot.db["sos"].get(1)["acked_by"] == "UCO")
    assert bot.db["incidents"].count == 1  # the SOS and the night are one incident, not two
    assert bot.db["incidents"].get(1)["handler"] == "UCO"


def test_it_didnt_go_out_after_a_check_in_and_were_out_twice(bot):
    number = team_of(bot, "UA")
    at(bot, datetime(2026, 11, 24, 1, 5, tzinfo=UTC))
    bot.command("UA", f"checkin {number}").reply()
    bot.click("ULEAD", "night_not_held", str(number), container=DM)
    eventually(lambda: dms_with(bot, "ULEAD", "checked in tonight") or bot.fake.calls_to("response_url"))
    bot.settle()
    assert night_row(bot, number).get("not_held_at") is None
    for _ in range(2):
        bot.click("ULEAD", "night_out", str(number), container=DM)
    bot.settle()
    assert night_row(bot, number)["went_out_how"] == "checkin"  # the first sign is kept


def test_resolved_twice_and_an_sos_after_the_resolution_is_a_new_incident(bot):
    number = team_of(bot, "UA")
    bot.make_coordinator("UCO")
    at(bot, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    bot.command("UA", f"sos {number}").reply()
    for _ in range(2):
        sent = bot.click("UCO", "incident_resolve", str(number))
        sent.reply()
    texts = [message_text(c.params) for c in bot.fake.calls_to("response_url")]
    assert any("is resolved" in t for t in texts) and any("already resolved by <@UCO>" in t for t in texts)
    assert bot.db["incidents"].get(1)["resolved_by"] == "UCO" and bot.db["sos"].get(1)["acked_by"] == "UCO"
    at(bot, datetime(2026, 11, 24, 2, 30, tzinfo=UTC))
    assert "Sending your alert" in bot.command("UA", f"sos {number}").text()
    assert bot.db["incidents"].count == 2 and bot.db["incidents"].get(2)["resolved_at"] is None
    posts = [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == COORD_CHANNEL
             and "SOS" in str(c.params.get("text")) and not c.params.get("thread_ts")]
    assert len(posts) == 2


def test_turning_a_night_into_a_training_mid_night_does_not_stop_watching_who_is_out(bot):
    from conftest import shift_fields
    number = team_of(bot, "UA")
    at(bot, START)
    bot.command("UA", f"checkin {number}").reply()
    fields = shift_fields(bot.clock, kind="training", training="", min_team="1")
    fields["start_date"] = fields["end_date"] = "2026-11-23"
    edited = bot.submit(ADMIN, "shift_form", fields, metadata={"shift_id": number})
    assert b"safety net stays on" in edited.body  # refused while someone is out
    shift = bot.db["shifts"].get(number)
    assert shift["safety_net"] == 1 and shift["kind"] == "direct"
    at(bot, GRACE)
    assert alerts(bot) and "<@UA>" in alerts(bot)[0].params["text"]
    everyone_back(bot, number)  # once everyone is back, the edit goes through
    edited = bot.submit(ADMIN, "shift_form", fields, metadata={"shift_id": number})
    assert edited.status == 200 and not edited.body, edited.body
    eventually(lambda: bot.db["shifts"].get(number)["kind"] == "training")


def test_the_clock_jumping_three_days_never_leaves_someone_out_silently(bot):
    number = team_of(bot, "UA")
    at(bot, START)
    bot.command("UA", f"checkin {number}").reply()
    at(bot, datetime(2026, 11, 27, 3, 0, tzinfo=UTC))  # the bot was down for three days
    said = [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == COORD_CHANNEL
            and f"#{number}" in message_text(c.params) and "<@UA>" in message_text(c.params)]
    assert said, "nobody was told that UA never checked out"
    assert "never checked out" in message_text(said[0].params) and "Nobody took it on" not in message_text(said[0].params)
    at(bot, datetime(2026, 11, 27, 4, 0, tzinfo=UTC))
    again = [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == COORD_CHANNEL
             and "never checked out" in message_text(c.params)]
    assert len(again) == 1  # told once


def test_a_restart_in_the_middle_of_an_incident_keeps_asking_and_resolves_once(bot):
    from conftest import Bot
    number = team_of(bot, "UA")
    bot.make_coordinator("UCO")
    at(bot, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    bot.command("UA", f"sos {number}").reply()
    bot.click("UCO", "sos_ack", "1", container={"type": "message", "channel_id": COORD_CHANNEL})
    eventually(lambda: bot.db["incidents"].get(1)["handler"] == "UCO")
    bot.settle()
    again = Bot(bot.fake, bot.tmp, bot.clock)  # a new start over the same database
    try:
        at(again, datetime(2026, 11, 24, 2, 31, tzinfo=UTC))
        assert len(dms_with(again, "UCO", "still open")) == 1  # the handler asked again, once
        at(again, datetime(2026, 11, 24, 2, 32, tzinfo=UTC))
        assert len(dms_with(again, "UCO", "still open")) == 1
        again.click("UCO", "incident_resolve", str(number)).reply()
        eventually(lambda: again.db["incidents"].get(1)["resolved_by"] == "UCO")
        at(again, GRACE)  # nobody checked out: a new incident, not the resolved one reopened
        assert again.db["incidents"].count == 2 and alerts(again)
    finally:
        again.close()


def test_a_stranger_cannot_press_another_shifts_sos(bot):
    number = team_of(bot, "UA")
    at(bot, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    bot.click("UZZ", "sos_press", str(number), container=DM).reply()
    assert "Only the lead or a confirmed member" in message_text(bot.fake.calls_to("response_url")[-1].params)
    assert "No shift" not in bot.command("UZZ", f"sos {number}").text()
    assert bot.db["sos"].count == 0


def test_someone_marked_not_out_tonight_cannot_answer_all_ok_for_the_team(bot):
    number = team_of(bot, "UA", "UB")
    bot.command(ADMIN, f"checkevery {number} 60").reply()
    at(bot, START)
    everyone_back(bot, number, back=[], absent=["UB"])  # UB never came
    at(bot, datetime(2026, 11, 24, 2, 1, tzinfo=UTC))  # 20:00's "All OK?" was asked of the lead
    bot.click("UB", "safety_ok", f"{number}:1", container=DM)
    bot.settle()
    assert bot.db["pings"].count == 0
    at(bot, datetime(2026, 11, 24, 2, 20, tzinfo=UTC))
    assert len(alerts(bot)) == 1


def test_it_didnt_go_out_after_an_alert_was_taken_on_ends_the_incident(bot):
    number = team_of(bot, "UA")
    bot.make_coordinator("UCO")
    at(bot, GRACE)  # nobody tapped anything: alerted
    assert alerts(bot)
    bot.click("UCO", "safety_ack", f"{number}:checkout", container={"type": "message", "channel_id": COORD_CHANNEL})
    eventually(lambda: bot.db["incidents"].get(1)["handler"] == "UCO")
    bot.click("ULEAD", "night_not_held", str(number), container=DM)
    eventually(lambda: night_row(bot, number).get("not_held_by") == "ULEAD")
    bot.settle()
    assert bot.db["incidents"].get(1)["resolved_at"]
    for minute in (1, 31):
        at(bot, datetime(2026, 11, 24, 6, minute, tzinfo=UTC))
    assert not dms_with(bot, "UCO", "still open") and not dms_with(bot, ADMIN, "still open")


def test_a_lead_changed_before_the_night_gets_its_prompts_and_the_old_lead_none(bot):
    from conftest import shift_fields
    bot.train("UNEW")
    number = team_of(bot, "UA")
    bot.command(ADMIN, f"checkevery {number} 60").reply()
    fields = shift_fields(bot.clock, lead="UNEW")
    edited = bot.submit(ADMIN, "shift_form", fields, metadata={"shift_id": number})
    assert edited.status == 200 and not edited.body, edited.body
    eventually(lambda: bot.db["shifts"].get(number)["lead"] == "UNEW")
    for moment in (START, datetime(2026, 11, 24, 2, 1, tzinfo=UTC), END):
        at(bot, moment)
    for words in ("starts now", "All OK", "ends now"):
        assert dms_with(bot, "UNEW", words), words
        assert not dms_with(bot, "ULEAD", words), words


def test_a_member_marked_not_out_is_never_told_they_checked_out(bot):
    number = team_of(bot, "UA")
    at(bot, START)
    bot.command("ULEAD", f"checkin {number}").reply()
    at(bot, END)  # UA never checked in: asked to check out at the end
    asked = dms_with(bot, "UA", "ends now")
    assert asked
    everyone_back(bot, number, back=["ULEAD"], absent=["UA"])
    bot.settle()
    rewritten = [c for c in bot.fake.calls_to("chat.update") if c.params.get("ts") == asked[0].answer["ts"]]
    assert rewritten and all("you checked out" not in message_text(c.params) for c in rewritten)
    assert "marked as not out tonight" in message_text(rewritten[-1].params)


def test_everyone_back_safe_sent_before_the_night_accounts_for_nobody(bot):
    number = team_of(bot, "UA")
    at(bot, datetime(2026, 11, 23, 18, 0, tzinfo=UTC))  # the day before: a stale or forged form
    refused = submit_typed(bot, "ULEAD", "safety_team_out", {"back": ["ULEAD", "UA"]}, metadata={"shift_id": number})
    assert b"hasn't started" in refused.body
    assert night_row(bot, number).get("checked_out_at") is None
    at(bot, START)
    assert dms_with(bot, "ULEAD", "starts now") and dms_with(bot, "UA", "starts now")
    at(bot, GRACE)
    assert alerts(bot)  # nobody checked out: the net still watches the night


def test_it_didnt_go_out_tapped_before_the_start_does_not_switch_the_night_off(bot):
    number = team_of(bot, "UA")
    at(bot, datetime(2026, 11, 23, 18, 0, tzinfo=UTC))  # the day before: a stale or forged tap
    bot.click("ULEAD", "night_not_held", str(number), container=DM).reply()
    assert "hasn't started" in message_text(bot.fake.calls_to("response_url")[-1].params)
    assert night_row(bot, number).get("not_held_at") is None
    at(bot, START)
    assert "Checked in" in bot.command("UA", f"checkin {number}").text()


def test_cancelling_a_night_while_the_team_is_out_does_not_stop_watching_them(bot):
    number = team_of(bot, "UA")
    at(bot, START)
    bot.command("UA", f"checkin {number}").reply()
    text = bot.command(ADMIN, f"cancel {number} rain").text()
    assert "safety net stays on" in text, text
    assert bot.db["shifts"].get(number)["status"] == "planned"
    refused = bot.submit(ADMIN, "shift_cancel_form", {"reason": "rain"}, metadata={"shift_id": number})
    assert b"safety net stays on" in refused.body
    assert bot.db["shifts"].get(number)["status"] == "planned"
    at(bot, GRACE)
    assert alerts(bot) and "<@UA>" in alerts(bot)[0].params["text"]


def test_the_named_contact_cannot_take_an_sos_on_before_the_climb_reached_them(bot):
    from phone import Phone
    number = team_of(bot, "UA")
    summary = Phone(bot, "ULEAD").command(f"checklist {number}").modal()
    checklist = summary.tap("Open", near="*Team and safety*").modal()
    tapped = checklist.choose("Done", near="Someone is named to call")
    form = tapped.modal()
    tapped.home()
    assert form.submit({"Who is called if the team goes silent?": "UCALL"}).errors == {}
    eventually(lambda: bot.db["readiness_items"].get((number, "silence-contact"))["evidence"] == "UCALL")
    at(bot, datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    bot.command("UA", f"sos {number}").reply()
    bot.click("UCALL", "safety_ack", f"{number}:checkout", container=DM).reply()
    assert bot.db["sos"].get(1)["acked_at"] is None and bot.db["incidents"].get(1)["handler"] is None


def test_checking_out_after_being_marked_not_out_says_so(bot):
    number = team_of(bot, "UA", "UB")
    at(bot, START)
    bot.command("UB", f"checkin {number}").reply()
    everyone_back(bot, number, back=[], absent=["UA"])
    text = bot.command("UA", f"checkout {number}").text()
    assert "already checked out" not in text and "marked as not out tonight" in text, text


def test_it_didnt_go_out_after_the_lead_checked_in_and_out_is_refused(bot):
    number = team_of(bot, "UA")
    bot.make_coordinator("UCO")
    at(bot, datetime(2026, 11, 24, 1, 5, tzinfo=UTC))
    bot.command("ULEAD", f"checkin {number}").reply()
    at(bot, datetime(2026, 11, 24, 1, 40, tzinfo=UTC))
    bot.command("ULEAD", f"checkout {number}").reply()  # the lead is back; UA never tapped anything
    bot.click("UCO", "night_not_held", str(number), container=DM).reply()
    assert "can't be recorded as not held" in message_text(bot.fake.calls_to("response_url")[-1].params)
    assert night_row(bot, number).get("not_held_at") is None
    at(bot, GRACE)
    assert alerts(bot) and "<@UA>" in alerts(bot)[0].params["text"]


def test_a_check_in_after_did_it_go_out_answers_the_question_in_place(bot):
    from phone import Phone
    number = team_of(bot, "UA")
    at(bot, datetime(2026, 11, 24, 1, 30, tzinfo=UTC))
    asked = Phone(bot, "ULEAD").last_dm()
    assert "Did shift #1 go out?" in asked.words and "It didn't go out" in asked.buttons
    at(bot, datetime(2026, 11, 24, 1, 35, tzinfo=UTC))
    bot.command("UA", f"checkin {number}").reply()
    at(bot, datetime(2026, 11, 24, 1, 36, tzinfo=UTC))  # the next tick sends the rewrite
    eventually(lambda: "is out" in asked.now().words and asked.now().buttons == [])
