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


def _visit_children(node: ast.AST, shown: bool, visit: object) -> None:
    """What both checks do with any other node: a dict's keys are never read by a person, its values as the dict
    is; any other node's children as it is."""
    if isinstance(node, ast.Dict):
        for key in node.keys:
            if key is not None:
                visit(key, False)  # type: ignore[operator]
        for value in node.values:
            visit(value, shown)  # type: ignore[operator]
        return
    for child in ast.iter_child_nodes(node):
        visit(child, shown)  # type: ignore[operator]


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
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if shown and LOOKS_LIKE_WORDS.search(node.value) and not AN_ID.match(node.value):
                out.append(node.value)
            return
        _visit_children(node, shown, visit)

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


# ---------------------------------------------------------------- words in Python (outreach/, the domain)

# Domain modules whose form errors, returned problems and labels go through gettext (this list only grows). The
# second line's return codes (their words are in templates): the check keeps English from creeping in. Not here:
# readiness, hotlines, catalog (their English errors are about data files, for whoever starts the bot).
DOMAIN_WORDS_DONE = ["shifts", "series", "debriefs", "team_messages", "reports", "privacy",
                     "trainings", "phones", "duress", "rota", "cover", "drills", "attendance", "sos", "hours", "setup"]
# Where a domain string reaches a person: a form error (`errors[...] = `, `refused={...}`), a returned problem,
# a keyword naming one, a chart's words, or a module-level dict of labels (marked with N_, translated where shown).
ERROR_DICTS = {"errors", "problems", "refused"}
SHOWN_KEYWORDS = {"errors", "refused", "problem", "wrong", "missing", "label"}
SHOWN_DOMAIN_CALLS = {"set_title", "set_xlabel", "set_ylabel"}
NOT_A_PERSONS_CALLS = {"query", "execute", "compile", "match", "fullmatch", "search", "sub", "split", "get", "pop",
                       "audit", "enqueue", "Event", "emit", "info", "warning", "error", "debug", "exception"}
# A sentence (a capital, words, a full stop) is a person's wherever it is, outside docstrings and exceptions.
SENTENCE = re.compile(r"^[A-Z][a-z']* [^\n]*[a-z)]\.$")
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|FROM|WHERE|AND|OR|JOIN|UNION|ORDER BY|GROUP BY|LIMIT|CAST|AS)\b|julianday\(")
# Ids in capitals (REQ-PARTICIPANT) and Unicode categories ("Zs").
AN_UPPER_ID = re.compile(r"^[A-Z0-9_\-]*$|^[A-Z][a-z]$")


def _words(text: str) -> bool:
    return bool(LOOKS_LIKE_WORDS.search(text)) and not AN_ID.match(text) and not AN_UPPER_ID.match(text) \
        and not SQL.search(text)


def domain_words_outside_gettext(source: str) -> list[str]:
    """Strings of a domain module a person reads (form errors, returned problems, labels) that skip gettext."""
    tree = ast.parse(source)
    out: list[str] = []
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}

    def visit(node: ast.AST, shown: bool) -> None:
        if isinstance(node, ast.Raise) or id(node) in docstrings:
            return
        if isinstance(node, ast.Call):
            name = _name(node)
            if name in GETTEXT_CALLS or name in NOT_A_PERSONS_CALLS:
                return
            for arg in node.args:
                visit(arg, name in SHOWN_DOMAIN_CALLS)
            for kw in node.keywords:
                visit(kw.value, kw.arg in SHOWN_KEYWORDS)
            visit(node.func, False)
            return
        if isinstance(node, ast.Return):
            if node.value is not None:
                visit(node.value, True)
            return
        if isinstance(node, ast.Assign):
            to_errors = any(isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in ERROR_DICTS
                            for t in node.targets)
            labels = isinstance(node.value, ast.Dict) and any(
                isinstance(t, ast.Name) and t.id.isupper() for t in node.targets) and node in tree.body
            visit(node.value, shown or to_errors or labels)
            return
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "" for v in node.values)
            if (shown and _words(text)) or SENTENCE.match(text + "."):
                out.append(text)
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if (shown and _words(node.value)) or SENTENCE.match(node.value):
                out.append(node.value)
            return
        _visit_children(node, shown, visit)

    visit(tree, False)
    return out


@pytest.mark.parametrize("module", DOMAIN_WORDS_DONE)
def test_every_word_of_the_domain_a_person_reads_goes_through_gettext(module):
    assert domain_words_outside_gettext((ROOT / "outreach" / f"{module}.py").read_text()) == []


def test_the_domain_check_finds_words_outside_gettext():
    source = '''
"""A module."""
LABELS = {"weekly": "Weekly", "monthly": N_("Monthly")}
def check(form):
    """Check it."""
    errors = {}
    errors["area"] = "Name an area."
    errors["notes"] = _("Keep notes under %(limit)s characters.") % {"limit": 10}
    errors["lead"] = f"Choose up to {MAX} people."
    if form:
        return None, ("Choose how the shift repeats." if form else None)
    rows = db.query("SELECT id FROM shifts WHERE status = 'planned'")
    refuse(refused={"capacity": "Keep capacity."}, key=f"shift:{form}")
    axis.set_title("Outreach impact")
    axis.plot([], label="People reached")
    problem = "Say what happened."
    if not form:
        raise ValueError("the form is empty.")
    return "cancelled"
'''
    assert domain_words_outside_gettext(source) == [
        "Weekly", "Name an area.", "Choose up to  people.", "Choose how the shift repeats.", "Keep capacity.",
        "Outreach impact", "People reached", "Say what happened."]
