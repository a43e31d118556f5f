"""The App Home tab: entry buttons, the shifts a person leads, is on and waits for, and for coordinators
open safety alerts and the week's staffing."""

from __future__ import annotations

from datetime import timedelta

from conftest import ADMIN, message_text
from phone import Phone

from outreach.store import from_iso


def home_for(bot, user):
    status, _ = bot.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"})
    assert status == 200
    call = bot.fake.wait_for("views.publish", where=lambda c: c.params.get("user_id") == user)[-1]
    view = call.params["view"]
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    return message_text({"blocks": view["blocks"]}), view


def test_home_shows_own_shifts_and_waitlist_places_each_with_its_own_buttons(bot):
    first = bot.create_shift(capacity="2")
    for user in ("UA", "UB", "UC"):
        bot.train(user)
        bot.command(user, f"signup {first}").reply()
    home = Phone(bot, "UC").home()
    assert home.buttons[:4] == ["Find a shift", "My shifts", "Hotline card", "Find a partner"]
    assert "Plan a shift" not in home.buttons and "This week" not in home.buttons
    assert f"#{first}" in home.words and "Number *1* on the waitlist" in home.words
    assert home.button("Leave waitlist", near=f"#{first}")["confirm"]
    assert "staffing" not in home.words
    on = Phone(bot, "UA").home()
    assert "Meet at the library." in on.words and "Not ready yet" in on.words
    assert on.buttons[4:] == ["Details", "Withdraw", "Find cover", "My hours", "My profile"] and on.button("Withdraw")["confirm"]
    empty = Phone(bot, "UZ").home()
    assert "Nothing planned for you yet" in empty.words and "Find a shift" in empty.words


def test_entry_buttons_carry_the_action_ids_other_surfaces_listen_to(bot):
    _, view = home_for(bot, ADMIN)
    entry = next(b for b in view["blocks"] if b.get("block_id") == "home_entry")
    assert [e["action_id"] for e in entry["elements"]] == [
        "home_find", "home_mine", "hotline_open", "partner_find", "shift_new", "home_week"]


def test_coordinators_see_staffing_understaffed_first(bot):
    full = bot.create_shift(capacity="2", start_time="18:00")
    short = bot.create_shift(capacity="4", start_time="20:00")
    for user in ("UA", "UB"):
        bot.train(user)
        bot.command(user, f"signup {full}").reply()
    text, _ = home_for(bot, ADMIN)
    assert "*2 / 2 / 2*" in text and "*0 / 2 / 4*" in text
    assert text.index(f"*#{short}*") < text.index(f"*#{full}*")


def test_home_button_answers_by_dm_and_republishes(bot):
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    bot.click("UA", "shift_withdraw", str(number), container={"type": "view", "view_id": "VHOME"})
    dm = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "UA"
                           and "withdrawn" in str(c.params.get("text")))[0]  # not the DM about the training
    assert "withdrawn" in dm.params["text"]
    bot.fake.wait_for("views.publish", where=lambda c: c.params.get("user_id") == "UA")


def test_check_in_and_check_out_show_while_the_shift_is_under_way(bot):
    number = bot.create_shift()  # tomorrow 19:00-23:00 Chicago
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    you = Phone(bot, "UA")
    assert "Check in" not in you.home().buttons
    start = bot.db["shifts"].get(number)["starts_at"]
    bot.clock.now = from_iso(start) - timedelta(minutes=30)
    home = you.home()
    assert home.button("Check in", near=f"#{number}")["value"] == str(number)
    assert "Withdraw" in home.buttons  # not started yet
    bot.clock.now = from_iso(start) + timedelta(minutes=5)
    assert "Withdraw" not in you.home().buttons  # under way: the lead is told directly, not by a button
    assert "Checked in" in bot.command("UA", f"checkin {number}").text()
    home = you.home()
    checkout = home.button("Check out", near=f"#{number}")
    assert checkout["action_id"] == "safety_checkout" and checkout["confirm"]
    bot.clock.now = from_iso(start) + timedelta(hours=5)  # ended, not checked out yet: still there
    assert "Check out" in you.home().buttons
    bot.command("UA", f"checkout {number}").reply()
    assert "Nothing planned for you yet" in you.home().words


def test_home_stays_within_100_blocks_with_40_shifts(bot):
    day = bot.clock().date()
    numbers = []
    for n in range(40):
        date = (day + timedelta(days=1 + n % 6)).isoformat()
        numbers.append(bot.create_shift(start_date=date, end_date=date, start_time=f"{8 + n % 12:02d}:00",
                                        end_time=f"{9 + n % 12:02d}:00", lead=ADMIN, capacity="40"))
    bot.train("UA")
    for number in numbers:
        bot.command("UA", f"signup {number}").reply()
    for user in (ADMIN, "UA"):
        home = Phone(bot, user).home()  # the phone checks <= 100 blocks
        assert "tap *My shifts*" in home.words
    lead = Phone(bot, ADMIN).home()
    assert "*Leading* (40)" in lead.words and "*This week" in lead.words
    mine = Phone(bot, "UA").home().tap("My shifts").modal()
    assert len(mine.blocks) <= 100 and "*My shifts* (40)" in mine.words
