"""The phone harness itself: taps shaped as Slack sends them, modals filled by label."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import ADMIN
from phone import Phone


def test_a_coordinator_plans_a_shift_by_filling_the_form(bot):
    form = Phone(bot, ADMIN).command("new").modal()
    assert "Area" in form.inputs
    day = (bot.clock() + timedelta(days=2)).date().isoformat()
    done = form.submit({"Kind": "direct", "Venue type": "motel", "Area": "Northside", "Start date": day,
                        "Start time": "19:00", "End time": "22:00", "Lead": "ULEAD",
                        "Required training": "direct-outreach"})
    assert done.errors == {}
    done.posted("CGENERAL")
    with bot.store.read() as db:
        assert [r["area"] for r in db.query("SELECT area FROM shifts")] == ["Northside"]


def test_a_modal_shows_inline_errors_and_taps_need_the_right_words(bot):
    form = Phone(bot, ADMIN).command("new").modal()
    with pytest.raises(AssertionError, match="no input labelled"):
        form.fill({"Nonsense": "x"})
    done = form.submit({"Area": "123 Main Street, room 12", "Kind": "direct", "Venue type": "motel",
                        "Start time": "19:00", "End time": "22:00", "Lead": "ULEAD",
                        "Required training": "direct-outreach"})
    assert "street address" in done.errors["area"]
    with bot.store.read() as db:
        assert db["shifts"].count == 0


def test_a_volunteer_signs_up_from_the_list_by_button(bot):
    number = bot.create_shift()
    bot.train("UA")
    listing = Phone(bot, "UA").command("shifts").reply()
    assert f"#{number}" in listing.words
    with pytest.raises(AssertionError, match="no button"):
        listing.tap("Fly to the moon")
    answer = listing.tap("Sign up", near=f"#{number}").reply()
    assert "You're signed up for shift" in answer.words
    with bot.store.read() as db:
        assert next(db.query("SELECT count(*) AS n FROM signups WHERE user_id = 'UA'"))["n"] == 1


def test_the_home_tab_is_read_and_tapped_as_a_view(bot):
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    you = Phone(bot, "UA")
    home = you.home()
    assert f"#{number}" in home.words
    assert home.buttons
