"""A member whose Slack locale is es-ES reads the bot in Spanish, through the real pipeline (issue 23 §3):
the App Home, a reminder, the check-in DM and help; someone with en-US, and the channel, stay in English.
The bot learns the locale from users.info (include_locale) the first time it works for someone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import ADMIN, at, message_text

from handlers.middleware import acting

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # the default test shift: tomorrow 19:00 in Chicago


def home_of(bot, user: str) -> str:
    before = len([c for c in bot.fake.calls_to("views.publish") if c.params.get("user_id") == user])
    bot.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"})
    calls = bot.fake.wait_for("views.publish", count=before + 1, where=lambda c: c.params.get("user_id") == user)
    return message_text(calls[-1].params["view"])


def test_the_app_home_speaks_the_locale_slack_gives(bot):
    bot.fake.add_user("UES", real_name="Ana", locale="es-ES")
    bot.fake.add_user("UEN", real_name="Ann", locale="en-US")
    spanish, english = home_of(bot, "UES"), home_of(bot, "UEN")
    assert "Aún no tienes nada planeado. Toca *Buscar un turno* para inscribirte en uno." in spanish
    assert "Nothing planned for you yet. Tap *Find a shift* to sign up for one." in english
    assert bot.db["people"].get("UES")["locale"] == "es-ES"  # asked once, kept in the directory
    asked = len(bot.fake.calls_to("users.info"))
    home_of(bot, "UES")
    assert len(bot.fake.calls_to("users.info")) == asked


def test_a_reminder_and_the_check_in_dm_come_in_spanish_lock_screen_included(bot):
    for user in ("UES", "UES2"):
        bot.fake.add_user(user, real_name="Ana", locale="es-ES")
    number = bot.create_shift(lead="UES")
    bot.train("UES2")
    assert "Te inscribiste" in bot.command("UES2", f"inscribir {number}").text()
    at(bot, datetime(2026, 11, 23, 1, 0, 30, tzinfo=UTC))
    reminder = [c for c in bot.dms("UES2") if str(c.params.get("text", "")).startswith("Recordatorio")]
    assert reminder and f"Recordatorio: el turno #{number} empieza en" in reminder[0].params["text"]
    assert "1-888-373-7888" in message_text(reminder[0].params)
    at(bot, START)
    prompt = [c for c in bot.dms("UES") if "empieza ahora" in str(c.params.get("text", ""))]
    assert prompt and prompt[0].params["text"] == f"El turno #{number} empieza ahora: toca para registrar tu llegada"
    assert not [c for c in bot.dms("UES") if "starts now" in str(c.params.get("text", ""))]


def test_help_and_commands_answer_in_spanish_typed_either_way(bot):
    bot.fake.add_user("UES", real_name="Ana", locale="es-ES")
    spanish = bot.command("UES", "ayuda").text()
    english_word = bot.command("UES", "help").text()
    assert spanish == english_word and "Ayuda" in spanish
    assert "Help" in bot.command("UEN", "help").text()


def test_a_choice_in_my_profile_wins_over_slack_and_the_channel_keeps_the_coalitions_language(bot):
    from outreach import languages

    bot.fake.add_user("UES", real_name="Ana", locale="es-ES")
    languages.choose_language(bot.store, "UES", "en", now=bot.clock())
    assert "Nothing planned for you yet" in home_of(bot, "UES")
    languages.choose_language(bot.store, ADMIN, "es", now=bot.clock())
    number = bot.create_shift()
    posted = [c for c in bot.fake.calls_to("chat.postMessage") if str(c.params.get("channel")).startswith("C")
              and f"#{number}" in message_text(c.params)]
    assert posted and "Direct outreach" in message_text(posted[0].params)  # not "Alcance directo"
    assert "Alcance directo" not in message_text(posted[0].params)


@pytest.mark.parametrize("body, asks", [
    ({"type": "block_actions", "actions": [{"action_id": "sos_press", "value": "1"}]}, False),
    ({"type": "block_actions", "actions": [{"action_id": "safety_checkout", "value": "1"}]}, False),
    ({"command": "/outreach", "text": "sos"}, False),
    ({"command": "/outreach", "text": "checkout 12"}, False),
    ({"type": "block_actions", "actions": [{"action_id": "shift_signup", "value": "1"}]}, True),
    ({"command": "/outreach", "text": "ayuda"}, True),
    ({"type": "event_callback", "event": {"type": "app_home_opened"}}, True),
    ({"type": "event_callback", "event": {"type": "user_change"}}, False),
])
def test_slack_is_never_asked_who_someone_is_before_an_sos_or_the_nights_safety(body, asks):
    assert acting(body) is asks
