"""The night's own words in Spanish (issue 23 §3): the buttons, modals, confirm dialogs, options and values that
handlers/safety.py, sos.py, readiness.py, field.py, reminders.py and health.py write in Python, for a volunteer
who chose Spanish, within Slack's limits (unclipped), named as the templates name them; English unchanged."""

from __future__ import annotations

import ast
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import LOCK_SCREEN_FORBIDDEN, at
from test_i18n import words_outside_gettext

from handlers import field, health, readiness, reminders, safety, sos
from handlers.render import mention
from outreach import duress, i18n, languages
from outreach import readiness as rd
from outreach import safety as night
from outreach import shifts as sh
from outreach.i18n import N_
from outreach.sos import Sos

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # the default test shift, 19:00 Chicago
# Slack's limits: a button's text, a modal's title, its submit and close, an option, a placeholder, a confirm
# dialog's title and its two buttons.
LIMITS = {"button": 75, "title": 24, "submit": 24, "close": 24, "option": 75, "placeholder": 150,
          "confirm_title": 100, "confirm_button": 30}


def words(node: object, kind: str | None = None) -> list[tuple[str, str]]:
    """Every (kind, text) a person reads in a view's or message's controls: buttons, titles, options, confirms."""
    out: list[tuple[str, str]] = []
    if isinstance(node, list):
        for item in node:
            out += words(item)
    elif isinstance(node, dict):
        if node.get("type") == "modal":
            out += [(key, node[key]["text"]) for key in ("title", "submit", "close") if node.get(key)]
        if node.get("type") == "button":
            out.append(("button", node["text"]["text"]))
        for option in node.get("options") or []:
            out.append(("option", option["text"]["text"]))
        if isinstance(node.get("placeholder"), dict):
            out.append(("placeholder", node["placeholder"]["text"]))
        if isinstance(node.get("confirm"), dict):
            confirm = node["confirm"]
            out += [("confirm_title", confirm["title"]["text"]), ("confirm_button", confirm["confirm"]["text"]),
                    ("confirm_button", confirm["deny"]["text"])]
        for key, value in node.items():
            if key not in ("title", "submit", "close", "options", "placeholder", "confirm", "text"):
                out += words(value)
    return out


def within_limits(node: object) -> list[tuple[str, str]]:
    """What is over Slack's limit or was clipped to fit (blocks.py ends a cut text with …; a placeholder may end
    with one of its own: "Choose…")."""
    return [(kind, text) for kind, text in words(node)
            if len(text) > LIMITS[kind] or (text.endswith("…") and kind != "placeholder")]


def labels(node: object, kind: str = "button") -> list[str]:
    return [text for k, text in words(node) if k == kind]


def as_dicts(blocks: list) -> list[dict]:
    return [b if isinstance(b, dict) else b.to_dict() for b in blocks]


@pytest.fixture
def night_out(bot):
    """A direct shift under way: the lead, a trained member who signed up (both chose Spanish), both checked in."""
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    for user in ("ULEAD", "UA"):
        languages.choose_language(bot.store, user, "es", now=bot.clock())
    at(bot, START)
    bot.command("UA", f"checkin {number}").reply()
    return number


