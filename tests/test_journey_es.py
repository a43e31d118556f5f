"""A night in Spanish, walked on a phone (issue 23 §3): a coordinator, a volunteer and a lead whose Slack locale
is es-ES, by tapping only, from a Spanish admin's setup checklist to the coordinators' report. Each screen is
read for English left in it, for words cut by Slack's limits, and for the lock-screen line."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ADMIN, in_spanish_and_english
from phone import Phone

from handlers import blocks as bk
from outreach.catalog import load_entries

ROOT = Path(__file__).resolve().parent.parent
SPANISH = ("UADMIN", "UCO", "UA", "UB", "ULEAD")


def spanish_workspace(bot) -> None:
    """Everyone in the walk reads Slack in Spanish (Spain); nobody has opened the bot yet."""
    for user in SPANISH:
        bot.fake.add_user(user, real_name=f"Persona {user[1:].title()}", locale="es-ES")


# ---------------------------------------------------------------- what the walk found, each fixed at its source


def test_a_notice_to_someone_who_never_opened_the_bot_is_in_their_slack_language(bot):
    """The new coordinator had not tapped anything yet: the bot did not know their locale and wrote in English
    ("Your role in the outreach bot changed"). A notice's language is looked up before it is worded."""
    spanish_workspace(bot)
    role = Phone(bot, ADMIN).home().tap("Nombrar coordinador", near="*Coordinadores*").modal()
    role.submit({"Persona": "UCO"}).modal().submit()
    told = Phone(bot, "UCO")
    bot.settle()
    dm = told.last_dm()
    assert dm.text == "Tu rol en el bot de alcance cambió: toca para ver"
    assert "Your role" not in dm.words and "coordinador" in dm.words
    assert bot.db["people"].get("UCO")["locale"] == "es-ES"


def test_a_notice_to_someone_slack_does_not_describe_stays_in_english(bot):
    role = Phone(bot, ADMIN).home().tap("Make coordinator", near="*Coordinators*").modal()
    role.submit({"Person": "UNOBODY"}).modal().submit()
    bot.settle()
    assert Phone(bot, "UNOBODY").last_dm().text == "Your role in the outreach bot changed: tap to see"


def test_the_app_home_is_headed_by_the_apps_own_name_in_both_languages(bot):
    """The header said *Alcance* while the setup checklist under it said *Configurar Outreach*."""
    spanish_workspace(bot)
    assert Phone(bot, ADMIN).home().blocks[0]["text"]["text"] == "Outreach"
    bot.fake.add_user("UEN", locale="en-US")
    assert Phone(bot, "UEN").home().blocks[0]["text"]["text"] == "Outreach"


def test_the_setup_checklist_counts_one_thing_left_in_the_singular(bot):
    """It read "quedan 1 de 6 tareas"; the English stays "1 of 6 things to do"."""
    class Left:
        done, left, items = False, 1, [None] * 6

    spanish, english = in_spanish_and_english(bot.kit.render, "setup/heading.j2", checklist=Left())
    assert "*Configurar Outreach*: queda 1 de 6 tareas." in spanish
    assert "*Set up Outreach*: 1 of 6 things to do. Only admins see this." in english
    Left.left = 2
    spanish, english = in_spanish_and_english(bot.kit.render, "setup/heading.j2", checklist=Left())
    assert "quedan 2 de 6 tareas" in spanish and "2 of 6 things to do" in english


@pytest.mark.parametrize("name", ["venues", "trainings", "languages", "indicators", "materials",
                                  "service_categories"])
def test_every_list_entry_fits_a_choice_uncut_in_spanish(name):
    """The debrief's indicator read "Señales en hoteles (alquiler por horas, una persona con varias…": the
    Spanish name ran past the 75 characters of a choice, and Slack's limit cut it."""
    for entry in load_entries(ROOT / "data" / f"{name}.yml"):
        for language in ("en", "es"):
            words = entry.name_in(language)
            assert len(words) <= bk.OPTION_LIMIT, (name, entry.id, language, words)
