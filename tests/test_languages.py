"""Each person's language, OUTREACH_LANGUAGE, the data's names in Spanish, and Spanish typed (issue 23 §3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ADMIN, Clock
from test_readiness import add_partner
from test_settings import GOOD

from handlers.commands import HELP_TOPICS, help_topic
from handlers.render import Renderer
from outreach import i18n
from outreach import readiness as rd
from outreach.catalog import KINDS, Catalog, CatalogError, load_entries
from outreach.languages import LanguageError, choose_language, chosen_language, language_of, languages_of
from outreach.partners import match_need
from outreach.settings import SettingsError, load_settings
from outreach.store import Store

DATA = Path(__file__).resolve().parent.parent / "data"
NAMED_LISTS = ("venues", "trainings", "languages", "service_categories", "sectors", "materials", "indicators",
               "checklist")


# ---------------------------------------------------------------- each person's language


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "outreach.db", clock=Clock())


def slack_locale(store: Store, user: str, locale: str) -> None:
    """The directory's entry for a member as handlers/directory.py keeps it from users.info."""
    with store.write() as db:
        db["people"].upsert({"user_id": user, "real_name": user, "locale": locale,
                             "refreshed_at": "2026-12-01T00:00:00+00:00"}, pk="user_id")


def test_a_choice_wins_over_slack_which_wins_over_english(store):
    slack_locale(store, "UES", "es-MX")
    slack_locale(store, "UFR", "fr-FR")
    with store.read() as db:
        assert language_of(db, "UES") == "es"  # Slack's locale, read with i18n.pick
        assert language_of(db, "UFR") == "en"  # a locale the bot does not speak
        assert language_of(db, "UNOBODY") == "en"  # not in the directory
        assert chosen_language(db, "UES") is None
    now = store.clock()
    assert choose_language(store, "UES", "English", now=now) == "en"
    assert choose_language(store, "UFR", "español", now=now) == "es"
    with store.read() as db:
        assert (language_of(db, "UES"), language_of(db, "UFR")) == ("en", "es")
        assert chosen_language(db, "UFR") == "es"
        row = db["language_choices"].get("UFR")
        assert row["language"] == "es" and row["chosen_at"] == now.isoformat()
    assert choose_language(store, "UES", None, now=now) is None  # follow Slack again
    with store.read() as db:
        assert language_of(db, "UES") == "es" and chosen_language(db, "UES") is None
        actions = [json.loads(r["detail"]) for r in db.query(
            "SELECT detail FROM audit WHERE action = 'language.choose' ORDER BY id")]
    assert actions == [{"language": "en"}, {"language": "es"}, {"language": None}]


def test_an_unknown_language_is_refused_with_the_choices_and_nothing_is_stored(store):
    with pytest.raises(LanguageError) as info:
        choose_language(store, "UA", "klingon", now=store.clock())
    assert "klingon" in str(info.value) and "English (en)" in str(info.value) and "Español (es)" in str(info.value)
    with i18n.speaking("es"), pytest.raises(LanguageError) as spanish:
        choose_language(store, "UA", "fr", now=store.clock())
    assert str(spanish.value).startswith("El bot no habla fr")
    with store.read() as db:
        assert db["language_choices"].count == 0


def test_languages_of_many_people_is_one_query(store):
    slack_locale(store, "UA", "es-ES")
    choose_language(store, "UB", "es", now=store.clock())
    choose_language(store, "UC", "en", now=store.clock())
    slack_locale(store, "UC", "es-ES")
    queries: list[str] = []
    with store.read() as db:
        db.conn.set_trace_callback(queries.append)
        try:
            found = languages_of(db, ["UA", "UB", "UC", "UD", "UA"])
        finally:
            db.conn.set_trace_callback(None)
    assert found == {"UA": "es", "UB": "es", "UC": "en", "UD": "en"}
    assert len([q for q in queries if q.lstrip().upper().startswith("SELECT")]) == 1


# ---------------------------------------------------------------- OUTREACH_LANGUAGE


@pytest.mark.parametrize("typed, code", [(None, "en"), ("es", "es"), ("es-MX", "es"), ("Español", "es"), ("en", "en")])
def test_the_coalition_language_is_read_with_pick(typed, code):
    env = {**GOOD, **({"OUTREACH_LANGUAGE": typed} if typed else {})}
    assert load_settings(env).language == code


def test_an_unsupported_coalition_language_names_the_setting_and_the_choices():
    with pytest.raises(SettingsError) as info:
        load_settings({**GOOD, "OUTREACH_LANGUAGE": "fr"})
    assert info.value.name == "OUTREACH_LANGUAGE"
    assert "'fr'" in str(info.value) and "en (English)" in str(info.value) and "es (Español)" in str(info.value)


# ---------------------------------------------------------------- the data's names in Spanish