def test_the_night_s_buttons_and_forms_in_spanish(bot, night_out):
    kit, number = bot.kit, night_out
    shift = sh.load_shift(bot.store, number)
    state = night.load_state(bot.store, number)
    with i18n.speaking("es"):
        prompt = safety.notice_checkin(kit, {"shift_id": number, "user": "ULEAD"})
        team_in = safety.team_in_view(kit, shift, ["ULEAD", "UA"])
        team_out = safety.team_out_view(kit, shift, state)
        form = safety.checkout_form(kit, shift, where={})
        mine = safety.my_checkout_button(kit, shift).to_dict()
        went = [b.to_dict() for b in safety.night_buttons(kit, shift)]
        timeline = safety.timeline_view(kit, shift)
        alert = [safety._ack_row(shift, "checkout", block_id="a").to_dict(), safety.resolve_button(kit, shift).to_dict()]
    assert prompt is not None
    assert labels(prompt[1]) == ["Llegué (yo)", "¿Quién está fuera hoy?", "SOS: necesito ayuda ya"]
    assert ("confirm_title", "¿Enviar un SOS?") in words(prompt[1])
    assert labels(prompt[1], "confirm_button") == ["Enviar SOS", "Volver"]
    assert [team_in["title"]["text"], team_in["submit"]["text"], team_in["close"]["text"]] == [
        "¿Quién está fuera hoy?", "Llegué", "Cancelar"]
    assert team_in["blocks"][1]["label"]["text"] == "Fuera hoy"
    assert "ausente" in team_in["blocks"][1]["hint"]["text"]
    assert [team_out["title"]["text"], team_out["submit"]["text"]] == ["Todos de vuelta a salvo", "Salimos"]
    assert team_out["blocks"][1]["label"]["text"] == "De vuelta a salvo"
    assert [form["title"]["text"], form["submit"]["text"], form["close"]["text"]] == [
        "Terminé", "Estoy de vuelta a salvo", "Volver"]
    assert form["blocks"][1]["label"]["text"] == "Palabra"
    assert mine["text"]["text"] == "Terminé"
    assert mine["confirm"]["title"]["text"] == f"¿Registrar tu salida del turno #{number}?"
    assert labels(went) == ["Ya estamos fuera", "No salió"]
    assert went[1]["confirm"]["title"]["text"] == f"¿El turno #{number} no salió?"
    assert [timeline["title"]["text"], timeline["close"]["text"]] == ["Cronología de seguridad", "Atrás"]
    assert labels(alert) == ["Atender", "Detalles", "Resuelto"]
    assert alert[1]["confirm"]["title"]["text"] == f"¿Cerrar la alerta del turno #{number}?"
    for shown in (prompt[1], team_in, team_out, form, mine, went, timeline, alert):
        assert within_limits(shown) == []


def test_the_same_in_english_is_unchanged(bot, night_out):
    kit, number = bot.kit, night_out
    shift = sh.load_shift(bot.store, number)
    with i18n.speaking("en"):
        prompt = safety.notice_checkin(kit, {"shift_id": number, "user": "ULEAD"})
        form = safety.checkout_form(kit, shift, where={})
        mine = safety.my_checkout_button(kit, shift).to_dict()
        team_out = safety.team_out_view(kit, shift, night.load_state(bot.store, number))
    assert prompt is not None
    assert labels(prompt[1]) == ["Check in (me)", "Who is out tonight?", "SOS: I need help now"]
    assert [form["title"]["text"], form["submit"]["text"], form["close"]["text"]] == [
        "Check out", "I'm back safe", "Go back"]
    assert mine["confirm"]["title"]["text"] == f"Check out of shift #{number}?"
    assert [team_out["title"]["text"], team_out["submit"]["text"]] == ["Everyone back safe", "Check out"]


def test_the_all_ok_ping_sos_and_end_of_night_in_spanish(bot, night_out):
    kit, number = bot.kit, night_out
    shift = sh.load_shift(bot.store, number)
    bot.command("ULEAD", f"checkin {number}").reply()
    with i18n.speaking("es"):
        ping = safety.notice_ping(kit, {"shift_id": number, "seq": 1, "user": "ULEAD"})
        ack = sos._buttons(shift, Sos(id=1, shift_id=number, pressed_by="UA", pressed_at=START),
                           block_id="s").to_dict()
        at(bot, START + timedelta(hours=4))
        lead_end = safety.notice_checkout(kit, {"shift_id": number, "user": "ULEAD"})
        member_end = safety.notice_checkout(kit, {"shift_id": number, "user": "UA"})
        every = [sos.spoken_every(timedelta(minutes=n)) for n in (1, 15)] + [sos.spoken_every(timedelta(hours=2))]
    assert ping is not None and labels(ping[1]) == ["Todo bien"]
    assert labels(ack) == ["Me encargo", "Detalles"]
    assert lead_end is not None and labels(lead_end[1]) == ["Terminé (yo)", "Todos de vuelta a salvo"]
    assert member_end is not None and labels(member_end[1]) == ["Terminé"]
    assert every == ["minuto", "15 minutos", "2 horas"]  # "cada 15 minutos" in the templates
    with i18n.speaking("en"):
        assert [sos.spoken_every(timedelta(minutes=n)) for n in (1, 15)] == ["minute", "15 minutes"]
        assert sos.spoken_every(timedelta(seconds=90)) == "90s"
    for shown in (ping[1], ack, lead_end[1], member_end[1]):
        assert within_limits(shown) == []


