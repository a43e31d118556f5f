"""Messages to a team: Message the team on Details, one DM each, sent once across a restart, screened, refused
to volunteers; `/outreach message N TEXT` typed."""

from __future__ import annotations

from conftest import ADMIN, Bot, eventually, message_text
from phone import Phone

LOCK = "A message about your shift"


def team_dms(bot: Bot, user: str) -> list[str]:
    """The team messages a person got (their words), each as sent."""
    return [message_text(c.params) for c in bot.dms(user) if LOCK in str(c.params.get("text")) and not c.failed]


def staffed(bot: Bot) -> int:
    """A shift of capacity 2 led by ULEAD: UA and UB confirmed, UC waiting."""
    number = bot.create_shift(capacity="2")
    for user in ("UA", "UB", "UC"):
        bot.train(user)
        bot.command(user, f"signup {number}").reply()
    return number


def open_form(bot: Bot, user: str, number: int):
    details = Phone(bot, user).command("shifts").reply().tap("Details", near=f"#{number}").modal()
    return details.tap("Message the team").modal()


def test_team_message_sent_once_to_each_member_and_the_waitlist_across_a_restart(fake, tmp_path, clock):
    first = Bot(fake, tmp_path, clock)
    number = staffed(first)
    form = open_form(first, "ULEAD", number)
    assert form.inputs == ["Message", "Who else"] and "2 people on the team" in form.words
    # UB's DM fails for now (Slack hiccups); then the bot goes down before trying again
    fake.fail("chat.postMessage", error="internal_error", where=lambda p: p.get("channel") == "UB" and LOCK in str(p.get("text")))
    done = form.submit({"Message": "We meet at 18:45 <!channel> & bring water", "Who else": ["Also the waitlist"]})
    assert "Sent: 3 people on shift" in done.modal().words and "(team and waitlist)" in done.modal().words
    eventually(lambda: len(team_dms(first, "UA")) == len(team_dms(first, "UC")) == 1)
    eventually(lambda: first.db.execute("SELECT error FROM notifications WHERE key LIKE 'team-message:%:UB'")
               .fetchone()[0] == "internal_error")
    assert team_dms(first, "UB") == []
    assert first.db["team_messages"].count == 1
    row = first.db["team_messages"].get(1)
    assert (row["shift_id"], row["sender"], row["recipients"], row["waitlist"]) == (number, "ULEAD", 3, 1)
    first.close()

    clock.advance(minutes=5)
    second = Bot(fake, tmp_path, clock)  # the bot started again over the same database
    try:
        second.kit.tick()
        second.kit.tick()
        form.phone.bot = second  # the same phone, talking to the bot as it runs now
        again = form.submit()  # Slack sends the same form again: nothing more is sent
        assert "Sent: 3 people" in again.modal().words
        second.kit.tick()
        for user in ("UA", "UB", "UC"):
            words = team_dms(second, user)
            assert len(words) == 1, (user, words)
            assert "We meet at 18:45 &lt;!channel&gt; &amp; bring water" in words[0]  # escaped
            assert f"A message about your shift #{number}: tap to see" in words[0]
        assert team_dms(second, "ULEAD") == []  # the sender gets no copy
        assert second.db["team_messages"].count == 1
        audit = list(second.db.query("SELECT actor, detail FROM audit WHERE action = 'team.message'"))
        assert audit == [{"actor": "ULEAD", "detail": '{"recipients": 3, "waitlist": true}'}]
    finally:
        second.close()


def test_without_the_waitlist_only_the_confirmed_team_is_told_and_the_count_is_worded(bot):
    number = staffed(bot)
    done = open_form(bot, ADMIN, number).submit({"Message": "Parking is behind the library."})
    assert "Sent: 2 people on shift" in done.modal().words
    eventually(lambda: [len(team_dms(bot, u)) for u in ("UA", "UB", "UC")] == [1, 1, 0])
    bot.command("UB", f"withdraw {number}").reply()  # UC moves up; UA and UC are the team now
    bot.command("UA", f"withdraw {number}").reply()
    assert "Sent: 1 person on shift" in bot.command("ULEAD", f"message {number} See you at 7.").text()
    bot.command("UC", f"withdraw {number}").reply()
    assert "Nobody was told" in bot.command("ULEAD", f"message {number} Anyone?").text()
    eventually(lambda: [len(team_dms(bot, u)) for u in ("UA", "UB", "UC")] == [1, 1, 1])
    bot.kit.tick()
    assert [len(team_dms(bot, u)) for u in ("UA", "UB", "UC")] == [1, 1, 1]


def test_a_phone_number_in_the_message_is_refused_inline_and_nothing_is_sent(bot):
    number = staffed(bot)
    form = open_form(bot, "ULEAD", number)
    refused = form.submit({"Message": "If the woman at room 12 calls, her number is 312-555-0199"})
    assert "Please remove" in refused.errors["message"] and "phone number" in refused.errors["message"]
    typed = bot.command("ULEAD", f"message {number} call her on 312-555-0199").reply()
    assert "Nothing was sent. Please remove" in typed["text"]
    bot.kit.tick()
    assert bot.db["team_messages"].count == 0 and bot.db["notifications"].count_where("key LIKE 'team-message:%'") == 0
    assert all(team_dms(bot, u) == [] for u in ("UA", "UB", "UC"))


def test_a_volunteer_cannot_message_a_team(bot):
    number = staffed(bot)
    details = Phone(bot, "UA").command("shifts").reply().tap("Details", near=f"#{number}").modal()
    assert "Message the team" not in details.buttons
    assert "Only the lead of shift" in bot.command("UA", f"message {number} hello all").reply()["text"]
    forged = bot.submit("UA", "team_message_form", {"message": "hello all"}, metadata={"shift_id": number})
    assert "Only the lead of shift" in forged.json()["errors"]["message"]
    bot.kit.tick()
    assert bot.db["team_messages"].count == 0 and all(team_dms(bot, u) == [] for u in ("UB", "UC"))
