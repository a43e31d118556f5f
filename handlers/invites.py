"""Calendar in Slack: .ics invites in DMs, the Google Calendar link, and per-person feeds over HTTP."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from types import SimpleNamespace

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from slack_bolt import Ack, App

from handlers import blocks as bk
from handlers import ids
from handlers.click import Click
from handlers.commands import CommandRequest, subcommand
from handlers.kit import Kit
from handlers.notify import notice
from handlers.render import TEMPLATES, plain_time
from outreach import i18n
from outreach import ics as cal
from outreach import series as sr
from outreach.catalog import KINDS
from outreach.i18n import gettext as _
from outreach.i18n import pgettext
from outreach.shifts import Shift

log = logging.getLogger(__name__)

FEED_PREFIX = "/calendar/"
TOKEN_PATH = re.compile(r"^/calendar/([A-Za-z0-9_-]{16,64})\.ics$")


def plain_env(kit: Kit) -> Environment:
    """Jinja for plain text (.ics fields): no mrkdwn escaping, the catalog's names."""
    catalog = kit.services.catalog
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=False, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    env.newstyle_gettext = True  # type: ignore[attr-defined]  # as the Renderer's, without mrkdwn escaping
    env.globals.update(gettext=lambda message, /, **values: i18n.gettext(message) % values,
                       ngettext=lambda one, many, /, num, **values: i18n.ngettext(one, many, num) % {"num": num, **values})
    env.filters.update(
        kind=lambda ident: KINDS.get(ident, ident), venue=lambda ident: catalog.name_of("venues", ident),
        plain_time=plain_time,
    )
    return env


def lead_name(shift: object, names: dict[str, str]) -> str:
    """The lead as a calendar names them: their name as Slack knows it, else "Slack member" and the id."""
    lead = getattr(shift, "lead", None)
    if not lead:
        return _("not set")
    name = names.get(lead, lead)
    return name if name != lead else _("Slack member %(id)s") % {"id": lead}


def _event_words(kit: Kit, shift: object, summary: str, names: dict[str, str] | None, **values: object) -> cal.Words:
    """A calendar event's plain words: its summary template, the description (the lead's name from `names`)."""
    env = plain_env(kit)
    description = env.get_template("calendar/description.txt.j2").render(
        shift=shift, lead_name=lead_name(shift, names or {}), channel=kit.services.settings.coordinator_channel)
    return cal.Words(summary=env.get_template(summary).render(shift=shift, **values).strip(),
                     description=description.strip(), location=getattr(shift, "area", ""))


def words(kit: Kit, shift: Shift, names: dict[str, str] | None = None) -> cal.Words:
    """The plain words of a shift's calendar event (`names` by member id: the lead's)."""
    return _event_words(kit, shift, "calendar/summary.txt.j2", names)


@notice("calendar/invite")
def notice_invite(kit: Kit, context: dict) -> tuple[str, list[dict], dict] | None:
    """An invite or cancellation with its .ics file; skipped when a newer one superseded it."""
    user, sequence, method = context["user"], int(context["sequence"]), context["method"]
    shift, state = cal.load_for_invite(kit.services.store, int(context["shift_id"]), user)
    if shift is None or state is None or state["sequence"] != sequence:
        return None
    if method == "REQUEST" and (shift.cancelled or shift.my_status != "confirmed"):
        return None
    names = kit.names([user, shift.lead])  # sent by the timer, after any ack: names may be looked up
    event_words = words(kit, shift, names)
    ics = cal.invite_ics(shift, user=user, sequence=sequence, method=method, words=event_words,
                         now=kit.services.now(), organizer=shift.lead, names=names)
    text = kit.render("calendar/invite.j2", shift=shift, method=method, sequence=sequence)
    parts: list = [bk.section(text)]
    if method == "REQUEST":
        parts.append(bk.actions(
            bk.button(_("Add to Google Calendar"), ids.CALENDAR_GOOGLE, str(shift.id),
                      url=cal.google_link(shift, event_words)),
            bk.button(_("Calendar feed"), ids.CALENDAR_FEED, str(shift.id)),
            bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)),
            block_id=f"invite:{shift.id}",
        ))
    upload = {"filename": f"outreach-shift-{shift.id}.ics", "content": ics,
              "title": (_("Shift #%(id)s (cancelled)") if method == "CANCEL" else _("Shift #%(id)s (invite)"))
              % {"id": shift.id}}
    return text, bk.message(parts), upload


def series_words(kit: Kit, series: sr.Series, names: dict[str, str] | None = None) -> cal.Words:
    """The plain words of a series' calendar event (its shift template; `names` by member id: the lead's)."""
    return _event_words(kit, SimpleNamespace(**series.template), "calendar/series_summary.txt.j2", names,
                        freq=series.freq)


