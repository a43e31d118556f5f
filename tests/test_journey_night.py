"""A whole outreach night on phones, by button words, and every DM's lock-screen text checked:
the reminder, the check-in, an "All OK?" left unanswered, the alert taken on by a coordinator,
the check-out and the debrief request."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import ADMIN, COORD_CHANNEL, LOCK_SCREEN_FORBIDDEN, at, eventually, lock_screen_leaks
from phone import Phone


def top_level(bot, channel):
    return [c for c in bot.fake.calls_to("chat.postMessage")
            if c.params.get("channel") == channel and not c.params.get("thread_ts") and not c.failed]


def test_a_night_by_taps_with_lock_screen_safe_dms(bot):
    number = bot.create_shift(notes="Bring the Spanish cards.")
    bot.make_coordinator("UCO")
    bot.train("UA")
    volunteer, lead, coordinator = Phone(bot, "UA"), Phone(bot, "ULEAD"), Phone(bot, "UCO")
    assert "signed up" in volunteer.command(f"signup {number}").reply().words
    assert "every 60 minutes" in Phone(bot, ADMIN).command(f"checkevery {number} 60").reply().words

    # 17:00 in Chicago: the 2-hour reminder, short, with the Go line, the meeting point and the notes.
    at(bot, datetime(2026, 11, 23, 23, 0, 5, tzinfo=UTC))
    reminder = volunteer.last_dm()
    assert reminder.text == f"Reminder: shift #{number} starts in 2h: tap to see"
    for words in ("No Go yet: wait for <@ULEAD>", "*Meeting point:*", "Bring the Spanish cards."):
        assert words in reminder.words, words
    assert reminder.button("Can't make it")["confirm"]

    # 19:00: the lead checks the team in from the DM.
    at(bot, datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    checkin = lead.last_dm()
    assert "starts now" in checkin.words
    assert "Checked in" in checkin.tap("Check in (me)").reply().words

    # 20:00: "All OK?" goes unanswered; at 20:10 it is passed on to the volunteer, who is out too (everyone
    # on the team counts as out once the night started); at 20:20 the coordinators are alerted, once.
    at(bot, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    assert "all OK?" in lead.last_dm().words
    coordinator_dms = len(coordinator.dms())
    at(bot, datetime(2026, 11, 24, 2, 10, tzinfo=UTC))
    assert "has not answered yet" in volunteer.last_dm().words
    at(bot, datetime(2026, 11, 24, 2, 20, tzinfo=UTC))
    alert = [c for c in top_level(bot, COORD_CHANNEL) if "Safety alert" in str(c.params.get("text"))]
    assert len(alert) == 1 and "did not answer a check-in" in alert[0].params["text"]
    assert len(coordinator.dms()) == coordinator_dms + 1
    taken = coordinator.last_dm()
    assert taken.text == "A team needs a coordinator: tap to see" and "Check-in 1 unanswered" in taken.words
    at(bot, datetime(2026, 11, 24, 2, 35, tzinfo=UTC))  # one repeat, in the thread
    taken.tap("Acknowledge")
    eventually(lambda: "Acknowledged by <@UCO>" in taken.now().words)
    assert taken.now().buttons == ["Resolved"]  # taken on: Resolved closes it
    at(bot, datetime(2026, 11, 24, 2, 50, tzinfo=UTC))
    assert len(coordinator.dms()) == coordinator_dms + 1  # one DM per escalation, never per repeat

    # 23:00: one DM for the lead; Check out asks first, then the same DM offers the debrief.
    at(bot, datetime(2026, 11, 24, 5, 0, tzinfo=UTC))
    end = next(d for d in reversed(lead.dms()) if "ends now" in d.words)  # the later check-ins also ask the team
    assert end.buttons == ["Check out (me)", "Everyone back safe"]
    end.tap("Everyone back safe").modal().submit()
    eventually(lambda: end.now().buttons == ["Write debrief"])
    assert len([c for c in top_level(bot, COORD_CHANNEL) if "Safety alert" in str(c.params.get("text"))]) == 1
    eventually(lambda: any("everyone is back" in str(c.params.get("text")) for c in bot.fake.calls_to("chat.update")
                           if c.params.get("channel") == COORD_CHANNEL))  # the alert, rewritten in place

    # The next morning: the debrief request, after the check-out.
    at(bot, datetime(2026, 11, 24, 17, 0, tzinfo=UTC))
    nudge = lead.last_dm()
    assert "debrief" in nudge.words and nudge.buttons

    # Every DM of the night: its lock-screen text never says what the night is about.
    dm_texts = [str(c.params.get("text")) for c in bot.fake.calls_to("chat.postMessage") + bot.fake.calls_to("chat.update")
                if str(c.params.get("channel") or "")[:1] in ("U", "D", "W")]
    assert len(dm_texts) >= 8
    assert not [t for t in dm_texts if LOCK_SCREEN_FORBIDDEN.search(t)] and lock_screen_leaks(bot.fake) == []
