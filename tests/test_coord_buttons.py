"""The coordinators' work by buttons (issue 23, section 2), through the real pipeline: each button opens its
modal for the right role and is refused for others; each submission stores what the typed command stores
and says so; inline errors; the checklist's check-in answer sets the interval; each "told" DM sent once."""

from __future__ import annotations

import json

import pytest
from conftest import ADMIN, COORD_CHANNEL, Bot, eventually
from faketwilio import FakeTwilio
from phone import Phone
from test_cover import offer_dm
from test_readiness import section

from outreach import safety

COORD_BUTTONS = ("Record training", "Report", "Export")


def dms_with(bot: Bot, user: str, words: str) -> list:
    """The DMs this person got whose words hold these words."""
    return [d for d in Phone(bot, user).dms() if words in d.words]


def trainings(bot: Bot, user: str) -> list[tuple[str, str, str | None]]:
    return [tuple(r) for r in bot.db.execute("SELECT training, completed_on, expires_on FROM trainings "
                                             "WHERE user_id = ? ORDER BY id", [user]).fetchall()]


# ---------------------------------------------------------------- who sees which button


def test_the_app_home_shows_each_role_its_buttons(bot):
    bot.make_coordinator("UCO")
    volunteer, coordinator, admin = (Phone(bot, u).home() for u in ("UVOL", "UCO", ADMIN))
    assert "My profile" in volunteer.buttons
    assert not any(b in volunteer.buttons for b in (*COORD_BUTTONS, "Make coordinator"))
    assert all(b in coordinator.buttons for b in ("My profile", *COORD_BUTTONS))
    assert "Make coordinator" not in coordinator.buttons
    assert all(b in admin.buttons for b in ("My profile", *COORD_BUTTONS, "Make coordinator"))


@pytest.mark.parametrize(("user", "action", "needed"), [
    ("UVOL", "coord_train_open", "coordinator"), ("UVOL", "coord_report_open", "coordinator"),
    ("UVOL", "coord_export_open", "coordinator"), ("UVOL", "coord_every_open", "coordinator"),
    ("UCO", "coord_role_open", "admin"),
])
def test_a_forged_tap_is_refused_with_a_clear_message(bot, user, action, needed):
    bot.make_coordinator("UCO")
    sent = bot.click(user, action, "1")
    assert f"is for {needed}s" in sent.text()
    bot.settle()
    assert not [c for c in bot.fake.calls_to("views.open") + bot.fake.calls_to("views.push")
                if c.params.get("trigger_id") == f"trig-{sent.response_name}"]


@pytest.mark.parametrize(("callback", "field", "fields"), [
    ("coord_train", "people", {"people": ["UVOL"], "training": "direct-outreach", "completed_on": "2026-11-20"}),
    ("coord_report", "period", {"period": "2026-10", "formats": ["csv"]}),
    ("coord_role", "person", {"person": "UVOL", "role": "coordinator"}),
    ("coord_every", "minutes", {"minutes": "30"}),
])
def test_a_forged_submission_is_refused_and_stores_nothing(bot, callback, field, fields):
    number = bot.create_shift()
    types = {"people": "multi_users_select", "training": "static_select", "completed_on": "datepicker",
             "period": "static_select", "formats": "checkboxes", "person": "users_select", "role": "static_select"}
    values = {}
    for name, value in fields.items():
        kind = types.get(name, "plain_text_input")
        state = {"multi_users_select": {"selected_users": value}, "static_select": {"selected_option": {"value": value}},
                 "datepicker": {"selected_date": value}, "checkboxes": {"selected_options": [{"value": v} for v in value]},
                 "users_select": {"selected_user": value}}.get(kind, {"value": value})
        values[name] = {"value": dict(state, type=kind)}
    payload = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": "UVOL", "team_id": "T1"},
               "api_app_id": "A1", "token": "legacy", "trigger_id": "trig-forged",
               "view": {"id": "VFORGED", "type": "modal", "callback_id": callback, "team_id": "T1", "hash": "h",
                        "private_metadata": json.dumps({"shift_id": number}), "state": {"values": values}}}
    status, body = bot.interactive(payload)
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors" and "is for" in answer["errors"][field]
    bot.settle()
    assert not trainings(bot, "UVOL")
    assert bot.services.role("UVOL").label == "volunteer"
    assert safety.load_state(bot.store, number).checkin_every is None
    assert not bot.fake.calls_to("files.completeUploadExternal")


# ---------------------------------------------------------------- Record training


