"""Words from templates/ (Jinja2), with every value escaped for Slack mrkdwn on its way out."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from outreach.catalog import KINDS, Catalog

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SLACK_ID = re.compile(r"^[UWCGD][A-Z0-9]+$")


def escape_mrkdwn(text: object) -> str:
    """Escape &, < and > so user text can never become a link, mention or @channel."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _finalize(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return str(value)
    return escape_mrkdwn(value)


def mention(user_id: str | None) -> Markup:
    """A user mention, only for well-formed Slack ids."""
    if user_id and SLACK_ID.match(user_id):
        return Markup(f"<@{user_id}>")
    return Markup("someone")


def plain_time(moment: datetime, zone: str) -> str:
    """A readable time in a given zone, as a fallback where Slack cannot localise."""
    local = moment.astimezone(ZoneInfo(zone))
    return local.strftime("%a %d %b %Y, %H:%M ") + (local.tzname() or zone)


def slack_date(moment: datetime, zone: str, fmt: str = "{date_short_pretty} {time}") -> Markup:
    """Slack's date token: every reader sees their own zone; the fallback is the shift's zone."""
    fallback = escape_mrkdwn(plain_time(moment, zone)).replace("|", "/")
    return Markup(f"<!date^{int(moment.timestamp())}^{fmt}|{fallback}>")


class Renderer:
    """Renders templates/ with the catalog's names and Slack-safe filters."""

    def __init__(self, catalog: Catalog, *, templates: Path = TEMPLATES) -> None:
        self.env = Environment(
            loader=FileSystemLoader(str(templates)),
            autoescape=False,
            finalize=_finalize,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters.update(
            user=mention,
            when=lambda moment, zone, fmt="{date_short_pretty} {time}": slack_date(moment, zone, fmt),
            plain_time=plain_time,
            kind=lambda ident: KINDS.get(ident, ident),
            venue=lambda ident: catalog.name_of("venues", ident),
            training=lambda ident: catalog.name_of("trainings", ident),
            language=lambda ident: catalog.name_of("languages", ident),
            plural=lambda n, one, many=None: one if n == 1 else (many or one + "s"),
        )

    def __call__(self, name: str, /, **context: object) -> str:
        """Render one template to mrkdwn text."""
        return self.env.get_template(name).render(**context).strip()
