"""The coalition's editable lists in data/: venues, trainings, languages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

KINDS: dict[str, str] = {
    "direct": "Direct outreach",
    "community": "Community outreach",
    "training": "Training",
}


class CatalogError(Exception):
    """A data file is malformed; the message names the file, the line and the problem."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line


@dataclass(frozen=True)
class Entry:
    """One item of a list: a stable id, the words people read, and any extra fields."""

    id: str
    name: str
    extra: dict

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
        """The training a person meant by its id or its name, ignoring case."""
        typed = typed.strip().lower()
        return next(
            (t for t in self.trainings if typed in (t.id.lower(), t.name.lower())), None
        )

    def name_of(self, kind: str, ident: str | None) -> str:
        """The readable name of a venue, training or language id (the id itself when unknown)."""
        entry = self._find(getattr(self, kind), ident)
        return entry.name if entry else (ident or "")
