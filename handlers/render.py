"""Words from templates/ (Jinja2), with every value escaped for Slack mrkdwn on its way out."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from outreach import i18n
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
    return Markup(escape_mrkdwn(i18n.gettext("someone")))


def plain_time(moment: datetime, zone: str) -> str:
    """A readable time in a given zone, in the language in force, as a fallback where Slack cannot localise."""
    local = moment.astimezone(ZoneInfo(zone))
    return format_datetime(local, "EEE dd MMM y, HH:mm ", locale=i18n.current()) + (local.tzname() or zone)


def local_date(moment: object, pattern: str = "EEE d MMM") -> str:
    """A date (or a datetime's date) in the language in force, in a CLDR pattern (`EEE d MMM`: Fri 11 Dec,
    vie 11 dic); use it wherever a template would have used strftime's day or month names."""
    return format_date(moment, pattern, locale=i18n.current())  # type: ignore[arg-type]


def _translate(message: str, /, **variables: object) -> Markup:
    """A template's message in the language in force, each value put in escaped for mrkdwn (newstyle gettext)."""
    return Markup(i18n.gettext(message) % {k: _finalize(v) for k, v in variables.items()})


def _translate_n(singular: str, plural: str, /, num: int, **variables: object) -> Markup:
    """A template's message with a count (`{% trans count=n %}`), in the language in force."""
    values = {k: _finalize(v) for k, v in variables.items()}
    return Markup(i18n.ngettext(singular, plural, num) % {"num": num, **values})


def _translate_p(context: str, message: str, /, **variables: object) -> Markup:
    """A template's message in a context (`{% trans "alert" %}open{% endtrans %}`): the same English, told apart."""
    return Markup(i18n.pgettext(context, message) % {k: _finalize(v) for k, v in variables.items()})


def _translate_np(context: str, singular: str, plural: str, /, num: int, **variables: object) -> Markup:
    """A template's message with a count, in a context."""
    values = {k: _finalize(v) for k, v in variables.items()}
    return Markup(i18n.npgettext(context, singular, plural, num) % {"num": num, **values})


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
            extensions=["jinja2.ext.i18n"],
        )
        # Newstyle gettext (Jinja2's i18n extension): a message's values are given by name and put in by
        # `_translate`, escaped; `%` in a message is written `%%`, as pybabel extracts it (babel.cfg).
        self.env.newstyle_gettext = True  # type: ignore[attr-defined]
        self.env.globals.update(gettext=_translate, _=_translate, ngettext=_translate_n, pgettext=_translate_p,
                                npgettext=_translate_np)
        self.env.filters.update(
            user=mention,
            when=lambda moment, zone, fmt="{date_short_pretty} {time}": slack_date(moment, zone, fmt),
            plain_time=plain_time,
            local_date=local_date,
            kind=lambda ident: KINDS.get(ident, ident),
            venue=lambda ident: catalog.name_of("venues", ident),
            training=lambda ident: catalog.name_of("trainings", ident),
            language=lambda ident: catalog.name_of("languages", ident),
            # a language where someone picks the language of a person met: also in its own name
            language_label=catalog.language_label,
            plural=lambda n, one, many=None: one if n == 1 else (many or one + "s"),
        )

    def __call__(self, name: str, /, **context: object) -> str:
        """Render one template to mrkdwn text."""
        return self.env.get_template(name).render(**context).strip()
