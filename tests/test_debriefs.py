"""Debriefs: the lead's DM and nudges, the two-step form from each entry point, validation, who may
submit, the counts-only summary, follow-ups with reminders and Done, wellbeing and check-ins, retention."""

from __future__ import annotations

import json

from conftest import ADMIN, COORD_CHANNEL, eventually, message_text, submit_debrief, submit_typed

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
    """A debrief's fields: the first screen's, and details (a count, other materials, conversations, notes)."""
    fields = {
        "db_contacts": "12", "db_mat_hotline-cards": "40", "db_referrals": ["medical-care", "housing-emergency"],
        "db_indicators": ["debt", "hotel-signs"], "db_languages": ["es", "en"], "db_flags": ["hotline"],
        "db_load": "3",
        "db_ref_housing-emergency": "2", "db_mat_hygiene-kits": "6", "db_brief": "9", "db_extended": "3",
        "db_notes": "Quiet night; manager friendly.",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def first_only(**overrides):
    """Only the first screen, as a lead who never taps Add details."""
    fields = {"db_contacts": "7", "db_mat_hotline-cards": "20", "db_referrals": ["medical-care"],
              "db_languages": ["es"], "db_load": "2"}
    fields.update(overrides)
    return fields


def asks(bot, user=None):
    """The debrief requests and nudges a lead got (other DMs, like safety prompts, left out)."""
    return [c for c in bot.dms(user or LEAD) if '"debrief_open"' in json.dumps(c.params.get("blocks") or [])
            and "debrief is" not in c.params["text"]]


def submit(bot, user, number, **overrides):
    return submit_debrief(bot, user, number, good_form(**overrides))


def submit_first(bot, user, number, **overrides):
    return submit_debrief(bot, user, number, first_only(**overrides))


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
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert len(inputs) <= 8, [b["label"]["text"] for b in inputs]
    words = message_text({"blocks": view["blocks"]})
    # What the shift knows is shown, not asked: the team (lead and confirmed signups), place and planned times.
    assert f"<@{LEAD}>, <@UA>" in words and "Eastside" in words and "as planned" in words
    assert not [b for b in inputs if b["element"]["type"] in ("multi_users_select", "datepicker", "timepicker")]
    languages = next(b for b in inputs if b["block_id"] == "db_languages")
    assert [o["value"] for o in languages["element"]["initial_options"]] == ["es"]  # the shift's languages
    assert "never identify" not in words and "identify anyone you met" in words
    assert [e["text"]["text"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]] == ["Add details"]
    bot.command(ADMIN, f"debrief {number}")
    opened = bot.fake.wait_for("views.open", where=lambda c: c.params["trigger_id"].startswith("trig-cmd"))[0]
    assert opened.params["view"]["callback_id"] == "debrief_form"  # the same modal
    bot.event({"type": "app_home_opened", "user": LEAD, "tab": "home"})
    home = bot.fake.wait_for("views.publish")[-1].params["view"]
    owed = next(b for b in home["blocks"] if b.get("block_id") == f"owe:debrief:{number}")
    assert f"#{number}" in owed["text"]["text"] and owed["accessory"]["action_id"] == "debrief_open"
    assert owed["accessory"]["text"]["text"] == "Write debrief"
    assert "Debriefs and follow-ups you owe" in message_text({"blocks": home["blocks"]})
    refused = bot.command("UA", f"debrief {number}").text()
    assert "Only the shift's lead and coordinators" in refused


def test_every_validation_error_is_inline_and_nothing_is_stored(bot):
    number = ended_shift(bot)
    cases = {
        "db_contacts": {"db_contacts": "-3"},
        "db_mat_hotline-cards": {"db_mat_hotline-cards": "2.5"},
        "db_mat_hygiene-kits": {"db_mat_hygiene-kits": "many"},
        "db_ref_housing-emergency": {"db_ref_housing-emergency": "2.5"},
        "db_what": {"db_flags": ["police"]},
        "db_fu1_owner": {"db_fu1_what": "Call the clinic", "db_fu1_due": "2026-11-30"},
        "db_fu1_due": {"db_fu1_what": "Call the clinic", "db_fu1_owner": "UOWN"},
    }
    for field, override in cases.items():
        assert field in errors(submit(bot, LEAD, number, **override)), field
    assert "db_what" in errors(submit_first(bot, LEAD, number, db_flags=["incident"]))
    many = errors(submit(bot, LEAD, number, db_contacts="5000"))
    assert "0 to 1000" in many["db_contacts"]
    assert "0 to 200" in errors(submit(bot, LEAD, number, **{"db_ref_housing-emergency": "999"}))["db_ref_housing-emergency"]
    # The details' conversations cannot outnumber the people reached on the first screen.
    too_many = errors(submit(bot, LEAD, number, db_brief="10", db_extended="5"))["db_contacts"]
    assert "raise People reached" in too_many
    assert bot.db["debriefs"].count == 0 and bot.db["followups"].count == 0


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
    assert "a phone number" in errors(submit_first(bot, LEAD, number, db_what="call 312 555 0199",
                                                   db_flags=["incident"]))["db_what"]
    assert bot.db["debriefs"].count == 0 and bot.db["debrief_drafts"].count == 0


def test_submit_by_lead_stores_counts_and_summary_carries_no_notes(bot):
    number = ended_shift(bot)
    sent = submit(bot, LEAD, number, db_flags=["hotline", "police"], db_what="Manager asked us to leave")
    assert sent.status == 200 and sent.body == b""
    row = bot.db["debriefs"].get(1)
    assert row["contacts"] == 12 and json.loads(row["materials"]) == {"hotline-cards": 40, "hygiene-kits": 6}
    assert json.loads(row["referrals"]) == {"housing-emergency": 2, "medical-care": 1}
    assert (row["brief"], row["extended"], row["notes"]) == (9, 3, "Quiet night; manager friendly.")
    assert row["hotline"] == 1 and row["police"] == 1 and row["submitted_by"] == LEAD
    assert row["police_why"] == "Manager asked us to leave" and row["incident_what"] == ""
    # The place, times and team come from the shift.
    assert (row["venue"], row["area"], json.loads(row["team"])) == ("motel", "Eastside", [LEAD, "UA"])
    assert (row["started_at"], row["ended_at"]) == ("2026-11-24T01:00:00+00:00", "2026-11-24T05:00:00+00:00")
    assert bot.db["debrief_drafts"].count == 0  # the details went into the debrief
    summary = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == COORD_CHANNEL
                                and "Debrief in" in c.params["text"])[0]
    words = message_text(summary.params)
    assert "12 contacts" in words and "Hotline cards 40" in words and "Medical care 1" in words
    assert "Quiet night" not in words and "Manager asked" not in words
    thanks = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == LEAD and "saved" in c.params["text"])
    detail = message_text({"blocks": thanks[0].params["blocks"]})
    assert "12 people reached" in detail and "Emergency housing 2" in detail and "Edit debrief" in detail
    # The details (notes included) are for the lead and coordinators only.
    bot.click("UA", "debrief_view", str(number)).reply()
    assert not [c for c in bot.fake.calls_to("views.open") if c.params["view"]["callback_id"] == "debrief_details"]
    bot.click(ADMIN, "debrief_view", str(number))
    details = bot.fake.wait_for("views.open", where=lambda c: c.params["view"]["callback_id"] == "debrief_details")[0]
    assert "Quiet night" in message_text({"blocks": details.params["view"]["blocks"]})


