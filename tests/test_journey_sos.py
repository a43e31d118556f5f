"""An SOS night on phones, by button words: the lead checks in from the DM, a volunteer taps SOS at
the top of the App Home, a coordinator takes it on from the DM, everyone sees who is on it, and
after the check-out the SOS is gone from the home and stays in the shift's Details."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import COORD_CHANNEL, at, eventually
from phone import Phone

SOS = "SOS: I need help now"



def test_an_sos_night_by_taps(bot):
    number = bot.create_shift()
    bot.make_coordinator("UCO")
    bot.train("UA")
    volunteer, lead, coordinator = Phone(bot, "UA"), Phone(bot, "ULEAD"), Phone(bot, "UCO")
    assert "signed up" in volunteer.command(f"signup {number}").reply().words
    assert SOS not in volunteer.home().buttons  # not under way yet

    # 19:00: the check-in DM offers Check in and SOS; the lead checks in.
    at(bot, datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    checkin = lead.last_dm()
    assert checkin.buttons == ["Check in (me)", "Who is out tonight?", SOS]
    assert "Checked in" in checkin.tap("Check in (me)").reply().words

    # 21:12: the volunteer taps SOS on the App Home, says yes, and is told by DM.
    at(bot, datetime(2026, 11, 24, 3, 12, tzinfo=UTC))
    home = volunteer.home()
    assert home.buttons[0] == SOS and "Shift #" in home.words
    tapped = home.tap(SOS, confirm=True)
    told = tapped.dm(where=lambda s: "Coordinators alerted" in s.words)
    assert told.text == "Your alert: tap to see"
    post = tapped.posted(COORD_CHANNEL, where=lambda s: "SOS" in s.text)
    assert post.text.startswith("<!channel>")
    assert "waiting for a coordinator" in tapped.home().words

    # The coordinator's DM: I'm on it; the DM, the post and the volunteer's DM say who; the lead is told.
    alert = coordinator.last_dm()
    assert alert.text == "A team needs a coordinator now: tap to see"
    alert.tap("I'm on it")
    eventually(lambda: alert.now().buttons == [] and "<@UCO> is on it" in alert.now().words)
    eventually(lambda: "<@UCO> is on it" in told.now().words)
    eventually(lambda: "<@UCO> is on it" in post.now().text)
    eventually(lambda: lead.last_dm().text == "A coordinator is on it: tap to see")
    assert "<@UCO> is on it" in volunteer.home().words

    # 23:00: the lead checks out; the SOS leaves the home and stays in the Details.
    at(bot, datetime(2026, 11, 24, 5, 0, tzinfo=UTC))
    end = lead.last_dm()
    end.tap("Everyone back safe").modal().submit()
    eventually(lambda: end.now().buttons == ["Write debrief"])
    assert SOS not in volunteer.home().buttons
    details = post.now().tap("Details").modal()
    assert "SOS by <@UA> at" in details.words and "acknowledged by <@UCO> at" in details.words
