"""The words handlers/ writes for shifts, series, the App Home and the coordinators' modals, in Spanish
(issue 23 §3): every label, title, option and confirm dialog is in the language in force and within Slack's
limits, English is unchanged; and My profile's bot language, saved through the real pipeline, is the
language its done screen and the person's App Home speak."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from conftest import ADMIN, at, eventually, shift_fields
from phone import Phone

from handlers import blocks as bk
from handlers import coord, home, series_views, shift_views
from handlers.render import local_date
from outreach import i18n
from outreach import shifts as sh
from outreach.languages import choose_language, chosen_language
from outreach.roles import Role

# Slack's limits for the texts a view or message holds: where the text sits -> at most this many characters.
LIMITS = {"title": 24, "submit": 24, "close": 24, "button": 75, "option": 75, "placeholder": 150,
          "confirm_title": 100, "confirm_button": 30, "label": 2000, "hint": 2000, "header": 150}


def texts(node: object, where: str = "") -> list[tuple[str, str]]:
    """Every plain or mrkdwn text in a view or blocks, with where it sits (a button, an option, a title...)."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        kind = node.get("type")
        if kind in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
            return [(where, node["text"])]
        for key, value in node.items():
            if key == "confirm" and isinstance(value, dict):
                found += texts(value.get("title"), "confirm_title") + texts(value.get("text"), "confirm_text")
                found += texts(value.get("confirm"), "confirm_button") + texts(value.get("deny"), "confirm_button")
                continue
            place = {"title": "title", "submit": "submit", "close": "close", "placeholder": "placeholder",
                     "label": "label", "hint": "hint"}.get(key)
            if key == "text" and kind == "button":
                place = "button"
            elif key == "text" and where == "option":
                place = "option"
            elif key == "text" and kind == "header":
                place = "header"
            elif key in ("options", "initial_options", "initial_option"):
                place = "option"
            found += texts(value, place or (where if key not in ("blocks", "elements", "element") else ""))
    elif isinstance(node, list):
        for item in node:
            found += texts(item, where)
    return found


def within_limits(view: object) -> list[str]:
    """The texts over Slack's limit for where they sit."""
    return [f"{where}: {text!r}" for where, text in texts(view) if where in LIMITS and len(text) > LIMITS[where]]


@pytest.fixture
def cuts(monkeypatch) -> list[str]:
    """Every label handlers/blocks.py had to cut to fit Slack (a Spanish label too long for its place)."""
    cut: list[str] = []
    clip = bk.clip

    def watching(text: str, limit: int) -> str:
        if len(text) > limit and limit <= bk.HEADER_LIMIT:
            cut.append(text)
        return clip(text, limit)

    monkeypatch.setattr(bk, "clip", watching)
    return cut


def buttons_of(view: object) -> list[str]:
    return [text for where, text in texts(view) if where == "button"]


def words_of(view: object) -> str:
    return "\n".join(text for _where, text in texts(view))


# ---------------------------------------------------------------- My profile: the bot's language


def test_my_profile_in_spanish_then_the_done_screen_and_the_app_home_speak_it(bot):
    phone = Phone(bot, "UVOL")
    form = phone.home().tap("My profile").modal()
    select = next(b["element"] for b in form.blocks if b.get("block_id") == "bot_language")
    assert [o["text"]["text"] for o in select["options"]] == [
        "Automatic: Slack's language (English)", "English", "Español"]
    assert select["initial_option"]["value"] == "auto"
    saved = form.submit({"The bot's language": "Español", "Languages you speak": ["Spanish"]})
    done = saved.modal()
    assert done.view["title"]["text"] == "Mi perfil" and done.view["close"]["text"] == "Hecho"
    assert "Guardado. Idiomas que hablas: Español." in done.words and "Te hablo en Español." in done.words
    assert "Saved" not in done.words
    with bot.store.read() as db:
        assert chosen_language(db, "UVOL") == "es"
    tab = saved.home()
    assert {"Mi perfil", "Buscar un turno", "Mis turnos"} <= set(tab.buttons) and "Find a shift" not in tab.buttons
    again = tab.tap("Mi perfil").modal()
    assert next(b["element"] for b in again.blocks if b.get("block_id") == "bot_language")[
        "initial_option"]["value"] == "es"


