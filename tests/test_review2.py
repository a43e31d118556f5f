"""Hostile review of the session's merged work (issue 20 §3-5, issue 23 §1, §2, §4): each test a bug found."""

from __future__ import annotations

import threading
from datetime import timedelta

import test_twilio
from conftest import ADMIN, eventually
from test_field_sms import (
    UA_PHONE,
    WORD,
    coordinator_was_told,
    details_of,
    set_word,
    shows_duress,
    sms,
    team_night,
)
from test_rota import on_call, set_rota, take_night
from test_setup_home import CSV, submit_file, submit_state
from test_twilio import verify_phone

from outreach import phones, rota, safety

twilio, tbot = test_twilio.twilio, test_twilio.tbot  # the fake Twilio and a bot serving its webhooks (fixtures)


def test_a_csv_with_a_huge_cell_is_refused_with_a_reason_not_a_crash(bot):
    huge = CSV + "x" * 200_000 + ",housing-emergency,es,24/7,+1 555 010 0103,,,\n"
    fid = bot.fake.add_file("partners.csv", huge.encode())
    status, answer = submit_file(bot, ADMIN, [fid])
    assert status == 200 and answer["response_action"] == "errors"
    assert "Nothing imported from partners.csv" in answer["errors"]["csv"]
    assert "line 4" in answer["errors"]["csv"] and "too long" in answer["errors"]["csv"]
    assert bot.db["partners"].count == 0


def test_a_duress_out_by_sms_is_answered_without_waiting_on_slack(tbot, twilio):
    """The member's answer to OUT <word> must not wait for the coordinators' DMs (a normal OUT does not): with
    Slack slow, a reply that came late, or not at all within Twilio's 15 s, would tell whoever holds the phone."""
    bot = tbot
    number = team_night(bot, twilio)
    set_word(bot, "UA")
    assert sms(bot, UA_PHONE, "in").startswith("Outreach: checked in")
    answered, waited = threading.Event(), []
    bot.fake.fail("chat.postMessage", times=10, where=lambda p: p.get("channel") in ("UCO", ADMIN) and bool(
        waited.append(answered.wait(4))))  # a coordinator's DM takes as long as the member's answer takes to come
    try:
        answer = sms(bot, UA_PHONE, f"OUT {WORD}")
    finally:
        answered.set()
    assert answer == f"Outreach: checked out of #{number}. Thank you, get home safe."
    eventually(lambda: waited)
    assert all(waited), "the answer to the member waited on Slack"
    coordinator_was_told(bot, number)


def test_someone_who_leaves_the_workspace_loses_their_duress_word_as_their_phone(tbot, twilio):
    bot = tbot
    verify_phone(bot, twilio, "UA", "312 555 0177")
    set_word(bot, "UA")
    gone = {"id": "UA", "name": "ua", "deleted": True, "profile": {"real_name": "A Example"}}
    assert bot.event({"type": "user_change", "user": gone})[0] == 200
    eventually(lambda: phones.load(bot.store, "UA") is None)
    bot.settle()
    assert bot.db.execute("SELECT count(*) FROM duress_words WHERE user_id = 'UA'").fetchone()[0] == 0


def test_a_partner_csv_too_long_for_the_modal_is_refused_before_it_holds_the_database(bot):
    """15,000 rows took ~9 s inside the submission (Slack gives 3): the admin saw Slack's error while the import,
    holding the write lock all along (every SOS press waiting on it), went on; now refused at once, saying how."""
    rows = "".join(f"Partner {i},housing-emergency,es,24/7,+1 312 555 {i % 10000:04d},,,\n" for i in range(15_000))
    fid = bot.fake.add_file("partners.csv", (CSV.splitlines(keepends=True)[0] + rows).encode())
    status, answer = submit_file(bot, ADMIN, [fid])
    assert status == 200 and answer["response_action"] == "errors"
    error = answer["errors"]["csv"]
    assert "15000 rows" in error and "at most 500" in error and "python bot.py import-partners" in error
    assert bot.db["partners"].count == 0
    fine = CSV + "".join(f"Partner {i},housing-emergency,es,24/7,+1 312 555 {i:04d},,,\n" for i in range(498))
    fid = bot.fake.add_file("partners.csv", fine.encode())
    status, answer = submit_file(bot, ADMIN, [fid])
    assert answer["response_action"] == "update" and bot.db["partners"].count == 500


def test_a_coordinator_made_a_volunteer_leaves_the_rota_and_may_no_longer_take_alerts(bot):
    """Removing the role left the person in the rota and their nights taken: still "on call", texted every SOS,
    reached at level 3 instead of the fallback, and allowed to take any alert on (which stops the climb)."""
    for user in ("UANA", "UBEN"):
        bot.make_coordinator(user)
    today = rota.night_of(bot.services.now(), bot.settings)
    assert set_rota(bot, "UANA", ["UBEN", "UANA"], today.isoformat()).errors == {}
    eventually(lambda: rota.load(bot.store) is not None)
    later = today + timedelta(days=10)
    assert take_night(bot, "UBEN", later.isoformat()).errors == {}
    eventually(lambda: on_call(bot, rota.night_start(later, bot.settings)) == "UBEN")
    assert on_call(bot, bot.services.now()) == "UBEN"
    assert "no longer a coordinator" in bot.command(ADMIN, "role <@UBEN> volunteer").text()
    assert bot.services.role("UBEN").label == "volunteer"
    for night in range(28):
        assert on_call(bot, rota.night_start(today + timedelta(days=night), bot.settings)) != "UBEN", night
    assert not safety.may_acknowledge(bot.store, bot.settings, shift_id=1, user="UBEN")


