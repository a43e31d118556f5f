"""The words the domain (outreach/) writes for a person come in the language of whoever reads them (issue 23 §3):
the shift form's inline errors, its repeat, a debrief's errors (first screen and details) and a report period
that cannot be read, through the real pipeline, for someone who chose Spanish; unchanged in English."""

from __future__ import annotations

from conftest import ADMIN, shift_fields, submit_debrief

from outreach import i18n, languages
from outreach.readiness import load_protocol

LEAD = "ULEAD"


def spanish(bot, user: str) -> None:
    languages.choose_language(bot.store, user, "es", now=bot.clock())


def shift_errors(bot, user: str, *, metadata: dict | None = None, **overrides) -> dict:
    sent = bot.submit(user, "shift_form", shift_fields(bot.clock, **overrides), metadata=metadata or {"channel": "C1"})
    body = sent.json()
    assert body.get("response_action") == "errors", body
    return body["errors"]


def test_the_shift_form_answers_a_bad_date_and_bad_numbers_in_the_planners_language(bot):
    bot.make_coordinator("UEN")
    spanish(bot, ADMIN)
    bad_date = dict(start_date="2026-02-30", end_date="2026-02-30")
    assert shift_errors(bot, ADMIN, **bad_date)["start_time"] == "Indica la fecha y la hora de inicio."
    assert shift_errors(bot, "UEN", **bad_date)["start_time"] == "Give the start date and time."
    es = shift_errors(bot, ADMIN, end_time="18:00", capacity="1", min_team="2", area="x")
    assert es == {"end_time": "El fin debe ser posterior al inicio.",
                  "capacity": "La capacidad (1) es menor que el equipo mínimo (2).",
                  "area": "Indica una zona general, como un barrio o un pueblo (no hace falta la dirección)."}
    en = shift_errors(bot, "UEN", end_time="18:00", capacity="1", min_team="2", area="x")
    assert en == {"end_time": "The end must be after the start.",
                  "capacity": "Capacity (1) is below the minimum team size (2).",
                  "area": "Name a coarse area, like a neighbourhood or town (no street address needed)."}
    repeat = {"channel": "C1", "repeat": {"freq": "weekly", "end": "99"}}
    assert shift_errors(bot, ADMIN, metadata=repeat)["start_date"] == \
        "Repítelo de 2 a 52 veces, o indica una última fecha como 2027-06-30."
    assert shift_errors(bot, "UEN", metadata=repeat)["start_date"] == \
        "Repeat it from 2 to 52 times, or give a last date like 2027-06-30."
    assert bot.db["shifts"].count == 0


def ended_shift(bot) -> int:
    number = bot.create_shift()
    bot.clock.advance(days=1, hours=14)  # the shift's end
    return number


def debrief_errors(bot, user: str, number: int, fields: dict) -> dict:
    body = submit_debrief(bot, user, number, fields).json()
    assert body.get("response_action") == "errors", body
    return body["errors"]


def test_a_debrief_form_error_comes_in_the_leads_language(bot):
    number = ended_shift(bot)
    first = {"db_contacts": "5000", "db_mat_hotline-cards": "many", "db_flags": ["police"], "db_load": "3"}
    spanish(bot, LEAD)
    assert debrief_errors(bot, LEAD, number, first) == {
        "db_contacts": "Personas alcanzadas: escribe un número entero de 0 a 1000.",
        "db_mat_hotline-cards": "Tarjetas de la línea de ayuda: escribe un número entero de 0 a 10000.",
        "db_what": "Cuenta brevemente qué pasó y por qué se contactó a las fuerzas del orden, para que los "
                   "coordinadores puedan hacer seguimiento con el equipo (sin nombres).",
    }
    details = dict(first, db_contacts="10", db_brief="lots", db_fu1_what="Call the clinic back", db_fu1_owner=LEAD,
                   db_fu1_due="2030-01-01")
    assert debrief_errors(bot, LEAD, number, details) == {
        "db_brief": "Conversaciones breves: escribe un número entero de 0 a 1000.",
        "db_fu1_due": "Elige una fecha de vencimiento entre hoy y dentro de un año.",
    }
    languages.choose_language(bot.store, LEAD, "en", now=bot.clock())
    assert debrief_errors(bot, LEAD, number, first) == {
        "db_contacts": "People reached must be a whole number from 0 to 1000.",
        "db_mat_hotline-cards": "Hotline cards must be a whole number from 0 to 10000.",
        "db_what": "Say briefly what happened and why law enforcement was contacted, so coordinators can follow up "
                   "with the team (no names).",
    }
    assert bot.db["debriefs"].count == 0


def test_a_report_period_that_cannot_be_read_is_explained_in_the_coordinators_language(bot):
    bot.make_coordinator("UEN")
    spanish(bot, ADMIN)
    es = bot.command(ADMIN, "report July").text()
    assert es.startswith("July no es un período. ") and "2026-07-01..2027-06-30" in es
    assert "is not a period" not in es
    backwards = bot.command(ADMIN, "report 2026-07-01..2026-06-30").text()
    assert backwards.startswith("el período termina antes de empezar: pon primero el primer día. ")
    en = bot.command("UEN", "report July").text()
    assert en.startswith("July is not a period. I need a bit more")
    assert not bot.fake.calls_to("files.getUploadURLExternal")


def test_the_national_hotline_in_a_readiness_check_is_named_in_the_language_in_force(bot):
    protocol = load_protocol(bot.settings.data_dir)
    with i18n.speaking("es"):
        assert protocol.hotline(None).name == "Línea Nacional contra la Trata de Personas"
    assert protocol.hotline("national").name == "National Human Trafficking Hotline"