def slack_locale(bot, user: str, locale: str) -> None:
    """A member Slack describes with this locale, and the directory's entry handlers/directory.py keeps of it."""
    bot.fake.add_user(user, real_name=user, locale=locale)
    with bot.store.write() as db:
        db["people"].upsert({"user_id": user, "real_name": user, "locale": locale,
                             "refreshed_at": "2026-11-22T00:00:00+00:00"}, pk="user_id")


def test_automatic_follows_slack_s_locale_and_undoes_a_choice(bot):
    slack_locale(bot, "UES", "es-ES")
    choose_language(bot.store, "UES", "en", now=bot.clock())  # she chose English over Slack's Spanish
    form = Phone(bot, "UES").home().tap("My profile").modal()
    select = next(b["element"] for b in form.blocks if b.get("block_id") == "bot_language")
    assert select["options"][0]["text"]["text"] == "Automatic: Slack's language (Español)"
    assert select["initial_option"]["value"] == "en"
    done = form.submit({"The bot's language": "Automatic: Slack's language (Español)"}).modal()
    assert "Te hablo en el idioma de Slack: Español." in done.words and done.view["title"]["text"] == "Mi perfil"
    with bot.store.read() as db:
        assert chosen_language(db, "UES") is None
    # someone Slack describes in a language the bot lacks, or not at all, gets English
    slack_locale(bot, "UFR", "fr-FR")
    for user in ("UFR", "UNEW"):
        form = Phone(bot, user).home().tap("My profile").modal()
        done = form.submit({"The bot's language": "Automatic: Slack's language (English)"}).modal()
        assert "I speak to you in Slack's language: English." in done.words and done.view["title"]["text"] == "My profile"


def test_a_language_the_bot_lacks_is_refused_and_nothing_is_saved(bot):
    sent = bot.submit("UVOL", "coord_profile", {"languages": ["fr"], "bot_language": "fr"})
    assert sent.status == 200
    error = json.loads(sent.body)["errors"]["bot_language"]
    assert "does not speak fr" in error and "Español (es)" in error
    with bot.store.read() as db:
        assert chosen_language(db, "UVOL") is None
        assert not db.execute("SELECT * FROM volunteer_languages WHERE user_id = 'UVOL'").fetchall()


# ---------------------------------------------------------------- every view in Spanish, within Slack's limits


