"""The rota, drill, setup, phone and field templates in Spanish and English: Spanish words, values escaped for
mrkdwn, mentions kept, English unchanged; and the field SMS short enough for a basic phone in both languages."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace as NS

import pytest
from conftest import in_spanish_and_english

from handlers.render import Renderer
from outreach.catalog import Catalog

T0 = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
TZ = "America/Chicago"
EVIL = "<!channel>"
# The GSM 03.38 basic alphabet: a text only of these is sent 160 characters a segment (é, ñ, É are in it; á, í, ó, ú not).
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
           "abcdefghijklmnopqrstuvwxyzäöñüà")


@pytest.fixture(scope="module")
def render():
    return Renderer(Catalog([], [], []))


both = in_spanish_and_english


def segments(text: str) -> int:
    """How many SMS segments a text takes (GSM-7: 160, or 153 each when split; else UCS-2: 70, or 67)."""
    if set(text) <= GSM7:
        return 1 if len(text) <= 160 else math.ceil(len(text) / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def test_field_sms_teach_the_spanish_words_in_one_segment(render):
    es, en = both(render, "field/sms.j2", part="start", number=12)
    assert es == "Outreach: empieza el turno #12. Responde LLEGUÉ al llegar, TERMINÉ al volver, SOS si necesitas ayuda ya."
    assert en == "Outreach: Shift #12 starts. Reply IN when you are out, OUT when you are back, SOS if you need help now."
    main = [("start", {}), ("in", {"outcome": "done"}), ("out", {"outcome": "done", "over": True}),
            ("sos", {"outcome": "done", "delivered": True, "others": [14]}),
            ("sos", {"outcome": "done", "delivered": False, "others": [14]})]
    for part, extra in main:
        for text in both(render, "field/sms.j2", part=part, number=12, **extra):
            assert segments(text) == 1, text
    es, _ = both(render, "field/sms.j2", part="choose", word="IN", choices=[12, 14, 16])
    assert es == "Outreach: tus turnos son #12 y #14 y #16. Responde IN 12 o IN 14 o IN 16."


def test_phone_sms_and_call_in_spanish(render):
    es, en = both(render, "phone/sms.j2", choices=[12, 14], shift_id=12)
    assert es == ("Outreach: un equipo necesita un coordinador ahora (#12). Responde 1 12 o 1 14 para encargarte de "
                  "uno, o abre Slack.")
    assert en == "Outreach: a team needs a coordinator now (#12). Reply 1 12 or 1 14 to take one, or open Slack."
    code, _ = both(render, "phone/code.j2", code="123456")
    assert "tu clave es 123456" in code and segments(code) == 1
    voice, _ = both(render, "phone/voice.j2", outcome="taken", told=False)
    assert voice.startswith("Gracias. Te encargas tú. Es una alerta de coacción")
    es, en = both(render, "phone/form.j2", part="bad_number", region=EVIL)
    assert es.endswith("como se marca en &lt;!channel&gt;.") and en.endswith("as dialled in &lt;!channel&gt;.")
    home, _ = both(render, "phone/home.j2", phone=NS(verified_at=T0, masked="•••• 0177"), coordinator=False)
    assert "responde LLEGUÉ, TERMINÉ o SOS" in home


def test_duress_details_keep_mentions_and_say_it_in_spanish(render):
    items = [NS(pressed_by="U123", pressed_at=T0, acked_at=None, acked_by=None)]
    es, en = both(render, "field/duress.j2", part="details", items=items, tz=TZ)
    assert es.startswith(":sos: *Coacción* (solo coordinadores; el equipo nunca ve esto): <@U123> registró su salida")
    assert es.endswith("*nadie se encarga aún*")
    assert en.startswith(":sos: *Duress* (coordinators only; the team never sees this): <@U123> checked out with")


def test_rota_left_in_spanish_with_plurals_escaped_areas_and_mentions(render):
    shift = NS(id=12, kind="direct", area=EVIL, starts_at=T0, tz=TZ)
    context = dict(user="U123", in_rota=True, nights_dropped=3, coordinator=True, phone=False, shifts=[shift],
                   gaps=[(date(2026, 12, 5), date(2026, 12, 5))], leaderless=[shift])
    es, en = both(render, "rota/left.j2", **context)
    lines = es.splitlines()
    assert lines[0] == ":wave: <@U123> dejó el espacio de trabajo."
    assert lines[1] == ("Hecho: quitado/a del calendario de guardias; devueltas las 3 noches que había tomado; "
                        "ya no es coordinador/a; ya no es líder de 1 turno futuro.")
    assert lines[2] == "*Ahora sin cubrir:*"
    assert "&lt;!channel&gt;" in lines[4] and "sin líder (`/outreach edit 12` nombra uno)" in lines[4]
    assert en.splitlines()[1] == ("Done: taken off the on-call rota; the 3 nights they had taken given back; "
                                  "no longer a coordinator; no longer the lead of 1 future shift.")


def test_rota_tonight_and_next_each_on_a_line_and_the_gaps_after(render):
    turns = [NS(user="U1", override=True, open_ended=False, starts_at=T0, ends_at=T0 + timedelta(days=1), nights=3),
             NS(user=None, open_ended=False, starts_at=T0 + timedelta(days=1), nights=1)]
    es, en = both(render, "rota/home.j2", part="coordinator", turns=turns, fallback=[], tz=TZ,
                  gaps=[(date(2026, 12, 5), date(2026, 12, 6))])
    assert [line.split(" ")[0] for line in es.splitlines()] == ["*Esta", "*Después:*", ":warning:"]
    assert "<@U1> (se quedó la noche)" in es and "durante 1 noche" in es
    assert [line.split(" ")[0] for line in en.splitlines()] == ["*Tonight:*", "*Next:*", ":warning:"]
    assert "for 1 night\n" in en


def test_oncall_lists_one_night_a_line(render):
    rows = [(date(2026, 12, 4), "U1", False), (date(2026, 12, 5), "U2", True)]
    es, en = both(render, "rota/oncall.j2", rows=rows, fallback=[], coordinator=True, handover="18:00", tz=TZ)
    assert es.splitlines()[1:] == ["• Esta noche: <@U1>", "• sáb 05 dic: <@U2> (se quedó la noche)"]
    assert en.splitlines()[1:] == ["• Tonight: <@U1>", "• Sat 05 Dec: <@U2> (took the night)"]


def test_drill_post_and_sms_in_spanish(render):
    people = [NS(user="U123", taken_at=None), NS(user="U2", taken_at=T0)]
    drill = NS(id=7, over=False, started_at=T0, started_by="U1", paths=["dm", "sms"], people=people)
    es, en = both(render, "drill/post.j2", part="post", drill=drill, names={"dm": "DMs", "sms": "SMS"}, tz=TZ)
    assert es.startswith("PRUEBA: *simulacro #7*, iniciado por <@U1>")
    assert "Va a <@U123>, <@U2> por DMs, SMS." in es and es.endswith("Aún falta: <@U123>.")
    assert en.startswith("TEST: *drill #7*, started by <@U1>") and en.endswith("Still waiting for: <@U123>.")
    sms, _ = both(render, "drill/phone.j2", part="sms")
    assert sms.startswith("PRUEBA Outreach: es un simulacro") and segments(sms) == 1
    es, en = both(render, "drill/answer.j2", outcome="already", took=EVIL)
    assert es == "PRUEBA: ya contestaste este simulacro (tras &lt;!channel&gt;)."
    assert en == "TEST: you already took this drill (after &lt;!channel&gt;)."


def test_setup_in_spanish(render):
    report = NS(errors=[(2, EVIL), (3, "x")])
    es, en = both(render, "setup/partners.j2", part="refused", file=EVIL, report=report, limit=1)
    assert es.splitlines() == [":no_entry: No se importó nada de &lt;!channel&gt;: 2 problemas. Corrígelos y envía el "
                               "archivo otra vez.", "• línea 2: &lt;!channel&gt;", "• y 1 más"]
    assert en.splitlines()[0] == ":no_entry: Nothing imported from &lt;!channel&gt;: 2 problems. Fix them and send the file again."
    item = NS(id="trainings", done=True, by="U123", at=T0)
    es, en = both(render, "setup/item.j2", item=item, channel="C1")
    assert es.startswith(":white_check_mark: *Capacitaciones*: revisadas por <@U123> el <!date^")
    assert en.startswith(":white_check_mark: *Trainings*: reviewed by <@U123> on <!date^")
    h = NS(name=EVIL, phone="+1 555", qualified=False, unmet=["a"], conditions={"a": False})
    es, _ = both(render, "setup/hotlines.j2", part="local", h=h, conditions={"a": "Staffed 24/7"})
    assert es.splitlines() == ["*&lt;!channel&gt;* (+1 555): no cumple 1 de las 6 condiciones, así que *no* está en la "
                               "tarjeta", ":x: Staffed 24/7"]