@notice("calendar/series_invite")
def notice_series_invite(kit: Kit, context: dict) -> tuple[str, list[dict], dict] | None:
    """A person's one invite for a whole series (or its cancellation); skipped when a newer one superseded it."""
    user, sequence, method = context["user"], int(context["sequence"]), context["method"]
    now = kit.services.now()
    series, state, row = cal.load_for_series_invite(kit.services.store, int(context["series_id"]), user, now=now)
    if series is None or row is None or row["sequence"] != sequence:
        return None
    if method == "REQUEST" and state is None:
        return None
    names = kit.names([user, series.template.get("lead")])
    ics = cal.series_invite_ics(series, exdates=state.exdates if state and method == "REQUEST" else [], user=user,
                                sequence=sequence, method=method, words=series_words(kit, series, names), now=now,
                                names=names)
    text = kit.render("calendar/series_invite.j2", series=series, method=method, sequence=sequence,
                      start=series.dtstart)
    parts: list = [bk.section(text)]
    if method == "REQUEST" and state and state.first:
        parts.append(bk.actions(bk.button(_("Details"), ids.SHIFT_DETAILS, str(state.first.id)),
                                block_id=f"series_invite:{series.id}"))
    upload = {"filename": f"outreach-series-{series.id}.ics", "content": ics,
              "title": _("Repeating shift (cancelled)") if method == "CANCEL" else _("Repeating shift (invite)")}
    return text, bk.message(parts), upload


# ---------------------------------------------------------------- feed over HTTP


def feed_base(kit: Kit) -> str:
    """Where people reach the feed: OUTREACH_PUBLIC_URL, else this machine on the serving port."""
    settings = kit.services.settings
    if settings.public_url:
        return settings.public_url
    return f"http://localhost:{settings.feed_port if settings.socket_mode else settings.port}"


def feed_links(kit: Kit, token: str) -> tuple[str, str]:
    """The https (or http) and webcal forms of a person's feed address."""
    url = f"{feed_base(kit)}{FEED_PREFIX}{token}.ics"
    return url, re.sub(r"^https?://", "webcal://", url)


def feed_app(kit: Kit) -> Callable[[dict, Callable], Iterable[bytes]]:
    """A WSGI app serving GET /calendar/<token>.ics; anything else is a bare 404."""

    def not_found(start_response: Callable) -> list[bytes]:
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")])
        return [b"not found"]

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        match = TOKEN_PATH.match(environ.get("PATH_INFO", ""))
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD") or not match:
            return not_found(start_response)
        user = cal.user_for_token(kit.services.store, match.group(1))
        if user is None:
            return not_found(start_response)
        now = kit.services.now()
        items = cal.feed_items(kit.services.store, user, now=now)
        # A calendar app is waiting: names from the directory only (missing ones are queued for the timer).
        names = kit.names([user, *(s.lead for s, _state in items)], fetch=False)
        body = cal.feed_ics(items, user=user, words={s.id: words(kit, s, names) for s, _state in items}, now=now,
                            name=_("Outreach shifts"), names=names)
        start_response("200 OK", [
            ("Content-Type", "text/calendar; charset=utf-8"), ("Cache-Control", "no-store"),
            ("Content-Disposition", 'inline; filename="outreach.ics"'), ("Content-Length", str(len(body))),
        ])
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

    return application


def feed_message(kit: Kit, token: str, *, note: str | None = None) -> tuple[str, list[dict]]:
    """The person's feed links and the Reset button."""
    https, webcal = feed_links(kit, token)
    text = (note + "\n\n" if note else "") + kit.render("calendar/feed.j2", https=https, webcal=webcal)
    return text, bk.message([
        bk.section(text),
        bk.actions(
            bk.button(_("Open feed"), ids.CALENDAR_OPEN, "", url=https),
            bk.button(_("Reset address"), ids.CALENDAR_RESET, "reset", style="danger",
                      confirm=bk.confirm(_("Reset your feed address?"), kit.render("calendar/reset_confirm.j2"),
                                         yes=_("Reset"), no=pgettext("feed address", "Keep it"))),
            block_id=ids.CALENDAR_FEED,
        ),
    ])


@subcommand("calendar")
def cmd_calendar(req: CommandRequest) -> None:
    """Give the reader their calendar feed address."""
    token = cal.feed_token(req.kit.services.store, req.actor)
    text, blocks = feed_message(req.kit, token)
    req.reply(text, blocks)


def on_link(ack: Ack) -> None:
    ack()  # link buttons open in the browser; Slack still sends the click


def on_reset(kit: Kit, click: Click) -> None:
    token = cal.reset_token(kit.services.store, click.actor)
    click.answer(kit.render("calendar/reset.j2"), redraw=lambda note: feed_message(kit, token, note=note))


def on_feed(kit: Kit, click: Click) -> None:
    """The invite's Calendar feed button: the feed address by DM, where it stays."""
    _text, blocks = feed_message(kit, cal.feed_token(kit.services.store, click.actor))
    click.dm(kit.render("calendar/feed_text.j2"), blocks)


def register(app: App, kit: Kit) -> None:
    """Send invites on every change; wire the Reset button and the link buttons."""
    app.action(ids.CALENDAR_GOOGLE)(on_link)
    app.action(ids.CALENDAR_OPEN)(on_link)
    kit.wire(app, actions={
        ids.CALENDAR_RESET: on_reset,
        ids.CALENDAR_FEED: on_feed,
    })
