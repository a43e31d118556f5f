"""The shifts, readiness, series, home and team templates in Spanish (issue 23 §3): the words change, the
values stay escaped for mrkdwn, mentions and Slack's date tokens stay as they are, and English is unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace as NS
from zoneinfo import ZoneInfo

import pytest
from conftest import in_spanish_and_english

from handlers.render import Renderer
from outreach import i18n
from outreach import shifts as sh
from outreach.catalog import Catalog

START = datetime(2026, 12, 11, 21, 0, tzinfo=UTC)
BAD = "<!channel> & co"


class Shift(NS):
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(ZoneInfo(self.tz))

    def local_end(self) -> datetime:
        return self.ends_at.astimezone(ZoneInfo(self.tz))


def a_shift(**overrides: object) -> Shift:
    fields = dict(id=12, kind="direct", area=BAD, venue="streets", starts_at=START, ends_at=START + timedelta(hours=3),
                  tz="America/Chicago", lead="U123", cancelled=False, cancel_reason=None, confirmed=2, capacity=4,
                  min_team=2, training="direct101", languages=["es"], notes=None, waitlisted=0, places_left=2,
                  understaffed=False, team_size=2, my_status=None)
    fields.update(overrides)
    return Shift(**fields)


@pytest.fixture
def render() -> Renderer:
    renderer = Renderer(Catalog([], [], []))
    renderer.env.filters.update(readiness=lambda shift: "", readiness_detail=lambda shift: "",
                                category=lambda key: key, condition=lambda key: key)
    return renderer


in_both = in_spanish_and_english


def test_a_real_shift_s_details_and_post_in_spanish(bot):
    number = bot.create_shift(area="Eastside <!channel>")
    shift = sh.load_shift(bot.store, number)
    with i18n.speaking("es"):
        details = bot.kit.render("shifts/details.j2", shift=shift, team=[], waitlist=["U777"], show_sos=False)
        post = bot.kit.render("shifts/post.j2", shift=shift)
    assert "*Dónde:*" in details and "Eastside &lt;!channel&gt;" in details
    assert "*Líder:* <@ULEAD>" in details and "*Lista de espera:* 1. <@U777>" in details
    assert "*Equipo:* 0 de 3 (mínimo 2)" in details and "*Preparación:*" in details
    assert f"*Nuevo turno #{number}:" in post and "Líder <@ULEAD>" in post and "0 de 3 inscritos (equipo mínimo 2)" in post
    assert "<!channel>" not in details + post and "<!date^" in post
    with i18n.speaking("en"):
        details = bot.kit.render("shifts/details.j2", shift=shift, team=[], waitlist=["U777"], show_sos=False)
    assert "*Where:* " in details and "*Lead:* <@ULEAD>" in details and "*Waitlist:* 1. <@U777>" in details


def test_signup_answers_in_spanish(render):
    shift = a_shift()
    spanish, english = in_both(render, "shifts/signup_result.j2", outcome="confirmed", shift=shift)
    assert spanish.startswith(":white_check_mark: Te inscribiste en el turno #12 (") and ", &lt;!channel&gt; &amp; co), <!date^" in spanish
    assert spanish.endswith("¡Gracias!")
    assert english.startswith(":white_check_mark: You're signed up for shift #12 (Direct outreach, &lt;!channel&gt; &amp; co), <!date^")
    spanish, english = in_both(render, "shifts/signup_result.j2", outcome="missing_training", shift=shift,
                               training=BAD, coordinators=["U123", "U456"])
    assert spanish == (":no_entry: El turno #12 requiere *&lt;!channel&gt; &amp; co*, válida en la fecha del turno, y no tengo "
                       "ese registro tuyo. Un coordinador (<@U123>, <@U456>) puede registrártela; después podrás inscribirte.")
    assert english == (":no_entry: Shift #12 requires *&lt;!channel&gt; &amp; co*, valid on the shift's date, and I have no "
                       "such record for you. A coordinator (<@U123>, <@U456>) can record it for you; then you can sign up.")
    spanish, english = in_both(render, "shifts/withdraw_result.j2", outcome="started", shift=shift)
    assert spanish == "El turno #12 ya empezó. Si no puedes estar, avísale directamente a quien lo lidera, <@U123>."
    assert english == "Shift #12 has already started. If you can't be there, tell the lead <@U123> directly."


@pytest.mark.parametrize("places, spanish, english", [
    (1, "1 lugar libre de 4", "1 place left of 4"),
    (3, "3 lugares libres de 4", "3 places left of 4"),
    (1_000_000, "1000000 lugares libres de 4", "1000000 places left of 4"),  # Babel's "many" form, written as "other"
])
def test_counts_take_the_plural_form_of_each_language(render, places, spanish, english):
    said_es, said_en = in_both(render, "shifts/summary.j2", shift=a_shift(places_left=places))
    assert spanish in said_es and "Líder <@U123>" in said_es and "&lt;!channel&gt;" in said_es
    assert english in said_en and "Lead <@U123>" in said_en


def test_the_checklist_in_spanish(render):
    item = NS(check="training", detail=NS(training="direct101", lacking=["U123", "U9"]), name=BAD, passed=False,
              required=True, ticked_by=None, ticked_at=None, evidence=None, evidence_kind=None, evidence_label=None)
    spanish, english = in_both(render, "readiness/item.j2", i=item, tz="UTC")
    assert spanish == ":x: *&lt;!channel&gt; &amp; co*\ndirect101 no es válida en la fecha del turno para <@U123>, <@U9>"
    assert english == ":x: *&lt;!channel&gt; &amp; co*\ndirect101 not valid on the shift's date for <@U123>, <@U9>"
    one = NS(outcome="missing", readiness=NS(missing=[item]))
    spanish, english = in_both(render, "readiness/go_result.j2", result=one, number=12, tz="UTC")
    assert spanish.startswith(":no_entry: Aún no hay luz verde para el turno #12: falta 1 punto obligatorio:\n• &lt;!channel&gt;")
    assert english.startswith(":no_entry: No Go for shift #12 yet: 1 required item missing:\n• &lt;!channel&gt;")
    three = NS(outcome="missing", readiness=NS(missing=[item] * 3))
    spanish, _ = in_both(render, "readiness/go_result.j2", result=three, number=12, tz="UTC")
    assert "faltan 3 puntos obligatorios:" in spanish
    status = NS(shift=a_shift(), cancelled=False, applies=True, go=True, go_by="U123", go_at=START, ready=True,
                revoked_at=None, missing=[], required_count=5)
    spanish, english = in_both(render, "readiness/status.j2", r=status, editor=True)
    assert spanish.startswith("*Turno #12 ") and "* · streets · &lt;!channel&gt; &amp; co · <!date^" in spanish
    assert ":large_green_circle: *Luz verde* dada por <@U123> a las <!date^" in spanish
    assert ":large_green_circle: *Go recorded* by <@U123> at <!date^" in english


def test_the_hotline_card_and_its_lock_screen_text_in_spanish(render):
    national = NS(name="National Hotline", phone="1-888-373-7888", text="233733", hours="24/7",
                  interpretation="200+ languages")
    local = NS(name=BAD, phone="555-0100", text=None, hours="24/7", languages=[])
    spanish, english = in_both(render, "readiness/hotline_card.j2", national=national, qualified=[local], unqualified=[])
    assert "Llama al *1-888-373-7888* · Envía un SMS al *233733* · 24/7, confidencial" in spanish
    assert "*&lt;!channel&gt; &amp; co* (local)\nLlama al *555-0100* · 24/7" in spanish
    assert spanish.endswith("_Léela en voz alta o muéstrala; la persona se queda con el número, tú no guardas nada sobre ella._")
    assert "Call *1-888-373-7888* · Text *233733* · 24/7, confidential" in english
    spanish, english = in_both(render, "readiness/hotline_dm.j2")
    assert (spanish, english) == ("Tu tarjeta de la línea de ayuda: toca para verla", "Your hotline card: tap to see")


def test_a_series_in_spanish(render):
    spanish, english = in_both(render, "series/details_line.j2", series=NS(freq="biweekly", status="active"), member=False)
    assert spanish == ":repeat: Se repite cada 2 semanas. Inscríbete en uno, o en todos."
    assert english == ":repeat: Repeats every 2 weeks. Sign up for one, or for all of them."
    spanish, english = in_both(render, "series/form_cancel.j2", shift=a_shift(), count=2)
    assert spanish.startswith("*Cancelar el turno #12 y 1 turno posterior de esta serie.*")
    assert english.startswith("*Cancel shift #12 and 1 later shift of this series.*")
    spanish, _ = in_both(render, "series/cancelled.j2", reason=BAD, items=[NS(shift=a_shift(), start=START)])
    assert spanish.startswith(":x: Se cancelaron estos turnos en los que estabas: &lt;!channel&gt; &amp; co.\n• #12 (")
    assert spanish.endswith("No tienes que hacer nada. Gracias por inscribirte.")


def test_the_app_home_in_spanish(render):
    spanish, english = in_both(render, "home/shift.j2", shift=a_shift())
    assert "· líder <@U123>\nAún no hay punto de encuentro escrito: te lo dirá el líder, <@U123>." in spanish
    assert "&lt;!channel&gt; &amp; co" in spanish
    assert "· lead <@U123>\nNo meeting point written yet: the lead <@U123> will tell you." in english
    spanish, english = in_both(render, "home/heading.j2", part="find", count=40, pages=2, page=1)
    assert spanish == "*Turnos en los próximos 30 días* (40), página 1 de 2"
    assert english == "*Shifts in the next 30 days* (40), page 1 of 2"


def test_a_team_message_in_spanish(render):
    message = NS(sender="U123", text=BAD)
    spanish, english = in_both(render, "team/message.j2", message=message, shift=a_shift())
    assert spanish.startswith(":speech_balloon: *Un mensaje de <@U123> sobre el turno #12* (")
    assert " · &lt;!channel&gt; &amp; co, <!date^" in spanish
    assert spanish.endswith("):\n&lt;!channel&gt; &amp; co")
    assert english.startswith(":speech_balloon: *A message from <@U123> about shift #12* (Direct outreach · &lt;!channel&gt;")
    spanish, english = in_both(render, "team/sent.j2", sent=NS(told=3, waitlist=True), shift=a_shift())
    assert spanish == (":white_check_mark: Enviado: 3 personas del turno #12 (equipo y lista de espera) reciben tu mensaje "
                       "por mensaje directo.")
    assert english == ":white_check_mark: Sent: 3 people on shift #12 (team and waitlist) get your message by DM."
