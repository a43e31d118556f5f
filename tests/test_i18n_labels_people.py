"""The people area's words in Spanish (issue 23 §3): every modal and button of partners, hours, setup, rota,
cover, team messages, people, invites, phone, drills and help is drawn in the language in force, within
Slack's limits (no Spanish title cut short), with the names the templates use; English stays as it was.
The dates the hours and rota templates show, a drill's durations, the partner import's errors and a call's
voice follow the language too."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace as NS

import pytest
from babel.messages.pofile import read_po
from conftest import ADMIN, Bot, eventually

from handlers import commands, cover, drills, hours, ids, invites, partners, people, phone, rota, setup
from handlers import team_messages as team
from handlers.click import coordinators
from outreach import i18n, languages
from outreach import partners as pt
from outreach import shifts as sh
from outreach.i18n import N_, speaking
from outreach.partners import Partner
from outreach.roles import Role

ROOT = Path(__file__).resolve().parent.parent
MODULES = ("partners", "hours", "setup", "rota", "cover", "team_messages", "people", "invites", "phone", "drills",
           "commands", "blocks", "click")
COORDINATOR = "UCOORD"
SPANISH_USER = "UESP"
TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+15005550006",
          "OUTREACH_PUBLIC_URL": "https://outreach.example.org"}


def _labels() -> set[str]:
    """The English labels of these modules whose Spanish differs: none may be left in a Spanish view."""
    out = set()
    for module in MODULES:
        with (ROOT / "locales/es/LC_MESSAGES" / f"handlers.{module}.po").open("rb") as f:
            out |= {m.id for m in read_po(f, locale="es") if isinstance(m.id, str) and m.string and m.string != m.id}
    return out


LABELS = _labels()


def plain_texts(node: object) -> list[str]:
    """Every plain_text a person reads in a view or blocks (titles, buttons, labels, options, placeholders)."""
    out: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "plain_text" and isinstance(node.get("text"), str):
            out.append(node["text"])
        for value in node.values():
            out += plain_texts(value)
    elif isinstance(node, list):
        for value in node:
            out += plain_texts(value)
    return out


def over_limits(node: object, where: str = "") -> list[str]:
    """What breaks Slack's limits (or was cut to fit them) in a view or blocks."""
    problems: list[str] = []

    def text(obj: object) -> str:
        return obj.get("text", "") if isinstance(obj, dict) else ""

    def check(label: str, value: str, limit: int, *, cut: bool = False) -> None:
        """Over the limit, or (`cut`: a title or a button, which blocks.py clips) cut short to fit it."""
        if len(value) > limit or (cut and value.endswith("…")):
            problems.append(f"{where}{label} {value!r} ({len(value)} > {limit} or cut)")

    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "modal":
            check("title", text(node.get("title")), 24, cut=True)
            for key in ("submit", "close"):
                if node.get(key):
                    check(key, text(node.get(key)), 24)
        elif kind == "button":
            check("button", text(node.get("text")), 75, cut=True)
        for option in node.get("options") or []:
            check("option", text(option.get("text")), 75)
        if isinstance(node.get("placeholder"), dict):
            check("placeholder", text(node["placeholder"]), 150)
        if isinstance(node.get("confirm"), dict) and "deny" in node["confirm"]:
            sure = node["confirm"]
            check("confirm title", text(sure.get("title")), 100)
            check("confirm yes", text(sure.get("confirm")), 30)
            check("confirm no", text(sure.get("deny")), 30)
        if node.get("type") == "input":
            check("label", text(node.get("label")), 2000)
        for value in node.values():
            problems += over_limits(value, where)
    elif isinstance(node, list):
        for value in node:
            problems += over_limits(value, where)
    return problems


def as_dicts(drawn: object) -> object:
    """Blocks (slack_sdk models) as dicts; views and dicts as they are."""
    if isinstance(drawn, list):
        return [b.to_dict() if hasattr(b, "to_dict") else b for b in drawn]
    return drawn.to_dict() if hasattr(drawn, "to_dict") else drawn


@pytest.fixture
def tbot(fake, tmp_path, clock):
    """The bot with Twilio set up (nothing is sent: only the alert phone's modal and line are drawn)."""
    instance = Bot(fake, tmp_path, clock, env=TWILIO)
    yield instance
    instance.close()


