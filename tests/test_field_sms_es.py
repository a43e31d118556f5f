"""The field words in Spanish: LLEGUÉ / ENTRO do what IN does, TERMINÉ / SALIDA what OUT does (with the duress
word after it), SOS is the same; any case, with or without accents, texted through the signed webhook."""

from __future__ import annotations

import pytest
import test_twilio
from conftest import COORD_CHANNEL, eventually, message_text
from test_field_sms import LEAD_PHONE, UA_PHONE, WORD, checkin, set_word, sms, team_night

from outreach import field

twilio, tbot = test_twilio.twilio, test_twilio.tbot  # the fake Twilio and a bot serving its webhooks (fixtures)


@pytest.mark.parametrize("typed, word, number, rest", [
    ("LLEGUÉ", "in", None, ""), ("llegue 12", "in", 12, ""), ("Llegue\u0301 #3", "in", 3, ""),
    ("entro", "in", None, ""), ("Entrada 7", "in", 7, ""),
    ("TERMINÉ", "out", None, ""), ("termine #12 garza azul", "out", 12, "garza azul"), ("Salida", "out", None, ""),
    ("sos 4", "sos", 4, ""), ("IN 12", "in", 12, ""), ("Out #12 Blue Heron", "out", 12, "Blue Heron"),
])
def test_the_words_are_read_in_either_language_any_case_with_or_without_accents(typed, word, number, rest):
    assert field.parse(typed) == field.Reply(word, number, rest)


@pytest.mark.parametrize("typed", ["salgo", "SALGO 12", "llegué12", "entrando", "hola", "", "12"])
def test_other_words_are_none_of_them(typed):
    assert field.parse(typed) is None  # SALGO ("I'm going out") would check out at the start of the night


def test_llegue_and_termine_by_sms_check_in_and_out_as_in_and_out(tbot, twilio):
    bot = tbot
    number = team_night(bot, twilio)
    assert sms(bot, UA_PHONE, "Llegué") == (f"Outreach: checked in for #{number}. Reply OUT when you are back, "
                                            "SOS if you need help now.")
    assert checkin(bot, number, "UA")[0] and checkin(bot, number, "ULEAD") is None  # that member only
    assert sms(bot, UA_PHONE, f"ENTRO {number}") == (f"Outreach: you are already checked in for #{number} "
                                                     "(or everyone is back).")
    assert sms(bot, LEAD_PHONE, f"entrada #{number}").startswith(f"Outreach: checked in for #{number}.")
    assert sms(bot, UA_PHONE, f"TERMINE #{number}") == f"Outreach: checked out of #{number}. Thank you, get home safe."
    assert checkin(bot, number, "UA")[1]
    assert sms(bot, UA_PHONE, "terminé") == f"Outreach: you are already checked out of #{number}."
    assert sms(bot, LEAD_PHONE, "Salida") == (f"Outreach: checked out of #{number}. Thank you, get home safe. "
                                              "Everyone is back.")
    steps = [s for (s,) in bot.db.execute("SELECT step FROM safety_steps WHERE shift_id = ?", [number])]
    assert "out:UA" in steps and "out:ULEAD" in steps


def test_salgo_acts_on_nothing_and_gets_the_list_of_words(tbot, twilio):
    bot = tbot
    number = team_night(bot, twilio)
    assert sms(bot, UA_PHONE, "in").startswith("Outreach: checked in")
    assert sms(bot, UA_PHONE, f"SALGO {number}") == ("Outreach: reply IN when you are out, OUT when you are back, "
                                                     "SOS if you need help now (IN 12 for shift #12).")
    assert checkin(bot, number, "UA")[1] is None  # still out: the net keeps watching


def test_sos_in_lower_case_and_termine_with_the_duress_word(tbot, twilio):
    bot = tbot
    number = team_night(bot, twilio)
    set_word(bot, "UA")
    assert sms(bot, LEAD_PHONE, "Sos").startswith(f"Outreach: SOS for #{number}")
    bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == COORD_CHANNEL
                      and "<@ULEAD> pressed SOS" in message_text(c.params))
    assert sms(bot, UA_PHONE, "llegue").startswith("Outreach: checked in")
    answer = sms(bot, UA_PHONE, f"Terminé {WORD.upper()}")
    assert answer == f"Outreach: checked out of #{number}. Thank you, get home safe."  # as a plain TERMINÉ
    assert checkin(bot, number, "UA")[1]
    eventually(lambda: bot.db.execute("SELECT pressed_by, duress FROM sos ORDER BY id").fetchall()
               == [("ULEAD", 0), ("UA", 1)])


def test_a_member_who_reads_spanish_gets_the_answers_by_sms_in_spanish(tbot, twilio):
    from outreach import languages

    bot = tbot
    number = team_night(bot, twilio)
    languages.choose_language(bot.store, "UA", "es", now=bot.clock())
    assert sms(bot, UA_PHONE, "llegué") == (f"Outreach: llegada registrada en #{number}. Responde TERMINÉ al volver, "
                                            "SOS si necesitas ayuda ya.")
    assert sms(bot, LEAD_PHONE, "IN").startswith(f"Outreach: checked in for #{number}.")  # the lead reads English
