"""Reminders and alerts at their lead times, with the injected clock: none twice, none stale, none after a cancel."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import ADMIN, COORD_CHANNEL, Bot, at, message_text, shift_fields

# The default test shift: tomorrow 19:00-23:00 in Chicago = 2026-11-24 01:00-05:00 UTC.
SHIFT_START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)



def reminders_to(bot, user):
    return [c for c in bot.dms(user) if "Reminder: shift" in str(c.params.get("text"))]


def buttons(params):
    return [e for b in params.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]


def test_reminders_at_each_lead_once_with_buttons_and_hotline(bot):
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    at(bot, datetime(2026, 11, 23, 0, 59, tzinfo=UTC))
    assert reminders_to(bot, "UA") == []
    at(bot, datetime(2026, 11, 23, 1, 0, 30, tzinfo=UTC))
    first = reminders_to(bot, "UA")
    assert len(first) == 1
    text = message_text(first[0].params)
    assert f"#{number}" in text and "Eastside" in text and "<@ULEAD>" in text and "<@UA>" in text
    assert "1-888-373-7888" in text and "in 24h" in text
    # a volunteer's reminder has no checklist: the Go line says where things stand
    assert [b["action_id"] for b in buttons(first[0].params)] == ["shift_withdraw", "cover_find", "shift_details"]
    at(bot, datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    assert len(reminders_to(bot, "UA")) == 1  # never twice
    at(bot, datetime(2026, 11, 23, 23, 0, 10, tzinfo=UTC))
    assert len(reminders_to(bot, "UA")) == 2 and "in 2h" in reminders_to(bot, "UA")[1].params["text"]
    at(bot, SHIFT_START)
    assert len(reminders_to(bot, "UA")) == 2
    # "Can't make it" from the reminder withdraws, as the button on any shift does.
    assert bot.db.execute("SELECT count(*) FROM signups WHERE status = 'confirmed'").fetchone()[0] == 1


def test_cant_make_it_withdraws_and_stops_later_reminders(bot):
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    at(bot, datetime(2026, 11, 23, 1, 1, tzinfo=UTC))
    reminder = reminders_to(bot, "UA")[0]
    cant = buttons(reminder.params)[0]
    assert cant["text"]["text"] == "Can't make it" and cant["confirm"]["confirm"]["text"] == "Give my place back"
    sent = bot.click("UA", cant["action_id"], cant["value"], container={"type": "message", "channel_id": "DUA"})
    assert "withdrawn" in sent.reply()["text"]
    at(bot, datetime(2026, 11, 23, 23, 1, tzinfo=UTC))
    assert len(reminders_to(bot, "UA")) == 1


def test_late_joiner_gets_no_stale_reminder(bot):
    number = bot.create_shift()
    bot.clock.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # the 24h lead has passed
    bot.train("UB")
    bot.command("UB", f"signup {number}").reply()
    bot.kit.tick()
    assert reminders_to(bot, "UB") == []
    at(bot, datetime(2026, 11, 23, 23, 0, 1, tzinfo=UTC))
    got = reminders_to(bot, "UB")
    assert len(got) == 1 and "in 2h" in got[0].params["text"]


def test_cancelled_shift_gets_no_reminders(bot):
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    bot.command(ADMIN, f"cancel {number} rain").reply()
    for moment in (datetime(2026, 11, 23, 1, 1, tzinfo=UTC), datetime(2026, 11, 23, 23, 1, tzinfo=UTC)):
        at(bot, moment)
    assert reminders_to(bot, "UA") == []
    pending = bot.db.execute(
        "SELECT count(*) FROM notifications WHERE key LIKE 'reminder:%' AND sent_at IS NULL").fetchone()[0]
    assert pending == 0


def test_edit_to_a_new_time_rederives_reminders(bot):
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    later = shift_fields(bot.clock, start_date="2026-11-25", end_date="2026-11-25")
    assert bot.submit(ADMIN, "shift_form", later, metadata={"shift_id": number}).status == 200
    bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == ADMIN)
    at(bot, datetime(2026, 11, 23, 1, 1, tzinfo=UTC))  # the old 24h lead
    assert reminders_to(bot, "UA") == []
    at(bot, datetime(2026, 11, 25, 1, 0, 1, tzinfo=UTC))  # the new one (start 2026-11-26 01:00 UTC)
    assert len(reminders_to(bot, "UA")) == 1
    # A change that does not move the shift keeps the reminders as they are (no duplicates).
    same = shift_fields(bot.clock, start_date="2026-11-25", end_date="2026-11-25", capacity="4")
    bot.submit(ADMIN, "shift_form", same, metadata={"shift_id": number})
    bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == ADMIN, count=2)  # saved
    at(bot, datetime(2026, 11, 25, 1, 5, tzinfo=UTC))
    assert len(reminders_to(bot, "UA")) == 1


def test_understaffed_alert_with_a_signup_button_others_can_use(bot):
    number = bot.create_shift(start_date="2026-11-26", end_date="2026-11-26", min_team="3")  # starts 2026-11-27 01:00 UTC
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    at(bot, datetime(2026, 11, 25, 0, 59, tzinfo=UTC))
    alerts = lambda: [c for c in bot.fake.calls_to("chat.postMessage")  # noqa: E731
                      if c.params.get("channel") == COORD_CHANNEL and "understaffed" in str(c.params.get("text"))]
    assert alerts() == []
    at(bot, datetime(2026, 11, 25, 1, 0, 1, tzinfo=UTC))
    assert len(alerts()) == 1
    assert "2 going out (the lead and 1 confirmed) of the minimum 3 (1 more needed)" in alerts()[0].params["text"]
    signup = [b for b in buttons(alerts()[0].params) if b["action_id"] == "shift_signup"][0]
    bot.train("UC")
    clicked = bot.click("UC", "shift_signup", signup["value"], container={"type": "message", "channel_id": COORD_CHANNEL})
    assert "signed up" in clicked.reply()["text"]
    at(bot, datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    assert len(alerts()) == 1


def test_no_understaffed_alert_when_staffed(bot):
    number = bot.create_shift(start_date="2026-11-26", end_date="2026-11-26")
    for user in ("UA", "UB"):
        bot.train(user)
        bot.command(user, f"signup {number}").reply()
    at(bot, datetime(2026, 11, 25, 1, 1, tzinfo=UTC))
    assert not [c for c in bot.fake.calls_to("chat.postMessage") if "understaffed" in str(c.params.get("text"))]


def test_not_ready_alert_names_what_the_checklist_lacks(bot):
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    at(bot, datetime(2026, 11, 23, 1, 0, 5, tzinfo=UTC))
    to = lambda ch: [c for c in bot.fake.calls_to("chat.postMessage")  # noqa: E731
                     if c.params.get("channel") == ch and "is not ready" in message_text(c.params)]
    assert len(to(COORD_CHANNEL)) == 1 and len(to("ULEAD")) == 1
    assert "The law enforcement contact for the night is known" in message_text(to("ULEAD")[0].params)
    assert "required training is valid" in to(COORD_CHANNEL)[0].params["text"]  # the lead's is not recorded
    reminder = message_text(reminders_to(bot, "UA")[0].params)
    assert "No Go yet: wait for <@ULEAD>" in reminder  # one line for the volunteer, not the missing items
    assert "law enforcement contact" not in reminder.lower()
    checklist = bot.click("UA", "reminder_checklist", str(number)).reply()  # the real checklist, read-only
    assert "law enforcement contact for the night" in message_text(checklist).lower()
    assert not [b for b in checklist["blocks"] if b["type"] == "actions"]  # a volunteer cannot tick
    assert "Only the shift's lead, its volunteers" in bot.click("UOUT", "reminder_checklist", str(number)).reply()["text"]


def test_not_ready_alert_skipped_where_no_checklist_applies(bot):
    bot.kit.readiness_checkers.clear()  # as on a coalition that keeps no checklist
    number = bot.create_shift()
    at(bot, datetime(2026, 11, 23, 1, 0, 5, tzinfo=UTC))
    assert not [c for c in bot.fake.calls_to("chat.postMessage") if "is not ready" in str(c.params.get("text"))]
    assert reminders_to(bot, "ULEAD") == [] and bot.db["shifts"].get(number)["status"] == "planned"


def test_restart_in_process_sends_what_came_due_while_down_exactly_once(fake, tmp_path, clock):
    first = Bot(fake, tmp_path, clock)
    number = first.create_shift()
    first.train("UA")
    first.command("UA", f"signup {number}").reply()
    first.close()  # down before the 24h lead
    clock.now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # the lead passed while down
    second = Bot(fake, tmp_path, clock)
    try:
        second.kit.tick()
        second.kit.tick()
        assert len(reminders_to(second, "UA")) == 1
    finally:
        second.close()
    clock.now = SHIFT_START  # the 2h reminder came due while down too, but the shift has started
    third = Bot(fake, tmp_path, clock)
    try:
        third.kit.tick()
        assert len(reminders_to(third, "UA")) == 1
        row = third.db.execute(
            "SELECT sent_at, error FROM notifications WHERE key LIKE 'reminder:%:2h:%'").fetchone()
        assert row[0] is not None and row[1].startswith("skipped")
    finally:
        third.close()


def test_reminder_shows_the_go_line_meeting_point_and_notes_not_the_checklist(bot):
    from test_readiness import make_ready, protocol

    from outreach import readiness as rd

    number = bot.create_shift(notes="Bring the Spanish cards; park behind the library.")
    make_ready(bot, number)  # UA and UB on the team, every item ticked
    assert rd.tick(bot.store, protocol(bot), shift_id=number, actor="ULEAD", item_id="meeting-point", ticked=True,
                   evidence="Library steps, 18:45")
    at(bot, datetime(2026, 11, 23, 1, 0, 5, tzinfo=UTC))  # the 24h reminder: no Go yet
    early = message_text(reminders_to(bot, "UA")[0].params)
    assert "No Go yet: wait for <@ULEAD>" in early and "Go recorded" not in early
    bot.clock.now = datetime(2026, 11, 23, 2, 40, tzinfo=UTC)  # 20:40 in Chicago
    assert "*Go* recorded" in bot.command("ULEAD", f"go {number}").text()
    at(bot, datetime(2026, 11, 23, 23, 0, 5, tzinfo=UTC))  # the 2h reminder
    reminder = reminders_to(bot, "UB")[-1]
    words = message_text(reminder.params)
    assert "Go recorded by <@ULEAD> at <!date^1795401600^{time}|" in words and "20:40 CST" in words
    assert "*Meeting point:* Library steps, 18:45" in words
    assert "*Notes:* Bring the Spanish cards; park behind the library." in words
    for item in protocol(bot).checklist:  # none of the checklist's items, ready or not
        assert item.name not in words, item.name
    assert len(reminder.params["blocks"]) <= 3 and reminder.params["text"] == f"Reminder: shift #{number} starts in 2h: tap to see"


def test_a_lead_on_their_own_shift_gets_open_checklist_in_the_reminder(bot):
    number = bot.create_shift(lead="UA")
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    at(bot, datetime(2026, 11, 23, 1, 0, 30, tzinfo=UTC))
    sent = reminders_to(bot, "UA")
    assert len(sent) == 1
    assert [b["action_id"] for b in buttons(sent[0].params)] == ["shift_withdraw", "cover_find", "ready_open",
                                                                 "shift_details"]
