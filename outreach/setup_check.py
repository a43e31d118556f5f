"""What `python bot.py check` finds without Slack: settings left as .env.example's placeholders, scopes missing.

.env.example shows each setting with an example value. Some are real defaults (PORT=3000); others only
show the shape of what to put there (`xoxb-your-bot-token`, `U0123456789`, `https://outreach.example.org`,
a made-up coalition name). A setting still holding one of those is refused by name, with what to put instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

EXAMPLE_FILE = Path(__file__).resolve().parent.parent / ".env.example"
# An example value with one of these in it stands for a value of one's own.
MARKERS = re.compile(r"your[-_]|example\.(org|com|net)|0123456789|xxxx", re.IGNORECASE)
# Settings whose example (commented out in .env.example) is a made-up name rather than a default.
MADE_UP = frozenset({"OUTREACH_COALITION_NAME", "OUTREACH_STATEMENT_ISSUER"})
# What to put instead of a placeholder; a setting not listed here is told the comment above it in .env.example.
INSTEAD = {
    "SLACK_BOT_TOKEN": "put the Bot User OAuth Token (xoxb-...) from your Slack app's OAuth & Permissions page",
    "SLACK_APP_TOKEN": "put an app-level token with connections:write (xapp-..., Basic Information > App-Level "
                       "Tokens), or leave it empty to serve HTTP",
    "OUTREACH_ADMINS": "put the admins' Slack member ids, comma-separated (a profile > ... > Copy member ID)",
    "OUTREACH_COORDINATOR_CHANNEL": "put the coordinators' channel id (channel details > About, at the bottom) "
                                    "and invite the bot there with /invite @outreach",
    "OUTREACH_PUBLIC_URL": "put the https:// address where people reach this bot's calendar feeds, or remove the line",
    "OUTREACH_COALITION_NAME": "put your coalition's name (it is printed on reports), or remove the line",
    "OUTREACH_STATEMENT_ISSUER": "put who issues statements of service hours, or remove the line",
}
LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$")


@dataclass(frozen=True)
class Example:
    """One setting as .env.example shows it: its example value and the comment above it."""

    name: str
    value: str
    comment: str

    @property
    def placeholder(self) -> bool:
        """Does the example stand for a value of one's own (rather than being a usable default)?"""
        return bool(self.value) and (self.name in MADE_UP or bool(MARKERS.search(self.value)))


@dataclass(frozen=True)
class Placeholder:
    """A setting still holding .env.example's placeholder: which values of it, and what to put instead."""

    name: str
    values: tuple[str, ...]
    instead: str

    @property
    def line(self) -> str:
        """One line naming the setting, the placeholder and what to put instead."""
        return f"{self.name}: still {', '.join(self.values)} as in .env.example; {self.instead}"


def read_examples(text: str) -> dict[str, Example]:
    """The settings .env.example shows (commented-out ones too), with the comment lines just above each."""
    examples: dict[str, Example] = {}
    comment: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        found = LINE.match(line)
        if found:
            name, value = found.groups()
            examples.setdefault(name, Example(name, value.strip(), " ".join(comment)))
            comment = []
        elif line.startswith("#"):
            comment.append(line.lstrip("#").strip())
        else:
            comment = []
    return examples


def _same(value: str, example: str) -> bool:
    return value.strip().rstrip("/") == example.strip().rstrip("/")


def placeholders(env: Mapping[str, str], example_text: str) -> dict[str, Placeholder]:
    """The settings still holding a placeholder from .env.example, by name (a list: the items that are)."""
    found: dict[str, Placeholder] = {}
    for example in read_examples(example_text).values():
        value = env.get(example.name, "").strip()
        if not value or not example.placeholder:
            continue
        if _same(value, example.value):
            left = (value,)
        elif example.name in MADE_UP:
            continue
        else:
            left = tuple(item.strip() for item in value.split(",") if _same(item, example.value))
            if not left:
                continue
        instead = INSTEAD.get(example.name) or f"put your own value ({example.comment or 'see .env.example'})"
        found[example.name] = Placeholder(example.name, left, instead)
    return found


def example_text(path: Path = EXAMPLE_FILE) -> str:
    """The text of .env.example, or "" where it is not beside the bot (then nothing can be left from it)."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def missing_scopes(granted: str | None, wanted: Iterable[str]) -> list[str] | None:
    """The wanted scopes a token lacks, from Slack's comma-separated `x-oauth-scopes`; None when Slack did not say."""
    if granted is None:
        return None
    have = {scope.strip() for scope in granted.split(",") if scope.strip()}
    return [scope for scope in wanted if scope not in have]