def test_forbidden_and_forged_submissions_are_refused(bot):
    number = ended_shift(bot)
    assert "lead or a coordinator" in errors(submit_first(bot, "UA", number))["db_contacts"]
    assert "lead or a coordinator" in errors(submit(bot, "UA", number))["db_notes"]  # the details step too
    other = bot.create_shift(lead="UOTHER")
    # A forged view: the lead of one shift submitting with another shift's id in private_metadata.
    assert "lead or a coordinator" in errors(submit_first(bot, LEAD, other))["db_contacts"]
    assert "no longer exists" in errors(submit_first(bot, LEAD, 9999))["db_contacts"]
    assert bot.db["debriefs"].count == 0 and bot.db["debrief_drafts"].count == 0
    # Details kept under one person's view are never taken by another's save of the same view id.
    assert submit_typed(bot, LEAD, "debrief_more", {"db_notes": "Lead's words"},
                        metadata={"shift_id": number, "root": "VSHARED", "picked": []}).body == b""
    bot.make_coordinator("UCOORD")
    assert submit_debrief(bot, "UCOORD", number, first_only(), view_id="VSHARED").body == b""
    assert bot.db["debriefs"].get(1)["notes"] == ""
    assert submit(bot, "UCOORD", number).body == b""
    assert bot.db["debriefs"].get(1)["submitted_by"] == "UCOORD"
    assert bot.db["debriefs"].get(1)["notes"] == "Quiet night; manager friendly."


