"""English and Spanish (issue 23): every word in the templates goes through gettext, and the Spanish
catalogues are complete and up to date with the code, with the same placeholders as the English."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from handlers.render import TEMPLATES, Renderer
from outreach import i18n
from outreach.catalog import Catalog

ROOT = Path(__file__).resolve().parent.parent

# What a template may hold outside a message: emoji codes, Slack's tokens, mrkdwn marks, numbers, punctuation.
NOT_WORDS = re.compile(r":[a-z0-9_+-]+:|<[^>]*>|&[a-z]+;")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def words_outside_messages(source: str) -> list[str]:
    """The bits of a template's text that a person reads but that are not inside {% trans %} ... {% endtrans %}."""
    env = Renderer(Catalog([], [], [])).env
    out, inside, previous = [], 0, None
    for _, kind, value in env.lex(source):
        if kind == "name" and previous == "block_begin":
            inside += 1 if value == "trans" else -1 if value == "endtrans" else 0
        elif kind == "data" and not inside and re.search(r"[A-Za-z]{2,}", NOT_WORDS.sub("", value)):
            out.append(value.strip())
        if kind not in ("whitespace",):
            previous = kind
    return out


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.j2"))


@pytest.mark.parametrize("path", _templates(), ids=lambda p: p.relative_to(TEMPLATES).as_posix())
def test_every_word_of_a_template_goes_through_gettext(path):
    assert words_outside_messages(path.read_text()) == []


def test_the_lexer_check_finds_words_outside_messages():
    assert words_outside_messages("Hello {{ x }} :wave:") == ["Hello"]
    assert words_outside_messages("{% trans %}Hello {{ x }}{% endtrans %} :wave: <@{{ u }}> *#{{ n }}*") == []


def test_the_catalogues_are_up_to_date_with_the_code():
    code = {area: {m.id for m in catalogue if m.id} for area, catalogue in i18n.extracted().items()}
    for language in i18n.TRANSLATED:
        kept = {p.stem: {m.id for m in i18n.read_catalogue(p, language) if m.id}
                for p in i18n.catalogue_files(language)}
        assert set(kept) == set(code), "run `python -m outreach.i18n update`"
        for area, ids in code.items():
            assert ids - kept[area] == set(), f"{language}/{area}.po lacks messages: run `python -m outreach.i18n update`"
            assert kept[area] - ids == set(), f"{language}/{area}.po has messages gone from the code"


def test_every_message_has_a_translation_with_the_same_placeholders():
    for language in i18n.TRANSLATED:
        assert i18n.untranslated(language) == []
        for path in i18n.catalogue_files(language):
            for message in i18n.read_catalogue(path, language):
                if not message.id:
                    continue
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                wanted = set(PLACEHOLDER.findall(ids[-1]))
                for string in strings:
                    assert set(PLACEHOLDER.findall(string)) <= wanted | {"num"}, (path.name, message.id, string)
                    assert wanted - {"num", "count"} <= set(PLACEHOLDER.findall(string)), (path.name, message.id)


def test_one_english_message_has_one_translation_in_every_area():
    """The catalogues are merged: an English message two areas translate differently (an alert "open" is
    *abierta*, a follow-up *abierto*) must be told apart by a context (`{% trans "alert" %}`), or one is lost."""
    for language in i18n.TRANSLATED:
        seen: dict[tuple, dict[str, str]] = {}
        for path in i18n.catalogue_files(language):
            for message in i18n.read_catalogue(path, language):
                if message.id:
                    seen.setdefault((str(message.id), message.context), {})[path.stem] = str(message.string)
        clashes = {key: areas for key, areas in seen.items() if len(set(areas.values())) > 1}
        assert clashes == {}


def test_a_template_speaks_the_language_in_force_and_escapes_what_it_is_given():
    render = Renderer(Catalog([], [], []))
    with i18n.speaking("es-ES"):
        text = render("common/not_allowed.j2", what="<!channel>", needed="coordinator")
    assert text.startswith(":no_entry: `&lt;!channel&gt;` es solo para coordinadores")
    with i18n.speaking(None):
        assert "is for coordinators" in render("common/not_allowed.j2", what="x", needed="coordinator")


@pytest.mark.parametrize("typed, code", [("es-ES", "es"), ("es_MX", "es"), ("Español", "es"), ("spanish", "es"),
                                         ("en-US", "en"), ("fr-FR", None), ("", None), (None, None)])
def test_a_language_is_picked_from_a_locale_or_a_name(typed, code):
    assert i18n.pick(typed) == code


# ---------------------------------------------------------------- words in Python (handlers/)

# Builders whose string arguments a person reads: handlers/blocks.py's (called as `bk.x`), slack_sdk's models,
# the role a listener needs (`only`/`coordinators`/`admins`: its `what` is said in the refusal), and a DM's text.
SHOWN_CALLS = {"only", "coordinators", "admins", "chat_postMessage", "PlainTextObject", "MarkdownTextObject",
               "Option", "ButtonElement", "ConfirmObject", "StaticSelectElement", "HeaderBlock"}
NOT_SHOWN_KEYWORDS = {"block_id", "action_id", "callback_id", "value", "style", "url", "channel", "metadata",
                      "initial", "initial_value", "initial_option", "type", "view_id", "trigger_id", "user"}
GETTEXT_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext", "N_"}
LOOKS_LIKE_WORDS = re.compile(r"[A-Za-z]{2}")
AN_ID = re.compile(r"^[a-z0-9_:.\-/]*$")


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _is_shown_call(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "bk") \
        or _name(call) in SHOWN_CALLS


def words_outside_gettext(source: str) -> list[str]:
    """Strings a person reads in a module's Block Kit, refusals, form errors and DMs that skip gettext."""
    tree = ast.parse(source)
    out: list[str] = []

    def visit(node: ast.AST, shown: bool) -> None:
        if isinstance(node, ast.Call):
            if _name(node) in GETTEXT_CALLS:
                return
            here = shown or _is_shown_call(node)
            for arg in node.args:
                visit(arg, here)
            for kw in node.keywords:
                errors = kw.arg == "errors" and _name(node) == "ack"
                visit(kw.value, (here and kw.arg not in NOT_SHOWN_KEYWORDS) or errors)
            visit(node.func, shown)
            return
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if key is not None:
                    visit(key, False)
            for value in node.values:
                visit(value, shown)
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if shown and LOOKS_LIKE_WORDS.search(node.value) and not AN_ID.match(node.value):
                out.append(node.value)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, shown)

    visit(tree, False)
    return out


def _modules() -> list[Path]:
    return sorted((ROOT / "handlers").glob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_every_word_of_a_handler_goes_through_gettext(path):
    assert words_outside_gettext(path.read_text()) == []


def test_the_handlers_check_finds_words_outside_gettext():
    source = '''
bk.button("Sign up", ids.SHIFT_SIGNUP, "12")
bk.button(_("Details"), ids.SHIFT_DETAILS, "12")
ack(response_action="errors", errors={"reason": "Say why."})
coordinators(on_edit, "Edit")
client.chat_postMessage(channel=actor, text=_("Done"))
bk.option("every week", "weekly")
'''
    assert words_outside_gettext(source) == ["Sign up", "Say why.", "Edit", "every week"]
