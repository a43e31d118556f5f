"""The App Home tab: the reader's shifts, and the week's staffing for coordinators."""

from __future__ import annotations

from conftest import ADMIN, message_text


def home_for(bot, user):
    status, _ = bot.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"})
    assert status == 200
    call = bot.fake.wait_for("views.publish", where=lambda c: c.params.get("user_id") == user)[-1]
    view = call.params["view"]
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    return message_text({"blocks": view["blocks"]}), view


def test_home_shows_own_shifts_and_waitlist_places(bot):
    first = bot.create_shift(capacity="2")
    for user in ("UA", "UB", "UC"):
        bot.train(user)
        bot.command(user, f"signup {first}").reply()
    text, _ = home_for(bot, "UC")
    assert f"#{first}" in text and "waitlist number 1" in text
    assert "staffing" not in text
    text, _ = home_for(bot, "UZ")
    assert "Nothing planned for you" in text


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
    dm = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "UA")[0]
    assert "withdrawn" in dm.params["text"]
    bot.fake.wait_for("views.publish", where=lambda c: c.params.get("user_id") == "UA")
