"""Lock screens: the `text` of a DM is what a phone shows, maybe beside the people met, so it is a neutral
line per notice; the notice's words go in the blocks (made from its text when it has none)."""

from __future__ import annotations

from conftest import COORD_CHANNEL, lock_screen_leaks, message_text
from slack_sdk import WebClient

from handlers import notify
from outreach import outbox


def queue(bot, key, channel, template, context):
    now = bot.clock()
    with bot.store.write() as db:
        outbox.enqueue(db, key=key, channel=channel, template=template, context=context, due_at=now, now=now)


def sent_to(bot, channel):
    return [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == channel]


def test_a_notice_to_a_person_gets_a_neutral_text_and_keeps_its_words_in_blocks(bot, monkeypatch):
    words = "Safety alert: possible trafficking victim seen; escalation follows."
    monkeypatch.setitem(notify.NOTICES, "test/plain", lambda kit, context: (words, []))
    queue(bot, "t:1", "UVOL", "test/plain", {})
    queue(bot, "t:2", "DVOL", "test/plain", {})
    queue(bot, "t:3", COORD_CHANNEL, "test/plain", {})
    bot.kit.notifier.flush()
    for channel in ("UVOL", "DVOL"):
        dm = sent_to(bot, channel)[0].params
        assert dm["text"] == "A message from the outreach bot: tap to see"
        assert dm["blocks"][0]["type"] == "section" and dm["blocks"][0]["text"]["text"] == words  # nothing lost
    assert sent_to(bot, COORD_CHANNEL)[0].params["text"] == words  # a channel post keeps its words
    monkeypatch.setitem(notify.NOTICES, "test/plain", lambda kit, context: ("fine words", []))  # for the teardown


def test_the_neutral_line_is_chosen_per_notice(bot):
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    queue(bot, "t:rem", "UA", "reminders/reminder", {"shift_id": number, "user": "UA", "lead": "2h"})
    queue(bot, "t:esc", "UADMIN", "safety/escalation", {"shift_id": number, "reason": "checkout"})
    with bot.store.write() as db:
        db.execute("INSERT INTO escalations (shift_id, reason, started_at) VALUES (?, 'checkout', ?)",
                   [number, "2026-11-24T05:30:00+00:00"])
    bot.kit.notifier.flush()
    reminder = sent_to(bot, "UA")[-1].params
    assert reminder["text"] == f"Reminder: shift #{number} starts in 2h: tap to see"
    assert "Eastside" in message_text(reminder)
    alert = sent_to(bot, "UADMIN")[-1].params
    assert alert["text"] == "A team needs a coordinator: tap to see" and "Safety alert" in message_text(alert)


def test_the_teardown_check_finds_a_dm_text_with_a_forbidden_word(fake):
    client = WebClient(token="xoxb-test", base_url=fake.url)
    client.chat_postMessage(channel=COORD_CHANNEL, text="Escalation: shift #3")  # a channel may say it
    client.chat_postMessage(channel="UA", text="Your Friday shift: tap to see")
    assert lock_screen_leaks(fake) == []
    client.chat_postMessage(channel="UA", text="Victim support call tonight")
    client.chat_update(channel="DA", ts="1.1", text="SAFETY ALERT for shift #3")
    client.chat_postMessage(channel="WENT1", text="human Trafficking awareness")
    assert len(lock_screen_leaks(fake)) == 3
