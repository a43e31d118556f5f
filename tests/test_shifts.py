"""Planning shifts through the real form: creation, validation, posting, edits and cancels."""

from __future__ import annotations

from datetime import timedelta

from conftest import ADMIN, eventually, shift_fields


def test_new_opens_the_form_for_coordinators_only(bot):
    sent = bot.command(ADMIN, "new")
    assert sent.status == 200
    view = bot.fake.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == "shift_form"
    block_ids = [b.get("block_id") for b in view["blocks"]]
    for field in ("kind", "venue", "area", "start_date", "start_time", "end_time",
                  "capacity", "min_team", "languages", "lead", "training", "notes"):
        assert field in block_ids
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert len(inputs) <= 13 and "end_date" not in block_ids  # the end's date follows from the start and times
    lead = next(b for b in inputs if b["block_id"] == "lead")
    assert lead["element"]["initial_user"] == ADMIN  # the lead defaults to the person planning
    refused = bot.command("UVOL", "new")
    assert "for coordinators" in refused.text()
    assert len(bot.fake.calls_to("views.open")) == 1


def test_created_shift_is_stored_and_posted(bot):
    number = bot.create_shift(area="Northside")
    post = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "CGENERAL")[0]
    text = str(post.params["blocks"])
    assert f"New shift #{number}" in text and "Northside" in text and "<!date^" in text
    actions = [b for b in post.params["blocks"] if b["type"] == "actions"][0]
    assert [e["action_id"] for e in actions["elements"]] == ["shift_signup", "shift_withdraw", "shift_details"]
    row = bot.db["shifts"].get(number)
    assert row["area"] == "Northside" and row["tz"] == "America/Chicago"
    assert row["starts_at"] == "2026-11-24T01:00:00+00:00"  # 19:00 in Chicago on Nov 23
    audit = list(bot.db.query("SELECT actor, action FROM audit WHERE subject = ?", [f"shift:{number}"]))
    assert audit == [{"actor": ADMIN, "action": "shift.create"}]


def errors_for(bot, **overrides):
    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, **overrides), metadata={"channel": "C1"})
    assert sent.status == 200
    body = sent.json()
    assert body.get("response_action") == "errors", body
    return body["errors"]


def test_form_errors_show_inline_and_store_nothing(bot):
    day = bot.clock().date().isoformat()
    assert "after the start" in errors_for(bot, end_time="18:00")["end_time"]
    assert "past" in errors_for(bot, start_date=day, end_date=day, start_time="08:00", end_time="09:00")["start_time"]
    assert "below the minimum" in errors_for(bot, capacity="1", min_team="2")["capacity"]
    assert "at most 16 hours" in errors_for(bot, end_time="23:00", start_time="01:00")["end_time"]
    assert "at least 2" in errors_for(bot, min_team="1")["min_team"]
    assert "training" in errors_for(bot, training="none")["training"]
    assert "area" in errors_for(bot, area=" ")["area"].lower()
    assert "lead" in errors_for(bot, lead=None)["lead"]
    assert bot.db["shifts"].count == 0


def test_volunteer_forged_form_is_refused(bot):
    sent = bot.submit("UVOL", "shift_form", shift_fields(bot.clock), metadata={"channel": "C1"})
    assert "coordinators" in sent.json()["errors"]["kind"]
    assert bot.db["shifts"].count == 0


def test_details_edit_button_opens_the_form_for_coordinators(bot):
    number = bot.create_shift()
    bot.click(ADMIN, "shift_details", str(number))
    details = bot.fake.wait_for("views.open")[0].params["view"]
    edit = [e for b in details["blocks"] if b["type"] == "actions" for e in b["elements"]][0]
    assert edit["action_id"] == "shift_edit"
    bot.click(ADMIN, "shift_edit", edit["value"], view={"id": "VDETAILS", "type": "modal"})
    update = bot.fake.wait_for("views.update")[0].params
    assert update["view_id"] == "VDETAILS" and update["view"]["callback_id"] == "shift_form"
    bot.click("UVOL", "shift_details", str(number))
    volunteer_view = bot.fake.wait_for("views.open", count=2)[1].params["view"]
    assert not [b for b in volunteer_view["blocks"] if b["type"] == "actions"]


def test_a_shift_under_way_stays_listed_until_it_ends(bot):
    """The list reads only the window a shift can still be in (it lasts at most 16 hours)."""
    day = (bot.clock() + timedelta(days=1)).date()
    longest = bot.create_shift(start_time="18:00", end_date=(day + timedelta(days=1)).isoformat(), end_time="10:00")
    later = bot.create_shift(start_date=(day + timedelta(days=1)).isoformat(), end_date=(day + timedelta(days=1)).isoformat())
    bot.clock.advance(days=2, minutes=55)  # 15 h 55 after its start: five minutes left
    listed = bot.command("UV", "shifts").text()
    assert "(2)" in listed and f"#{longest} " in listed and f"#{later} " in listed, listed
    bot.clock.advance(minutes=10)
    listed = bot.command("UV", "shifts").text()
    assert f"#{longest} " not in listed and f"#{later} " in listed, listed


def refuse_writes(bot, name: str, when: str, condition: str = "1") -> None:
    """Make SQLite refuse a write to shifts, as a full disk or a broken file would."""
    bot.db.execute(f"CREATE TRIGGER {name} BEFORE {when} ON shifts WHEN {condition} "
                   "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    bot.db.conn.commit()


def test_a_new_shift_that_fails_to_save_is_told_by_dm(bot, caplog):
    refuse_writes(bot, "no_new_shifts", "INSERT")
    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock), metadata={"channel": "CGENERAL"})
    assert sent.status == 200 and not sent.body  # the modal closed before the save
    told = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == ADMIN)
    assert len(told) == 1
    text = told[0].params["text"]
    assert "couldn't save the shift" in text and "nothing was saved" in text and "`/outreach new`" in text
    assert bot.db["shifts"].count == 0 and bot.db["seen_requests"].count == 0  # the same form may be sent again
    eventually(lambda: "unhandled IntegrityError while handling view_submission:shift_form" in caplog.text)


def test_a_new_shift_saved_but_not_posted_is_told_by_dm(bot):
    refuse_writes(bot, "no_post_record", "UPDATE", "NEW.message_ts IS NOT NULL")
    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock), metadata={"channel": "CGENERAL"})
    assert sent.status == 200 and not sent.body
    told = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == ADMIN)
    text = told[0].params["text"]
    assert "Shift #1 is saved, but I couldn't finish posting it" in text and "`/outreach shifts`" in text
    assert bot.db["shifts"].count == 1


def test_an_edit_that_fails_to_save_keeps_the_form_open_with_the_reason(bot):
    number = bot.create_shift()
    refuse_writes(bot, "no_edits", "UPDATE")
    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, area="Westside"), metadata={"shift_id": number})
    body = sent.json()
    assert body["response_action"] == "errors" and "this edit was not saved" in body["errors"]["kind"]
    assert bot.db["shifts"].get(number)["area"] == "Eastside"
    bot.db.execute("DROP TRIGGER no_edits")
    bot.db.conn.commit()
    again = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, area="Westside"), metadata={"shift_id": number})
    assert again.body == b"" and bot.db["shifts"].get(number)["area"] == "Westside"