def test_edit_within_seven_days_then_locked(bot):
    number = ended_shift(bot)
    assert submit(bot, LEAD, number).body == b""
    bot.clock.advance(days=6)
    assert submit(bot, LEAD, number, db_contacts="20").body == b""
    assert bot.db["debriefs"].get(1)["contacts"] == 20 and bot.db["debriefs"].get(1)["revision"] == 2
    bot.clock.advance(days=2)
    assert "7 days" in errors(submit_first(bot, LEAD, number, db_contacts="30"))["db_contacts"]
    assert "7 days" in errors(submit(bot, LEAD, number, db_contacts="30"))["db_notes"]
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
    assert submit(bot, LEAD, number, db_flags=["checkin"]).body == b""
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
    assert submit(bot, LEAD, number, db_flags=["incident"], db_what="A dog chased us").body == b""
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
    for table in ("debriefs", "followups", "wellbeing", "debrief_drafts"):
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


def test_first_screen_alone_saves_a_complete_debrief(bot):
    number = ended_shift(bot)
    assert submit_first(bot, LEAD, number, db_flags=["incident", "checkin"], db_what="A dog chased us").body == b""
    row = bot.db["debriefs"].get(1)
    assert (row["contacts"], json.loads(row["materials"]), json.loads(row["referrals"])) == (
        7, {"hotline-cards": 20}, {"medical-care": 1})
    assert (row["incident"], row["incident_what"], row["checkin"], row["load"]) == (1, "A dog chased us", 1, 2)
    assert (json.loads(row["team"]), row["venue"], row["area"], row["notes"]) == ([LEAD, "UA"], "motel", "Eastside", "")
    assert bot.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == COORD_CHANNEL
                             and "Debrief in" in c.params["text"])


def test_add_details_pushes_a_count_per_picked_category_and_the_first_screen_says_so(bot):
    number = ended_shift(bot)
    first = {"id": "VROOT", "callback_id": "debrief_form", "private_metadata": json.dumps({"shift_id": number}),
             "state": {"values": {"db_referrals": {"value": {"type": "multi_static_select", "selected_options": [
                 {"value": "medical-care"}, {"value": "food"}]}}}}}
    bot.click(LEAD, "debrief_more", str(number), container={"type": "view", "view_id": "VROOT"}, view=first)
    pushed = bot.fake.wait_for("views.push")[-1].params["view"]
    assert pushed["callback_id"] == "debrief_more"
    counts = [b for b in pushed["blocks"] if b.get("block_id", "").startswith("db_ref_")]
    assert [(b["label"]["text"], b["element"]["initial_value"]) for b in counts] == [
        ("Referrals: Food", "1"), ("Referrals: Medical care", "1")]  # in the list's order
    assert json.loads(pushed["private_metadata"])["root"] == "VROOT"
    owner = next(b for b in pushed["blocks"] if b.get("block_id") == "db_fu1_owner")
    assert owner["element"]["initial_user"] == LEAD  # a follow-up is the lead's unless they pick someone
    assert not [b for b in pushed["blocks"] if b["type"] == "input" and b["element"]["type"] == "plain_text_input"
                and "medical-care:" in json.dumps(b)]  # no typed mini-language
    # Nothing picked on the first screen: a count for every category of the list.
    bot.click(LEAD, "debrief_more", str(number), container={"type": "view", "view_id": "VROOT"},
              view=dict(first, state={"values": {}}))
    every = bot.fake.wait_for("views.push", where=lambda c: len(
        [b for b in c.params["view"]["blocks"] if b.get("block_id", "").startswith("db_ref_")]) > 2)[-1]
    assert len(every.params["view"]["blocks"]) <= 100
    # Done keeps the details for the first screen, which says what was added.
    sent = submit_typed(bot, LEAD, "debrief_more", {"db_ref_food": "3", "db_notes": "Busy lot"},
                        metadata={"shift_id": number, "root": "VROOT", "picked": ["medical-care", "food"]})
    assert sent.body == b""
    update = bot.fake.wait_for("views.update", where=lambda c: c.params.get("view_id") == "VROOT")[0]
    words = message_text({"blocks": update.params["view"]["blocks"]})
    assert "Details added: 3 referrals counted · 0 follow-ups · notes" in words and "Change details" in words
    assert bot.db["debriefs"].count == 0 and bot.db["debrief_drafts"].count == 1
    # Food was unpicked on the first screen since: its count is dropped; medical care counts once.
    assert submit_debrief(bot, LEAD, number, first_only(), view_id="VROOT").body == b""
    row = bot.db["debriefs"].get(1)
    assert json.loads(row["referrals"]) == {"medical-care": 1} and row["notes"] == "Busy lot"
    assert bot.db["debrief_drafts"].count == 0


