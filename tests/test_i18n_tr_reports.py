"""Hours, partners, trainings, reports, coordinators' forms and calendar messages in Spanish and English
(issue 23 §3): the words follow the language in force, a value is escaped for mrkdwn once, a mention is kept."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from types import SimpleNamespace as NS

import pytest
from conftest import in_spanish_and_english
from pypdf import PdfReader

from handlers import reports as handler_reports
from outreach import i18n
from outreach import report_files as rf
from outreach.hours import Line, Statement, Summary
from outreach.partners import Partner
from outreach.reports import parse_period
from outreach.trainings import Claim

EVIL = "<!channel>"
ESCAPED = "&lt;!channel&gt;"
DAY = date(2026, 11, 20)
START = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)


@pytest.fixture
def render(bot):
    return bot.kit.render


in_both = in_spanish_and_english


def a_shift(**changes):
    values = dict(id=7, kind="direct", area=EVIL, starts_at=START, ends_at=START, tz="America/Chicago", lead="U123",
                  cancelled=False, my_status=None, places_left=2)
    return NS(**(values | changes))


def test_hours_messages(render):
    es, en = in_both(render, "hours/statement_hint.j2", name=EVIL)
    assert "Lleva tu nombre como lo conoce Slack: *" + ESCAPED + "*" in es
    assert en == ("A one-page PDF of your hours this year, for a school, a court or an employer, arrives in your DMs with a "
                  "number the coordinators can confirm. It carries your name as Slack knows it: *" + ESCAPED + "* (the full "
                  "name in your Slack profile: change it there).")
    es, en = in_both(render, "hours/corrected.j2", user="U123", shift=4, before=2, after=3.5, days=30)
    assert es.startswith(":white_check_mark: Guardado: <@U123> en el turno #4, 2 h → 3,5 h.")
    assert en.startswith(":white_check_mark: Recorded: <@U123> on shift #4, 2 h → 3.5 h. The correction is in the audit log")
    summary = NS(year=2026, total=6.0, lines=[Line(1, DAY, "direct", 3.0, True), Line(2, DAY, "direct", 3.0, False)],
                 missed=1, by_month=[], by_kind=[])
    es, en = in_both(render, "hours/person.j2", user="U123", s=summary)
    assert es.splitlines()[0] == "*<@U123> en 2026: 6 h* en 2 turnos · 1 inasistencia"
    assert "(corregido)" in es
    assert en.splitlines()[0] == "*<@U123> in 2026: 6 h* on 2 shifts · 1 no-show"
    statement = Statement(number=12, user="U123", first=DAY, last=DAY, hours=3.0, shifts=1, issued_at=START,
                          issued_to=EVIL)
    es, en = in_both(render, "hours/verify.j2", st=statement, zone="America/Chicago", again=3.0)
    assert "*La constancia n.º 12* se emitió el" in es and f"a *{ESCAPED}* (<@U123>): *3 h* en 1 turno" in es
    assert es.endswith("Contados de nuevo hoy, los mismos días dan las mismas horas.")
    assert f"to *{ESCAPED}* (<@U123>): *3 h* on 1 shift, 20 November 2026 to 20 November 2026.\n" in en


def test_partners_messages(render):
    es, en = in_both(render, "partners/refer_unknown.j2", need=EVIL, suggestions=[NS(name="Housing")])
    assert es.startswith(f"No conozco la necesidad “{ESCAPED}”. ¿Quisiste decir *Housing*? Prueba `/outreach refer housing`.")
    assert en.startswith(f"I don't know the need “{ESCAPED}”. Did you mean *Housing*? Try `/outreach refer housing`.")
    partner = Partner(id=1, name=EVIL, categories=[], languages=[], hours="9-5", phone="555", contact="",
                      notes="", verified_on=DAY)
    es, en = in_both(render, "partners/removed.j2", p=partner, shifts=[3, 4])
    assert es == f":wastebasket: Se quitó *{ESCAPED}* de la red de derivación. Se quitaron también sus guardias en 2 turnos."
    assert en == f":wastebasket: Removed *{ESCAPED}* from the referral network. Its on-call places on 2 shifts went with it."
    es, en = in_both(render, "partners/list_header.j2", query="", count=1, shown=1, coordinator=False)
    assert (es, en) == ("*La red de derivación*: 1 organización aliada", "*The referral network*: 1 partner")


def test_trainings_messages(render):
    claim = Claim(id=1, shift_id=7, user_id="U999", training="none-such", completed_on=DAY, expires_on=None,
                  status="confirmed", decided_by="U123")
    es, en = in_both(render, "trainings/claim_result.j2", claim=claim, outcome="told")
    assert es == (":mortar_board: <@U123> confirmó tu asistencia al turno de capacitación #7: *none-such* queda "
                  "registrada.")
    assert en == ":mortar_board: <@U123> confirmed your attendance at training shift #7: *none-such* is recorded."
    es, en = in_both(render, "trainings/lapse.j2", training=EVIL, expires_on=DAY, days=3, shifts=[])
    assert es.startswith(f":mortar_board: Tu *{ESCAPED}* es válida hasta el 2026-11-20 (dentro de 3 días). Aún no hay")
    assert en.startswith(f":mortar_board: Your *{ESCAPED}* is valid until 2026-11-20 (3 days from now). No training shift")
    es, en = in_both(render, "trainings/lapse_shift.j2", shift=a_shift(places_left=1))
    assert es.endswith("· queda 1 lugar") and en.endswith("· 1 place left")
    assert f"· {ESCAPED}, <!date^" in es


def test_reports_messages(bot, render):
    es, en = in_both(render, "reports/bad_period.j2", problem="", usage=EVIL)
    assert es.startswith(f"Necesito un poco más: `{ESCAPED}`, donde PERIOD es un mes como `2026-10`")
    assert en.startswith(f"I need a bit more: `{ESCAPED}`, where PERIOD is a month like `2026-10`")
    es, en = in_both(render, "reports/uploading.j2", channel="C42", what="chart")
    assert (es, en) == ("El gráfico de 12 meses se está subiendo a <#C42>.", "The 12-month chart is being uploaded to <#C42>.")
    period = parse_period("2026-10", today=DAY)
    with i18n.speaking("es"):
        es = handler_reports.report_text(bot.kit, period)
    with i18n.speaking("en"):
        en = handler_reports.report_text(bot.kit, period)
    assert es.splitlines()[0] == ":bar_chart: *Impacto del alcance, 2026-10* (primer período registrado: no hay con qué comparar)"
    assert "*Materiales*: *0*: ninguno" in es and "*Horas de voluntariado*: *0.0*" in es
    assert en.splitlines()[0] == ":bar_chart: *Outreach impact, 2026-10* (first period on record: nothing to compare with)"
    assert "*Materials*: *0*: none" in en


def test_coordinator_forms(render):
    es, en = in_both(render, "coord/role.j2", part="confirm", user="U123", role="coordinator")
    assert es.startswith("¿Hacer coordinador/a a <@U123>?") and en.startswith("Make <@U123> a coordinator?")
    es, en = in_both(render, "coord/report.j2", part="sending", channel="C42", formats=["pdf", "xlsx", "csv"],
                     period=NS(label=EVIL))
    assert es == (f"El informe de {ESCAPED}: se están preparando el PDF con su gráfico, el libro de Excel y el CSV de las "
                  "noches realizadas para <#C42>.")
    assert en == (f"The report of {ESCAPED}: the PDF with its chart, the workbook and the CSV of the nights held are being "
                  "prepared for <#C42>.")
    es, en = in_both(render, "coord/profile.j2", part="saved", languages=[])
    assert es == "Guardado. Idiomas que hablas: ninguno registrado. Cuentan cuando un turno en el que estás necesita un idioma."
    assert en == "Saved. Languages you speak: none recorded. They count when a shift you are on needs a language."


def test_calendar_messages(render):
    es, en = in_both(render, "calendar/invite.j2", shift=a_shift(), method="REQUEST", sequence=0)
    assert es.startswith(f":calendar: *Invitación de calendario para el turno #7:* Alcance directo · {ESCAPED}, <!date^")
    assert "O toca *Suscripción al calendario* para suscribirte una vez a todos tus turnos." in es
    assert en.startswith(f":calendar: *Calendar invite for shift #7:* Direct outreach · {ESCAPED}, <!date^")
    assert en.endswith("Open the attached file to add it to your calendar, or use the Google Calendar button. Or tap "
                       "*Calendar feed* to subscribe once to all your shifts.")
    es, en = in_both(render, "calendar/feed.j2", webcal="webcal://x/a&b", https="https://x/a&b")
    assert "• Google Calendar: *Otros calendarios > Desde URL*, pega `https://x/a&amp;b`" in es
    assert en.splitlines()[2:4] == ["• Calendar apps (Apple, Outlook, Thunderbird): subscribe to `webcal://x/a&amp;b`",
                                    "• Google Calendar: *Other calendars > From URL*, paste `https://x/a&amp;b`"]


def pdf_words(data: bytes) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages)


def test_the_statement_pdf_and_the_report_files_speak_the_language_in_force():
    summary = Summary(user="U123", year=2026, lines=[Line(1, DAY, "direct", 3.5, True)])
    made = {}
    for language in ("es", "en"):
        with i18n.speaking(language):
            made[language] = pdf_words(rf.statement_pdf(summary, name="Ana Pérez", number=7, coalition=None, issuer=None,
                                                        today=date(2026, 12, 1)))
            made[language + " words"] = (rf.words()["title"], rf.words()["kpis"]["nights"], rf.hours_words()["roster"]["head"][0])
    assert "Constancia de horas de servicio" in made["es"] and "Constancia n.º 7" in made["es"]
    assert "Ana Pérez prestó 3,5 horas de servicio voluntario con la coalición del 1 de enero de 2026 al 1 de diciembre" in made["es"]
    assert "20 de noviembre de 2026" in made["es"] and "* horas corregidas por un coordinador" in made["es"]
    assert "Ana Pérez gave 3.5 hours of volunteer service with the coalition from 1 January 2026 to 1 December 2026" in made["en"]
    assert "20 November 2026" in made["en"] and "Statement no. 7" in made["en"]
    assert made["es words"] == ("Informe de alcance", "Noches de alcance realizadas", "Nombre")
    assert made["en words"] == ("Outreach report", "Outreach nights held", "Name")
