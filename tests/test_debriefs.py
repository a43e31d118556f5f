"""Debriefs: the lead's DM and nudges, the form from each entry point, validation, who may submit,
the counts-only summary, follow-ups with reminders and Done, wellbeing and check-ins, retention."""

from __future__ import annotations

import json

from conftest import ADMIN, COORD_CHANNEL, eventually, message_text, submit_typed

from outreach.store import iso

LEAD = "ULEAD"


def ended_shift(bot, **overrides):
    """A direct shift tomorrow 19:00-23:00 Chicago, led by ULEAD with UA on it, now ended."""
    number = bot.create_shift(**overrides)
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    bot.clock.advance(days=1, hours=14)  # 2026-11-24 05:00 UTC = 23:00 Chicago, the end
    return number


def good_form(**overrides):
    fields = {
        "db_venue": "motel", "db_area": "Eastside", "db_start_date": "2026-11-23", "db_start_time": "19:15",
        "db_end_date": "2026-11-23", "db_end_time": "23:30", "db_team": [LEAD, "UA"], "db_contacts": "12",
        "db_brief": "9", "db_extended": "3", "db_languages": ["es", "en"], "db_mat_hotline-cards": "40",
        "db_mat_hygiene-kits": "6", "db_indicators": ["debt", "hotel-signs"], "db_referrals": ["medical-care"],
        "db_referral_counts": "housing-emergency: 2", "db_flags": ["hotline"], "db_notes": "Quiet night; manager friendly.",
        "db_load": "3",
    }
    fields.update(overrides)
    return fields


def asks(bot, user=None):
    """The debrief requests and nudges a lead got (other DMs, like safety prompts, left out)."""
    return [c for c in bot.dms(user or LEAD) if '"debrief_open"' in json.dumps(c.params.get("blocks") or [])]


def submit(bot, user, number, **overrides):
    return submit_typed(bot, user, "debrief_form", good_form(**overrides), metadata={"shift_id": number})


def errors(sent):
    body = sent.json()
    assert body.get("response_action") == "errors", body
    return body["errors"]


def test_lead_is_asked_at_shift_end_and_nudged_until_submitted(bot):
    number = bot.create_shift()
    bot.kit.tick()
    assert not asks(bot)  # not before the end
    bot.clock.advance(days=1, hours=14)
    bot.kit.tick()
    assert not asks(bot)  # at the end the lead's one DM asks to check out first (tests/test_safety.py)
    end = [c for c in bot.dms(LEAD) if "ends now" in message_text(c.params)]
    assert len(end) == 1 and f"#{number}" in message_text(end[0].params)
    assert "Checked out" in bot.command(LEAD, f"checkout {number}").text()
    eventually(lambda: [c for c in bot.fake.calls_to("chat.update") if c.params.get("ts") == end[0].answer["ts"]])
    ask = [c for c in bot.fake.calls_to("chat.update") if c.params.get("ts") == end[0].answer["ts"]][-1]
    button = ask.params["blocks"][1]["elements"][0]  # the same DM, now asking for the debrief
    assert button["action_id"] == "debrief_open" and button["value"] == str(number)
    bot.clock.advance(hours=12)
    bot.kit.tick()
    assert len(asks(bot)) == 1 and "Reminder" in message_text(asks(bot)[0].params)
    assert submit(bot, LEAD, number).body == b""
    bot.clock.advance(hours=30)
    bot.kit.tick()
    assert len(asks(bot)) == 1  # the 36 h nudge never goes


def test_edit_moves_the_request_and_cancel_removes_it(bot):
    number = bot.create_shift()
    day = (bot.clock().date()).replace(day=24).isoformat()
    fields = {"start_date": day, "end_date": day, "start_time": "19:00", "end_time": "23:00"}
    from conftest import shift_fields
    assert bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, **fields), metadata={"shift_id": number}).body == b""
    bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == ADMIN)  # the edit is saved
    bot.clock.advance(days=1, hours=14)
    bot.kit.tick()
    assert not asks(bot) and not [c for c in bot.dms(LEAD) if "ends now" in message_text(c.params)]  # old end
    assert "hasn't started" in bot.command(LEAD, f"checkout {number}").text()
    bot.clock.advance(days=1)
    bot.kit.tick()
    assert "Checked out" in bot.command(LEAD, f"checkout {number}").text()
    bot.clock.advance(hours=12)
    bot.kit.tick()
    assert len(asks(bot)) == 1
    other = bot.create_shift()
    bot.command(ADMIN, f"cancel {other}").reply()
    bot.clock.advance(days=3)
    bot.kit.tick()
    assert not [c for c in asks(bot) if f"#{other}" in message_text(c.params)]


