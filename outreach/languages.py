"""Each person's language: the one they chose, else the locale Slack gave for them, else English.

A choice is kept in `language_choices`; choosing None (follow Slack) removes it. Slack's locale is the
one the directory of people keeps (outreach/people.py, from `users.info` with `include_locale`). The
language of words meant for no one person (channel posts, the funder's report) is `settings.language`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlite_utils import Database

from outreach import i18n
from outreach.i18n import gettext as _
from outreach.store import Store, iso


class LanguageError(ValueError):
    """A language the bot does not speak was asked for; the message says which it speaks."""


def _choices() -> str:
    return ", ".join(f"{name} ({code})" for code, name in i18n.LANGUAGES.items())


def choose_language(store: Store, user: str, language: str | None, *, now: datetime) -> str | None:
    """Keep the language a person chose (a code, a locale or a name: `es`, `es-MX`, `español`), or None to
    follow Slack's locale again; returns the code kept. Raises LanguageError for a language the bot lacks."""
    code = None
    if language is not None:
        code = i18n.pick(language)
        if code is None:
            raise LanguageError(_("The bot does not speak %(language)s; choose one of: %(choices)s.")
                                % {"language": language, "choices": _choices()})
    with store.write() as db:
        if code is None:
            db.execute("DELETE FROM language_choices WHERE user_id = ?", [user])
        else:
            db["language_choices"].upsert({"user_id": user, "language": code, "chosen_at": iso(now)}, pk="user_id")
        store.audit(db, actor=user, action="language.choose", subject=f"user:{user}", detail={"language": code})
    return code


def chosen_language(db: Database, user: str) -> str | None:
    """The language a person chose, or None when they follow Slack's locale."""
    row = next(db.query("SELECT language FROM language_choices WHERE user_id = ?", [user]), None)
    return i18n.pick(row["language"]) if row else None


def language_of(db: Database, user: str) -> str:
    """The language the bot speaks to a person: their choice, else Slack's locale for them, else English."""
    return languages_of(db, [user]).get(user, i18n.ENGLISH)


def languages_of(db: Database, users: Iterable[str]) -> dict[str, str]:
    """The language of each of these people (as `language_of`), read in one query."""
    wanted = sorted({u for u in users if u})
    found = {u: i18n.ENGLISH for u in wanted}
    rows = db.query(
        "SELECT w.value AS user_id, c.language AS chosen, p.locale AS locale FROM json_each(?) w "
        "LEFT JOIN language_choices c ON c.user_id = w.value LEFT JOIN people p ON p.user_id = w.value",
        [json.dumps(wanted)])
    for row in rows:
        found[row["user_id"]] = i18n.pick(row["chosen"]) or i18n.pick(row["locale"]) or i18n.ENGLISH
    return found


def known(db: Database, user: str) -> bool:
    """Whether the bot knows anything of a person's language: a choice, or Slack's answer about them."""
    return db.execute("SELECT EXISTS (SELECT 1 FROM language_choices WHERE user_id = ?) "
                      "OR EXISTS (SELECT 1 FROM people WHERE user_id = ? AND refreshed_at IS NOT NULL)",
                      [user, user]).fetchone()[0] == 1