@pytest.mark.parametrize("name", NAMED_LISTS)
def test_every_entry_of_the_data_has_a_spanish_name(name):
    for entry in load_entries(DATA / f"{name}.yml"):
        assert entry.name_in("es") != entry.english or entry.get("name_es"), (name, entry.id)
        assert entry.get("name_es"), (name, entry.id)
        if entry.get("evidence"):
            assert entry.get("evidence_es"), (name, entry.id)
        if name == "languages":
            assert entry.own_name, entry.id


def test_names_are_given_in_the_language_in_force():
    catalog = Catalog.load(DATA)
    protocol = rd.load_protocol(DATA)
    with i18n.speaking("es"):
        assert catalog.name_of("venues", "farm") == "Granjas y campamentos de migrantes"
        assert catalog.name_of("trainings", "direct-outreach") == "Capacitación en alcance directo"
        assert catalog.name_of("languages", "es") == "Español"
        assert protocol.category_name("housing-emergency") == "Vivienda de emergencia"
        assert KINDS["direct"] == "Alcance directo" and dict(KINDS)["training"] == "Capacitación"
        assert rd.SECTIONS["team-safety"] == "Equipo y seguridad"
        assert catalog.name_of("venues", "nowhere") == "nowhere"
    assert catalog.name_of("venues", "farm") == "Farms and migrant camps"
    assert KINDS["direct"] == "Direct outreach" and rd.SECTIONS["team-safety"] == "Team and safety"


def test_a_language_of_someone_met_is_shown_in_its_own_name_too():
    catalog = Catalog.load(DATA)
    assert catalog.language_label("ht") == "Haitian Creole (Kreyòl ayisyen)"
    assert catalog.language_label("es") == "Spanish (Español)"
    assert catalog.language_label("en") == "English"
    with i18n.speaking("es"):
        assert catalog.language_label("ht") == "Criollo haitiano (Kreyòl ayisyen)"
        assert catalog.language_label("es") == "Español"
        assert ("pt", "Portugués (Português)") in catalog.language_choices()


def test_the_render_filters_speak_the_language_in_force():
    render = Renderer(Catalog.load(DATA))
    template = render.env.from_string("{{ v|venue }}; {{ k|kind }}; {{ t|training }}; {{ lang|language }}; "
                                      "{{ met|language_label }}")
    ids = {"v": "farm", "k": "direct", "t": "safety", "lang": "pt", "met": "ht"}
    with i18n.speaking("es"):
        assert template.render(**ids) == ("Granjas y campamentos de migrantes; Alcance directo; Seguridad en el "
                                          "terreno y desescalada; Portugués; Criollo haitiano (Kreyòl ayisyen)")
    assert template.render(**ids) == ("Farms and migrant camps; Direct outreach; Field safety and de-escalation; "
                                 "Portuguese; Haitian Creole (Kreyòl ayisyen)")


def test_a_translation_that_is_not_words_is_refused_with_its_line(tmp_path):
    path = tmp_path / "venues.yml"
    path.write_text("- {id: farm, name: Farms, name_es: Granjas}\n- {id: bar, name: Bars, name_es: 12}\n")
    with pytest.raises(CatalogError) as info:
        load_entries(path)
    assert info.value.line == 2 and "`name_es` of 'bar'" in str(info.value)


def test_a_shifts_checklist_reads_in_spanish_even_when_copied_before_the_file_had_spanish(bot):
    number = bot.create_shift()
    protocol = rd.load_protocol(bot.settings.data_dir)

    def names() -> dict[str, tuple[str, str | None]]:
        with bot.store.read() as db, i18n.speaking("es"):
            shift = rd.get_shift(db, number)
            state = rd.evaluate(db, protocol, shift, now=bot.clock())
            return {i.id: (i.name, i.evidence_label) for i in state.items}

    assert names()["meeting-point"] == ("El punto de encuentro está fijado", "¿Dónde se reúne el equipo?")
    assert names()["team-size"][0] == "El equipo tiene al menos su tamaño mínimo (nunca solo)"
    with bot.store.write() as db:  # a copy made before the checklist file had Spanish: no name_es in params
        for row in list(db.query("SELECT item_id, params FROM readiness_items WHERE shift_id = ?", [number])):
            params = {k: v for k, v in json.loads(row["params"]).items() if not k.endswith("_es")}
            db.execute("UPDATE readiness_items SET params = ? WHERE shift_id = ? AND item_id = ?",
                       [json.dumps(params), number, row["item_id"]])
        db.execute("UPDATE readiness_items SET name = 'Buddy pairs are agreed' WHERE shift_id = ? "
                   "AND item_id = 'buddy-pairs'", [number])
    assert names()["meeting-point"] == ("El punto de encuentro está fijado", "¿Dónde se reúne el equipo?")
    assert names()["buddy-pairs"] == ("Buddy pairs are agreed", None)  # its words changed since: kept as copied
    stored = bot.db.execute("SELECT name FROM readiness_items WHERE shift_id = ? AND item_id = 'meeting-point'",
                            [number]).fetchone()[0]
    assert stored == "The meeting point is set"  # the copy keeps the English, whoever planned the shift


