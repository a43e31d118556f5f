"""The first run, guided: until setup is done, an admin's App Home starts with a setup checklist, each
item a line with its state and a button to do it; then one line, "Setup complete", and Show setup.

The states come from outreach/setup.py (the database) and, for the coordinators' channel, from what
Slack answers now (`conversations.info`), else what the safety net's detector last recorded
(outreach/reach.py). Only admins see it; a forged tap by anyone else is refused.

Partners are imported from a CSV file chosen in the partner directory item's file input: the file is
read with `files.info` and its private URL, and imported with the partner import `bot.py
import-partners` uses. (Not from a file sent in a DM: the bot's messages tab stays read-only, so that
nobody types details of the people they met into it.)
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, InputBlock
from slack_sdk.models.blocks.block_elements import FileInputElement

from handlers import blocks as bk
from handlers import ids, points, shift_views
from handlers.card import hotline_blocks
from handlers.click import Click, admins
from handlers.kit import Kit
from handlers.partners import partner_form
from handlers.readiness import protocol_of
from outreach import partners as pt
from outreach import reach
from outreach import setup as su
from outreach.hotlines import CONDITIONS
from outreach.i18n import N_, pgettext
from outreach.i18n import gettext as _
from outreach.roles import Role

log = logging.getLogger(__name__)

MAX_CSV_BYTES = 1_000_000
# Rows imported from the modal: its answer is due within Slack's 3 s, and the import holds the write lock
# (every SOS press waits on it); a larger directory goes through `python bot.py import-partners`.
MAX_CSV_ROWS = 500
ERRORS_SHOWN = 10
# The button of each item: its action and label (marked here, read in the language in force where shown).
BUTTONS = {
    "channel": (ids.SETUP_CHANNEL, N_("How to fix")),
    "coordinators": (ids.COORD_ROLE_OPEN, N_("Make coordinator")),  # handlers/coord.py's modal
    "trainings": (ids.SETUP_TRAININGS, N_("Review trainings")),
    "partners": (ids.SETUP_PARTNERS, N_("Add partners")),
    "hotlines": (ids.SETUP_HOTLINES, N_("Review hotline card")),
    "first_shift": (ids.SETUP_FIRST_SHIFT, N_("Plan a shift")),  # one name: the App Home's button opens the same form
}
DONE_LABELS = {"channel": N_("Check"), "coordinators": N_("Make coordinator"), "partners": N_("Import more"),
               "trainings": N_("Review again"), "hotlines": N_("Review again"), "first_shift": N_("Plan a shift")}


# ---------------------------------------------------------------- the checklist


def channel_problem(kit: Kit, client: WebClient) -> str | None:
    """None when the bot is a member of the coordinators' channel, else why not: "not_set", Slack's answer
    (`not_in_channel`, `is_archived`, `channel_not_found`, `missing_scope`), or the error the safety net's
    detector recorded when Slack could not be asked."""
    services = kit.services
    channel = services.settings.coordinator_channel
    if not channel:
        return "not_set"
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "unknown")
        recorded = reach.status(services.store, channel)
        return recorded.error if error != "channel_not_found" and not recorded.reachable else error
    except Exception as exc:  # Slack could not be asked: what the detector last saw, else why
        recorded = reach.status(services.store, channel)
        return recorded.error if not recorded.reachable else type(exc).__name__
    if info.get("is_archived"):
        return "is_archived"
    if not info.get("is_member"):
        return "not_in_channel"
    if reach.reachable(services.store, channel=channel, now=services.now()):
        log.warning("channel %s: the bot is a member again", channel)
    return None


def current(kit: Kit, client: WebClient) -> su.Checklist:
    """The checklist as it stands now."""
    services = kit.services
    return su.checklist(services.store, admins=services.settings.admins, channel_problem=channel_problem(kit, client))


def item_blocks(kit: Kit, checklist: su.Checklist) -> list[Block]:
    """The first line, then each item: a line with its state and its button."""
    channel = kit.services.settings.coordinator_channel or ""
    parts: list[Block] = [bk.section(kit.render("setup/heading.j2", checklist=checklist), block_id="setup_heading")]
    for item in checklist.items:
        action, label = BUTTONS[item.id]
        button = bk.button(_(DONE_LABELS[item.id] if item.done else label), action, item.id,
                           style=None if item.done else "primary")
        parts.append(bk.section(kit.render("setup/item.j2", item=item, channel=channel),
                                block_id=f"setup:{item.id}", accessory=button))
    return parts


def home_section(kit: Kit, user: str) -> list[Block]:
    """For admins only, at the top of the App Home: the checklist until it is done, then one line."""
    if kit.services.role(user) < Role.ADMIN:
        return []
    checklist = current(kit, kit.notifier.client)
    if checklist.done:
        return [bk.section(kit.render("setup/heading.j2", checklist=checklist), block_id="setup_heading",
                           accessory=bk.button(_("Show setup"), ids.SETUP_SHOW, "")), bk.divider()]
    return [*item_blocks(kit, checklist), bk.divider()]


def checklist_view(kit: Kit, client: WebClient) -> dict:
    """The checklist as a modal (Show setup, once it is complete)."""
    return bk.modal(title=_("Setup"), blocks=item_blocks(kit, current(kit, client)), callback_id="setup_checklist")


# ---------------------------------------------------------------- each item's modal


def channel_view(kit: Kit, client: WebClient) -> dict:
    """What is wrong with the coordinators' channel and how to fix it, with Check again."""
    problem = channel_problem(kit, client)
    text = kit.render("setup/channel.j2", problem=problem, channel=kit.services.settings.coordinator_channel or "")
    parts: list[Block] = [*bk.sections(text), bk.actions(bk.button(_("Check again"), ids.SETUP_CHANNEL_CHECK, "channel"),
                                                         block_id="setup_channel_actions")]
    return bk.modal(title=_("Coordinators' channel"), blocks=parts, callback_id=ids.SETUP_CHANNEL)


