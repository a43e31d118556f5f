"""The escalation climbs: level 1 the team by DM, level 2 the coordinators after a wait, level 3 after
N unanswered repeats the people named in the checklist and the on-call list; acknowledging stops it,
tells the team who handles it, and every step shows in the shift's Details."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import ADMIN, COORD_CHANNEL, at, eventually, message_text
from phone import Phone

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
CLIMB = {"OUTREACH_ESCALATION_TEAM_WAIT": "10m", "OUTREACH_ESCALATION_CONTACTS_AFTER": "2",
         "OUTREACH_ONCALL_COORDINATORS": "UONCALL"}



def top_alerts(bot):
    return [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == COORD_CHANNEL
            and not c.params.get("thread_ts") and "Safety alert" in str(c.params.get("text")) and not c.failed]


def dms_with(phone, words):
    return [d for d in phone.dms() if words in d.words]


@pytest.fixture
def climbing(fake, tmp_path, clock):
    from conftest import Bot

    bot = Bot(fake, tmp_path, clock, env=CLIMB)
    try:
        yield bot
    finally:
        bot.close()


def test_the_climb_reaches_the_named_contacts_and_stops_on_acknowledge(climbing):
    bot = climbing
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    bot.make_coordinator("UCO")
    lead = Phone(bot, "ULEAD")
    summary = lead.command(f"checklist {number}").modal()  # the member picked in the checklist
    checklist = summary.tap("Open", near="*Team and safety*").modal()
    tapped = checklist.choose("Done", near="Someone is named to call")
    form = tapped.modal()
    tapped.home()
    assert form.submit({"Who is called if the team goes silent?": "UCALL"}).errors == {}
    eventually(lambda: bot.db["readiness_items"].get((number, "silence-contact"))["evidence"] == "UCALL")
    at(bot, START)
    bot.command("ULEAD", f"checkin {number}").reply()
    bot.command("UA", f"checkin {number}").reply()
    ua, coordinator, called, oncall = Phone(bot, "UA"), Phone(bot, "UCO"), Phone(bot, "UCALL"), Phone(bot, "UONCALL")

    at(bot, datetime(2026, 11, 24, 5, 30, tzinfo=UTC))  # end + grace: level 1, the lead and the team by DM
    for person in (lead, ua):
        asked = dms_with(person, "are you all right?")
        assert len(asked) == 1 and "coordinators are told at" in asked[0].words
        assert asked[0].text == f"Shift #{number}: all OK? Tap to answer"
    assert top_alerts(bot) == [] and not dms_with(coordinator, "Safety alert")

    at(bot, datetime(2026, 11, 24, 5, 40, tzinfo=UTC))  # level 2: the coordinators, channel and DMs
    top = top_alerts(bot)
    assert len(top) == 1 and "<@ULEAD>" in top[0].params["text"] and "<@UA>" in top[0].params["text"]
    assert len(dms_with(coordinator, "Safety alert")) == 1 and not called.dms() and not oncall.dms()

    at(bot, datetime(2026, 11, 24, 5, 55, tzinfo=UTC))  # repeat 1
    assert not called.dms()
    at(bot, datetime(2026, 11, 24, 6, 10, tzinfo=UTC))  # repeat 2: level 3, the named contact and on-call
    for person in (called, oncall):
        told = dms_with(person, "Safety alert")
        assert len(told) == 1 and "Acknowledge" in told[0].buttons
        assert told[0].text == "A team needs a coordinator: tap to see"
    thread = [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("thread_ts") == top[0].answer["ts"]]
    assert "Level 3" in message_text(thread[-1].params) and "<@UCALL>" in message_text(thread[-1].params)
    assert bot.db["escalations"].get((number, "checkout"))["level"] == 3

    # The named contact takes it on (a contact may acknowledge): the climb stops, the team is told.
    dms_with(called, "Safety alert")[0].tap("Acknowledge")
    eventually(lambda: bot.db["escalations"].get((number, "checkout"))["acked_by"] == "UCALL")
    eventually(lambda: dms_with(ua, "is handling it") and dms_with(lead, "is handling it"))
    assert "<@UCALL>" in dms_with(ua, "is handling it")[0].words
    assert dms_with(ua, "is handling it")[0].text == f"Shift #{number}: tap to see"
    posted = len(bot.fake.calls_to("chat.postMessage"))
    for minute in (25, 39):
        at(bot, datetime(2026, 11, 24, 6, minute, tzinfo=UTC))
    assert len(bot.fake.calls_to("chat.postMessage")) == posted  # the climb stopped: nothing more goes out
    # Taken on at 06:10 and not resolved by 06:40 (OUTREACH_INCIDENT_RECHECK 30m): its handler is asked again.
    at(bot, datetime(2026, 11, 24, 6, 40, tzinfo=UTC))
    again = dms_with(called, "still open")
    assert len(again) == 1 and "Resolved" in again[0].buttons
    assert len(bot.fake.calls_to("chat.postMessage")) == posted + 1

    steps = [(r["step"], r["level"]) for r in bot.db["safety_steps"].rows_where("shift_id = ?", [number], order_by="id")]
    assert steps == [("team", 1), ("coordinators", 2), ("repeat:1", 2), ("repeat:2", 2), ("contacts", 3), ("ack", 0),
                     ("taken:1", 2), ("recheck:1:1", 2)]
    contacts = bot.db["safety_steps"].rows_where("step = 'contacts'").__next__()
    assert contacts["people"] == '["UCALL", "UONCALL"]'

    before = len(bot.fake.calls_to("views.open"))
    bot.click(ADMIN, "shift_details", str(number))
    eventually(lambda: len(bot.fake.calls_to("views.open")) > before)
    view = bot.fake.calls_to("views.open")[-1].params["view"]
    words = message_text(view)
    for expected in ("Safety timeline", "level 1: asked by DM <@ULEAD>, <@UA>", "level 2: sent to the coordinators",
                     "repeat 2", "level 3: sent to <@UCALL>, <@UONCALL>", "acknowledged by <@UCALL>"):
        assert expected in words, expected


def test_a_volunteer_not_named_cannot_acknowledge(climbing):
    bot = climbing
    number = bot.create_shift()
    at(bot, datetime(2026, 11, 24, 5, 40, tzinfo=UTC))
    refused = bot.click("UX", "safety_ack", f"{number}:checkout",
                        container={"type": "message", "channel_id": COORD_CHANNEL})
    assert "coordinator" in refused.reply()["text"]
    assert bot.db["escalations"].get((number, "checkout"))["acked_by"] is None


def test_a_bad_wait_stops_the_start_with_a_clear_error():
    from outreach.settings import SettingsError, load_settings

    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
    for name, value, words in (("OUTREACH_ESCALATION_TEAM_WAIT", "soon", "OUTREACH_ESCALATION_TEAM_WAIT"),
                               ("OUTREACH_ESCALATION_TEAM_WAIT", "5h", "over 2 hours"),
                               ("OUTREACH_ESCALATION_CONTACTS_AFTER", "lots", "number of repeats"),
                               ("OUTREACH_ONCALL_COORDINATORS", "ana", "not a Slack user id")):
        with pytest.raises(SettingsError, match=words):
            load_settings({**base, name: value})
    ok = load_settings({**base, **CLIMB})
    assert ok.escalation_contacts_after == 2 and ok.oncall_coordinators == ("UONCALL",)
    assert ok.escalation_team_wait.total_seconds() == 600


def test_the_debrief_shows_the_safety_timeline(bot):
    number = bot.create_shift()
    at(bot, START)
    bot.command("ULEAD", f"checkin {number}").reply()
    at(bot, datetime(2026, 11, 24, 5, 30, tzinfo=UTC))  # no check-out: the team, then the coordinators
    assert "Checked out" in bot.command("ULEAD", f"checkout {number}").text()
    lead = Phone(bot, "ULEAD")
    end = [d for d in lead.dms() if "ends now" in d.words][-1]
    eventually(lambda: end.now().has_button("Write debrief"))
    form = end.now().tap("Write debrief").modal()
    timeline = form.tap("Safety timeline").modal()  # behind a button: the form's first screen stays short
    for expected in ("Safety timeline", "level 1: asked by DM <@ULEAD>", "level 2: sent to the coordinators",
                     "everyone back: the night is over"):
        assert expected in timeline.words, expected
