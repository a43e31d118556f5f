"""A night in Spanish, walked on a phone (issue 23 §3): a coordinator, a volunteer and a lead whose Slack locale
is es-ES, by tapping only, from a Spanish admin's setup checklist to the coordinators' report. Each screen is
read for English left in it, for words cut by Slack's limits, and for the lock-screen line."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import ADMIN, COORD_CHANNEL, at, eventually, in_spanish_and_english
from fakeslack import dm_channel
from phone import Phone, Screen, Tapped
from pypdf import PdfReader
from test_journey_lead import settled
from test_readiness import DEFAULT_CATEGORIES, EVIDENCE, TICKED, protocol

from handlers import blocks as bk
from handlers.card import card_text
from outreach import i18n
from outreach import readiness as rd
from outreach.catalog import load_entries

ROOT = Path(__file__).resolve().parent.parent
SPANISH = ("UADMIN", "UCO", "UA", "UB", "ULEAD")
START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # shift #1: Monday 23 Nov, 19:00 to 23:00 in Chicago
END = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
PARTNERS = (b"name,categories,languages,hours,phone,contact,notes,verified_on\n"
            b"Night Line,crisis-intervention;housing-emergency;medical-care;legal-immigration;translation,es;ht,24/7,"
            b"+1 555 010 0101,,,\n"
            b"County Vice Unit,law-enforcement,,24/7,+1 555 010 0199,,,\n")
TAP_STARRED = re.compile(r"\b(?:[Tt]oca|[Uu]sa) \*([^*]+)\*")
FORBIDDEN = re.compile(r"trafficking|victim|escalat|safety alert|\btrata\b|v[ií]ctima|escala(ci[oó]n|miento)|"
                       r"alerta de seguridad", re.IGNORECASE)
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
ENGLISH_WORDS = re.compile(r"\b(the|and|you|your|tap|shift|with|not|of|to|is|are|for|on|by|at)\b", re.IGNORECASE)
ENGLISH_DATE = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


def spanish_workspace(bot) -> None:
    """Everyone in the walk reads Slack in Spanish (Spain); nobody has opened the bot yet."""
    for user in SPANISH:
        bot.fake.add_user(user, real_name=f"Persona {user[1:].title()}", locale="es-ES")


# ---------------------------------------------------------------- what the walk found, each fixed at its source


def test_a_notice_to_someone_who_never_opened_the_bot_is_in_their_slack_language(bot):
    """The new coordinator had not tapped anything yet: the bot did not know their locale and wrote in English
    ("Your role in the outreach bot changed"). A notice's language is looked up before it is worded."""
    spanish_workspace(bot)
    role = Phone(bot, ADMIN).home().tap("Nombrar coordinador", near="*Coordinadores*").modal()
    role.submit({"Persona": "UCO"}).modal().submit()
    told = Phone(bot, "UCO")
    bot.settle()
    dm = told.last_dm()
    assert dm.text == "Tu rol en el bot de alcance cambió: toca para ver"
    assert "Your role" not in dm.words and "coordinador" in dm.words
    assert bot.db["people"].get("UCO")["locale"] == "es-ES"


def test_a_notice_to_someone_slack_does_not_describe_stays_in_english(bot):
    role = Phone(bot, ADMIN).home().tap("Make coordinator", near="*Coordinators*").modal()
    role.submit({"Person": "UNOBODY"}).modal().submit()
    bot.settle()
    assert Phone(bot, "UNOBODY").last_dm().text == "Your role in the outreach bot changed: tap to see"


def test_the_app_home_is_headed_by_the_apps_own_name_in_both_languages(bot):
    """The header said *Alcance* while the setup checklist under it said *Configurar Outreach*."""
    spanish_workspace(bot)
    assert Phone(bot, ADMIN).home().blocks[0]["text"]["text"] == "Outreach"
    bot.fake.add_user("UEN", locale="en-US")
    assert Phone(bot, "UEN").home().blocks[0]["text"]["text"] == "Outreach"