def test_form_opens_from_dm_button_command_and_home(bot):
    number = ended_shift(bot)
    bot.kit.tick()
    bot.click(LEAD, "debrief_open", str(number), container={"type": "message", "channel_id": "DLEAD"})
    view = bot.fake.wait_for("views.open")[-1].params["view"]
    assert view["callback_id"] == "debrief_form" and json.loads(view["private_metadata"]) == {"shift_id": number}
    assert len(view["blocks"]) <= 100
    team = next(b for b in view["blocks"] if b.get("block_id") == "db_team")
    assert team["element"]["initial_users"] == [LEAD, "UA"]  # team present defaults to the confirmed signups
    assert "never identify" in message_text({"blocks": view["blocks"]})
    bot.command(ADMIN, f"debrief {number}")
    bot.fake.wait_for("views.open", where=lambda c: c.params["trigger_id"].startswith("trig-cmd"))
    bot.event({"type": "app_home_opened", "user": LEAD, "tab": "home"})
    home = bot.fake.wait_for("views.publish")[-1].params["view"]
    assert f"Debrief #{number}" in json.dumps(home) and "debrief_open" in json.dumps(home)
    refused = bot.command("UA", f"debrief {number}").text()
    assert "Only the shift's lead and coordinators" in refused


def test_every_validation_error_is_inline_and_nothing_is_stored(bot):
    number = ended_shift(bot)
    cases = {
        "db_contacts": {"db_contacts": "-3"},
        "db_extended": {"db_brief": "10", "db_extended": "5"},
        "db_mat_hotline-cards": {"db_mat_hotline-cards": "2.5"},
        "db_referral_counts": {"db_referral_counts": "astrology: 2"},
        "db_end_time": {"db_end_time": "18:00"},
        "db_team": {"db_team": []},
        "db_police_why": {"db_flags": ["police"]},
        "db_fu1_owner": {"db_fu1_what": "Call the clinic", "db_fu1_due": "2026-11-30"},
    }
    for field, override in cases.items():
        assert field in errors(submit(bot, LEAD, number, **override)), field
    many = errors(submit(bot, LEAD, number, db_contacts="5000", db_referral_counts="medical-care: 999"))
    assert "0 to 1000" in many["db_contacts"] and "0 to 200" in many["db_referral_counts"]
    assert bot.db["debriefs"].count == 0


def test_notes_with_personal_details_are_refused_with_what_and_why(bot):
    number = ended_shift(bot)
    for notes, said in [
        ("She gave me 773-555-0142 to call", "a phone number"),
        ("write to help.me@example.org", "an e-mail address"),
        ("lives at 1423 W Maple Ave", "a street address"),
        ("DOB 04/12/2001", "a date of birth"),
        ("Name: Rosa, from the kitchen", "a name"),
    ]:
        error = errors(submit(bot, LEAD, number, db_notes=notes))["db_notes"]
        assert said in error and "identify" in error, (notes, error)
    assert "a phone number" in errors(submit(bot, LEAD, number, db_incident_what="call 312 555 0199",
                                             db_flags=["incident"]))["db_incident_what"]
    assert bot.db["debriefs"].count == 0


