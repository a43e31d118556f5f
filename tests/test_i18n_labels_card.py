"""Spanish for the words handlers/debriefs.py writes (issue 23 §3): the debrief's two screens, the wellbeing
note, the buttons of its messages and App Home section, in Spanish and within Slack's limits, for a person
who chose Spanish; English stays as it was."""

from __future__ import annotations

from conftest import submit_debrief
from test_debriefs import LEAD, ended_shift, good_form

from handlers import debriefs
from outreach import debriefs as dbf
from outreach import i18n
from outreach import shifts as sh
from outreach.languages import choose_language, language_of
from outreach.roles import Role

LIMITS = {"button": 75, "option": 75, "placeholder": 150, "title": 24, "submit": 24, "close": 24}


def _text(node: object) -> str:
    return str(node.get("text", "")) if isinstance(node, dict) else ""


def over_limits(view_or_blocks: dict | list) -> list[str]:
    """Every text of a view or message over Slack's limit for its place (a title, a button, an option...)."""
    found: list[str] = []

    def check(kind: str, text: str) -> None:
        if len(text) > LIMITS[kind] or (kind == "title" and text.endswith("…")):  # a clipped title did not fit
            found.append(f"{kind}: {text!r}")

    def visit(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            if node.get("type") == "button":
                check("button", _text(node.get("text")))
            for option in node.get("options") or []:
                check("option", _text(option.get("text")))
            if "placeholder" in node:
                check("placeholder", _text(node["placeholder"]))
            for value in node.values():
                visit(value)

    if isinstance(view_or_blocks, dict):
        for kind in ("title", "submit", "close"):
            if view_or_blocks.get(kind):
                check(kind, _text(view_or_blocks[kind]))
        visit(view_or_blocks.get("blocks") or [])
    else:
        visit(view_or_blocks)
    return found


def labels(view: dict) -> list[str]:
    """The labels of a modal's inputs."""
    return [_text(b.get("label")) for b in view["blocks"] if b.get("type") == "input"]


def buttons(blocks: list) -> list[str]:
    """The texts of the buttons in blocks."""
    out = []
    for block in blocks:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if element.get("type") == "button":
                out.append(_text(element.get("text")))
    return out


def spanish_speaker(bot, user: str) -> str:
    """A person who chose Spanish, and the language the bot speaks to them."""
    choose_language(bot.store, user, "es", now=bot.clock())
    with bot.store.read() as db:
        return language_of(db, user)


def test_debrief_form_details_and_wellbeing_in_spanish_within_slacks_limits(bot):
    number = ended_shift(bot)
    kit, shift = bot.kit, sh.load_shift(bot.store, number)
    with i18n.speaking(spanish_speaker(bot, LEAD)):
        first = debriefs.debrief_form(kit, shift, None)
        details = debriefs.details_form(kit, shift, None, actor=LEAD, root="V1", picked=["medical-care"], draft=None)
        wellbeing = debriefs.wellbeing_form(kit, shift)
    assert _text(first["title"]) == f"Informe #{number}"
    assert (_text(first["submit"]), _text(first["close"])) == ("Guardar", "Cancelar")
    assert labels(first)[:3] == ["Personas alcanzadas", "Tarjetas de la línea de ayuda (cantidad entregada)",
                                 "Derivaciones hechas"]
    assert "¿Cómo estás después de esta noche?" in labels(first) and buttons(first["blocks"]) == ["Añadir detalles"]
    flags = next(b for b in first["blocks"] if b.get("block_id") == "db_flags")["element"]["options"]
    assert [_text(o["text"]) for o in flags][0] == "Pasó algo inseguro"
    load = next(b for b in first["blocks"] if b.get("block_id") == "db_load")["element"]["options"]
    assert [_text(o["text"]) for o in load] == ["1 · ligera", "2 · bien", "3 · pesada por momentos", "4 · pesada",
                                                "5 · demasiado"]
    assert _text(details["title"]) == "Detalles del informe"
    assert (_text(details["submit"]), _text(details["close"])) == ("Hecho", "Atrás")
    assert "Quién estuvo fuera hoy" in labels(details) and "Seguimiento 1: qué" in labels(details)
    assert "Derivaciones: Atención médica" in labels(details)
    assert "Folletos y volantes (cantidad entregada)" in labels(details)
    assert "De las personas alcanzadas: conversaciones breves" in labels(details)
    what = next(b for b in details["blocks"] if b.get("block_id") == "db_fu1_what")["element"]
    assert _text(what["placeholder"]) == "Preguntar a la clínica por su horario en español"
    assert _text(wellbeing["title"]) == "¿Cómo estás?" and _text(wellbeing["submit"]) == "Enviar"
    assert labels(wellbeing) == ["¿Qué tan pesado fue para ti?", "Apoyo",
                                 "Algo más (sobre ti, no sobre nadie con quien hablaste)"]
    for view in (first, details, wellbeing):
        assert over_limits(view) == []
        assert not any(label.isascii() and label in ("People reached", "Notes", "Support") for label in labels(view))
    with i18n.speaking("en"):  # English as before
        english = debriefs.debrief_form(kit, shift, None)
    assert _text(english["title"]) == f"Debrief #{number}" and labels(english)[:2] == [
        "People reached", "Hotline cards handed out"]


def test_debrief_buttons_in_messages_and_the_app_home_in_spanish(bot):
    number = ended_shift(bot)
    kit, shift = bot.kit, sh.load_shift(bot.store, number)
    language = spanish_speaker(bot, LEAD)
    with i18n.speaking(language):
        _, request = debriefs.notice_request(kit, {"shift_id": number, "lead": LEAD})
        home = [b.to_dict() for b in debriefs.home_section(kit, LEAD)]
    assert buttons(request) == ["Escribir informe"] and "Escribir informe" in buttons(home)
    fields = good_form(db_fu1_what="Call the clinic", db_fu1_owner=LEAD, db_fu1_due="2026-11-30")
    assert submit_debrief(bot, LEAD, number, fields).status == 200
    saved = dbf.load_debrief(bot.store, number)
    assert saved is not None
    with i18n.speaking(language):
        _, summary = debriefs.notice_summary(kit, {"shift_id": number})
        view = debriefs.details_view(kit, shift, saved)
        _, followups = debriefs.followups_message(kit, LEAD, Role.VOLUNTEER)
        _, thanks = debriefs.thanks_message(kit, shift, dbf.Saved("saved", saved))
        _, invite = debriefs.notice_wellbeing_invite(kit, {"shift_id": number, "user": "UA"})
        home = [b.to_dict() for b in debriefs.home_section(kit, LEAD)]
    assert buttons(summary) == ["Ver informe"] and _text(view["title"]) == f"Informe #{number}"
    assert "Hecho" in buttons(followups) and "Hecho" in buttons(home)
    assert buttons(invite) == ["Cómo estoy"] and buttons(thanks) == ["Editar informe"]
    for blocks in (request, summary, followups, invite, home, view, thanks):
        assert over_limits(blocks) == []