def test_the_setup_checklist_counts_one_thing_left_in_the_singular(bot):
    """It read "quedan 1 de 6 tareas"; the English stays "1 of 6 things to do"."""
    class Left:
        done, left, items = False, 1, [None] * 6

    spanish, english = in_spanish_and_english(bot.kit.render, "setup/heading.j2", checklist=Left())
    assert "*Configurar Outreach*: queda 1 de 6 tareas." in spanish
    assert "*Set up Outreach*: 1 of 6 things to do. Only admins see this." in english
    Left.left = 2
    spanish, english = in_spanish_and_english(bot.kit.render, "setup/heading.j2", checklist=Left())
    assert "quedan 2 de 6 tareas" in spanish and "2 of 6 things to do" in english


@pytest.mark.parametrize("name", ["venues", "trainings", "languages", "indicators", "materials",
                                  "service_categories"])
def test_every_list_entry_fits_a_choice_uncut_in_spanish(name):
    """The debrief's indicator read "Señales en hoteles (alquiler por horas, una persona con varias…": the
    Spanish name ran past the 75 characters of a choice, and Slack's limit cut it."""
    for entry in load_entries(ROOT / "data" / f"{name}.yml"):
        for language in ("en", "es"):
            words = entry.name_in(language)
            assert len(words) <= bk.OPTION_LIMIT, (name, entry.id, language, words)


# ---------------------------------------------------------------- the walk


def ready_the_rest(bot) -> None:
    """What the lead and the coordinators do in the checklist's other sections (tapped in test_journey_lead):
    partners on call, the night's police contact, the ticks and their answers."""
    found = {row["name"]: row["id"] for row in bot.db.query("SELECT id, name FROM partners")}
    for category in DEFAULT_CATEGORIES:
        assert rd.set_on_call(bot.store, protocol(bot), shift_id=1, actor="ULEAD", category=category,
                              partner_id=found["Night Line"])
    assert rd.set_on_call(bot.store, protocol(bot), shift_id=1, actor="ULEAD", category=rd.LAW_ENFORCEMENT,
                          partner_id=found["County Vice Unit"])
    for item_id in TICKED:
        rd.tick(bot.store, protocol(bot), shift_id=1, actor="ULEAD", item_id=item_id, ticked=True)
    for item_id in EVIDENCE:
        rd.tick(bot.store, protocol(bot), shift_id=1, actor="ULEAD", item_id=item_id, ticked=True,
                evidence="En la biblioteca" if item_id == "meeting-point" else "UCO")


def creole_card(bot) -> set[str]:
    """The card shown to someone met who speaks Haitian Creole: in English, with the interpretation said in
    Kreyòl on top (issue 23: the bot writes the card out in English and Spanish only), and its modal's title,
    which is the card's. The only English a Spanish volunteer is meant to see."""
    text = card_text(bot.kit, "ht")
    return {"Hotline card", *(p.strip() for p in text.split("\n\n")), *(line.strip() for line in text.splitlines())}



def english_messages() -> list[tuple[str, re.Pattern[str]]]:
    """Every English message of the catalogues whose Spanish differs, as a pattern a whole text or line would
    match (a placeholder matches any words); messages that are only placeholders and marks are left out."""
    found: dict[str, re.Pattern[str]] = {}
    for path in i18n.catalogue_files("es"):
        for message in i18n.read_catalogue(path, "es"):
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for english in ids:
                if not english or english in strings or not re.search(r"[A-Za-z]{3}", PLACEHOLDER.sub("", english)):
                    continue
                parts = PLACEHOLDER.split(english)
                found[english] = re.compile("[^\\n]+?".join(re.escape(p) for p in parts))
    return sorted(found.items())


def english_left(texts: list[str], messages: list[tuple[str, re.Pattern[str]]]) -> list[tuple[str, str]]:
    """(text, English message) for each visible text, or line of one, that is an English message whole."""
    pieces = {t.strip() for text in texts for t in [text, *text.splitlines()] if t.strip()}
    return [(piece, english) for piece in sorted(pieces) for english, pattern in messages if pattern.fullmatch(piece)]


def english_lines(texts: list[str]) -> list[str]:
    """The lines that read as English (its small words; Slack tokens and `code` aside): words that skipped
    gettext altogether, which no catalogue knows."""
    lines = {line.strip() for text in texts for line in text.splitlines() if line.strip()}
    return sorted(line for line in lines if ENGLISH_WORDS.search(re.sub(r"<[^>]*>|`[^`]*`", "", line)))