def surfaces(bot: Bot) -> dict[str, object]:
    """Every modal and row of buttons these modules draw, in the language in force."""
    kit = bot.kit
    client = kit.notifier.client
    number = bot.create_shift()
    shift = sh.load_shift(bot.store, number)
    assert shift is not None
    confirmed = dataclasses.replace(shift, my_status="confirmed")
    full = dataclasses.replace(shift, confirmed=shift.capacity)
    category = partners.protocol_of(kit).categories[0].id
    partner = Partner(id=1, name="Casa", categories=[category], languages=[], hours="24/7", phone="555",
                      contact="", notes="", verified_on=date(2026, 11, 1))
    found = {
        "partner_add": partners.partner_form(kit),
        "partner_edit": partners.partner_form(kit, partner=partner),
        "partner_find": partners.find_view(kit),
        "partner_list": partners.list_message(kit, [partner], query="", coordinator=True)[1],
        "partner_empty": partners.list_message(kit, [], query="", coordinator=True)[1],
        "refer_keep": partners.referral_dm(kit, [], None)[1],
        "hours_mine": hours.mine_view(kit, COORDINATOR),
        "hours_correct": hours.correct_view(kit),
        "hours_roster": hours.roster_view(kit),
        "hours_home": hours.home_section(kit, COORDINATOR),
        "setup_home": setup.home_section(kit, ADMIN),
        "setup_checklist": setup.checklist_view(kit, client),
        "setup_channel": setup.channel_view(kit, client),
        "setup_trainings": setup.trainings_view(kit),
        "setup_hotlines": setup.hotlines_view(kit),
        "setup_partners": setup.partners_view(kit),
        "rota_home": rota.home_blocks(kit, COORDINATOR),
        "rota_edit": rota.edit_view(kit),
        "rota_take": rota.take_view(kit),
        "cover_find": cover.reader_buttons(kit, COORDINATOR, confirmed, str(number)),
        "cover_watch": cover.reader_buttons(kit, COORDINATOR, full, str(number)),
        "team_form": team.message_form(kit, shift),
        "attendance": people.attendance_form(kit, shift, actor=COORDINATOR, role=Role.COORDINATOR),
        "feed": invites.feed_message(kit, "t" * 20)[1],
        "phone_home": phone.home_blocks(kit, COORDINATOR),
        "phone_number": phone.phone_view(kit, COORDINATOR),
        "phone_code": phone.code_view(kit, "+13125550142"),
        "drill_form": drills.drill_view(kit),
        "drill_home": drills.home_blocks(kit, COORDINATOR),
        "partner_find_need": partners.find_view(kit, category=category),
        **{f"help_{t.id}": commands.help_view(kit, t, Role.ADMIN) for t in commands.HELP_TOPICS},
    }
    return {name: as_dicts(drawn) for name, drawn in found.items()}


def test_every_modal_and_button_is_spanish_and_within_slacks_limits(tbot):
    languages.choose_language(tbot.store, SPANISH_USER, "es", now=tbot.clock())
    tbot.make_coordinator(COORDINATOR)
    with speaking("es"):
        spanish = surfaces(tbot)
    english = surfaces(tbot)
    for name, drawn in spanish.items():
        assert over_limits(drawn, f"{name}: ") == []
        left = sorted(set(plain_texts(drawn)) & LABELS)
        assert left == [], f"{name} still says {left} in Spanish"
        assert plain_texts(drawn) != plain_texts(english[name]) or not plain_texts(drawn), name
    for name, drawn in english.items():
        assert over_limits(drawn, f"{name}: ") == []

    def words(name: str) -> list[str]:
        return plain_texts(spanish[name])

    assert spanish["partner_add"]["title"]["text"] == "Agregar organización"
    assert spanish["partner_add"]["submit"]["text"] == "Agregar"
    assert spanish["partner_add"]["close"]["text"] == "Cancelar"
    assert {"Nombre", "Horario", "Teléfono", "Notas", "Última verificación"} <= set(words("partner_add"))
    assert spanish["partner_edit"]["submit"]["text"] == "Guardar"
    assert {"Editar", "Quitar", "¿Quitar esta organización aliada?", "Mantener"} <= set(words("partner_list"))
    assert "Agregar una organización aliada" in words("partner_empty")
    assert spanish["partner_find"]["close"]["text"] == "Cerrar"
    assert "Cualquier idioma" in words("partner_find")
    assert spanish["hours_mine"]["title"]["text"] == "Mis horas"
    assert spanish["hours_correct"]["submit"]["text"] == "Corregir"
    assert {"Exportar .xlsx", "Corregir horas", "Registrar capacitación"} <= set(words("hours_roster"))
    assert spanish["hours_roster"]["title"]["text"] == "Lista de voluntarios"
    assert words("hours_home") == ["Mis horas", "Lista de voluntarios"]
    assert "Volver a comprobar" in words("setup_channel")
    assert spanish["setup_trainings"]["submit"]["text"] == "Está bien"
    assert "Tarjeta de la línea de ayuda" not in words("setup_hotlines")  # a title of 24 at most
    assert "Agregar una organización aliada" in words("setup_partners")
    assert "Planear un turno" in words("setup_home")
    assert words("rota_home") == ["Editar guardias", "Cubro una noche"]
    assert spanish["rota_take"]["submit"]["text"] == "Tomarla"
    assert "Buscar reemplazo" in words("cover_find")
    assert words("cover_watch") == ["Avísame si se abre un lugar"]
    assert spanish["team_form"]["title"]["text"] == "Escribir al equipo"
    assert spanish["team_form"]["close"]["text"] == "Atrás"
    assert spanish["attendance"]["title"]["text"] == "Confirmar asistencia"
    assert {"Abrir suscripción", "Cambiar dirección", "Cambiar", "Dejarla igual"} <= set(words("feed"))
    assert words("phone_home") == ["Mi teléfono de alertas"]
    assert spanish["phone_number"]["submit"]["text"] == "Enviar código"
    assert spanish["drill_form"]["submit"]["text"] == "Empezar el simulacro"
    assert words("drill_home") == ["Probar la red"]
    assert spanish["help_signup"]["close"]["text"] == "Cerrar"

    assert english["partner_add"]["title"]["text"] == "Add a partner"
    assert english["partner_find"]["title"]["text"] == "Find a partner"
    assert english["hours_roster"]["title"]["text"] == "Roster"
    assert set(plain_texts(english["partner_list"])) >= {"Edit", "Remove", "Remove this partner?", "Keep"}
    assert english["rota_take"]["submit"]["text"] == "Take it"
    assert english["help_signup"]["close"]["text"] == "Close"


