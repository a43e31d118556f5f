"""The bot's languages: every word a person reads goes through gettext, in English or Spanish.

English is the source language (the msgids in the code and templates). Spanish lives in gettext
catalogues, `locales/es/LC_MESSAGES/<area>.po`, one per area of the code (a templates/ folder, or
`handlers`, `outreach`), so that work on one area never touches another's file. They are read with
Babel and merged into one catalogue when first needed.

Whose language: the words a listener answers with are in the language of the person who tapped; a
notice in its recipient's; a channel post or a funder's report in the coalition's (`OUTREACH_LANGUAGE`).
The language in force is a context variable set with `speaking(...)`, read by `gettext` at call time.

`python -m outreach.i18n update` extracts the messages (pybabel's extractors over Python and Jinja2,
as configured in babel.cfg) and brings each area's catalogue up to date: new messages added untranslated,
messages gone from the code dropped. `python -m outreach.i18n missing` lists what is untranslated.
"""

from __future__ import annotations

import gettext as _gettext
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
DOMAIN_FILES = "LC_MESSAGES"
ENGLISH = "en"
# The languages the bot speaks: code -> the language's own name (what a choice shows).
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
TRANSLATED = tuple(code for code in LANGUAGES if code != ENGLISH)
# Words people type for a language, in either language, lower case.
NAMES: dict[str, str] = {
    "en": "en", "english": "en", "inglés": "en", "ingles": "en",
    "es": "es", "spanish": "es", "español": "es", "espanol": "es", "castellano": "es",
}

_current: ContextVar[str] = ContextVar("outreach_language", default=ENGLISH)


def pick(value: object) -> str | None:
    """The bot's language for a locale (`es-ES`, `es_MX`), a code or a typed name; None when it speaks none of it."""
    if not isinstance(value, str) or not value.strip():
        return None
    word = value.strip().lower()
    if word in NAMES:
        return NAMES[word]
    code = word.replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def current() -> str:
    """The language words are put in now."""
    return _current.get()


@contextmanager
def speaking(language: str | None) -> Iterator[str]:
    """Put the words said inside this block in a language (English when it is None or not one the bot speaks)."""
    code = pick(language) or ENGLISH
    token = _current.set(code)
    try:
        yield code
    finally:
        _current.reset(token)


def area_of(location: str) -> str:
    """Which catalogue a message belongs to, from where it was found: a templates/ folder
    (`templates/home/x.j2` -> `home`), else a module (`handlers/shifts.py` -> `handlers.shifts`)."""
    parts = Path(location).parts
    if parts and parts[0] == "templates" and len(parts) > 2:
        return parts[1]
    return ".".join(parts).removesuffix(".py") if parts else "other"


def catalogue_files(language: str) -> list[Path]:
    """A language's catalogue files, one per area."""
    return sorted((LOCALES / language / DOMAIN_FILES).glob("*.po"))


def read_catalogue(path: Path, language: str) -> Catalog:
    """One area's catalogue."""
    with path.open("rb") as f:
        return read_po(f, locale=language)


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """A language's translations: its areas' catalogues merged, compiled in memory (English: none)."""
    if language not in TRANSLATED:
        return _gettext.NullTranslations()
    merged = Catalog(locale=language)
    for path in catalogue_files(language):
        for message in read_catalogue(path, language):
            if message.id and message.string and not message.fuzzy:
                merged[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def gettext(message: str) -> str:
    """A message in the language in force."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """A message with a count, in the language in force."""
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """A message said in a context that gives it another translation (an alert "open", a follow-up "open")."""
    return translations(current()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    """A message with a count, in a context."""
    return translations(current()).npgettext(context, singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 (gettext's name for a marker)
    """Mark a message for extraction where it is defined; it is translated where it is shown (with `gettext`)."""
    return message


def extracted() -> dict[str, Catalog]:
    """Every message in the code and templates, by area (a catalogue template each), as pybabel extracts them."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options = parse_mapping_cfg(f)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "pgettext": ((1, "c"), 2),
                "npgettext": ((1, "c"), 2, 3)}
    areas: dict[str, Catalog] = {}
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options, keywords=keywords, comment_tags=("Translators:",)):
        if filename.startswith(("tests", ".venv", "locales")):
            continue
        area = areas.setdefault(area_of(filename), Catalog(locale=None))
        area.add(message, locations=[(filename, lineno)], auto_comments=comments, context=context)
    return areas


def _po_text(catalogue: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalogue, ignore_obsolete=True, width=110, include_lineno=False)
    return buffer.getvalue()


def _without_dates(text: bytes) -> bytes:
    return b"\n".join(line for line in text.splitlines() if b"-Date:" not in line)


def update(language: str = "es", areas: list[str] | None = None) -> dict[str, int]:
    """Bring each area's catalogue (or only `areas`) up to date with the code: new messages added
    (untranslated), gone ones dropped, translations kept; a file is rewritten only when its messages
    changed. Returns how many messages each area lacks a translation for."""
    folder = LOCALES / language / DOMAIN_FILES
    folder.mkdir(parents=True, exist_ok=True)
    missing: dict[str, int] = {}
    templates = extracted()
    known = {(m.id, m.context): m for path in catalogue_files(language) for m in read_catalogue(path, language)
             if m.id and m.string and not m.fuzzy}  # a message that moved keeps its translation
    for path in catalogue_files(language):
        if path.stem not in templates and (areas is None or path.stem in areas):
            path.unlink()
    for area, template in sorted(templates.items()):
        if areas is not None and area not in areas:
            continue
        path = folder / f"{area}.po"
        before = path.read_bytes() if path.exists() else b""
        catalogue = read_catalogue(path, language) if path.exists() else Catalog(locale=language)
        catalogue.update(template, no_fuzzy_matching=True)
        catalogue.project, catalogue.version = "outreach-bot", "1"
        for message in catalogue:
            if message.id and not message.string and (old := known.get((message.id, message.context))):
                message.string = old.string
        text = _po_text(catalogue)
        if _without_dates(text) != _without_dates(before):
            path.write_bytes(text)
        missing[area] = sum(1 for m in catalogue if m.id and (not m.string or m.fuzzy))
    translations.cache_clear()
    return missing


def untranslated(language: str = "es") -> list[tuple[str, str]]:
    """The messages of a language's catalogues without a usable translation: (area, msgid)."""
    out = []
    for path in catalogue_files(language):
        for message in read_catalogue(path, language):
            if message.id and (not message.string or message.fuzzy
                               or (isinstance(message.string, tuple) and not all(message.string))):
                out.append((path.stem, str(message.id)))
    return out


def main(argv: list[str]) -> int:
    """`update` the catalogues from the code, or list what is `missing`."""
    command = argv[0] if argv else "missing"
    if command == "update":  # every area, or those named after it (template folders, handlers, outreach)
        for language in TRANSLATED:
            for area, count in update(language, argv[1:] or None).items():
                print(f"{language}/{area}.po: {count} untranslated")
        return 0
    if command == "missing":
        rows = [(language, *row) for language in TRANSLATED for row in untranslated(language)]
        for language, area, message in rows:
            print(f"{language}/{area}.po: {message!r}")
        return 1 if rows else 0
    print("usage: python -m outreach.i18n [update [AREA ...]|missing]")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
