"""The coalition's editable lists in data/: venues, trainings, languages.

Each entry's `name` is written in English; its name in another language the bot speaks is beside it as
`name_<code>` (`name_es: Restaurantes y bares`), and a checklist item's question likewise (`evidence_es`).
`Entry.name` gives the name in the language in force (`i18n.current()`), falling back to the English.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from outreach import i18n
from outreach.i18n import N_


class Words(Mapping[str, str]):
    """A fixed mapping of ids to English words, each given in the language in force when read."""

    def __init__(self, words: dict[str, str]) -> None:
        self._words = dict(words)

    def __getitem__(self, key: str) -> str:
        return i18n.gettext(self._words[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._words)

    def __len__(self) -> int:
        return len(self._words)

    def english(self, key: str) -> str:
        """The word as written in the code (English), whatever the language in force."""
        return self._words[key]


KINDS = Words({
    "direct": N_("Direct outreach"),
    "community": N_("Community outreach"),
    "training": N_("Training"),
})


def fold(text: object) -> str:
    """Typed words made comparable: lower case, accents and apostrophes dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", str(text or "").lower())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.replace("'", "").replace("’", "").replace("-", " ").split())


def translated_field(key: str, language: str) -> str:
    """The YAML field holding `key` in a language (`name` -> `name_es`); the field itself for English."""
    return key if language == i18n.ENGLISH else f"{key}_{language}"


class CatalogError(Exception):
    """A data file is malformed; the message names the file, the line and the problem."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line


@dataclass(frozen=True)
class Entry:
    """One item of a list: a stable id, the words people read (in English, others in `extra`), extra fields."""

    id: str
    english: str
    extra: dict

    @property
    def name(self) -> str:
        """The words people read, in the language in force (English when the file has no translation)."""
        return self.name_in(i18n.current())

    def name_in(self, language: str) -> str:
        """The entry's name in a language (English when the file has none for it)."""
        return self.words("name", language) or self.english

    def words(self, key: str, language: str | None = None) -> str | None:
        """A field of words (`evidence`) in a language (the language in force by default), else in English."""
        language = language or i18n.current()
        found = self.extra.get(translated_field(key, language)) if language != i18n.ENGLISH else None
        if isinstance(found, str) and found.strip():
            return found.strip()
        value = self.english if key == "name" else self.extra.get(key)
        return value.strip() if isinstance(value, str) else None

    @property
    def own_name(self) -> str | None:
        """A language's name in that language (`own` in languages.yml: Español, Kreyòl ayisyen)."""
        own = self.extra.get("own")
        return own.strip() if isinstance(own, str) and own.strip() else None

    def spellings(self) -> set[str]:
        """Every way a person may type this entry, folded: its id, its name in each language, its own name,
        and its `aliases` (words in any language)."""
        words = [self.id, self.english, *(self.words("name", code) for code in i18n.TRANSLATED), self.own_name,
                 *[str(a) for a in (self.extra.get("aliases") or [])]]
        return {fold(w) for w in words if w}

    def get(self, key: str, default: object = None) -> object:
        """An extra field of the entry."""
        return self.extra.get(key, default)


