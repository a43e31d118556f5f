"""Every member checked in and out: each for themselves, or the whole team in one tap by the lead;
a member left out escalates by name though the lead checked out; "All OK?" passed on to the team."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import ADMIN, COORD_CHANNEL, at, eventually
from phone import Phone

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
END = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)



def alerts(bot):
    return [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == COORD_CHANNEL
            and not c.params.get("thread_ts") and "Safety alert" in str(c.params.get("text")) and not c.failed]


def dm_with(phone, words):
    """The latest DM to a person with these words, as it stands now."""
    found = [d for d in phone.dms() if words in d.words]
    assert found, f"{phone.user} got no DM with {words!r}"
    return found[-1]


def team_of(bot, *members):
    number = bot.create_shift()
    for user in members:
        bot.train(user)
        assert "signed up" in bot.command(user, f"signup {number}").text()
    return number


def test_a_member_who_does_not_check_out_escalates_by_name_though_the_lead_checked_out(bot):
    number = team_of(bot, "UA", "UB")
    at(bot, START)
    ua, ub, lead = Phone(bot, "UA"), Phone(bot, "UB"), Phone(bot, "ULEAD")
    prompt = dm_with(ua, "starts now")  # each member is asked to check in
    assert "Checked in" in prompt.tap("Check in").reply().words
    for person, label in ((ub, "Check in"), (lead, "Check in (me)")):  # the lead's as in the lead's DMs
        assert "Checked in" in person.home().tap(label, near=f"#{number}").dm().words
    at(bot, datetime(2026, 11, 24, 4, 0, tzinfo=UTC))
    done = lead.home().tap("Check out (me)", near=f"#{number}", confirm=True).dm()
    assert "Checked out of shift" in done.words and "Still out" in done.words and "<@UA>" in done.words
    ub.home().tap("Check out", near=f"#{number}", confirm=True).dm()
    assert bot.db["safety"].get(number)["checked_out_at"] is None  # UA is still out
    at(bot, END)
    end = dm_with(ua, "ends now")
    assert end.buttons == ["Check out"]
    at(bot, datetime(2026, 11, 24, 5, 30, tzinfo=UTC))
    top = alerts(bot)
    assert len(top) == 1 and "<@UA>" in top[0].params["text"] and "<@UB>" not in top[0].params["text"]
    asked = dm_with(ua, "are you all right?")  # level 1: the member, by DM
    assert "Check out" in asked.buttons
    assert ua.last_dm().text == f"Shift #{number}: all OK? Tap to answer"
    assert "Checked out of shift" in asked.tap("Check out", confirm=True).reply().words
    assert bot.db["safety"].get(number)["checked_out_by"] == "UA"
    at(bot, datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
    assert len(alerts(bot)) == 1
    rows = {r["user_id"]: r for r in bot.db["member_checkins"].rows_where("shift_id = ?", [number])}
    assert {u: bool(r["checked_out_at"]) for u, r in rows.items()} == {"UA": True, "UB": True, "ULEAD": True}


def test_the_lead_checks_the_team_in_in_one_tap_the_others_are_absent_and_never_escalate(bot):
    number = team_of(bot, "UA", "UB")
    at(bot, START)
    lead = Phone(bot, "ULEAD")
    form = lead.home().tap("Who is out tonight?", near=f"#{number}").modal()
    assert "Out tonight" in form.inputs
    done = form.submit({"Out tonight": ["ULEAD", "UA"]}).dm()
    assert "checked in <@ULEAD>, <@UA>" in done.words and "absent (not there): <@UB>" in done.words
    ub = bot.db["member_checkins"].get((number, "UB"))
    assert ub["absent"] == 1 and ub["checked_in_at"] is None and ub["marked_by"] == "ULEAD"
    back = lead.home().tap("Everyone back safe", near=f"#{number}").modal()
    assert "<@ULEAD>" in back.words and "<@UA>" in back.words and "<@UB>" not in back.words
    result = back.submit({"Back safe": ["ULEAD", "UA"]}).dm()
    assert "the night is over" in result.words
    assert bot.db["safety"].get(number)["checked_out_by"] == "ULEAD"
    for moment in (END, datetime(2026, 11, 24, 5, 30, tzinfo=UTC), datetime(2026, 11, 24, 7, 0, tzinfo=UTC)):
        at(bot, moment)
    assert alerts(bot) == [] and bot.db["escalations"].count == 0
    assert not [d for d in Phone(bot, "UB").dms() if "are you all right?" in d.words]
    outsider = form.submit({"Out tonight": ["UX"]})  # the modal refuses a stranger (sent again)
    assert outsider.errors and "Not on shift" in str(outsider.errors)


def test_an_unanswered_all_ok_goes_to_the_other_members_before_escalating_a_members_answer_stops_it(bot):
    number = team_of(bot, "UA")
    assert "every 60 minutes" in bot.command(ADMIN, f"checkevery {number} 60").text()
    at(bot, START)
    bot.command("ULEAD", f"checkin {number}").reply()
    bot.command("UA", f"checkin {number}").reply()
    at(bot, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))  # the lead is asked
    ua = Phone(bot, "UA")
    assert not [d for d in ua.dms() if "all OK?" in d.words]
    at(bot, datetime(2026, 11, 24, 2, 10, tzinfo=UTC))  # unanswered: the other members out are asked
    assert alerts(bot) == []
    asked = dm_with(ua, "has not answered yet")
    assert asked.text == f"Shift #{number}: all OK? Tap to answer"
    assert "is OK" in asked.tap("All OK").reply().words
    at(bot, datetime(2026, 11, 24, 2, 20, tzinfo=UTC))
    assert alerts(bot) == [] and bot.db["pings"].get((number, 1))["answered_by"] == "UA"
    at(bot, datetime(2026, 11, 24, 3, 10, tzinfo=UTC))  # the second check-in: nobody answers
    assert alerts(bot) == []
    at(bot, datetime(2026, 11, 24, 3, 20, tzinfo=UTC))
    eventually(lambda: len(alerts(bot)) == 1)
    assert "did not answer a check-in" in alerts(bot)[0].params["text"]
    steps = [r["step"] for r in bot.db["safety_steps"].rows_where("reason = 'ping2'", order_by="id")]
    assert steps[:3] == ["passed-on", "team", "coordinators"]