def test_the_checklist_in_spanish(bot):
    number = bot.create_shift()
    languages.choose_language(bot.store, "ULEAD", "es", now=bot.clock())
    kit = bot.kit
    state = rd.readiness_of(bot.store, readiness.protocol_of(kit), number)
    assert state is not None
    with_evidence = next(i for i in state.items if i.evidence_label and not i.computed)
    with i18n.speaking("es"):
        summary = readiness.checklist_view(kit, dataclasses.replace(state, new_items=1))
        many = readiness.checklist_view(kit, dataclasses.replace(state, new_items=3))
        sections = [readiness.checklist_view(kit, state, section=key) for key, _name, _items in state.by_section()]
        evidence = readiness.evidence_view(kit, state, with_evidence, checklist="V1")
        evidence_alone = readiness.evidence_view(kit, state, with_evidence)
        notice = readiness.notice_view(kit, "x")
        message = readiness.checklist_message(kit, state, editor=True)[1]
        condition = kit.render.env.filters["condition"]("staffed_24_7")
    assert [summary["title"]["text"], summary["close"]["text"]] == [f"Preparación #{number}", "Hecho"]
    assert "Abrir" in labels(summary) and "Actualizar" in labels(summary)
    assert "Añadir 1 punto nuevo a la lista" in labels(summary)
    assert "Añadir 3 puntos nuevos a la lista" in labels(many)
    assert all(labels(view)[0] == "Atrás" for view in sections)
    assert "Hecho" in [text for view in sections for text in labels(view, "option")]  # a tick box
    assert "Elige la línea de ayuda" in [text for view in sections for text in labels(view, "placeholder")]
    assert [evidence["title"]["text"], evidence["submit"]["text"], evidence["close"]["text"]] == [
        "Evidencia", "Marcar", "Atrás"]
    assert evidence_alone["close"]["text"] == "Cancelar"
    assert [notice["title"]["text"], notice["close"]["text"]] == ["Lista de preparación", "Cerrar"]
    assert labels(message) == ["Abrir lista de preparación"]
    assert condition == "atendida 24/7"
    for shown in (summary, many, *sections, evidence, evidence_alone, notice, message):
        assert within_limits(shown) == []
    with i18n.speaking("en"):
        english = readiness.checklist_view(kit, dataclasses.replace(state, new_items=1))
        assert kit.render.env.filters["condition"]("staffed_24_7") == "staffed 24/7"
    assert english["title"]["text"] == f"Checklist #{number}" and "Add 1 new checklist items" in labels(english)