def test_submit_by_lead_stores_counts_and_summary_carries_no_notes(bot):
    number = ended_shift(bot)
    sent = submit(bot, LEAD, number, db_flags=["hotline", "police"], db_police_why="Manager asked us to leave")
    assert sent.status == 200 and sent.body == b""
    row = bot.db["debriefs"].get(1)
    assert row["contacts"] == 12 and json.loads(row["materials"]) == {"hotline-cards": 40, "hygiene-kits": 6}
    assert json.loads(row["referrals"]) == {"housing-emergency": 2, "medical-care": 1}
    assert row["hotline"] == 1 and row["police"] == 1 and row["submitted_by"] == LEAD
    summary = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == COORD_CHANNEL
                                and "Debrief in" in c.params["text"])[0]
    words = message_text(summary.params)
    assert "12 contacts" in words and "Hotline cards 40" in words and "Medical care 1" in words
    assert "Quiet night" not in words and "Manager asked" not in words
    thanks = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == LEAD and "saved" in c.params["text"])
    assert thanks
    # The details (notes included) are for the lead and coordinators only.
    bot.click("UA", "debrief_view", str(number)).reply()
    assert not [c for c in bot.fake.calls_to("views.open") if c.params["view"]["callback_id"] == "debrief_details"]
    bot.click(ADMIN, "debrief_view", str(number))
    details = bot.fake.wait_for("views.open", where=lambda c: c.params["view"]["callback_id"] == "debrief_details")[0]
    assert "Quiet night" in message_text({"blocks": details.params["view"]["blocks"]})


def test_forbidden_and_forged_submissions_are_refused(bot):
    number = ended_shift(bot)
    assert "lead or a coordinator" in errors(submit(bot, "UA", number))["db_contacts"]
    other = bot.create_shift(lead="UOTHER")
    # A forged view: the lead of one shift submitting with another shift's id in private_metadata.
    assert "lead or a coordinator" in errors(submit(bot, LEAD, other))["db_contacts"]
    assert "no longer exists" in errors(submit(bot, LEAD, 9999))["db_contacts"]
    assert bot.db["debriefs"].count == 0
    bot.make_coordinator("UCOORD")
    assert submit(bot, "UCOORD", number).body == b""
    assert bot.db["debriefs"].get(1)["submitted_by"] == "UCOORD"


def test_edit_within_seven_days_then_locked(bot):
    number = ended_shift(bot)
    assert submit(bot, LEAD, number).body == b""
    bot.clock.advance(days=6)
    assert submit(bot, LEAD, number, db_contacts="20").body == b""
    assert bot.db["debriefs"].get(1)["contacts"] == 20 and bot.db["debriefs"].get(1)["revision"] == 2
    bot.clock.advance(days=2)
    assert "7 days" in errors(submit(bot, LEAD, number, db_contacts="30"))["db_contacts"]
    assert "7 days" in bot.command(LEAD, f"debrief {number}").text()
    assert bot.db["debriefs"].get(1)["contacts"] == 20


def test_followups_dm_reminders_list_and_done(bot):
    number = ended_shift(bot)
    sent = submit(bot, LEAD, number, db_fu1_what="Ask the clinic about Spanish hours", db_fu1_owner="UOWN",
                  db_fu1_due="2026-11-26")
    assert sent.body == b""
    assigned = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == "UOWN")[0]
    assert "Ask the clinic" in message_text(assigned.params) and "2026-11-26" in message_text(assigned.params)
    listed = bot.command("UOWN", "followups")
    assert "Ask the clinic" in listed.text()
    assert "No open follow-ups" in bot.command("UA", "followups").text()
    bot.clock.advance(days=2, hours=10)  # 2026-11-26 15:00 UTC = 09:00 Chicago
    bot.kit.tick()
    bot.kit.tick()
    reminders = [c for c in bot.dms("UOWN") if "Reminder" in message_text(c.params)]
    assert len(reminders) == 1 and "today" in message_text(reminders[0].params)
    bot.clock.advance(days=1)
    bot.kit.tick()
    assert len([c for c in bot.dms("UOWN") if "Reminder" in message_text(c.params)]) == 2
    task_id = bot.db["followups"].get(1)["id"]
    refused = bot.click("UA", "followup_done", str(task_id))
    assert "Only the follow-up's owner" in refused.reply()["text"]
    done = bot.click("UOWN", "followup_done", str(task_id), container={"type": "message", "channel_id": "DOWN"})
    assert "Done" in done.reply()["text"]
    assert bot.db["followups"].get(task_id)["status"] == "done"
    bot.clock.advance(days=1)
    bot.kit.tick()
    assert len([c for c in bot.dms("UOWN") if "Reminder" in message_text(c.params)]) == 2  # never after Done
    assert "No open follow-ups" in bot.command("UOWN", "followups").text()


