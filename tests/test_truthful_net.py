"""The safety net tells the truth (issue 19): a night is over only when everyone is accounted for; only
watched shifts are watched; "Did it go out?"; one incident per shift; forged and stray taps; the timeline."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import ADMIN, COORD_CHANNEL, at, eventually, message_text
from phone import Phone

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 19:00 in Chicago
END = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
GRACE = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)


def team_of(bot, *members, **overrides):
    number = bot.create_shift(**overrides)
    for user in members:
        bot.train(user)
        assert "signed up" in bot.command(user, f"signup {number}").text()
    return number


def alerts(bot):
    return [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == COORD_CHANNEL
            and not c.params.get("thread_ts") and "Safety alert" in str(c.params.get("text")) and not c.failed]


def night_row(bot, number):
    return next(bot.db.query("SELECT * FROM safety WHERE shift_id = ?", [number]), {})


def dms_with(bot, user, words):
    return [c for c in bot.dms(user) if words in message_text(c.params)]


def test_one_member_back_is_not_everyone_safe_and_the_others_escalate_by_name(bot):
    number = team_of(bot, "UA", "UB")
    at(bot, datetime(2026, 11, 24, 1, 5, tzinfo=UTC))
    assert "Checked in" in bot.command("UA", f"checkin {number}").text()
    at(bot, datetime(2026, 11, 24, 1, 30, tzinfo=UTC))
    text = bot.command("UA", f"checkout {number}").text()
    assert "night is over" not in text and "Still out: <@ULEAD>, <@UB>" in text
    assert bot.db["safety"].get(number)["checked_out_at"] is None
    assert "Checked in" in bot.command("ULEAD", f"checkin {number}").text()  # the lead is not refused
    from outreach import sos
    for user in ("ULEAD", "UB"):  # SOS works for everyone not back (the button's availability)
        assert [s.id for s in sos.shifts_under_way(bot.store, user=user, now=bot.clock())] == [number]
    assert sos.shifts_under_way(bot.store, user="UA", now=bot.clock()) == []  # UA is back
    at(bot, GRACE)
    found = alerts(bot)
    assert len(found) == 1 and "<@ULEAD>" in found[0].params["text"] and "<@UB>" in found[0].params["text"]
    assert "<@UA>" not in found[0].params["text"]


def test_an_early_check_in_and_out_leaves_the_night_watched(bot):
    number = team_of(bot, "UA")
    at(bot, datetime(2026, 11, 24, 0, 10, tzinfo=UTC))  # 18:10, within the hour before the start
    bot.command("UA", f"checkin {number}").reply()
    assert "Checked out" in bot.command("UA", f"checkout {number}").text()
    at(bot, START)
    assert dms_with(bot, "ULEAD", "starts now")  # the lead still gets the start
    Phone(bot, "ULEAD").home().tap("SOS: I need help now", confirm=True)
    eventually(lambda: bot.db["sos"].count == 1)


def test_the_leads_own_check_out_is_the_lead_only_and_everyone_back_safe_names_who_is_out(bot):
    number = team_of(bot, "UA", "UB")
    at(bot, START)
    bot.command("ULEAD", f"checkin {number}").reply()
    bot.command("UA", f"checkin {number}").reply()
    at(bot, datetime(2026, 11, 24, 4, 0, tzinfo=UTC))
    text = bot.command("ULEAD", f"checkout {number}").text()
    assert "Still out: <@UA>, <@UB>" in text and "night is over" not in text
    lead = Phone(bot, "ULEAD")
    form = lead.command(f"checkout {number}").reply()  # already out: says so, names who is still out
    assert "<@UA>" in form.words
    # "Everyone back safe": UA back, UB never came (wasn't out tonight).
    home = lead.home()
    modal = home.tap("Everyone back safe", near=f"#{number}").modal()
    assert "Back safe" in modal.inputs and "Wasn't out tonight" in modal.inputs
    done = modal.submit({"Back safe": ["UA"], "Wasn't out tonight": ["UB"]}).dm()
    assert "the night is over" in done.words and "<@UB>" in done.words
    ub = bot.db["member_checkins"].get((number, "UB"))
    assert ub["absent"] == 1 and ub["checked_in_at"] is None
    ua = bot.db["member_checkins"].get((number, "UA"))
    assert ua["checked_out_by"] == "ULEAD"
    at(bot, GRACE)
    assert alerts(bot) == []


def test_someone_who_checked_in_cannot_be_marked_not_out(bot):
    number = team_of(bot, "UA")
    at(bot, START)
    bot.command("UA", f"checkin {number}").reply()
    modal = Phone(bot, "ULEAD").home().tap("Everyone back safe", near=f"#{number}").modal()
    refused = modal.submit({"Back safe": ["ULEAD"], "Wasn't out tonight": ["UA"]})
    assert "checked in tonight" in str(refused.errors)
    assert bot.db["member_checkins"].get((number, "UA"))["absent"] == 0


def test_a_training_at_the_library_is_not_watched(bot):
    bot.train("UA")
    number = bot.create_shift(kind="training", venue="motel", training="", min_team="1")
    bot.command("UA", f"signup {number}").reply()
    assert bot.db["shifts"].get(number)["safety_net"] == 0
    at(bot, START)
    assert not dms_with(bot, "ULEAD", "starts now") and not dms_with(bot, "UA", "starts now")
    assert "SOS: I need help now" not in Phone(bot, "UA").home().buttons
    for moment in (GRACE, datetime(2026, 11, 24, 8, 0, tzinfo=UTC)):
        at(bot, moment)
    assert alerts(bot) == [] and dms_with(bot, "UA", "are you all right") == []
    # A call for help is never refused: a typed SOS goes out for it all the same.
    bot.clock.now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    assert "no shift under way" not in bot.command("UA", "sos").text()
    assert bot.db["sos"].count == 1


def test_a_community_event_can_have_the_net_turned_on(bot):
    number = bot.create_shift(kind="community", training="", min_team="1", safety_net="on")
    assert bot.db["shifts"].get(number)["safety_net"] == 1
    refused = bot.submit(ADMIN, "shift_form", {**_fields(bot), "safety_net": "off"}, metadata={"channel": "CGENERAL"})
    assert b"always watched" in refused.body


def _fields(bot):
    from conftest import shift_fields
    return shift_fields(bot.clock)


def test_a_silent_shift_is_asked_whether_it_went_out_and_one_that_did_not_is_never_escalated(bot):
    number = team_of(bot, "UA")
    at(bot, datetime(2026, 11, 24, 1, 29, tzinfo=UTC))
    assert not dms_with(bot, "ULEAD", "go out?")
    at(bot, datetime(2026, 11, 24, 1, 30, tzinfo=UTC))
    asked = Phone(bot, "ULEAD").last_dm()
    assert "Did shift #1 go out?" in asked.words and asked.text == f"Shift #{number}: did it go out? Tap to answer"
    channel = [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == COORD_CHANNEL
               and "go out?" in message_text(c.params)]
    assert len(channel) == 1
    asked.tap("It didn't go out", confirm=True)
    eventually(lambda: night_row(bot, number).get("not_held_by") == "ULEAD")
    eventually(lambda: "didn't go out" in asked.now().words and asked.now().buttons == ["We're out after all"])
    for moment in (END, GRACE, datetime(2026, 11, 24, 9, 0, tzinfo=UTC)):
        at(bot, moment)
    assert alerts(bot) == [] and not dms_with(bot, "UA", "are you all right")
    assert "Check in" not in Phone(bot, "UA").home().buttons  # nothing to check in to any more
    assert "didn't go out" in bot.command("UA", f"checkin {number}").text()


def test_a_mistaken_it_did_not_go_out_is_taken_back_and_the_team_is_watched_again(bot):
    number = team_of(bot, "UA")
    at(bot, datetime(2026, 11, 24, 1, 30, tzinfo=UTC))
    asked = [d for d in Phone(bot, "ULEAD").dms() if "go out?" in d.words][-1]
    asked.tap("It didn't go out", confirm=True)  # a thumb on the wrong button: the team is out
    eventually(lambda: asked.now().buttons == ["We're out after all"])
    asked.now().tap("We're out after all")
    eventually(lambda: night_row(bot, number).get("went_out_how") == "were_out")
    row = night_row(bot, number)
    assert row.get("not_held_at") is None and row.get("went_out_by") == "ULEAD"
    eventually(lambda: "is out" in asked.now().words and asked.now().buttons == [])
    assert "Check in" in Phone(bot, "UA").home().buttons  # the night is on again
    at(bot, GRACE)  # nobody checked out: the net escalates as for any night that went out
    assert alerts(bot) and "<@UA>" in message_text(alerts(bot)[0].params)
    at(bot, datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert "didn't go out" not in bot.command("UA", f"checkout {number}").text()


def test_were_out_starts_the_net_and_an_unanswered_question_still_escalates(bot):
    number = team_of(bot, "UA")
    at(bot, datetime(2026, 11, 24, 1, 30, tzinfo=UTC))
    at(bot, GRACE)  # nobody answered: the team may be out, so the net escalates as before
    assert len(alerts(bot)) == 1 and f"#{number}" in alerts(bot)[0].params["text"]
    other = team_of(bot, "UB")
    at(bot, datetime(2026, 11, 26, 1, 30, tzinfo=UTC))  # created "tomorrow": the 25th, 19:00 in Chicago
    [d for d in Phone(bot, "ULEAD").dms() if "Did shift #2 go out?" in d.words][-1].tap("We're out")
    eventually(lambda: night_row(bot, other).get("went_out_how") == "were_out")


def test_an_sos_taken_on_takes_the_whole_shift_and_a_later_reason_goes_to_its_handler(bot):
    number = team_of(bot, "UA")
    bot.make_coordinator("UCO")
    at(bot, datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    bot.command("UA", f"sos {number}").reply()
    sos_id = bot.db["sos"].count
    bot.click("UCO", "sos_ack", str(sos_id), container={"type": "message", "channel_id": COORD_CHANNEL})
    eventually(lambda: bot.db["incidents"].get(1)["handler"] == "UCO")
    at(bot, GRACE)  # nobody checked out: a new reason, told to the handler, never climbing
    row = bot.db["escalations"].get((number, "checkout"))
    assert row["acked_by"] == "UCO"
    assert dms_with(bot, "UCO", "which you are handling")
    for minute in (45, 59):
        at(bot, datetime(2026, 11, 24, 5, minute, tzinfo=UTC))
    assert not [c for c in bot.fake.calls_to("chat.postMessage") if "Reminder" in message_text(c.params)
                and c.params.get("channel") == COORD_CHANNEL]
    # Taken at 21:00, unresolved at 21:30: the handler is asked; at 22:00 the other coordinators too.
    assert dms_with(bot, "UCO", "still open")
    assert dms_with(bot, ADMIN, "still open")
    bot.click("UCO", "incident_resolve", str(number), container={"type": "message", "channel_id": "DUCO"})
    eventually(lambda: bot.db["incidents"].get(1)["resolved_by"] == "UCO")
    eventually(lambda: any("resolved" in message_text(c.params) and "Safety timeline" in message_text(c.params)
                           for c in bot.fake.calls_to("chat.postMessage")))


def test_all_ok_answers_only_a_check_in_already_asked(bot):
    number = team_of(bot, "UA")
    bot.command(ADMIN, f"checkevery {number} 60").reply()
    at(bot, datetime(2026, 11, 24, 1, 5, tzinfo=UTC))
    for seq in range(1, 8):  # forged taps, in advance
        bot.click("UA", "safety_ok", f"{number}:{seq}", container={"type": "message", "channel_id": "DUA"})
    bot.settle()
    assert bot.db["pings"].count == 0
    at(bot, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    at(bot, datetime(2026, 11, 24, 2, 20, tzinfo=UTC))
    assert len(alerts(bot)) == 1  # the 20:00 check-in went unanswered: alerted


def test_a_live_sos_shows_in_details_to_the_team_and_coordinators_only(bot):
    number = team_of(bot, "UA")
    at(bot, datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    bot.command("UA", f"sos {number}").reply()
    from handlers.shift_views import details_view
    from outreach import shifts as sh
    from outreach.roles import Role
    shift = sh.load_shift(bot.store, number)
    outsider = message_text({"blocks": details_view(bot.kit, shift, role=Role.VOLUNTEER, actor="UZZ")["blocks"]})
    member = message_text({"blocks": details_view(bot.kit, shift, role=Role.VOLUNTEER, actor="UA")["blocks"]})
    assert "SOS by" not in outsider and "SOS by <@UA>" in member


def test_a_refused_sos_tap_from_the_home_has_a_neutral_lock_screen_line(bot):
    number = team_of(bot, "UA")
    bot.click("UA", "sos_press", str(number), container={"type": "view", "view_id": "V1"})
    eventually(lambda: dms_with(bot, "UA", "not under way"))
    told = dms_with(bot, "UA", "not under way")[-1]
    assert told.params["text"] == "Your alert: tap to see" and "not under way" in message_text(told.params)


def test_an_unanswered_escalation_closes_after_48_hours_with_a_notice(bot):
    team_of(bot, "UA")
    at(bot, GRACE)
    assert len(alerts(bot)) == 1
    at(bot, datetime(2026, 11, 26, 5, 1, tzinfo=UTC))
    notice = [c for c in bot.fake.calls_to("chat.postMessage") if "closed unanswered" in message_text(c.params)]
    assert len(notice) == 1 and notice[0].params["channel"] == COORD_CHANNEL
    assert bot.db["escalations"].get((1, "checkout"))["expired_at"]


def test_the_timeline_lists_each_check_out_once_and_the_sos(bot):
    number = team_of(bot, "UA")
    bot.command(ADMIN, f"checkevery {number} 60").reply()
    at(bot, START)
    bot.command("UA", f"checkin {number}").reply()
    at(bot, datetime(2026, 11, 24, 3, 0, tzinfo=UTC))  # the 20:00 check-in unanswered: open
    bot.command("UA", f"sos {number}").reply()
    at(bot, GRACE)  # two open reasons, then everyone checks out
    bot.command("UA", f"checkout {number}").reply()
    bot.command("ULEAD", f"checkout {number}").reply()
    bot.settle()
    from handlers.safety import timeline_text
    from outreach import shifts as sh
    text = timeline_text(bot.kit, sh.load_shift(bot.store, number)) or ""
    assert text.count("<@UA> checked out") == 1 and "SOS pressed by <@UA>" in text
    assert "the night is over" in text
    # The members' "are you all right?" DMs lose their buttons once everyone is back.
    asked = dms_with(bot, "UA", "are you all right")
    assert asked
    eventually(lambda: any(c.params.get("ts") == asked[0].answer["ts"] and not [
        b for b in c.params.get("blocks") or [] if b.get("type") == "actions"]
        for c in bot.fake.calls_to("chat.update")))


def test_a_lead_marked_not_out_tonight_is_not_asked_all_ok(bot):
    number = team_of(bot, "UA")
    bot.command(ADMIN, f"checkevery {number} 60").reply()
    at(bot, START)
    form = Phone(bot, "ULEAD").home().tap("Who is out tonight?", near=f"#{number}").modal()
    form.submit({"Out tonight": ["UA"]}).dm()  # the lead stayed behind: marked absent
    assert bot.db["member_checkins"].get((number, "ULEAD"))["absent"] == 1
    at(bot, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))  # 20:00: the hourly "All OK?"
    assert not dms_with(bot, "ULEAD", "all OK?")
    at(bot, datetime(2026, 11, 24, 2, 10, tzinfo=UTC))  # passed on to the one who is out
    assert dms_with(bot, "UA", "all OK?")