def trainings_view(kit: Kit) -> dict:
    """The trainings and how long each stays valid; Looks right confirms the review."""
    confirmed = _confirmed(kit, "trainings")
    text = kit.render("setup/trainings.j2", trainings=kit.services.catalog.trainings, confirmed=confirmed)
    return bk.modal(title=_("Trainings"), blocks=bk.sections(text)[:40], callback_id=ids.SETUP_TRAININGS,
                    submit=_("Looks right"), close=_("Cancel"))


def hotlines_view(kit: Kit) -> dict:
    """The hotline card as volunteers see it, then each local line with its six conditions; Looks right confirms."""
    local = protocol_of(kit).hotlines
    parts: list[Block] = [bk.section(kit.render("setup/hotlines.j2", part="intro")), *hotline_blocks(kit)[:20],
                          bk.divider()]
    for h in local[:30]:
        parts.append(bk.section(kit.render("setup/hotlines.j2", part="local", h=h, conditions=CONDITIONS)))
    if not local:
        parts.append(bk.context(kit.render("setup/hotlines.j2", part="none")))
    if confirmed := _confirmed(kit, "hotlines"):
        parts.append(bk.context(kit.render("setup/hotlines.j2", part="confirmed", confirmed=confirmed)))
    return bk.modal(title=pgettext("modal title", "Hotline card"), blocks=parts, callback_id=ids.SETUP_HOTLINES,
                    submit=_("Looks right"), close=_("Cancel"))


def partners_view(kit: Kit, *, note: str | None = None) -> dict:
    """Import partners from a CSV file (a file input), or add them one by one."""
    with kit.services.store.read() as db:
        count = pt.count(db)
    parts: list[Block] = [bk.section(note, block_id="setup_partners_note")] if note else []
    parts += [
        bk.section(kit.render("setup/partners.j2", part="intro", count=count)),
        bk.actions(bk.button(_("Add a partner"), ids.SETUP_PARTNER_ADD, ""), block_id="setup_partners_actions"),
        InputBlock(block_id="csv", label=_("CSV file"), optional=True,
                   element=FileInputElement(action_id="value", filetypes=["csv", "txt"], max_files=1)),
    ]
    return bk.modal(title=pgettext("modal title", "Partner directory"), blocks=parts,
                    callback_id=ids.SETUP_PARTNERS, submit=_("Import"), close=_("Done"))


def _confirmed(kit: Kit, item: str) -> su.Item | None:
    found = next(i for i in su.checklist(kit.services.store, admins=(), channel_problem=None).items if i.id == item)
    return found if found.done else None


# ---------------------------------------------------------------- reading and importing a CSV file