# ---------------------------------------------------------------- typed in Spanish


@pytest.mark.parametrize("typed, code", [("español", "es"), ("Espanol", "es"), ("inglés", "en"), ("portugués", "pt"),
                                         ("kreyòl", "ht"), ("Kreyòl ayisyen", "ht"), ("criollo haitiano", "ht"),
                                         ("Spanish", "es"), ("k'iche'", "quc"), ("lengua de señas", "asl")])
def test_language_names_typed_in_spanish_or_their_own_name(typed, code):
    found = Catalog.load(DATA).match_language(typed)
    assert found is not None and found.id == code


def test_a_training_is_found_by_its_spanish_name():
    catalog = Catalog.load(DATA)
    assert catalog.match_training("capacitacion en alcance directo").id == "direct-outreach"
    assert catalog.match_training("Direct outreach training").id == "direct-outreach"
    assert catalog.match_training("cocina") is None


@pytest.mark.parametrize("typed, ids", [
    ("vivienda", {"housing-emergency", "housing-transitional", "housing-permanent"}),
    ("abogado", {"legal-immigration", "legal-criminal", "legal-civil"}),
    ("comida", {"food"}), ("trabajo", {"employment"}), ("salud", {"medical-care"}), ("ropa", {"clothing"}),
    ("médico", {"medical-care"}), ("albergue", {"housing-emergency"}), ("intérprete", {"translation"}),
    ("Vivienda de emergencia", {"housing-emergency"}), ("shelter", {"housing-emergency"}),
])
def test_needs_typed_in_spanish(typed, ids):
    meant, _close = match_need(typed, rd.load_protocol(DATA).categories)
    assert {c.id for c in meant} == ids


def test_refer_answers_a_need_typed_in_spanish(bot):
    add_partner(bot, "Casa Segura", ["housing-emergency"], phone="555 0101")
    add_partner(bot, "Banco de Comida", ["food"], phone="555 0102")
    add_partner(bot, "Defensa Legal", ["legal-immigration"], phone="555 0103")
    housing = bot.command("UV", "refer vivienda").text()
    assert "Casa Segura" in housing and "*555 0101*" in housing and "Banco de Comida" not in housing
    assert "Banco de Comida" in bot.command("UV", "refer comida").text()
    assert "Defensa Legal" in bot.command("UV", "refer abogado").text()
    typo = bot.command("UV", "refer vivenda").text()
    assert "Emergency housing" in typo  # a Spanish word mistyped still finds the closest need


def test_spanish_commands_do_what_the_english_ones_do(bot):
    number = bot.create_shift()
    bot.train("UVOL")
    assert bot.command("UVOL", "ayuda").text() == bot.command("UVOL", "help").text()
    assert "/outreach signup" in bot.command("UVOL", "ayuda comandos").text()
    assert "/outreach signup" in bot.command("UVOL", "Ayuda inscribir").text()  # one command's line
    assert f"#{number}" in bot.command("UVOL", "turnos").text()
    signed = bot.command("UVOL", f"inscribir {number}").text()
    assert "You're signed up for shift" in signed
    assert bot.db.execute("SELECT status FROM signups WHERE shift_id = ? AND user_id = 'UVOL'",
                          [number]).fetchone()[0] == "confirmed"
    assert f"#{number}" in bot.command("UVOL", "mis turnos").text()
    assert "Saved" in bot.command("UVOL", "perfil idiomas Spanish, French").text()
    assert {r[0] for r in bot.db.execute("SELECT language FROM volunteer_languages WHERE user_id = 'UVOL'")} == \
        {"es", "fr"}
    assert bot.command("UVOL", "perfil").text() == bot.command("UVOL", "profile").text()
    unknown = bot.command("UVOL", "bailar").text()
    assert "I don't know `/outreach bailar`" in unknown
    assert bot.command(ADMIN, "ayuda coordinadores").text() == bot.command(ADMIN, "help coordinators").text()


def test_help_topics_are_labelled_and_found_in_either_language():
    with i18n.speaking("es"):
        assert [t.label for t in HELP_TOPICS][:3] == ["Inscribirse en un turno", "El turno de esta noche",
                                                      "Después de un turno"]
        assert help_topic("Typed commands").id == "commands"
    assert HELP_TOPICS[0].label == "Sign up for a shift"
    assert help_topic("después de un turno").id == "after" and help_topic("COMANDOS").id == "commands"
    assert help_topic("bailar") is None