def test_reminders_and_the_duress_word_in_spanish(bot):
    number, alone = bot.create_shift(), bot.create_shift(min_team="3")  # the second: nobody signed up
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    languages.choose_language(bot.store, "UA", "es", now=bot.clock())
    kit = bot.kit
    with i18n.speaking("es"):
        reminder = reminders.notice_reminder(kit, {"shift_id": number, "user": "UA", "lead": "ULEAD"})
        understaffed = reminders.notice_understaffed(kit, {"shift_id": alone})
        not_ready = reminders.notice_not_ready(kit, {"shift_id": number})
        no_word = field.phone_parts(kit, "UA")
        assert duress.set_word(bot.store, user="UA", word="pineapple") is None
        word = field.phone_parts(kit, "UA")
        form = field.word_view(kit, have=True)
    assert reminder is not None and labels(reminder[1])[0] == "No puedo ir"
    assert reminder[1][1]["elements"][0]["confirm"]["title"]["text"] == f"¿Dejar tu lugar en el turno #{number}?"
    assert labels(reminder[1][1]["elements"][0], "confirm_button") == ["Devolver mi lugar", "Mantener mi lugar"]
    assert labels(reminder[1])[-1] == "Detalles"
    assert not_ready is not None and labels(not_ready[1]) == ["Abrir lista de preparación", "Detalles"]
    assert understaffed is not None and labels(understaffed[1]) == ["Inscribirme", "Detalles"]
    assert labels(as_dicts(no_word)) == ["Poner una palabra de coacción"]
    assert labels(as_dicts(word)) == ["Cambiar palabra", "Quitar palabra"]
    assert labels(as_dicts(word), "confirm_button") == ["Quitar", "Volver"]
    assert ("confirm_title", "¿Quitar tu palabra de coacción?") in words(as_dicts(word))
    assert [form["title"]["text"], form["submit"]["text"], form["close"]["text"]] == [
        "Palabra de coacción", "Guardar", "Volver"]
    assert form["blocks"][1]["label"]["text"] == "Tu palabra de coacción"
    for shown in (reminder[1], understaffed[1], not_ready[1], as_dicts(word), as_dicts(no_word), form):
        assert within_limits(shown) == []


def test_the_admins_hear_why_in_their_language_while_the_log_stays_english(bot):
    why = health.Why(N_("The timer has not run for %(waited)s"), waited=180)
    assert why == "The timer has not run for 3 min"  # /healthz and the log
    stuck = {**why.context(), "since": "2026-11-24T01:00:00+00:00"}
    gone = {"since": "2026-11-24T01:00:00+00:00", "at": "2026-11-24T01:00:30+00:00"}
    with i18n.speaking("es"):
        text = health.notice_stuck(bot.kit, stuck)[0]
        old = health.said({"why": "A request has been worked on for 130 s"})  # queued before reasons had parts
        back = health.notice_recovered(bot.kit, gone)[0]
        someone = mention(None)
    assert "El temporizador no se ha ejecutado desde hace 3 min." in text
    assert old == "A request has been worked on for 130 s"
    assert "estuvo atascado unos menos de un minuto" in back
    assert someone == "alguien"
    with i18n.speaking("en"):
        assert "The timer has not run for 3 min." in health.notice_stuck(bot.kit, stuck)[0]
        assert mention(None) == "someone"


def test_every_word_of_these_handlers_goes_through_gettext_but_the_hotline_card():
    """readiness.py stays in test_i18n's LABELS_NOT_YET only for its hotline card, reworked elsewhere."""
    card = {"hotline_view", "hotline_blocks", "hotline_text", "on_hotline_open", "on_hotline_dm"}
    for name in ("safety", "sos", "field", "reminders", "health", "readiness"):
        tree = ast.parse((ROOT / "handlers" / f"{name}.py").read_text())
        tree.body = [n for n in tree.body if not (isinstance(n, ast.FunctionDef) and n.name in card)]
        assert words_outside_gettext(ast.unparse(tree)) == [], name


def test_no_word_of_these_catalogues_is_one_a_lock_screen_must_not_show():
    """Refusals and answers may reach a DM's text: none of these words says trata, víctima or escalación."""
    for area in ("handlers.safety", "handlers.sos", "handlers.readiness", "handlers.field", "handlers.reminders",
                 "handlers.health", "handlers.render"):
        path = i18n.LOCALES / "es" / i18n.DOMAIN_FILES / f"{area}.po"
        for message in i18n.read_catalogue(path, "es"):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert not any(LOCK_SCREEN_FORBIDDEN.search(s or "") for s in strings), (area, message.id)
