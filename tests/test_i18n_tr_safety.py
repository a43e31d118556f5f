"""The safety net's words in Spanish (issue 23 §3): the safety, sos, reach and health templates speak the language
in force, keep Slack's mentions and tokens, escape what they are given, and stay as they were in English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import LOCK_SCREEN_FORBIDDEN
from markupsafe import Markup

from handlers.render import Renderer
from outreach import i18n
from outreach.catalog import Catalog
from outreach.safety import State
from outreach.shifts import Shift
from outreach.sos import Sos

START = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
AREA = "<!channel> & Eastside"  # a typed value: must come out escaped, in both languages


@pytest.fixture
def render() -> Renderer:
    return Renderer(Catalog([], [], []))


def shift() -> Shift:
    return Shift(id=12, kind="direct", venue="street", area=AREA, starts_at=START, ends_at=START + timedelta(hours=3),
                 tz="America/Chicago", capacity=4, min_team=2, languages=["es"], lead="U123", training=None, notes="",
                 status="planned", cancel_reason=None, channel=None, message_ts=None, safety_net=True)


def alert(render: Renderer, language: str, *, repeats: int = 0, dm: bool = False) -> str:
    escalation = {"reason": "checkout", "since": START + timedelta(hours=3, minutes=20), "repeats": repeats,
                  "acked_by": None, "acked": None, "expired_at": None, "acked_at": None}
    with i18n.speaking(language):
        return render("safety/alert.j2", part="body", dm=dm, shift=shift(), state=State(shift_id=12),
                      escalations=[escalation], open=[escalation], still_out=("U456",), members=("U456",),
                      contact="Sgt <b>", absent=(), contacts=None, every="15 minutes", after=2, incident=None)


def test_the_safety_alert_in_spanish_keeps_mentions_and_escapes_values(render):
    text = alert(render, "es", repeats=1)
    assert "*Alerta: turno #12* necesita un coordinador." in text
    assert "• Sin registrar la salida: <@U456> desde las <!date^" in text
    assert "repetida 1 vez · *abierta*" in text
    assert "*Líder:* <@U123> · *Equipo:* <@U456>" in text
    assert "&lt;!channel&gt; &amp; Eastside" in text and "<!channel>" not in text
    assert "*Contacto policial:* Sgt &lt;b&gt;" in text
    assert "toca *Atender* cuando te encargues." in text
    assert "tras 2 repeticiones también se avisa a las personas a llamar" in text
    assert "repetida 3 veces" in alert(render, "es", repeats=3)


def test_the_safety_alert_in_english_is_unchanged(render):
    text = alert(render, "en", repeats=1)
    assert text.startswith(":rotating_light: *Safety alert: shift #12* needs a coordinator.\n• Not checked out: <@U456> since ")
    assert " · repeated 1 time · *open*\n" in text
    assert "*Lead:* <@U123> · *Team:* <@U456>\n*Law enforcement contact:* Sgt &lt;b&gt;\n" in text
    assert text.endswith("The team is being asked by DM. Try the lead and the team; *Acknowledge* when you take it on."
                         " Until then it repeats every 15 minutes in this thread; after 2 repeats the people named to"
                         " call if the team goes silent are told too.")
    assert "repeated 3 times" in alert(render, "en", repeats=3)


def test_a_check_out_and_the_lead_prompt_in_spanish(render):
    with i18n.speaking("es"):
        done = render("safety/result.j2", action="checkout", outcome="done", number=12, shift=shift(), over=False,
                      still_out=("U456", "U789"), others=(), absent=(), kept=(), told=False, minutes=None)
        prompt = render("safety/checkin_prompt.j2", shift=shift(), lead=True)
    assert done == (":white_check_mark: Salida registrada del turno #12: gracias, que llegues bien a casa. Siguen fuera:"
                    " <@U456>, <@U789>. Registran su propia salida, o el líder usa *Todos de vuelta a salvo*.")
    assert prompt.startswith(":shield: *El turno #12 empieza ahora* (&lt;!channel&gt; &amp; Eastside). Toca *Llegué (yo)*")
    with i18n.speaking("en"):
        assert render("safety/checkin_prompt.j2", shift=shift(), lead=False) == (
            ":shield: *Shift #12 starts now* (&lt;!channel&gt; &amp; Eastside). When you are out, check in so the"
            " coordinators know.")


def test_the_timeline_in_spanish_names_channels_and_people(render):
    steps = [{"step": "coordinators", "reason": "ping2", "people": ("C999", "U456"), "by": None, "at": START},
             {"step": "sms-failed", "reason": "checkout", "people": ("U456",), "by": None, "at": START},
             {"step": "resolved:1", "reason": "checkout", "people": (), "by": "U123", "at": START}]
    with i18n.speaking("es"):
        text = render("safety/timeline.j2", shift=shift(), steps=steps)
    lines = text.splitlines()
    assert lines[0] == "*Cronología de seguridad*"
    assert lines[1].endswith(" · nivel 2: enviado a los coordinadores (<#C999>, <@U456>) (control 2)")
    assert lines[2].endswith(" · no se pudo enviar un SMS a <@U456> (el número fue rechazado o no estaba disponible)")
    assert lines[3].endswith(" · resuelta por <@U123>")


def sos(**kw: object) -> Sos:
    return Sos(id=1, shift_id=12, pressed_by="U456", pressed_at=START + timedelta(hours=1), **kw)


def test_an_sos_in_spanish_keeps_the_broadcast_and_escapes_the_area(render):
    with i18n.speaking("es"):
        headline = render("sos/alert.j2", part="headline", dm=False, broadcast=Markup("<!channel>"), shift=shift(),
                          sos=sos(), pressers=(), members=(), contact=None, every="minute")
        duress = render("sos/home_open.j2", part="sos", shift=shift(), sos=sos(duress=True))
        more = render("sos/home_open.j2", part="more", more=2)
        told = render("sos/told.j2", said="delivered", reached=True, channel_down=False, shift=shift(), sos=sos(),
                      delivered=START + timedelta(hours=1, seconds=5), every="2 minutes")
    assert headline == ("<!channel> :sos: SOS del turno #12 (&lt;!channel&gt; &amp; Eastside): el equipo necesita un"
                        " coordinador ya")
    assert duress.startswith(":sos: *SOS BAJO COACCIÓN del turno #12* (&lt;!channel&gt; &amp; Eastside): <@U456> registró"
                             " la salida con su palabra de coacción")
    assert "No le contactes de forma que se note" in duress
    assert more == "2 SOS abiertos más: cada uno está en tus mensajes directos con *Me encargo*."
    assert told.startswith(":sos: *Coordinadores alertados a las <!date^")
    assert "¿En peligro? Llama al número local de emergencias." in told
    with i18n.speaking("en"):
        assert render("sos/home_open.j2", part="more", more=1) == "1 more open SOS: each is in your DMs with *I'm on it*."
        assert render("sos/result.j2", outcome="not_found", number=7, sos=None, tz="UTC", reached=True,
                      channel_down=False) == "There's no shift #7."


def test_reach_and_health_in_spanish(render):
    with i18n.speaking("es"):
        person = render("reach/person.j2", user="U456", error="account_inactive", coordinator=True)
        channel = render("reach/channel.j2", channel="C999", error="not_in_channel", coordinators=False)
        stuck = render("health/stuck.j2", why="<!here> worker", since=START, tz="UTC")
    assert person.startswith(":warning: *No puedo enviar mensajes directos a <@U456>* (Slack dice `account_inactive`:"
                             " la cuenta está desactivada).")
    assert "(`/outreach role @them volunteer`)" in person
    assert channel.splitlines()[1] == "El bot no es miembro del canal: escribe `/invite @outreach` en <#C999>."
    assert "&lt;!here&gt; worker." in stuck and "<!here>" not in stuck
    assert stuck.startswith(":warning: *El bot dejó de hacer o enviar lo que debe* (desde las <!date^")
    with i18n.speaking("en"):
        assert render("health/recovered.j2", waited="3 min") == (
            ":white_check_mark: The bot is answering again (it was stuck for about 3 min). What was saved meanwhile is"
            " being done now.")


def test_no_spanish_safety_word_could_leak_onto_a_lock_screen():
    areas = ("safety", "sos", "reach", "health")
    for path in i18n.catalogue_files("es"):
        if path.stem not in areas:
            continue
        for message in i18n.read_catalogue(path, "es"):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for string in strings:
                assert not LOCK_SCREEN_FORBIDDEN.search(string or ""), (path.name, string)