def texts_of(node: object) -> list[str]:
    """Every text a person reads in a view, a message or a list of blocks (titles, labels, options, confirms)."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            found.append(node["text"])
        for key, value in node.items():
            if key != "text" or not isinstance(value, str):
                found += texts_of(value)
    elif isinstance(node, list):
        for item in node:
            found += texts_of(item)
    return found


class Walk:
    """What the people of the walk saw: every screen, read for Slack's limits and the lock screen as it comes."""

    def __init__(self, bot) -> None:
        self.bot = bot
        self.screens: list[Screen] = []
        self.errors: list[str] = []

    def see(self, screen: Screen) -> Screen:
        """Read one screen: titles of 24, buttons and choices of 75 and never cut, a DM's line says nothing of
        the night; kept for the checks at the end."""
        title = (screen.view.get("title") or {}).get("text", "") if screen.view else ""
        assert len(title) <= bk.TITLE_LIMIT and not title.endswith("…"), title  # bk.modal cuts a longer one
        assert all(len(b) <= bk.BUTTON_LIMIT and not b.endswith("…") or b == "Repetir…" for b in screen.buttons), \
            screen.buttons
        for block in screen.blocks:
            for element in [block.get("accessory"), block.get("element"), *(block.get("elements") or [])]:
                for option in Screen._options(element) if isinstance(element, dict) else []:
                    words = option["text"]["text"]
                    assert len(words) <= bk.OPTION_LIMIT and not words.endswith("…"), words
        if screen.kind == "message":
            assert not FORBIDDEN.search(screen.text), screen.text
        self.screens.append(screen)
        return screen

    def refused(self, tapped: Tapped) -> dict:
        """A form's inline errors (kept, to be read for English too)."""
        assert tapped.errors, tapped.answer
        self.errors += list(tapped.errors.values())
        return tapped.errors

    def home_showing(self, phone: Phone, words: str) -> Screen:
        """The App Home once it shows `words` (a tap's work republishes it after its answer)."""
        seen: list[Screen] = []

        def shows() -> bool:
            seen[:] = [phone.home()]
            return words in seen[0].words

        eventually(shows, 10.0)
        return self.see(seen[0])

    def dm(self, phone: Phone, words: str) -> Screen:
        """The latest DM to a person that says `words`, as it stands now."""
        eventually(lambda: any(words in d.words for d in phone.dms()), 10.0)
        return self.see([d for d in phone.dms() if words in d.words][-1])

    def everything_sent(self) -> list[str]:
        """Every text the fake Slack was sent for a person of the walk: DMs, views, replies (not channel posts,
        which are in the coalition's language)."""
        texts: list[str] = []
        people = set(SPANISH) | {dm_channel(u) for u in SPANISH}
        for call in self.bot.fake.calls:
            p = call.params
            if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
                if str(p.get("channel")) in people:
                    texts += [str(p.get("text") or ""), *texts_of(p.get("blocks") or [])]
            elif call.method in ("views.open", "views.push", "views.update", "views.publish", "response_url"):
                texts += [str(p.get("text") or ""), *texts_of(p.get("view") or {}), *texts_of(p.get("blocks") or [])]
        return texts


