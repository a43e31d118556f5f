"""A second walk by phone of the night's safety net, cover, team messages and trainings: the words a
volunteer, a lead and a coordinator read (lock-screen lines, intervals said in words, no run-together
sentences, no command where a button does it)."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import ADMIN, COORD_CHANNEL, at, eventually, message_text
from phone import Phone

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)   # the default test shift, 19:00 Chicago
PRESS = datetime(2026, 11, 24, 3, 12, tzinfo=UTC)
END = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


def team_of(bot, *members) -> int:
    number = bot.create_shift()
    for user in members:
        bot.train(user)
        assert "signed up" in bot.command(user, f"signup {number}").text()
    return number


def test_the_sos_dm_promises_nothing_it_cannot_keep_and_says_its_interval_in_words(bot):
    number = team_of(bot, "UA")
    bot.make_coordinator("UCO")
    at(bot, START)
    at(bot, PRESS)
    tapped = Phone(bot, "UA").home().tap("SOS: I need help now", confirm=True)
    told = tapped.dm(where=lambda s: "Coordinators alerted" in s.words)
    assert told.text == "Your alert: tap to see"  # not "help is on the way": nobody has answered yet
    assert "repeats every minute until one of them answers" in told.words and "1m" not in told.words
    post = tapped.posted(COORD_CHANNEL, where=lambda s: "SOS" in s.text)
    assert f"SOS from shift #{number}" in post.words and "repeats every minute in this thread" in post.words


def test_a_member_not_checked_out_reads_whole_sentences_and_the_thread_says_since_once(bot):
    number = team_of(bot, "UA", "UB")
    at(bot, START)
    for user, label in (("UA", "Check in"), ("UB", "Check in"), ("ULEAD", "Check in (me)")):
        assert "Checked in" in Phone(bot, user).home().tap(label, near=f"#{number}").dm().words
    details = Phone(bot, ADMIN).home().tap("Details", near=f"#{number}").modal()
    assert "Meet at the library.\n" in details.words and "library.*Safety" not in details.words
    at(bot, datetime(2026, 11, 24, 4, 0, tzinfo=UTC))
    for user, label in (("ULEAD", "Check out (me)"), ("UB", "Check out")):
        Phone(bot, user).home().tap(label, near=f"#{number}", confirm=True).dm()
    at(bot, END)
    at(bot, datetime(2026, 11, 24, 5, 30, tzinfo=UTC))
    ua = Phone(bot, "UA")
    eventually(lambda: any("are you all right?" in d.words for d in ua.dms()))
    asked = [d for d in ua.dms() if "are you all right?" in d.words][-1]
    assert "safe. " in asked.words and "safe.The" not in asked.words and "team.The" not in asked.words
    posts = [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == COORD_CHANNEL
             and not c.params.get("thread_ts") and "Safety alert" in str(c.params.get("text")) and not c.failed]
    assert len(posts) == 1
    assert "repeats every 15 minutes in this thread" in message_text(posts[0].params)
    at(bot, datetime(2026, 11, 24, 5, 45, tzinfo=UTC))
    top_ts = posts[0].answer["ts"]
    eventually(lambda: any(c.params.get("thread_ts") == top_ts for c in bot.fake.calls_to("chat.postMessage")))
    repeat = next(message_text(c.params) for c in bot.fake.calls_to("chat.postMessage")
                  if c.params.get("thread_ts") == top_ts)
    assert "still has not checked out (<@UA>, since <!date^" in repeat and ") (since" not in repeat


def test_watching_a_full_shift_says_it_once_and_a_typed_refusal_says_what_to_do(bot):
    number = bot.create_shift(capacity="2")
    for user in ("UA", "UB", "UW"):
        bot.train(user)
    for user in ("UA", "UB"):
        bot.command(user, f"signup {number}").reply()
    watched = bot.command("UW", f"watch {number}").text()
    assert f"I'll tell you by DM once a place opens on shift #{number} (Eastside)." in watched
    assert "when you can join" not in watched
    typed = bot.command("ULEAD", f"message {number} call her on 312-555-0199").reply()
    assert "Then type it again: `/outreach message" in typed["text"]


def test_trainings_screens_point_at_buttons_not_commands(bot):
    mine = Phone(bot, "UNEW").command("trainings").reply().words
    assert "no recorded trainings yet" in mine and "/outreach train" not in mine
    for n in range(7):  # more than the App Home lists
        bot.train(f"UL{n}", expires="2026-12-10")
    home = Phone(bot, ADMIN).home()
    assert "Trainings lapsing in the next 30 days* (7)" in home.words
    assert "…and 2 more: tap *Roster* for everyone's." in home.words and "Roster" in home.buttons