def test_an_edit_of_the_first_screen_keeps_the_saved_details(bot):
    number = ended_shift(bot)
    assert submit(bot, LEAD, number).body == b""
    assert submit_first(bot, LEAD, number, db_contacts="14", db_referrals=["housing-emergency", "food"]).body == b""
    row = bot.db["debriefs"].get(1)
    assert row["revision"] == 2 and row["contacts"] == 14
    assert json.loads(row["referrals"]) == {"food": 1, "housing-emergency": 2}
    assert json.loads(row["materials"]) == {"hotline-cards": 20, "hygiene-kits": 6}
    assert (row["brief"], row["extended"], row["notes"]) == (9, 3, "Quiet night; manager friendly.")
    bot.click(LEAD, "debrief_open", str(number))
    view = bot.fake.wait_for("views.open")[-1].params["view"]
    contacts = next(b for b in view["blocks"] if b.get("block_id") == "db_contacts")
    assert contacts["element"]["initial_value"] == "14" and "(as saved)" in message_text({"blocks": view["blocks"]})


def test_details_never_saved_are_deleted_after_a_day(bot):
    number = ended_shift(bot)
    assert submit_typed(bot, LEAD, "debrief_more", {"db_notes": "Left for later"},
                        metadata={"shift_id": number, "root": "VGONE", "picked": []}).body == b""
    bot.clock.advance(hours=23)
    bot.kit.tick()
    assert bot.db["debrief_drafts"].count == 1
    bot.clock.advance(hours=2)
    bot.kit.tick()
    assert bot.db["debrief_drafts"].count == 0


def test_home_lists_what_you_owe_and_done_there_shows_it_again(bot):
    number = ended_shift(bot)
    assert submit(bot, "UADMIN", number, db_fu1_what="Bring Spanish cards", db_fu1_owner=LEAD,
                  db_fu1_due="2026-11-30").body == b""
    other = bot.create_shift(start_date="2026-11-24", end_date="2026-11-24")
    bot.clock.advance(days=1)
    bot.event({"type": "app_home_opened", "user": LEAD, "tab": "home"})
    home = bot.fake.wait_for("views.publish")[-1].params["view"]
    owed = [b for b in home["blocks"] if b.get("block_id", "").startswith("owe:")]
    assert [b["block_id"] for b in owed] == [f"owe:debrief:{other}", "owe:task:1"]
    assert "Bring Spanish cards" in owed[1]["text"]["text"] and owed[1]["accessory"]["text"]["text"] == "Done"
    before = len(bot.fake.calls_to("views.publish"))
    bot.click(LEAD, "followup_done", "1", container={"type": "view", "view_id": "VHOME"})
    eventually(lambda: len(bot.fake.calls_to("views.publish")) > before)
    assert "owe:task:1" not in json.dumps(bot.fake.calls_to("views.publish")[-1].params["view"])
    assert bot.db["followups"].get(1)["status"] == "done"
