"""Journeys from the App Home, by button text: a volunteer finds, signs up for and leaves a shift; a lead
sees what they lead; a coordinator sees alerts first, then plans and reads the week."""

from __future__ import annotations

import re
from datetime import timedelta

from conftest import ADMIN, eventually
from phone import Phone
from test_readiness import make_ready

COORDINATOR_DETAIL = ("Not ready: ", "of minimum", "not ticked", "missing:")


def test_a_volunteer_finds_signs_up_reads_the_meeting_point_and_withdraws(bot):
    number = bot.create_shift(notes="Meet at the library, side door.")
    bot.train("UA")
    you = Phone(bot, "UA")
    home = you.home()
    assert "Nothing planned for you yet" in home.words
    find = home.tap("Find a shift").modal()
    assert find.view["title"]["text"] == "Find a shift"
    assert not any(word in find.words for word in COORDINATOR_DETAIL) and "`" not in find.words
    tapped = find.tap("Sign up", near=f"#{number}")
    after = tapped.modal()  # the same modal, updated in place with the result on top
    assert "You're signed up for shift" in after.words and "Withdraw" in after.buttons
    home = tapped.home()
    assert "*My shifts* (1)" in home.words and "Meet at the library, side door." in home.words
    assert "Not ready yet" in home.words
    assert not any(word in home.words for word in COORDINATOR_DETAIL)
    assert bot.db.execute("SELECT status FROM signups WHERE user_id = 'UA'").fetchone()[0] == "confirmed"
    gone = home.tap("Withdraw", near=f"#{number}", confirm=True)
    assert "You've withdrawn" in gone.dm().text
    assert "Nothing planned for you yet" in gone.home().words
    assert bot.db.execute("SELECT status FROM signups WHERE user_id = 'UA'").fetchone()[0] == "withdrawn"


def test_a_volunteer_without_the_training_sees_it_named_and_no_sign_up(bot):
    number = bot.create_shift()
    find = Phone(bot, "UNEW").home().tap("Find a shift").modal()
    assert "Sign up" not in find.buttons and "Join waitlist" not in find.buttons
    assert "Direct outreach training" in find.words and "can record it for you" in find.words
    assert f"<@{ADMIN}>" in find.words and "Details" in find.buttons
    listed = Phone(bot, "UNEW").command("shifts").reply()
    assert "Sign up" not in listed.buttons and "can record it for you" in listed.words
    assert not any(word in listed.words for word in COORDINATOR_DETAIL) and "`" not in listed.words
    # The server still refuses a Sign up from elsewhere (the channel post), naming the training.
    assert "requires *Direct outreach training*" in bot.command("UNEW", f"signup {number}").text()


def test_a_full_shift_offers_the_waitlist_and_leaving_it_asks_first(bot):
    number = bot.create_shift(capacity="2")
    for user in ("UA", "UB", "UC"):
        bot.train(user)
    for user in ("UA", "UB"):
        bot.command(user, f"signup {number}").reply()
    you = Phone(bot, "UC")
    find = you.home().tap("Find a shift").modal()
    tapped = find.tap("Join waitlist", near=f"#{number}")
    assert "number 1" in tapped.modal().words
    home = tapped.home()
    assert "*My waitlist places* (1)" in home.words
    left = home.tap("Leave waitlist", near=f"#{number}", confirm=True)
    assert "left the waitlist" in left.dm().text
    mine = left.home().tap("My shifts").modal()
    assert "Find a shift" in mine.words and "Leave waitlist" not in mine.buttons


def test_my_shifts_modal_withdraws_in_place(bot):
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    mine = Phone(bot, "UA").home().tap("My shifts").modal()
    assert "*My shifts* (1)" in mine.words
    tapped = mine.tap("Withdraw", near=f"#{number}", confirm=True)
    assert "You've withdrawn" in tapped.modal().words
    assert "Nothing planned for you yet" in tapped.home().words


def test_a_lead_sees_the_shifts_they_lead_and_record_go_only_when_ready(bot):
    day = bot.clock().date()
    numbers = [bot.create_shift(start_date=(day + timedelta(days=n)).isoformat(),
                                end_date=(day + timedelta(days=n)).isoformat()) for n in range(1, 5)]
    lead = Phone(bot, "ULEAD")
    home = lead.home()
    assert "*Leading* (4)" in home.words and "Nothing planned" not in home.words
    assert all(f"#{n}" in home.words for n in numbers)
    assert re.search(r"\*\d+ of \d+ ready\*: open the checklist", home.words)
    assert "Record Go" not in home.buttons and home.buttons.count("Open checklist") == 4
    assert home.button("Open checklist", near=f"#{numbers[0]}")["action_id"] == "ready_open"
    mine = lead.command("mine").reply()
    assert "no upcoming shifts" not in mine.words and "You lead" in mine.words
    assert all(f"#{n}" in mine.words for n in numbers)
    make_ready(bot, numbers[0])
    home = lead.home()
    go = home.button("Record Go", near=f"#{numbers[0]}")
    assert go["action_id"] == "ready_go" and go["value"] == str(numbers[0])
    assert home.buttons.count("Record Go") == 1
    assert "Go recorded" not in home.words
    bot.command("ULEAD", f"go {numbers[0]}").reply()
    home = lead.home()
    assert "Record Go" not in home.buttons and "*Go* recorded by <@ULEAD>" in home.words


def test_a_coordinator_sees_open_alerts_first_then_plans_and_reads_the_week(bot):
    number = bot.create_shift()
    quiet = bot.create_shift(start_time="20:00")
    with bot.store.write() as db:
        db["escalations"].insert({"shift_id": number, "reason": "checkout", "started_at": bot.clock().isoformat()})
        db["escalations"].insert({"shift_id": quiet, "reason": "checkout", "started_at": bot.clock().isoformat(),
                                  "acked_at": bot.clock().isoformat(), "acked_by": ADMIN})
    you = Phone(bot, ADMIN)
    home = you.home()
    assert "Plan a shift" in home.buttons and "This week" in home.buttons
    words = home.words
    assert words.index("Open safety alerts") < words.index("This week: staffing")
    assert "no check-out" in words and "(1)" in words.split("Open safety alerts")[1].split("\n")[0]
    assert home.button("Details", near="Open safety alerts")["value"] == str(number)
    assert "Not ready: " in words  # coordinators get the detail
    plan = home.tap("Plan a shift", near="Find a partner").modal()  # the entry row (setup has one too)
    assert plan.view["callback_id"] == "shift_form" and "Area" in plan.inputs
    week = home.tap("This week").modal()
    assert f"*#{number}*" in week.words and f"*#{quiet}*" in week.words and "Not ready: " in week.words
    with bot.store.write() as db:
        db.execute("UPDATE escalations SET acked_at = ?, acked_by = ? WHERE shift_id = ?",
                   [bot.clock().isoformat(), ADMIN, number])
    assert "Open safety alerts" not in you.home().words


def test_a_volunteer_cannot_open_the_coordinators_views(bot):
    you = Phone(bot, "UA")
    home = you.home()
    assert "Plan a shift" not in home.buttons
    mark = you.mark
    bot.click("UA", "home_week", "", container={"type": "view", "view_id": "VHOME"})
    bot.click("UA", "shift_new", "", container={"type": "view", "view_id": "VHOME"})
    eventually(lambda: bot.db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0)  # both taps done
    assert not [c for c in you.calls_since(mark) if c.method == "views.open"]