def test_the_shift_views_in_spanish_within_slack_s_limits(bot, cuts):
    number = bot.create_shift()
    shift = sh.load_shift(bot.store, number)
    kit = bot.kit
    with i18n.speaking("es"):
        details = shift_views.details_view(kit, shift, role=Role.COORDINATOR, actor=ADMIN)
        views = {
            "details": details,
            "new": shift_views.shift_form(kit, channel="CGENERAL", planner=ADMIN),
            "edit": shift_views.shift_form(kit, shift=shift),
            "later": shift_views.shift_form(kit, shift=shift, later=True),
            "copy": shift_views.shift_form(kit, copy_of=shift, planner=ADMIN),
            "cancel": shift_views.cancel_form(kit, shift),
            "list": {"blocks": shift_views.list_message(kit, "UVOL", page=0)[1]},
            "post": {"blocks": shift_views.post_blocks(kit, shift)},
        }
    for name, view in views.items():
        assert within_limits(view) == [], name
    assert cuts == []
    assert details["title"]["text"] == f"Turno #{number}"
    assert {"Editar", "Duplicar", "Cancelar turno", "Escribir al equipo", "Controles: fijar intervalo"} <= set(
        buttons_of(details))
    confirm = next(e["confirm"] for b in details["blocks"] for e in b.get("elements", []) if e.get("confirm"))
    assert confirm["title"]["text"] == f"¿Cancelar el turno #{number}?"
    assert (confirm["confirm"]["text"], confirm["deny"]["text"]) == ("Cancelar turno", "Mantenerlo")
    new = views["new"]
    assert (new["title"]["text"], new["submit"]["text"], new["close"]["text"]) == (
        "Planear un turno", "Crear", "Cancelar")
    labels = [b["label"]["text"] for b in new["blocks"] if b["type"] == "input"]
    assert labels[:4] == ["Tipo", "Tipo de lugar", "Zona", "Fecha de inicio"] and "Red de seguridad" in labels
    assert "Según el tipo: activa en alcance directo" in words_of(new) and "Repetir…" in buttons_of(new)
    assert "Alcance directo" in words_of(new)  # the kinds, from outreach/catalog.py, in the language in force
    assert views["edit"]["title"]["text"] == f"Editar turno #{number}"
    assert views["later"]["title"]["text"] == f"Editar desde el #{number}"
    assert views["copy"]["title"]["text"] == f"Copia del turno #{number}"
    day = shift.starts_at.astimezone(bot.kit.services.settings.zone) + timedelta(weeks=1)
    copy_line = views["copy"]["blocks"][0]["elements"][0]["text"]
    with i18n.speaking("es"):
        spanish_day = local_date(day, "EEE dd MMM")
    assert spanish_day != f"{day:%a %d %b}"
    assert copy_line.startswith(f"Una copia del turno #{number} para el {spanish_day},"), copy_line
    assert (views["cancel"]["submit"]["text"], views["cancel"]["close"]["text"]) == ("Cancelar turno", "Mantenerlo")
    assert "Inscribirme" in buttons_of(views["post"]) and "Detalles" in buttons_of(views["list"])


def test_the_same_views_stay_english(bot):
    number = bot.create_shift()
    shift = sh.load_shift(bot.store, number)
    details = shift_views.details_view(bot.kit, shift, role=Role.COORDINATOR, actor=ADMIN)
    assert details["title"]["text"] == f"Shift #{number}"
    assert {"Edit", "Duplicate", "Cancel shift", "Message the team", "Check-ins: set an interval"} <= set(
        buttons_of(details))
    copy = shift_views.shift_form(bot.kit, copy_of=shift, planner=ADMIN)
    day = shift.starts_at.astimezone(bot.kit.services.settings.zone) + timedelta(weeks=1)
    assert f"A copy of shift #{number} for {day:%a %d %b}, at the same times." in copy["blocks"][0]["elements"][0]["text"]
    assert coord.period_choices(day.date())[0][1] == f"{day:%B %Y}"


def test_a_series_in_spanish(bot, cuts):
    fields = shift_fields(bot.clock)
    sent = bot.submit(ADMIN, "shift_form", fields, metadata={"channel": "CGENERAL",
                                                             "repeat": {"freq": "biweekly", "end": "3"}})
    assert sent.status == 200 and not sent.body, sent.body
    eventually(lambda: bot.db.execute("SELECT count(*) FROM shifts WHERE series_id IS NOT NULL "
                                      "AND message_ts IS NOT NULL").fetchone()[0] >= 1)
    number = bot.db.execute("SELECT min(id) FROM shifts WHERE series_id IS NOT NULL").fetchone()[0]
    shift = sh.load_shift(bot.store, number)
    with i18n.speaking("es"):
        details = shift_views.details_view(bot.kit, shift, role=Role.COORDINATOR, actor="UVOL")
        repeat = series_views.repeat_view("monthly", "", parent="V1", parent_meta={})
        cancel = series_views.cancel_later_form(bot.kit, shift)
        line = series_views.repeat_section(bot.kit, shift=None, chosen={"freq": "biweekly", "end": ""}).to_dict()
    for view in (details, repeat, cancel, line):
        assert within_limits(view) == []
    assert cuts == []
    assert {"Inscribirme cada 2 semanas", "Editar este", "Cancelar este", "Editar este y los siguientes",
            "Cancelar este y los siguientes"} <= set(buttons_of(details))
    assert "cada 2 semanas" in words_of(details)
    assert (repeat["title"]["text"], repeat["submit"]["text"], repeat["close"]["text"]) == ("Repetir", "Hecho", "Atrás")
    assert ["No se repite", "Cada semana", "Cada 2 semanas", "Cada mes, el mismo día de la semana"] == [
        o["text"]["text"] for o in repeat["blocks"][0]["element"]["options"]]
    assert (cancel["title"]["text"], cancel["submit"]["text"], cancel["close"]["text"]) == (
        "Cancelar desde este", "Cancelarlos", "Mantenerlos")
    assert "*Se repite cada 2 semanas*" in line["text"]["text"]
    with i18n.speaking("en"):
        assert "Sign up for every 2 weeks" in buttons_of(
            shift_views.details_view(bot.kit, shift, role=Role.VOLUNTEER, actor="UVOL"))