def test_wellbeing_note_and_checkin_request_tell_coordinators(bot):
    number = ended_shift(bot)
    bot.make_coordinator("UCOORD")
    assert submit(bot, LEAD, number, db_checkin=["checkin"]).body == b""
    alert = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == "UCOORD"
                              and "check-in call" in message_text(c.params))
    assert f"<@{LEAD}>" in message_text(alert[0].params)
    invite = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == "UA"
                               and '"wellbeing_open"' in json.dumps(c.params.get("blocks") or []))[-1]
    assert invite.params["blocks"][0]["accessory"]["action_id"] == "wellbeing_open"
    bot.click("UA", "wellbeing_open", str(number))
    assert bot.fake.wait_for("views.open", where=lambda c: c.params["view"]["callback_id"] == "wellbeing_form")
    bad = submit_typed(bot, "UA", "wellbeing_form", {"wb_note": "she said call 555-201-3344"}, metadata={"shift_id": number})
    assert "a phone number" in errors(bad)["wb_note"]
    stranger = submit_typed(bot, "UX", "wellbeing_form", {"wb_load": "2"}, metadata={"shift_id": number})
    assert "on this shift" in errors(stranger)["wb_note"]
    ok = submit_typed(bot, "UA", "wellbeing_form", {"wb_load": "4", "wb_checkin": ["checkin"], "wb_note": "Tired"},
                      metadata={"shift_id": number})
    assert ok.body == b""
    bot.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == ADMIN and "<@UA>" in message_text(c.params))
    row = next(bot.db.query("SELECT load, checkin, note FROM wellbeing WHERE user_id = 'UA'"))
    assert row == {"load": 4, "checkin": 1, "note": "Tired"}


def test_retention_deletes_notes_and_keeps_counts(bot):
    number = ended_shift(bot)
    assert submit(bot, LEAD, number, db_flags=["incident"], db_incident_what="A dog chased us").body == b""
    bot.clock.advance(days=89)
    bot.kit.tick()
    assert bot.db["debriefs"].get(1)["notes"] == "Quiet night; manager friendly."
    bot.clock.advance(days=1, minutes=1)
    bot.kit.tick()
    row = bot.db["debriefs"].get(1)
    assert row["notes"] == "" and row["incident_what"] == "" and row["notes_expired_at"] == iso(bot.clock())
    assert row["contacts"] == 12 and row["incident"] == 1 and json.loads(row["materials"])["hotline-cards"] == 40


def test_no_column_can_hold_a_name_phone_address_or_photo(bot):
    forbidden = ("name", "phone", "address", "photo", "email", "birth", "dob")
    for table in ("debriefs", "followups", "wellbeing"):
        columns = [c.name for c in bot.db[table].columns]
        assert columns, table
        assert not [c for c in columns if any(word in c.lower() for word in forbidden)], (table, columns)


def test_retention_setting_is_validated():
    import pytest

    from outreach.settings import SettingsError, load_settings

    good = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    assert load_settings(good).notes_retention_days == 90
    assert load_settings({**good, "OUTREACH_NOTES_RETENTION_DAYS": "30"}).notes_retention_days == 30
    for bad in ("0", "ninety", "-5", "99999"):
        with pytest.raises(SettingsError) as info:
            load_settings({**good, "OUTREACH_NOTES_RETENTION_DAYS": bad})
        assert info.value.name == "OUTREACH_NOTES_RETENTION_DAYS"


def test_debrief_without_number_lists_what_is_still_to_write(bot):
    number = ended_shift(bot)
    later = bot.create_shift(start_date="2026-11-30", end_date="2026-11-30")  # not ended yet
    reply = bot.command(LEAD, "debrief").reply()
    buttons = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(e["action_id"], e["value"]) for e in buttons] == [("debrief_open", str(number))]
    assert f"#{later}" not in message_text(reply)
    assert "debrief N" in bot.command(LEAD, "debrief soon").text()
    assert submit(bot, LEAD, number).body == b""
    assert not [b for b in bot.command(LEAD, "debrief").reply()["blocks"] if b["type"] == "actions"]
    assert not [b for b in bot.command("UOTHER", "debrief").reply()["blocks"] if b["type"] == "actions"]