def read_file(kit: Kit, client: WebClient, file_id: str) -> tuple[str | None, str, str | None]:
    """A file someone shared with the bot: (its name, its text) or (its name, "", why it could not be read).

    The file is described by `files.info` and fetched from its private URL with the bot's token, which is
    sent only to Slack's own hosts (files.slack.com, or the Web API's host)."""
    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError as exc:
        return None, "", _("Slack says `%(error)s`") % {"error": exc.response.get("error")}
    name = str(info.get("name") or info.get("title") or file_id)
    if int(info.get("size") or 0) > MAX_CSV_BYTES:
        return name, "", _("it is over %(most)s MB") % {"most": MAX_CSV_BYTES // 1_000_000}
    kind = str(info.get("filetype") or "").lower()
    if kind not in ("csv", "text") and not name.lower().endswith((".csv", ".txt")):
        return name, "", _("it is not a CSV file (save the sheet as CSV and send that)")
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    host = urllib.parse.urlsplit(url).hostname or ""
    api_host = urllib.parse.urlsplit(kit.services.settings.api_url).hostname or ""
    if host not in ("files.slack.com", api_host):
        return name, "", _("Slack gave no address to fetch it from")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 (a Slack host, checked above)
            data = response.read(MAX_CSV_BYTES + 1)
    except (urllib.error.URLError, OSError) as exc:
        return name, "", _("fetching it failed (%(error)s); try again") % {"error": type(exc).__name__}
    if len(data) > MAX_CSV_BYTES:
        return name, "", _("it is over %(most)s MB") % {"most": MAX_CSV_BYTES // 1_000_000}
    try:
        return name, data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return name, "", _("it is not UTF-8 text (save it as \"CSV UTF-8\")")


def import_file(kit: Kit, client: WebClient, file_id: str, *, actor: str) -> tuple[bool, str]:
    """Import partners from a shared CSV file: (whether any were imported, what to tell the person)."""
    services = kit.services
    name, text, problem = read_file(kit, client, file_id)
    rows = sum(1 for line in text.splitlines() if line.strip()) - 1  # the header aside (a cell on two lines counts twice)
    if problem is None and rows > MAX_CSV_ROWS:
        problem = _("it has %(rows)s rows; this form imports at most %(most)s (import a larger file with "
                    "`python bot.py import-partners`)") % {"rows": rows, "most": MAX_CSV_ROWS}
    if problem is not None:
        return False, kit.render("setup/partners.j2", part="unreadable", file=name or _("the file"), reason=problem)
    today = services.now().astimezone(services.settings.zone).date()
    report = pt.import_csv(services.store, text, actor=actor, catalog=services.catalog,
                           categories=protocol_of(kit).categories, today=today)
    part = "refused" if report.errors else "imported"
    return not report.errors, kit.render("setup/partners.j2", part=part, file=name, report=report, limit=ERRORS_SHOWN)


# ---------------------------------------------------------------- Bolt wiring


# The checklist's buttons that open a modal: action id -> (what a refusal names, the modal for the actor).
OPENERS: dict[str, tuple[str, Callable[[Kit, WebClient, str], dict]]] = {
    ids.SETUP_SHOW: (N_("Setup"), lambda kit, client, actor: checklist_view(kit, client)),
    ids.SETUP_CHANNEL: (N_("Setup"), lambda kit, client, actor: channel_view(kit, client)),
    ids.SETUP_TRAININGS: (N_("Review trainings"), lambda kit, client, actor: trainings_view(kit)),
    ids.SETUP_HOTLINES: (N_("Review hotline card"), lambda kit, client, actor: hotlines_view(kit)),
    ids.SETUP_PARTNERS: (N_("Add partners"), lambda kit, client, actor: partners_view(kit)),
    ids.SETUP_FIRST_SHIFT: (N_("Plan a shift"),
                          lambda kit, client, actor: shift_views.shift_form(kit, channel=None, planner=actor)),
}


def on_open(kit: Kit, click: Click) -> None:
    """One of the OPENERS tapped: its modal, in place of the Show setup modal when tapped there (Slack stacks
    only three)."""
    click.show(OPENERS[click.action_id][1](kit, click.client, click.actor), in_place=True)


def on_confirm(kit: Kit, ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    """The trainings or the hotline card reviewed: "Looks right" confirms the item."""
    services = kit.services
    ack()
    item = str((body.get("view") or {}).get("callback_id") or "").removeprefix("setup_")
    su.confirm(services.store, item=item, actor=context["actor"], now=services.now())
    points.publish_home(kit, client, context["actor"])


def on_channel_check(kit: Kit, click: Click) -> None:
    click.update(channel_view(kit, click.client))
    points.publish_home(kit, click.client, click.actor)


def on_partner_add(kit: Kit, click: Click) -> None:
    click.show(partner_form(kit))


def on_partners(kit: Kit, ack: Ack, context: BoltContext, client: WebClient) -> None:
    files = (context.get("form") or {}).get("csv")
    file_id = next((f for f in files if isinstance(f, str) and f), None) if isinstance(files, list) else None
    if file_id is None:
        ack(response_action="errors", errors={"csv": _("Choose a CSV file to import, or tap Done.")})
        return
    imported, text = import_file(kit, client, file_id, actor=context["actor"])
    if not imported:
        ack(response_action="errors", errors={"csv": bk.clip(text, 2000)})
        return
    ack(response_action="update", view=partners_view(kit, note=text))
    points.publish_home(kit, client, context["actor"])


def register(app: App, kit: Kit) -> None:
    """Put the checklist at the top of admins' App Home; wire its buttons and modals."""
    points.add(points.HOME_TOP, home_section)

    kit.wire(app, actions={
        **{action: admins(on_open, what) for action, (what, _view) in OPENERS.items()},
        ids.SETUP_CHANNEL_CHECK: admins(on_channel_check, N_("Setup")),
        ids.SETUP_PARTNER_ADD: admins(on_partner_add, N_("Add partners")),
    }, forms={
        ids.SETUP_TRAININGS: admins(on_confirm, N_("Setup")),
        ids.SETUP_HOTLINES: admins(on_confirm, N_("Setup")),
        ids.SETUP_PARTNERS: admins(on_partners, N_("Setup"), field="csv"),
    })