def test_record_training_from_the_home_tells_each_person_what_they_can_sign_up_for(bot):
    shifts = [bot.create_shift(area=f"Area {i}", start_time=f"1{i}:00", end_time=f"1{i}:30") for i in range(4)]
    community = bot.create_shift(kind="community", venue="community-venue", training="none", min_team="1")
    bot.make_coordinator("UCO")
    form = Phone(bot, "UCO").home().tap("Record training").modal()
    assert form.inputs == ["Who completed it", "Training", "Completed on"]
    today = bot.clock().astimezone(bot.settings.zone).date()
    assert form.blocks[2]["element"]["initial_date"] == today.isoformat()
    # Bad input: inline, nothing stored.
    empty = form.submit({"Who completed it": [], "Training": "Direct outreach training"})
    assert set(empty.errors) == {"people"}
    future = form.submit({"Who completed it": ["UA", "UB"], "Completed on": "2030-01-01"})
    assert "today" in future.errors["completed_on"]
    lapsed = form.submit({"Completed on": "2024-01-02"})
    assert "lapsed on 2025-01-02" in lapsed.errors["completed_on"]
    assert not trainings(bot, "UA")
    done = form.submit({"Completed on": today.isoformat()}).modal()
    assert "Recorded *Direct outreach training* for <@UA>, <@UB>" in done.words and "valid until 2027-11-22" in done.words
    assert trainings(bot, "UA") == trainings(bot, "UB") == [("direct-outreach", "2026-11-22", "2027-11-22")]
    # Each is told once, with the next three shifts that need it (not the community one), each with Sign up.
    eventually(lambda: len(dms_with(bot, "UA", "was recorded for you")) == 1)
    eventually(lambda: len(dms_with(bot, "UB", "was recorded for you")) == 1)
    dm = dms_with(bot, "UA", "was recorded for you")[0]
    assert dm.text == "A training was recorded for you: tap to see"
    assert "You can now sign up for Direct outreach shifts that need it. The next 3:" in dm.words
    assert [f"#{n}" in dm.words for n in shifts] == [True, True, True, False] and f"#{community}*" not in dm.words
    assert dm.buttons == ["Sign up"] * 3
    assert "signed up" in dm.tap("Sign up", near=f"#{shifts[0]}").reply().words
    assert bot.db.execute("SELECT status FROM signups WHERE shift_id = ? AND user_id = 'UA'",
                          [shifts[0]]).fetchone()[0] == "confirmed"
    # The same form sent again records nothing more and tells nobody again.
    form.submit({"Completed on": today.isoformat()})
    bot.settle()
    assert len(trainings(bot, "UA")) == 1 and len(dms_with(bot, "UA", "was recorded for you")) == 1


def test_the_roster_has_record_training_and_the_typed_command_tells_the_person_too(bot):
    roster = Phone(bot, ADMIN).home().tap("Roster").modal()
    pushed = roster.tap("Record training")
    assert pushed.modal().view["callback_id"] == "coord_train"
    assert any(c.method == "views.push" for c in Phone(bot, ADMIN).calls_since(pushed.mark))
    bot.train("UT")
    eventually(lambda: len(dms_with(bot, "UT", "was recorded for you")) == 1)
    assert "none is open to you right now" in dms_with(bot, "UT", "was recorded for you")[0].words


# ---------------------------------------------------------------- Make coordinator


def test_make_coordinator_asks_first_then_grants_and_the_person_is_told_once(bot):
    form = Phone(bot, ADMIN).home().tap("Make coordinator", near="Record training").modal()
    assert form.inputs == ["Person", "Role"]
    assert "admins are always coordinators" in form.submit({"Person": ADMIN}).errors["person"]
    assert "already a volunteer" in form.submit({"Person": "UNEW", "Role": "Volunteer (no longer a coordinator)"}
                                                ).errors["person"]
    confirm = form.submit({"Person": "UNEW", "Role": "Coordinator"}).modal()
    assert "Make <@UNEW> a coordinator?" in confirm.words and confirm.view["submit"]["text"] == "Make coordinator"
    assert bot.services.role("UNEW").label == "volunteer"  # nothing changed before the confirm
    done = confirm.submit()
    assert "<@UNEW> is now a coordinator." in done.modal().words
    assert bot.services.role("UNEW").label == "coordinator"
    assert all(b in Phone(bot, "UNEW").home().buttons for b in COORD_BUTTONS)
    eventually(lambda: len(dms_with(bot, "UNEW", "You're now a coordinator")) == 1)
    told = dms_with(bot, "UNEW", "You're now a coordinator")[0]
    assert told.text == "Your role in the outreach bot changed: tap to see" and "<@UADMIN>" in told.words
    confirm.submit()  # the confirm sent again: already done, nobody told twice
    # Removing: asked first too; the typed command still works and tells the next one.
    again = Phone(bot, ADMIN).home().tap("Make coordinator", near="Record training").modal()
    remove = again.submit({"Person": "UNEW", "Role": "Volunteer (no longer a coordinator)"}).modal()
    assert "Remove <@UNEW>'s coordinator role?" in remove.words
    assert "no longer a coordinator" in remove.submit().modal().words
    assert bot.services.role("UNEW").label == "volunteer"
    bot.make_coordinator("UTYPED")
    eventually(lambda: len(dms_with(bot, "UTYPED", "You're now a coordinator")) == 1)
    bot.settle()
    assert len(dms_with(bot, "UNEW", "You're now a coordinator")) == 1