def test_a_night_in_spanish_by_taps_from_setup_to_the_report(bot):
    spanish_workspace(bot)
    walk = Walk(bot)
    admin, coordinator, ua, ub, lead = (Phone(bot, u) for u in SPANISH)

    # A Spanish admin's setup checklist, from an empty database to the first shift.
    home = walk.see(admin.home())
    assert home.blocks[0]["text"]["text"] == "Outreach"
    assert "*Configurar Outreach*: quedan 6 de 6 tareas. Solo los admins ven esto." in home.words
    assert home.buttons[:6] == ["Cómo arreglarlo", "Nombrar coordinador", "Revisar capacitaciones",
                                "Agregar organizaciones aliadas", "Revisar la tarjeta de la línea de ayuda",
                                "Planear un turno"]
    fix = walk.see(home.tap("Cómo arreglarlo").modal())
    assert "No estoy en <#CCOORD>: invítame ahí con `/invite @outreach`." in fix.words
    bot.fake.add_channel(COORD_CHANNEL, is_member=True)
    assert ":white_check_mark: Soy miembro de <#CCOORD>" in walk.see(fix.tap("Volver a comprobar").modal()).words
    role = walk.see(walk.home_showing(admin, "quedan 5 de 6").tap("Nombrar coordinador", near="*Coordinadores*").modal())
    assert walk.refused(role.submit({})) == {"person": "Elige a una persona."}
    sure = walk.see(role.submit({"Persona": "UCO"}).modal())
    assert sure.words.startswith("Nombrar coordinador\n\n¿Hacer coordinador/a a <@UCO>?")
    sure.submit().home()
    told = walk.dm(coordinator, "coordinador")
    assert told.text == "Tu rol en el bot de alcance cambió: toca para ver"
    walk.see(walk.home_showing(admin, "quedan 4 de 6").tap("Revisar capacitaciones").modal()).submit().home()
    partners = walk.see(walk.home_showing(admin, "quedan 3 de 6").tap("Agregar organizaciones aliadas").modal())
    imported = walk.see(partners.submit({"Archivo CSV": [bot.fake.add_file("partners.csv", PARTNERS)]}).modal())
    assert ":white_check_mark: Importado partners.csv: 2 añadidas, 0 actualizadas, 0 sin cambios." in imported.words
    card = walk.see(walk.home_showing(admin, "quedan 2 de 6").tap("Revisar la tarjeta de la línea de ayuda").modal())
    assert "*Línea Nacional contra la Trata de Personas*" in card.words
    card.submit().home()
    form = walk.see(walk.home_showing(admin, "queda 1 de 6 tareas").tap("Planear un turno", near="*Primer turno*")
                    .modal())
    assert form.inputs[:4] == ["Tipo", "Tipo de lugar", "Zona", "Fecha de inicio"] and form.view["submit"]["text"] == "Crear"
    plan = {"Tipo": "direct", "Tipo de lugar": "motel", "Zona": "Eastside", "Fecha de inicio": "2026-11-23",
            "Hora de inicio": "19:00", "Hora de fin": "23:00", "Líder": "ULEAD", "Cupo": "tres",
            "Tamaño mínimo del equipo": "1", "Capacitación requerida": "direct-outreach",
            "Idiomas necesarios": ["es", "ht"]}
    assert walk.refused(form.submit(plan)) == {
        "capacity": "La capacidad debe ser un número entero de 1 a 200.",
        "min_team": "En el alcance directo nadie sale solo: el equipo mínimo es de 2 como mínimo."}
    assert form.submit(dict(plan, **{"Cupo": "4", "Tamaño mínimo del equipo": "2"})).errors == {}
    eventually(lambda: bot.db["shifts"].count == 1)
    assert ":white_check_mark: *Configuración completa.*" in walk.home_showing(admin, "Configuración completa").words
    assert walk.dm(lead, "Eres líder del turno #1").text == "Tu turno del lunes: eres líder, toca para ver"

    # The coordinator records the team's training; the volunteer finds the shift and signs up by taps.
    record = walk.see(walk.see(coordinator.home()).tap("Registrar capacitación").modal())
    assert walk.refused(record.submit({}))["training"] == "Elige la capacitación que completaron."
    done = walk.see(record.submit({"Quién la completó": ["UA", "UB", "ULEAD"],
                                   "Capacitación": "direct-outreach"}).modal())
    assert "Se avisó a 3 personas por mensaje directo." in done.words
    trained = walk.dm(ua, "Capacitación en alcance directo")
    assert trained.text == "Se registró una capacitación tuya: toca para ver" and trained.buttons == ["Inscribirme"]
    find = walk.see(walk.see(ua.home()).tap("Buscar un turno").modal())
    assert "*#1 Alcance directo* · Hoteles y moteles · Eastside" in find.words
    mine = walk.see(find.tap("Inscribirme", near="#1").home())
    assert "*Mis turnos* (1)" in mine.words and "Buscar reemplazo" in mine.buttons
    walk.see(trained.now())
    taken = walk.see(walk.dm(ub, "Capacitación en alcance directo").tap("Inscribirme").reply())
    assert taken.words.startswith(":white_check_mark: Te inscribiste en el turno #1 (Alcance directo, Eastside)")
    profile = walk.see(ua.home().tap("Mi perfil").modal())
    assert profile.inputs == ["Idiomas que hablas", "Idioma del bot"]
    saved = profile.submit({"Idiomas que hablas": ["es", "ht"]})
    assert "Guardado. Idiomas que hablas: Español, Criollo haitiano." in str(saved.answer)
    extra = walk.see(coordinator.home().tap("Registrar capacitación").modal())
    extra.submit({"Quién la completó": ["UA"], "Capacitación": "outreach-lead"}).modal()

    # The day before: the reminder, in Spanish, lock screen included.
    at(bot, datetime(2026, 11, 23, 1, 0, 30, tzinfo=UTC))
    reminder = walk.dm(ua, "Recordatorio")
    assert reminder.text == "Recordatorio: el turno #1 empieza en 24h: toca para ver"
    assert reminder.buttons == ["No puedo ir", "Buscar reemplazo", "Detalles"]

    # The lead: the checklist, one tick by tap, the rest through the directory, then Go.
    notice = walk.dm(lead, "no está listo")
    checklist = walk.see(notice.tap("Abrir lista de preparación").modal())
    assert checklist.view["title"]["text"] == "Preparación #1" and "Ningún equipo sale" in checklist.words
    section = walk.see(checklist.tap("Abrir", near="*Fuerzas del orden*").modal())
    ticked = walk.see(settled(section.choose("Hecho", near="Se avisó a un enlace")))
    assert ":white_check_mark: *Se avisó a un enlace de las fuerzas del orden de la fecha y la zona*" in ticked.words
    ready_the_rest(bot)
    home = walk.home_showing(lead, "14 de 14 listos")
    assert "da luz verde cuando el equipo esté preparado" in home.words
    went = walk.see(home.tap("Dar luz verde", near="#1").home())
    assert ":large_green_circle: *Luz verde* dada por <@ULEAD>" in went.words

    # The hotline card, in Spanish and for someone met who speaks Haitian Creole.
    card = walk.see(ua.home().tap("Tarjeta de la línea de ayuda").modal())
    assert "*Idioma de la tarjeta*: elige el idioma de la persona con quien hablas." in card.words
    creole = walk.see(card.choose("Kreyòl ayisyen (Criollo haitiano)").modal())
    assert ":speech_balloon: *Kreyòl ayisyen*" in creole.words and "Enviármela por mensaje directo" in creole.buttons
    kept = walk.see(creole.tap("Enviármela por mensaje directo").dm())
    assert kept.text == "Tu tarjeta de la línea de ayuda: toca para verla" and "Kreyòl ayisyen" in kept.words

    # The check-in interval, set by the coordinator from the shift's Details.
    details = walk.see(coordinator.home().tap("Detalles", near="#1").modal())
    interval = walk.see(details.tap("Controles: fijar intervalo").modal())
    assert walk.refused(interval.submit({"Minutos entre avisos de llegada": "cero"}))["minutes"].startswith(
        "Indica el intervalo en minutos, de 15 a 240")
    assert "cada 60 minutos" in walk.see(interval.submit({"Minutos entre avisos de llegada": "60"}).modal()).words

    # 19:00: check-in, the volunteer's and the team's.
    at(bot, START)
    start = walk.dm(lead, "empieza ahora")
    assert start.text == "El turno #1 empieza ahora: toca para registrar tu llegada"
    assert start.buttons == ["Llegué (yo)", "¿Quién está fuera hoy?", "SOS: necesito ayuda ya"]
    home = walk.see(ua.home())
    checked = walk.see(home.tap("Llegué", near="#1").dm())
    assert checked.words.startswith(":white_check_mark: Llegada registrada en el turno #1.")
    who = walk.see(start.tap("¿Quién está fuera hoy?").modal())
    assert "luego toca *Llegué*" in who.words and who.view["submit"]["text"] == "Llegué"
    out = walk.see(who.submit({"Fuera hoy": ["ULEAD", "UA", "UB"]}).dm())
    assert "llegada registrada de <@ULEAD>, <@UA>, <@UB>" in out.words

    # 20:00: All OK.
    at(bot, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    ping = walk.dm(lead, "¿todo bien?")
    assert ping.text == "Turno #1: ¿todo bien? Toca para responder" and ping.buttons == ["Todo bien"]
    assert walk.see(ping.tap("Todo bien").reply()).words == ":white_check_mark: Gracias: el turno #1 está bien."

    # 21:00: an SOS, taken on by the coordinator, resolved.
    at(bot, datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    sos = walk.see(ua.home()).tap("SOS: necesito ayuda ya", confirm=True)
    alerted = walk.see(sos.dm(where=lambda s: "Coordinadores alertados" in s.words))
    assert alerted.text == "Tu aviso: toca para ver"
    paged = walk.dm(coordinator, "SOS del turno #1")
    assert paged.text == "Un equipo necesita a un coordinador ya: toca para ver"
    assert "luego toca *Me encargo*" in paged.words
    paged.tap("Me encargo")
    eventually(lambda: "<@UCO> se encarga" in alerted.now().words)
    walk.see(alerted.now())
    assert walk.dm(lead, "se encarga").text == "Un coordinador se está ocupando: toca para ver"
    at(bot, datetime(2026, 11, 24, 3, 30, tzinfo=UTC))
    still = walk.dm(coordinator, "la alerta sigue abierta")
    assert "Toca *Resuelto* cuando sepas que el equipo está a salvo." in still.words
    resolved = walk.see(still.tap("Resuelto", confirm=True).reply())
    assert resolved.words == ":white_check_mark: La alerta del turno #1 está resuelta."

    # Check-out: the volunteer's, then the lead's for everyone at the end.
    back = walk.see(walk.see(ua.home()).tap("Terminé", near="#1", confirm=True).dm())
    assert back.words.startswith(":white_check_mark: Salida registrada del turno #1: gracias")
    at(bot, END)
    ends = walk.dm(lead, "termina ahora")
    assert ends.buttons == ["Terminé (yo)", "Todos de vuelta a salvo"]
    everyone = walk.see(ends.tap("Todos de vuelta a salvo").modal())
    over = walk.see(everyone.submit({"De vuelta a salvo": ["ULEAD", "UB"]}).dm())
    assert "Todos están confirmados: la noche terminó." in over.words

    # The debrief: both screens, an error on each, the timeline behind its button.
    first = walk.see(walk.dm(lead, "Gracias por liderar").tap("Escribir informe").modal())
    assert first.view["title"]["text"] == "Informe #1" and first.buttons == ["Cronología de seguridad", "Añadir detalles"]
    assert walk.refused(first.submit({"Personas alcanzadas": "muchos"})) == {
        "db_contacts": "Personas alcanzadas: escribe un número entero de 0 a 1000."}
    timeline = walk.see(first.tap("Cronología de seguridad").modal())
    assert "SOS atendido por <@UCO>" in timeline.words
    more = walk.see(first.tap("Añadir detalles").modal())
    assert walk.refused(more.submit({"De las personas alcanzadas: conversaciones extensas": "varias"}))
    more.submit({"Notas": "Noche tranquila."})
    assert first.submit({"Personas alcanzadas": "4", "Tarjetas de la línea de ayuda (cantidad entregada)": "6"}
                        ).errors == {}
    kept = walk.dm(lead, "informe del turno #1 está guardado")
    assert "4 personas alcanzadas" in kept.words and kept.buttons == ["Editar informe"]

    # The next day's DMs: how the volunteer is doing, and what their shifts look like.
    wellbeing = walk.dm(ua, "Gracias por salir en el turno #1")
    assert wellbeing.text == "Después de tu turno: ¿cómo estás? Toca para ver"
    feeling = walk.see(wellbeing.tap("Cómo estoy").modal())
    assert feeling.inputs[0] == "¿Qué tan pesado fue para ti?" and feeling.view["submit"]["text"] == "Enviar"
    noted = walk.see(feeling.submit({"¿Qué tan pesado fue para ti?": "2 · bien"}).dm())
    assert noted.words.startswith("Gracias. Tu nota está guardada")
    walk.see(walk.see(ua.home()).tap("Mis turnos").modal())

    # My hours and the statement.
    hours = walk.see(walk.see(ua.home()).tap("Mis horas").modal())
    assert "*Tus horas en 2026: 2,5 h* en 1 turno" in hours.words and hours.view["submit"]["text"] == "Enviar constancia"
    hours.submit()
    statement = walk.dm(ua, "constancia de horas de servicio de 2026")
    eventually(lambda: any(data[:4] == b"%PDF" for data in list(bot.fake.uploads.values())), 10.0)
    pdf = next(data for data in reversed(list(bot.fake.uploads.values())) if data[:4] == b"%PDF")
    words = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Constancia de horas de servicio" in words and "2,5 horas" in words and statement.text

    # A cover request on the next shift.
    form = walk.see(coordinator.home().tap("Planear un turno").modal())
    form.submit(dict(plan, **{"Tipo de lugar": "farm", "Zona": "Northside", "Fecha de inicio": "2026-11-27",
                              "Cupo": "4", "Tamaño mínimo del equipo": "2", "Idiomas necesarios": ["es"]}))
    eventually(lambda: bot.db["shifts"].count == 2)
    walk.see(walk.see(ua.home()).tap("Buscar un turno").modal()).tap("Inscribirme", near="#2").home()
    asked = walk.home_showing(ua, "#2").tap("Buscar reemplazo", near="#2", confirm=True)
    assert "Le pedí a *1 persona* que tome tu lugar en el turno #2" in walk.see(asked.dm(
        where=lambda s: "Le pedí" in s.words)).words
    assert "Dejar de buscar reemplazo" in walk.home_showing(ua, "Dejar de buscar reemplazo").buttons
    offer = walk.dm(ub, "¿Puedes tomar un lugar en el turno #2?")
    assert offer.text == "Un lugar en un turno del viernes: toca para ver"
    assert offer.buttons == ["Tomar este lugar", "No, gracias", "Detalles"]

    # The coordinators' report.
    report = walk.see(coordinator.home().tap("Informe").modal())
    assert report.inputs == ["Período", "Desde (otras fechas)", "Hasta (otras fechas)", "Archivos"]
    assert "Noviembre de 2026" in report.words and "T4 2026" in report.words
    sent = report.submit({"Período": "2026-11"})
    assert "se están preparando el PDF con su gráfico y el libro de Excel para <#CCOORD>" in str(sent.answer)
    walk.see(sent.modal())
    bot.settle()

    # Every sentence that says "tap *X*" names a button by its own words.
    labels = {b for s in walk.screens for b in s.buttons} | {
        s.view["submit"]["text"] for s in walk.screens if s.view.get("submit")}
    named = {n for s in walk.screens for n in TAP_STARRED.findall(s.words)}
    assert named - labels == set(), (named - labels, labels)

    titles = [(c.params.get("view") or {}).get("title", {}).get("text", "") for c in bot.fake.calls
              if c.method.startswith("views.")]
    assert titles and not [t for t in titles if t.endswith("…")], titles  # every modal, the ones not looked at too

    # The guard: nothing a person of the walk saw is an English message that has a Spanish translation.
    seen = walk.everything_sent() + walk.errors + [w for s in walk.screens for w in (s.text, s.words)]
    allowed = creole_card(bot)
    left = [(text, english) for text, english in english_left(seen, english_messages()) if text not in allowed]
    dated = [t for t in seen if ENGLISH_DATE.search(t)]  # a date token's fallback too: "lun 23 nov", not "Mon 23 Nov"
    assert dated == [] and not any(re.search(r"\b\d+\.\d+ h\b", t) for t in seen)  # 2,5 h, not 2.5 h
    assert left == [], "\n".join(f"{t!r}: {e!r}" for t, e in left)
    assert [line for line in english_lines(seen) if line not in allowed] == []


def test_the_guard_finds_an_english_message_left_in_spanish_output():
    """The walk's last check can fail: a button, a modal title, a whole sentence with its values put in, or one
    line of a message, that is an English message the Spanish catalogue translates otherwise."""
    messages = english_messages()
    seen = ["Detalles", "Details", "Turno #1: toca para ver\nShift #1: tap to see", "Your role in the outreach bot "
            "changed: tap to see", "*#1* Alcance directo · Eastside", "SOS", "Outreach"]
    found = english_left(seen, messages)
    assert {text for text, _ in found} == {"Details", "Shift #1: tap to see",
                                           "Your role in the outreach bot changed: tap to see"}
    assert ("Shift #1: tap to see", "Shift #%(id)s: tap to see") in found
    assert english_lines(["Turno #1: toca para ver\nHi there, tap *Go*", "Toca `/outreach help` o <@U1>"]) == [
        "Hi there, tap *Go*"]