def test_a_refusal_names_what_was_refused_in_the_language_in_force(bot):
    rule = coordinators(lambda: None, N_("Roster"))
    with speaking("es"):
        assert rule.text(bot.kit).startswith(":no_entry: `Lista de voluntarios` es solo para coordinadores.")
    assert rule.text(bot.kit).startswith(":no_entry: `Roster` is for coordinators.")
    # through the pipeline: a volunteer's tap on a coordinators' button is refused, naming it
    bot.click("UVOL", ids.HOURS_ROSTER_OPEN, "")
    eventually(lambda: any("`Roster` is for coordinators" in str(c.params) for c in bot.fake.calls))


def test_dates_in_hours_and_rota_follow_the_language(bot):
    render = bot.kit.render
    summary = NS(year=2026, total=3.0, lines=[1], by_month=[(date(2026, 12, 1), 3.0), (date(2026, 9, 1), 2.0)],
                 by_kind=[])
    with speaking("es"):
        assert "dic 3 h · sept 2 h" in render("hours/mine.j2", s=summary)
    assert "Dec 3 h · Sep 2 h" in render("hours/mine.j2", s=summary)
    rows = [(date(2026, 12, 10), "U1", False), (date(2026, 12, 11), "U2", True)]
    context = dict(rows=rows, fallback=[], handover="18:00", tz="America/Chicago", coordinator=True)
    with speaking("es"):
        assert "• vie 11 dic: <@U2>" in render("rota/oncall.j2", **context)
        assert "vie 11 dic 2026" in render("rota/saved.j2", what="night", night=date(2026, 12, 11), handover="18:00")
    assert "• Fri 11 Dec: <@U2> (took the night)" in render("rota/oncall.j2", **context)
    assert "the night of Fri 11 Dec 2026 (from 18:00" in render("rota/saved.j2", what="night",
                                                                   night=date(2026, 12, 11), handover="18:00")


def test_a_drills_durations_and_paths_follow_the_language():
    assert [drills.took(timedelta(seconds=s)) for s in (40, 72, 180)] == ["40 s", "1 min 12 s", "3 min"]
    assert drills.path_names()["dm"] == "DMs"
    with speaking("es"):
        assert drills.took(timedelta(seconds=72)) == "1 min 12 s"
        assert drills.path_names() == {"channel": "Canal de coordinadores", "dm": "Mensajes directos", "sms": "SMS",
                                       "call": "Llamadas"}


def test_the_partner_import_says_what_is_wrong_in_the_language_in_force(bot):
    kit = bot.kit
    categories = partners.protocol_of(kit).categories
    args = dict(actor=ADMIN, catalog=kit.services.catalog, categories=categories, today=date(2026, 12, 1))
    with speaking("es"):
        report = pt.import_csv(bot.store, "name,phone\nCasa,555\n", **args)
        assert report.errors[0][1].startswith("la fila de encabezado necesita las columnas name, categories")
        bad = pt.import_csv(bot.store, "name,categories,hours,phone\nCasa,nothing-like-it,,abc\n", **args)
        said = " ".join(problem for _line, problem in bad.errors)
        assert "hours: Escribe el horario: 24/7" in said and "phone: Escribe un número de teléfono" in said
    report = pt.import_csv(bot.store, "name,phone\nCasa,555\n", **args)
    assert report.errors[0][1] == ("the header row needs the columns name, categories, languages, hours, phone, "
                                   "contact, notes, verified_on (missing: categories, hours)")


def test_a_call_is_read_in_the_voice_of_its_words_language(tbot):
    settings = tbot.settings
    with speaking("es"):
        spanish = phone.call_twiml(settings, "Hola")
    english = phone.call_twiml(settings, "Hello")
    assert spanish.count('<Say language="es-MX">Hola</Say>') == 2
    assert english.count('<Say language="en-US">Hello</Say>') == 2
    assert i18n.current() == "en"