# ---------------------------------------------------------------- Report and Export


def uploads_to(bot: Bot, channel: str) -> list[str]:
    """The names of the files uploaded to a channel."""
    names = {c.answer.get("file_id"): c.params.get("filename") for c in bot.fake.calls_to("files.getUploadURLExternal")
             if c.answer}
    out = []
    for call in bot.fake.calls_to("files.completeUploadExternal"):
        if call.params.get("channel_id") == channel:
            files = call.params["files"]
            out += [names.get(f["id"]) for f in (json.loads(files) if isinstance(files, str) else files)]
    return out


def test_report_by_button_sends_the_files_asked_for_where_the_command_does(bot):
    bot.make_coordinator("UCO")
    phone = Phone(bot, "UCO")
    form = phone.home().tap("Report").modal()
    assert form.inputs == ["Period", "From (custom dates)", "To (custom dates)", "Files"]
    assert "October 2026" in form.words and "Q4 2026" in form.words and f"<#{COORD_CHANNEL}>" in form.words
    assert "pick both" in form.submit({"Period": "Custom dates (below)", "From (custom dates)": "2026-01-01"}
                                      ).errors["last"]
    assert "ends before it starts" in form.submit({"Period": "Custom dates (below)", "From (custom dates)": "2026-05-01",
                                                   "To (custom dates)": "2026-04-01"}).errors["last"]
    assert "at least one" in form.submit({"Period": "October 2026", "Files": []}).errors["formats"]
    sent = form.submit({"Period": "October 2026", "Files": ["PDF, with the 12-month chart", "Workbook (.xlsx)"]})
    assert "being prepared" in sent.modal().words
    eventually(lambda: len(uploads_to(bot, COORD_CHANNEL)) == 3)
    assert uploads_to(bot, COORD_CHANNEL) == ["outreach-2026-10.png", "outreach-report-2026-10.pdf",
                                              "outreach-report-2026-10.xlsx"]
    eventually(lambda: any("sent to" in json.dumps(c.params.get("view")) for c in bot.fake.calls_to("views.update")))
    figures = next(c.params["view"] for c in bot.fake.calls_to("views.update") if "sent to" in json.dumps(c.params["view"]))
    assert figures["callback_id"] == "coord_report_done" and "2026-10" in json.dumps(figures)
    # Export: the same modal with the CSV ticked; a custom run of days.
    export = phone.home().tap("Export").modal()
    assert export.view["title"]["text"] == "Export"
    export.submit({"Period": "Custom dates (below)", "From (custom dates)": "2026-07-01",
                   "To (custom dates)": "2026-09-30"})
    eventually(lambda: "outreach-2026-07-01..2026-09-30.csv" in uploads_to(bot, COORD_CHANNEL))
    assert len(uploads_to(bot, COORD_CHANNEL)) == 4


# ---------------------------------------------------------------- My profile


def test_my_profile_sets_the_languages_the_typed_command_shows(bot):
    form = Phone(bot, "UVOL").home().tap("My profile").modal()
    assert form.inputs == ["Languages you speak", "The bot's language"]
    assert "My alert phone" not in form.buttons  # no Twilio here
    saved = form.submit({"Languages you speak": ["Spanish", "French"]}).modal()
    assert "Saved. Languages you speak: French, Spanish" in saved.words or "Spanish, French" in saved.words
    assert {r[0] for r in bot.db.execute("SELECT language FROM volunteer_languages WHERE user_id = 'UVOL'")} == {"es", "fr"}
    assert "Spanish" in bot.command("UVOL", "profile").text()
    again = Phone(bot, "UVOL").home().tap("My profile").modal()
    assert {o["value"] for o in again.blocks[0]["element"]["initial_options"]} == {"es", "fr"}
    cleared = again.submit({"Languages you speak": []}).modal()
    assert "none recorded" in cleared.words


def test_my_profile_pushes_my_alert_phone_when_the_bot_texts(fake, tmp_path, clock):
    with FakeTwilio() as twilio:
        tbot = Bot(fake, tmp_path, clock, env=twilio.env())
        try:
            form = Phone(tbot, "UVOL").home().tap("My profile").modal()
            tapped = form.tap("My alert phone")
            phone_form = tapped.modal()
            assert phone_form.view["callback_id"] == "phone_number"
            assert any(c.method == "views.push" for c in Phone(tbot, "UVOL").calls_since(tapped.mark))
        finally:
            tbot.close()


# ---------------------------------------------------------------- the check-in interval