def load_entries(
    path: Path, *, extra_fields: dict[str, type] | None = None,
    validate: Callable[[dict], str | None] | None = None, allow_empty: bool = False,
) -> list[Entry]:
    """Load a YAML list of {id, name, ...} mappings, checking each entry and its line.

    `validate(item)` may return a problem with one entry (reported with the entry's line).
    """
    extra_fields = extra_fields or {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(path, None, f"cannot be read ({exc.strerror})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogError(path, mark.line + 1 if mark else None, f"is not valid YAML ({problem})") from None
    if allow_empty and (data is None or data == []):
        return []
    if not isinstance(data, list) or node is None:
        raise CatalogError(path, 1, "must be a list of entries, each with an id and a name")
    entries: list[Entry] = []
    seen: set[str] = set()
    for item, item_node in zip(data, node.value, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            raise CatalogError(path, line, "each entry must be a mapping with an id and a name")
        ident, name = item.get("id"), item.get("name")
        if not isinstance(ident, str) or not ident.strip() or " " in ident.strip():
            raise CatalogError(path, line, "entry needs an `id`: a short word without spaces")
        if not isinstance(name, str) or not name.strip():
            raise CatalogError(path, line, f"entry {ident!r} needs a `name`")
        if ident in seen:
            raise CatalogError(path, line, f"id {ident!r} appears twice")
        for key, kind in extra_fields.items():
            if key in item and item[key] is not None and not isinstance(item[key], kind):
                raise CatalogError(path, line, f"`{key}` of {ident!r} must be a {kind.__name__}")
        for key in item:
            if any(str(key).endswith(f"_{code}") for code in i18n.TRANSLATED) and (
                    not isinstance(item[key], str) or not item[key].strip()):
                raise CatalogError(path, line, f"`{key}` of {ident!r} must be words (the translation of `"
                                               f"{str(key).rsplit('_', 1)[0]}`)")
        problem = validate(item) if validate else None
        if problem:
            raise CatalogError(path, line, f"entry {ident!r}: {problem}")
        seen.add(ident)
        extra = {k: v for k, v in item.items() if k not in ("id", "name")}
        entries.append(Entry(ident.strip(), name.strip(), extra))
    if not entries:
        raise CatalogError(path, 1, "lists no entries")
    return entries


@dataclass(frozen=True)
class Catalog:
    """All the editable lists, loaded once at start-up."""

    venues: list[Entry]
    trainings: list[Entry]
    languages: list[Entry]

    @classmethod
    def load(cls, data_dir: Path) -> Catalog:
        """Load and check every data file; raise CatalogError on the first problem."""
        return cls(
            venues=load_entries(data_dir / "venues.yml"),
            trainings=load_entries(data_dir / "trainings.yml", extra_fields={"valid_months": int}),
            languages=load_entries(data_dir / "languages.yml"),
        )

    @staticmethod
    def _find(entries: list[Entry], ident: str | None) -> Entry | None:
        return next((e for e in entries if e.id == ident), None)

    def venue(self, ident: str | None) -> Entry | None:
        """The venue with this id."""
        return self._find(self.venues, ident)

    def training(self, ident: str | None) -> Entry | None:
        """The training with this id."""
        return self._find(self.trainings, ident)

    def language(self, ident: str | None) -> Entry | None:
        """The language with this id."""
        return self._find(self.languages, ident)

    def match_training(self, typed: str) -> Entry | None:
        """The training a person meant by its id or its name in any language, ignoring case and accents."""
        return match(typed, self.trainings)

    def match_language(self, typed: str) -> Entry | None:
        """The language a person meant: its id, its name in English or Spanish, or its own name
        (`español`, `inglés`, `kreyòl`), ignoring case and accents."""
        return match(typed, self.languages)

    def name_of(self, kind: str, ident: str | None) -> str:
        """The readable name of a venue, training or language id, in the language in force (the id when unknown)."""
        entry = self._find(getattr(self, kind), ident)
        return entry.name if entry else (ident or "")

    def language_label(self, ident: str | None) -> str:
        """A language as shown where someone picks the language of a person met: its name in the language
        in force and, when different, its own name (`Haitian Creole (Kreyòl ayisyen)`, `Español`)."""
        entry = self.language(ident)
        if entry is None:
            return ident or ""
        own = entry.own_name
        return entry.name if not own or own.casefold() == entry.name.casefold() else f"{entry.name} ({own})"

    def language_choices(self) -> list[tuple[str, str]]:
        """(id, label) of every language, for a picker of the languages of people met."""
        return [(x.id, self.language_label(x.id)) for x in self.languages]


def match(typed: str, entries: list[Entry]) -> Entry | None:
    """The entry a person meant by any of its spellings (see `Entry.spellings`), or None."""
    key = fold(typed)
    return next((e for e in entries if key and key in e.spellings()), None) if key else None