def test_the_app_home_and_its_modals_in_spanish(bot, cuts):
    number = bot.create_shift(lead="ULEAD")
    shift = sh.load_shift(bot.store, number)
    at(bot, shift.starts_at - timedelta(minutes=30))  # the lead may check in
    kit = bot.kit
    with i18n.speaking("es"):
        lead_home = home.home_view(kit, "ULEAD")
        admin_home = home.home_view(kit, ADMIN)
        modals = [home.find_view(kit, "UVOL", page=0), home.mine_view(kit, "ULEAD"), home.week_view(kit)]
    for view in (lead_home, admin_home, *modals):
        assert within_limits(view) == []
    assert cuts == []
    assert lead_home["blocks"][0]["text"]["text"] == "Outreach"  # the bot's name, as in "Configurar Outreach"
    assert {"Buscar un turno", "Mis turnos", "Tarjeta de la línea de ayuda", "Buscar una organización aliada",
            "Llegué (yo)", "Abrir lista de preparación", "Detalles", "Mi perfil"} <= set(buttons_of(lead_home))
    assert {"Planear un turno", "Esta semana", "Registrar capacitación", "Informe", "Exportar",
            "Nombrar coordinador"} <= set(buttons_of(admin_home))
    assert [m["title"]["text"] for m in modals] == ["Buscar un turno", "Mis turnos", "Esta semana"]


def test_the_coordinators_modals_in_spanish(bot, cuts):
    number = bot.create_shift()
    shift = sh.load_shift(bot.store, number)
    kit = bot.kit
    with i18n.speaking("es"):
        views = {"train": coord.train_view(kit), "role": coord.role_view(kit),
                 "confirm": coord.role_confirm_view(kit, "UVOL", "volunteer"), "report": coord.report_view(kit),
                 "export": coord.report_view(kit, export=True), "profile": coord.profile_view(kit, "UVOL"),
                 "every": coord.every_view(kit, shift)}
    for name, view in views.items():
        assert within_limits(view) == [], name
    assert cuts == []
    assert [views[n]["title"]["text"] for n in views] == [
        "Registrar capacitación", "Nombrar coordinador", "Nombrar coordinador", "Informe", "Exportar", "Mi perfil",
        "Controles"]
    assert [views[n]["submit"]["text"] for n in views] == [
        "Registrar", "Siguiente", "Quitar el rol", "Enviar", "Enviar", "Guardar", "Guardar"]
    report = words_of(views["report"])
    month = coord.period_choices(bot.clock().date())
    assert "Noviembre de 2026" in report and "T4 2026" in report and "Otras fechas (abajo)" in report
    assert month[0] == ("2026-11", "November 2026")  # outside Spanish, as before
    assert "De 15 a 240; 0 los desactiva." in words_of(views["every"])
    assert "Idioma del bot" in words_of(views["profile"]) and "Idiomas que hablas" in words_of(views["profile"])
