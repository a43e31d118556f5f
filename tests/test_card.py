"""The hotline card in the language of the person met (issue 23 §3): the card offers the languages of the
national hotline and the qualified local lines, shows itself in the chosen one in place (English and Spanish
written out; any other said in English and in that language's own name), and Send to me DMs that card."""

from __future__ import annotations

from conftest import LOCK_SCREEN_FORBIDDEN, Bot
from phone import Phone
from test_hotline import LOCAL
from test_i18n_labels_card import over_limits
from test_readiness import copy_data

from handlers import card
from outreach import i18n

SPANISH = "Español (Spanish)"
CREOLE = "Kreyòl ayisyen (Haitian Creole)"


def options(screen) -> list[str]:
    """The words of the card's language chooser."""
    chooser = next(b for b in screen.blocks if b.get("block_id") == "card_language")["accessory"]
    return [o["text"]["text"] for o in chooser["options"]]


def test_the_card_is_shown_in_spanish_in_place_and_sent_in_spanish(bot):
    you = Phone(bot, "UV")
    card_screen = you.command("hotline").modal()
    offered = options(card_screen)
    assert offered[:2] == ["English", SPANISH] and CREOLE in offered and "Tiếng Việt (Vietnamese)" in offered
    assert len(offered) == len(set(offered)) == 19  # English, Spanish and every other language of languages.yml
    spanish = card_screen.choose(SPANISH).modal()
    assert spanish.view["id"] == card_screen.view["id"]  # the same modal, updated in place
    assert spanish.view["title"]["text"] == "Línea de ayuda"
    assert ":telephone_receiver: *Línea Nacional contra la Trata de Personas*" in spanish.words
    assert ("Llama al *1-888-373-7888* · Envía un SMS al *233733* · 24/7, confidencial · interpretación en más de "
            "200 idiomas") in spanish.words
    assert "Call *1-888-373-7888*" not in spanish.words
    # The volunteer's own words stay in their language: the note on how to use it, the button.
    assert "_Read it out or show it" in spanish.words and spanish.buttons == ["Send to me as a DM"]
    sent = spanish.tap("Send to me as a DM")
    dm = sent.dm()
    assert "Línea Nacional contra la Trata de Personas" in dm.words and "Llama al *1-888-373-7888*" in dm.words
    assert dm.text == "Your hotline card: tap to see" and not LOCK_SCREEN_FORBIDDEN.search(dm.text)
    after = sent.modal()
    assert after.view["id"] == card_screen.view["id"] and "Sent to you as a DM" in after.words and not after.buttons
    assert "Llama al *1-888-373-7888*" in after.words  # still the Spanish card
    english = after.choose("English").modal()  # back to English: the card, and Send to me again
    assert "Call *1-888-373-7888* · Text *233733*" in english.words and english.buttons == ["Send to me as a DM"]


def test_another_language_says_interpretation_is_available_in_english_and_in_its_own_name(bot):
    you = Phone(bot, "UV")
    creole = you.command("hotline").modal().choose(CREOLE).modal()
    assert ":speech_balloon: *Kreyòl ayisyen* · Haitian Creole" in creole.words
    assert "Interpretation available: Kreyòl ayisyen — call and say the language's name." in creole.words
    assert "Call *1-888-373-7888* · Text *233733* · 24/7, confidential · interpretation in 200+ languages" in creole.words
    dm = creole.tap("Send to me as a DM").dm()
    assert "Interpretation available: Kreyòl ayisyen" in dm.words and "1-888-373-7888" in dm.words
    assert not LOCK_SCREEN_FORBIDDEN.search(dm.text)


def test_a_forged_language_shows_the_card_in_the_volunteers_language(bot):
    you = Phone(bot, "UV")
    screen = you.command("hotline").modal()
    forged = screen._act({"type": "static_select", "action_id": "hotline_language", "block_id": "card_language",
                          "selected_option": {"value": "<!channel>"}}).modal()
    assert "Call *1-888-373-7888*" in forged.words and "<!channel>" not in str(forged.view)


def test_qualified_local_lines_in_the_chosen_language_and_the_notes_in_the_volunteers(fake, clock, tmp_path):
    data = copy_data(tmp_path)
    (data / "hotlines.yml").write_text(LOCAL)
    bot = Bot(fake, tmp_path, clock, env={"OUTREACH_DATA_DIR": str(data)})
    try:
        spanish = Phone(bot, "UV").command("hotline").modal().choose(SPANISH).modal()
        assert "*Metro Line* (local)\nLlama al *+1 555 010 0100* · Envía un SMS al *555010* · 24/7 · Inglés, Español" \
            in spanish.words
        assert "Not for handing out: Daytime Line (555 0199) is not qualified; conditions not met: staffed 24/7" \
            in spanish.words  # the volunteer's note, in the volunteer's language
        with i18n.speaking("es"):  # a volunteer who speaks Spanish: the note names the conditions in Spanish
            notes = card.notes_text(bot.kit)
        assert "No la entregues: Daytime Line (555 0199) no cumple los requisitos; condiciones sin cumplir: " \
               "atendida 24/7;" in notes
    finally:
        bot.close()


def test_the_card_for_a_volunteer_who_speaks_spanish_within_slacks_limits(bot):
    with i18n.speaking("es"):
        view = card.hotline_view(bot.kit)
        creole = card.hotline_view(bot.kit, "ht", sent=True)
        lock = bot.kit.render("readiness/hotline_dm.j2")
    assert view["title"]["text"] == "Línea de ayuda" and view["close"]["text"] == "Cerrar"
    chooser = view["blocks"][0]
    assert chooser["text"]["text"].startswith("*Idioma de la tarjeta*") and chooser["accessory"]["placeholder"]["text"] == "Idioma"
    assert chooser["accessory"]["initial_option"]["value"] == "es"  # the card opens in the volunteer's language
    labels = [o["text"]["text"] for o in chooser["accessory"]["options"]]
    assert labels[:2] == ["English (Inglés)", "Español"] and "Kreyòl ayisyen (Criollo haitiano)" in labels
    button = view["blocks"][-1]["elements"][0]
    assert button["text"]["text"] == "Enviármela por mensaje directo"
    assert lock == "Tu tarjeta de la línea de ayuda: toca para verla" and not LOCK_SCREEN_FORBIDDEN.search(lock)
    assert creole["title"]["text"] == "Hotline card"  # the card's title is the card's: English with interpretation
    assert "Te la envié por mensaje directo" in str(creole["blocks"][-1])
    for shown in (view, creole):
        assert over_limits(shown) == []