def test_details_sets_the_check_in_interval_with_checkevery_bounds(bot):
    number = bot.create_shift(lead=ADMIN)
    details = Phone(bot, ADMIN).home().tap("Details", near=f"#{number}").modal()
    form = details.tap("Check-ins: set an interval").modal()
    assert form.inputs == ["Minutes between check-ins"]
    assert "from 15 to 240" in form.submit({"Minutes between check-ins": "5"}).errors["minutes"]
    assert safety.load_state(bot.store, number).checkin_every is None
    done = form.submit({"Minutes between check-ins": "45"}).modal()
    assert 'asked "All OK?" every 45 minutes' in done.words
    assert safety.load_state(bot.store, number).checkin_every == 45
    assert "every 45 min" in " ".join(Phone(bot, ADMIN).home().tap("Details", near=f"#{number}").modal().buttons)
    assert "Check-ins: every" not in " ".join(Phone(bot, "UVOL").home().buttons)
    assert "no mid-shift check-ins" in bot.command(ADMIN, f"checkevery {number} 0").text()


def test_the_checklist_check_in_answer_sets_the_interval_as_checkevery_does(bot):
    number = bot.create_shift()
    checklist = section(Phone(bot, "ULEAD").command(f"checklist {number}").modal(), "Team and safety")
    asked = checklist.choose("Done", near="Check-in times are set").modal()
    assert asked.inputs == ["When does the team check in?"]
    assert asked.blocks[-1]["element"]["type"] == "number_input"
    assert "from 15 to 240" in asked.submit({"When does the team check in?": "300"}).errors["evidence"]
    assert safety.load_state(bot.store, number).checkin_every is None
    asked.submit({"When does the team check in?": "30"})
    eventually(lambda: safety.load_state(bot.store, number).checkin_every == 30)
    eventually(lambda: bot.db.execute("SELECT evidence FROM readiness_items WHERE shift_id = ? AND item_id = ?",
                                      [number, "check-in-times"]).fetchone()[0] == "Every 30 minutes")
    assert "every 30 minutes" in bot.command(ADMIN, f"checkevery {number} 30").text()


# ---------------------------------------------------------------- leads told


def test_the_lead_named_on_a_new_shift_or_by_an_edit_is_told_once(bot):
    number = bot.create_shift()  # planned by the admin, led by ULEAD
    eventually(lambda: len(dms_with(bot, "ULEAD", "You lead shift")) == 1)
    told = dms_with(bot, "ULEAD", "You lead shift")[0]
    assert f"You lead shift #{number}" in told.words and told.buttons == ["Open checklist", "Details"]
    assert "you're the lead, tap to see" in told.text
    own = bot.create_shift(lead=ADMIN, area="Northside")  # a coordinator who leads their own shift: no DM
    from conftest import shift_fields
    assert bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, lead="UNEXT"), metadata={"shift_id": number}
                      ).status == 200
    eventually(lambda: len(dms_with(bot, "UNEXT", "You are now the lead")) == 1)
    assert bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, lead="UNEXT", area="Westside"),
                      metadata={"shift_id": number}).status == 200  # no lead change: nobody told again
    bot.settle()
    assert len(dms_with(bot, "UNEXT", "lead")) == 1 and len(dms_with(bot, "ULEAD", "You lead shift")) == 1
    assert not dms_with(bot, ADMIN, f"You lead shift #{own}")


def test_a_lead_is_told_once_per_team_change_withdrawal_swap_and_cover(bot):
    number = bot.create_shift(capacity="2")
    for user in ("UA", "UB", "UC", "UD"):
        bot.train(user)
    for user in ("UA", "UB", "UC"):  # UC waits
        bot.command(user, f"signup {number}").reply()
    bot.settle()
    before = len(Phone(bot, "ULEAD").dms())
    bot.command("UA", f"withdraw {number}").reply()
    eventually(lambda: len(dms_with(bot, "ULEAD", "Your team on shift")) == 1)
    swap = dms_with(bot, "ULEAD", "Your team on shift")[0]
    assert "<@UA> withdrew. <@UC> has the place from the waitlist." in swap.words
    assert "The team now: 3 going out" in swap.words and swap.text.endswith("your team changed, tap to see")
    # Cover: UB asks, UD takes the place; the lead hears it once (not as a withdrawal and a signup).
    Phone(bot, "UB").home().tap("Find cover", near=f"#{number}", confirm=True)
    offer_dm(bot, "UD").tap("Take this place", confirm=True)
    eventually(lambda: len(dms_with(bot, "ULEAD", "Your team on shift")) == 2)
    covered = dms_with(bot, "ULEAD", "Your team on shift")[1]
    assert "<@UD> took <@UB>'s place (cover)." in covered.words
    bot.settle()
    team_dms = [d for d in Phone(bot, "ULEAD").dms()[before:] if "team" in d.words]
    assert len(team_dms) == 2
