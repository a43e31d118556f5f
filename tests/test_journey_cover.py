"""A journey by taps: a volunteer who can't come finds cover from the App Home, a colleague takes the
place from their DM, and both App Homes show it."""

from __future__ import annotations

from conftest import eventually
from phone import Phone


def test_find_cover_from_the_home_a_colleague_takes_it_from_a_dm_and_both_homes_update(bot):
    number = bot.create_shift(capacity="2", notes="Meet at the library, side door.")
    for user in ("UA", "UB", "UC"):
        bot.train(user)
    bot.command("UA", f"signup {number}").reply()
    bot.command("UB", f"signup {number}").reply()

    leaver, colleague = Phone(bot, "UA"), Phone(bot, "UC")
    home = leaver.home()
    assert "Find cover" in home.buttons and home.button("Find cover", near=f"#{number}")["confirm"]
    asked = home.tap("Find cover", near=f"#{number}", confirm=True)
    told = asked.dm(where=lambda d: "I asked" in d.words)
    assert "I asked *1 person*" in told.words and "You stay on the shift" in told.words
    home = asked.home()
    assert "Stop looking for cover" in home.buttons and "*My shifts* (1)" in home.words

    eventually(lambda: any("Take this place" in d.buttons for d in colleague.dms()))
    offer = next(d for d in colleague.dms() if "Take this place" in d.buttons)
    assert "<@UA> can't come" in offer.words and f"shift #{number}" in offer.words
    assert offer.text.startswith("A place on a")  # the lock screen says nothing more
    taken = offer.tap("Take this place", confirm=True)
    assert "You took the place" in taken.reply().words
    colleague_home = taken.home()
    assert f"#{number}" in colleague_home.words and "Meet at the library, side door." in colleague_home.words
    assert "Withdraw" in colleague_home.buttons and "Find cover" in colleague_home.buttons
    published = leaver.wait(taken.mark, lambda c: c.method == "views.publish" and c.params.get("user_id") == "UA"
                            and c.answer is not None, "the App Home")
    assert "Nothing planned for you yet" in leaver.home_screen(published).words
    eventually(lambda: any("<@UC> took your place" in d.words for d in leaver.dms()))
    assert "Take this place" not in offer.now().buttons and "You took the place" in offer.now().words
    mine = colleague.home().tap("My shifts").modal()
    assert f"#{number}" in mine.words and "Find cover" in mine.buttons