def test_a_duress_sos_is_not_in_the_details_of_a_coordinator_on_the_team(tbot, twilio):
    """The App Home hid a duress SOS from coordinators on its team, but their Details showed it ("checked out with
    their duress word", and the duress steps of the timeline): a lead who is a coordinator is on the team."""
    bot = tbot
    number = team_night(bot, twilio, before=lambda: bot.make_coordinator("ULEAD"))
    set_word(bot, "UA")
    assert sms(bot, UA_PHONE, "in").startswith("Outreach: checked in")
    assert sms(bot, UA_PHONE, f"OUT {WORD}").startswith("Outreach: checked out")
    coordinator_was_told(bot, number)  # UCO and the admin, not on the team, see it (Details included)
    lead = details_of(bot, "ULEAD", number)
    assert "checked out" in lead and not shows_duress(lead), lead


def test_the_start_sms_does_not_make_a_members_phone_one_that_can_take_their_shifts_alarm(tbot, twilio):
    """The start SMS (context: its shift) counted as an alarm texted to the member: with any alarm open on their
    shift, a word the bot does not know, or "1", was answered "reply 1 to take it" / "already taken" instead of
    the field words; after a duress check-out that told whoever holds the phone an alarm was open."""
    bot = tbot
    team_night(bot, twilio)
    set_word(bot, "UA")
    twilio.wait_for("Messages", where=lambda m: m["to"] == UA_PHONE and "starts" in m["body"])
    assert sms(bot, UA_PHONE, "in").startswith("Outreach: checked in")
    field = "Outreach: reply IN when you are out, OUT when you are back, SOS if you need help now (IN 12 for shift #12)."
    assert sms(bot, UA_PHONE, "hello") == field
    assert sms(bot, UA_PHONE, f"OUT {WORD}").startswith("Outreach: checked out")
    assert bot.db.execute("SELECT duress FROM sos").fetchall() == [(1,)]
    assert sms(bot, UA_PHONE, "hello") == field  # as before: nothing says an alarm is open
    assert sms(bot, UA_PHONE, "1") == field
    assert bot.db.execute("SELECT acked_at FROM sos").fetchone()[0] is None


def test_forged_form_values_of_the_wrong_shape_are_refused_not_a_crash(bot):
    """A forged submission whose values are not what Slack sends (a number for a people picker, a list for a
    text) crashed Record training, Report, My profile, Edit rota and Test the net (500, nothing said)."""
    bot.make_coordinator("UANA")
    forged = [
        ("coord_profile", "UA", {"languages": {"value": {"type": "plain_text_input", "value": 5}}}),
        ("rota_edit", "UANA", {"rota_people": {"value": {"type": "multi_users_select", "selected_users": 7}},
                               "rota_start": {"value": {"type": "datepicker", "selected_date": 5}}}),
        ("coord_train", "UANA", {"people": {"value": {"type": "plain_text_input", "value": 3}},
                                 "training": {"value": {"type": "static_select", "selected_option": "x"}},
                                 "completed_on": {"value": {"type": "plain_text_input", "value": 3}}}),
        ("coord_report", "UANA", {"period": {"value": {"type": "plain_text_input", "value": ["x"]}},
                                  "formats": {"value": {"type": "checkboxes", "selected_options": [3, None]}}}),
        ("drill_form", "UANA", {"people": {"value": {"type": "plain_text_input", "value": 3}},
                                "paths": {"value": {"type": "plain_text_input", "value": 3}}}),
    ]
    for callback_id, user, values in forged:
        status, answer = submit_state(bot, user, callback_id, values)
        assert status == 200, callback_id
        if callback_id != "coord_profile":
            assert answer["response_action"] == "errors", (callback_id, answer)
    assert bot.db["drills"].count == 0 and bot.db["rota"].count == 0


def test_a_drill_goes_only_to_people_not_to_a_channel_id_forged_into_its_people(bot):
    """Test the net took any string as a person: a forged "CGENERAL" got the TEST message and its "I'm on it"
    posted in #general, and counted as a person "not reached"."""
    bot.make_coordinator("UANA")
    status, answer = submit_state(bot, "UANA", "drill_form", {
        "people": {"value": {"type": "multi_users_select", "selected_users": ["CGENERAL", "<!channel>"]}},
        "paths": {"value": {"type": "checkboxes", "selected_options": [{"value": "dm"}]}}})
    assert status == 200 and answer["response_action"] == "errors"
    assert bot.db["drills"].count == 0
    bot.settle()
    assert not [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") in ("CGENERAL", "<!channel>")]
