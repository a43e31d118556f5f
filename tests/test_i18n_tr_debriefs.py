"""Spanish for the debriefs, commands, common, told, people, reminders and cover templates (issue 23 §3):
each says its words in the language in force, escapes what it is given, keeps mentions, and says the
same English as before."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace as NS

import pytest
from conftest import LOCK_SCREEN_FORBIDDEN, in_spanish_and_english

from handlers.render import Renderer
from outreach import i18n
from outreach import shifts as sh
from outreach.catalog import Catalog

WHEN = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
NASTY = "<!channel>"
ESCAPED = "&lt;!channel&gt;"


@pytest.fixture(scope="module")
def render() -> Renderer:
    return Renderer(Catalog([], [], []))


def shift(**values: object) -> NS:
    base = dict(id=12, kind="direct", venue="motel", area=NASTY, starts_at=WHEN, ends_at=WHEN + timedelta(hours=3),
                tz="America/Chicago", confirmed=1, capacity=3, team_size=1, min_team=2, understaffed=True,
                lead="U123", notes="", places_left=1, lead_apart=False, my_status="confirmed", cancelled=False)
    return NS(**{**base, **values})


def both(render: Renderer, name: str, /, **context: object) -> tuple[str, str]:
    """A template in English and in Spanish."""
    return in_spanish_and_english(render, name, **context)[::-1]


def test_help_lists_commands_in_spanish_with_the_english_command_and_its_alias(render):
    english, spanish = both(render, "commands/help.j2", allowed={"shifts", "signup", "trainings", "new"},
                            role="volunteer", problem=NASTY)
    assert english.startswith(f"{ESCAPED} Here is what I can do:\n\n*/outreach* runs the coalition's outreach")
    assert "• `/outreach trainings`: your recorded trainings\n" in english
    assert f"{ESCAPED} Esto es lo que puedo hacer:" in spanish
    assert "• `/outreach shifts` (o `/outreach turnos`): los turnos de los próximos 30 días" in spanish
    assert "`/outreach signup N` (o `/outreach inscribir N`)" in spanish
    assert "*Para coordinadores*" in spanish and "runs" not in spanish
    _, menu = both(render, "commands/help_tonight.j2", allowed={"checkin"}, role="volunteer")
    assert "*El turno de esta noche*" in menu and "`/outreach checkin N`" in menu and "*Llegué*" in menu


def test_usage_and_unknown_command_escape_what_was_typed(render):
    english, spanish = both(render, "commands/unknown.j2", name=NASTY)
    assert english == f"I don't know `/outreach {ESCAPED}`."
    assert spanish == f"No conozco `/outreach {ESCAPED}`."
    english, spanish = both(render, "common/usage.j2", usage=NASTY)
    assert english.startswith(f"I need a bit more: `{ESCAPED}`.") and spanish.startswith(f"Me falta un poco más: `{ESCAPED}`.")


def test_lock_screens_are_neutral_in_spanish_and_say_the_weekday_in_spanish(render):
    source = (render.env.loader.searchpath[0] + "/common/lock_screen.j2")
    notices = set(re.findall(r'"([a-z_]+/[a-z_]*)"', open(source).read())) | {"safety/escalation", "sos/alert", "x/y"}
    with i18n.speaking("es"):
        for notice in notices:
            for context in ({"shift_id": 12, "lead": "2h"}, {"shifts": [{"shift_id": 1}, {"shift_id": 2}], "lead": ""}):
                line = render("common/lock_screen.j2", notice=notice, shift=shift() if "shift_id" in context else None,
                              day="Friday" if "shift_id" in context else None, context=context)
                assert line and not LOCK_SCREEN_FORBIDDEN.search(line), (notice, line)
        assert render("common/lock_screen.j2", notice="shifts/changed", shift=shift(), day="Friday",
                      context={}) == "Tu turno del viernes cambió: toca para ver"
        assert render("common/lock_screen.j2", notice="readiness/revoked", shift=None, day=None,
                      context={"shifts": [1, 2]}) == "Luz verde retirada en 2 turnos, toca para ver"
    with i18n.speaking("en"):
        assert render("common/lock_screen.j2", notice="shifts/changed", shift=shift(), day="Friday",
                      context={}) == "Your Friday shift changed: tap to see"


def test_a_real_shift_reminder_in_spanish(bot):
    number = bot.create_shift(area=NASTY)
    real = sh.load_shift(bot.store, number)
    context = dict(shift=real, lead="2h", members=["ULEAD", "U123"], checklist=True, go_by=None, go_at=None,
                   meeting_point=None)
    with i18n.speaking("es"):
        text = bot.kit.render("reminders/reminder.j2", **context)
        line = bot.kit.render("common/lock_screen.j2", notice="reminders/reminder", shift=real,
                              day=real.local_start().strftime("%A"), context={"lead": "2h"})
    assert text.startswith(f":alarm_clock: *Recordatorio: el turno #{number} empieza <!date^")
    assert f"· {ESCAPED}, hasta las <!date^" in text
    assert "*Equipo:* <@ULEAD> (líder), <@U123>" in text
    assert ":white_circle: Todavía sin luz verde: espera a <@ULEAD>" in text
    assert "*Punto de encuentro:* todavía sin definir: pregúntale a <@ULEAD>" in text
    assert "*Tarjeta de la línea de ayuda:*" in text
    assert line == f"Recordatorio: el turno #{number} empieza en 2h: toca para ver"
    with i18n.speaking("en"):
        english = bot.kit.render("reminders/reminder.j2", **context)
    assert f"*Reminder: shift #{number} starts <!date^" in english and "*Team:* <@ULEAD> (lead), <@U123>" in english


def test_debrief_details_say_yes_no_and_none_in_spanish(render):
    d = NS(venue="motel", area=NASTY, started_at=WHEN, ended_at=WHEN + timedelta(hours=2), team=["U123"], contacts=3,
           brief=1, extended=1, languages=[], materials={}, indicators=[], referrals={}, hotline=True, police=False,
           police_why="", incident=False, incident_what="", load=None, checkin=True, notes="", notes_expired=False,
           hours=2.0)
    lists = NS(name=lambda kind, key: key)
    tasks = [dict(what=NASTY, owner="U123", due_on=date(2026, 12, 9), status="open")]
    english, spanish = both(render, "debriefs/details.j2", shift=shift(), d=d, lists=lists, wellbeing=[], tasks=tasks)
    assert "Hotline contacted: yes\nLaw enforcement contacted: no\n" in english
    assert f"• {ESCAPED} · <@U123> · due 2026-12-09 · open\n" in english
    assert "Se contactó a la línea de ayuda: sí\nSe contactó a las fuerzas del orden: no\n" in spanish
    assert f"*Turno #12* · Alcance directo · motel · {ESCAPED}" in spanish
    assert "Equipo: <@U123>" in spanish and "Materiales: ninguno" in spanish and "Derivaciones: ninguna" in spanish
    assert "Carga del líder: sin indicar · pidió una llamada de apoyo" in spanish
    assert f"• {ESCAPED} · <@U123> · vence el 2026-12-09 · abierto" in spanish and "*Notas*: ninguna" in spanish


def test_debrief_messages_count_in_spanish(render):
    draft = NS(referrals={"legal": 2}, materials={"kit": 1}, followups=[1], notes="x")
    english, spanish = both(render, "debriefs/details_added.j2", draft=draft, debrief=None, lists=None)
    assert english == (":white_check_mark: Details added: 2 referrals counted · 1 other material · 1 follow-up · notes. "
                       "Press Save to keep them with the debrief.")
    assert spanish == (":white_check_mark: Detalles añadidos: 2 derivaciones contadas · 1 material más · 1 seguimiento · "
                       "notas. Pulsa *Guardar* para conservarlos con el informe.")
    english, spanish = both(render, "debriefs/checkin.j2", user="U123", shift=shift())
    assert english == f":telephone_receiver: <@U123> would like a check-in call after shift #12 (motel, {ESCAPED}). Please reach out soon."
    assert spanish.startswith(f":telephone_receiver: <@U123> pide una llamada de apoyo después del turno #12 (motel, {ESCAPED}).")


def test_told_team_and_lead_in_spanish(render):
    english, spanish = both(render, "told/team.j2", shift=shift(), covered_by=None, left="U9", joined=["U123", "U7"])
    assert english.endswith("changed: <@U9> withdrew. <@U123>, <@U7> have the place from the waitlist. "
                            "The team now: 1 going out, 1 short of the minimum of 2.")
    assert "<@U9> se dio de baja. <@U123>, <@U7> tienen el lugar desde la lista de espera." in spanish
    assert spanish.endswith("El equipo ahora: sale 1 persona, faltan 1 para el mínimo de 2.")
    english, spanish = both(render, "told/lead.j2", shift=shift(capacity=1), changed=False)
    assert f"You lead shift #12: Direct outreach, motel, {ESCAPED}, <!date^" in english and "1 of 1 place taken" in english
    assert "Eres líder del turno #12" in spanish and "hay 1 de 1 lugar ocupado" in spanish


def test_people_role_and_trainings_in_spanish(render):
    english, spanish = both(render, "people/role.j2", admin=False, changed=False, role="volunteer", user="U123")
    assert (english, spanish) == ("<@U123> is already a volunteer.", "<@U123> ya es voluntario/a.")
    records = [NS(user_id="U123", training=NASTY, completed_on=date(2026, 1, 2), expires_on=date(2026, 6, 1))]
    english, spanish = both(render, "people/trainings.j2", records=records, pending=[], own=False, everyone=True, more=2,
                            target="U1", today=date(2026, 12, 1))
    assert english == f"*Recorded trainings*\n• <@U123>: {ESCAPED}, completed 2026-01-02, *expired* 2026-06-01\n…and 2 more."
    assert spanish == (f"*Capacitaciones registradas*\n• <@U123>: {ESCAPED}, completada el 2026-01-02, *vencida* el 2026-06-01\n"
                       "…y 2 más.")


def test_cover_answers_in_spanish(render):
    result = NS(outcome="asked", asked=2, waitlisted=1, able=4, shift=shift())
    english, spanish = both(render, "cover/ask_result.j2", r=result, number=12)
    assert english.startswith(f":mag: I asked *2 people* (1 from the waitlist first) to take your place on shift #12 ({ESCAPED}), "
                              "out of 4 who could. You stay on the shift")
    assert spanish.startswith(f":mag: Les pedí a *2 personas* (1 de la lista de espera primero) que tomen tu lugar en el turno #12 "
                              f"({ESCAPED}), de 4 que podían. Sigues en el turno")
    english, spanish = both(render, "cover/offer.j2", state="open", shift=shift(), leaver="U9", note=None)
    assert "*Can you take a place on shift #12?* <@U9> can't come.\nDirect outreach · motel · " in english
    assert "*¿Puedes tomar un lugar en el turno #12?* <@U9> no puede ir.\n" in spanish
    assert "· líder <@U123>\nQuien toque primero *Tomar este lugar* se lo queda." in spanish
