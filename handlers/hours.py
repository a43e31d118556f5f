"""Hours in Slack: My hours (a modal, `/outreach hours`) with the statement of service hours by DM,
coordinators' corrections, and the roster (a modal, `/outreach roster`) with its .xlsx by DM."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers import ids, points
from handlers.click import Click, coordinators
from handlers.commands import CommandRequest, parse_mention, parse_number, subcommand
from handlers.kit import Kit
from handlers.reports import upload
from outreach import hours as hr
from outreach import privacy
from outreach import report_files as rf
from outreach.i18n import N_
from outreach.i18n import gettext as _
from outreach.roles import Role
from outreach.shifts import USER_ID

log = logging.getLogger(__name__)

MINE = "hours_mine"
CORRECT = "hours_correct"
ROSTER = "hours_roster"
ROSTER_SHOWN = 40  # people listed in the modal (two blocks each stay under Slack's 100); the .xlsx has everyone


def _today(kit: Kit):  # noqa: ANN202 (a date)
    return kit.services.now().astimezone(kit.services.settings.zone).date()


def summary(kit: Kit, user: str, year: int | None = None) -> hr.Summary:
    """A person's hours in a year (this year by default)."""
    services = kit.services
    return hr.person_hours(services.store, user, year=year or _today(kit).year, zone=services.settings.zone,
                           now=services.now())


# ---------------------------------------------------------------- My hours and the statement


def mine_view(kit: Kit, user: str) -> dict:
    """My hours: this year's total, by month and by kind; the statement of service hours by DM (the submit),
    under the person's name as Slack knows it (shown when the directory has it already)."""
    s = summary(kit, user)
    parts: list[Block] = [bk.section(kit.render("hours/mine.j2", s=s), block_id="hours_summary")]
    if not s.lines:
        return bk.modal(title=_("My hours"), blocks=parts, callback_id=MINE)
    name = kit.names([user], fetch=False).get(user, user)  # a view opens at once: no look-up here
    parts += [bk.divider(), bk.section(kit.render("hours/statement_hint.j2", name=name if name != user else None),
                                       block_id="statement_hint")]
    return bk.modal(title=_("My hours"), blocks=parts, callback_id=MINE, submit=_("Send statement"),
                    metadata={"year": s.year})


def dm_file(kit: Kit, client: WebClient, *, user: str, text: str, data: bytes, filename: str,
            title: str) -> bool:
    """A neutral DM to the person, then the file uploaded into that DM; False (logged) when Slack refuses."""
    try:
        posted = client.chat_postMessage(channel=user, text=text)
    except SlackApiError as exc:
        log.warning("could not open a DM with %s: %s", user, exc.response.get("error"))
        return False
    return upload(client, channel=str(posted.get("channel") or user), data=data, filename=filename, title=title)


def send_statement(kit: Kit, client: WebClient, *, user: str, s: hr.Summary) -> bool:
    """Number the person's statement under their name as Slack knows it, draw it and DM it to them."""
    settings, today = kit.services.settings, _today(kit)
    name = kit.names([user]).get(user, user)
    issued = hr.issue_statement(kit.services.store, s, name=name, today=today)
    pdf = rf.statement_pdf(s, name=name, number=issued.number, coalition=settings.coalition_name,
                           issuer=settings.statement_issuer, today=today)
    text = kit.render("hours/statement_dm.j2", year=s.year, number=issued.number, named=name != user)
    return dm_file(kit, client, user=user, text=text, data=pdf, filename=f"service-hours-{s.year}.pdf",
                   title=_("Statement of service hours %(year)s") % {"year": s.year})


def verify_text(kit: Kit, number: int) -> str:
    """What a coordinator is told of a statement's number: what was issued, to whom and when, and what the
    same days give today."""
    services = kit.services
    issued = hr.find_statement(services.store, number)
    if issued is None:
        return kit.render("hours/verify_unknown.j2", number=number)
    again = hr.recount(services.store, issued, zone=services.settings.zone, now=services.now())
    return kit.render("hours/verify.j2", st=issued, again=again, zone=services.settings.timezone)


# ---------------------------------------------------------------- corrections


def correct_view(kit: Kit, *, user: str | None = None, shift: int | None = None) -> dict:
    """The correction form: who, which shift, how many hours, why."""
    parts: list[Block] = [
        bk.section(kit.render("hours/correct_intro.j2", days=kit.services.settings.notes_retention_days)),
        bk.user_input("person", _("Person"), initial=user),
        bk.text_input("shift", _("Shift number"), initial=str(shift) if shift else None, max_length=8,
                      placeholder="12"),
        bk.text_input("hours", _("Hours"), max_length=6, placeholder="3.5", hint=_("From 0 to 24.")),
        bk.text_input("reason", _("Why"), multiline=True, max_length=hr.REASON_MAX,
                      placeholder=_("Checked out late: stayed to help close")),
    ]
    return bk.modal(title=_("Correct hours"), blocks=parts, callback_id=CORRECT, submit=_("Correct"))


def screen_reason(kit: Kit):  # noqa: ANN201 (a callable)
    """The privacy screen for a correction's reason: a sentence saying what to remove, or None."""
    screen, year = kit.services.privacy_screen(), _today(kit).year

    def check(reason: str) -> str | None:
        findings = screen(reason, current_year=year)
        return privacy.explain(findings) if findings else None

    return check


def apply_correction(kit: Kit, *, actor: str, user: str, shift: int, hours: float, reason: str,
                     request_key: str | None = None) -> tuple[str, str]:
    """Record a correction; its outcome (saved, or what is wrong) and the words to show."""
    done = hr.correct(kit.services.store, actor=actor, shift_id=shift, user=user, hours=hours, reason=reason,
                      screen=screen_reason(kit), request_key=request_key)
    if done.outcome in ("saved", "repeat"):
        return done.outcome, kit.render("hours/corrected.j2", user=user, shift=shift, before=done.before,
                                        after=done.after, days=kit.services.settings.notes_retention_days)
    return done.outcome, kit.render("hours/correct_problem.j2", outcome=done.outcome, shift=shift,
                                    problem=done.problem)


# ---------------------------------------------------------------- the roster


def roster_rows(kit: Kit) -> list[hr.RosterRow]:
    """Every volunteer's row of the roster."""
    services = kit.services
    return hr.roster(services.store, zone=services.settings.zone, now=services.now())


def roster_view(kit: Kit, note: str | None = None) -> dict:
    """The roster for coordinators: a short block per volunteer, Export .xlsx and Correct hours."""
    rows, today = roster_rows(kit), _today(kit)
    shown = rows[:ROSTER_SHOWN]
    parts: list[Block] = [bk.section(note, block_id="roster_note")] if note else []
    parts += [bk.section(kit.render("hours/roster_head.j2", total=len(rows), year=today.year, shown=len(shown),
                                    more=len(rows) - len(shown)), block_id="roster_head"),
              bk.actions(bk.button(_("Export .xlsx"), ids.HOURS_ROSTER_EXPORT, style="primary"),
                         bk.button(_("Correct hours"), ids.HOURS_CORRECT_OPEN),
                         bk.button(_("Record training"), ids.COORD_TRAIN_OPEN), block_id="roster_actions")]
    if not rows:
        parts.append(bk.section(kit.render("hours/roster_empty.j2")))
    for row in shown:
        parts.append(bk.section(kit.render("hours/roster_row.j2", r=row, today=today), block_id=f"roster:{row.user}"))
    return bk.modal(title=_("Roster"), blocks=parts, callback_id=ROSTER)


def send_roster(kit: Kit, client: WebClient, user: str) -> bool:
    """The roster workbook, uploaded to the coordinator's DM."""
    rows = roster_rows(kit)
    data = rf.roster_xlsx(rows, catalog=kit.services.catalog, names=kit.names(r.user for r in rows))
    return dm_file(kit, client, user=user, text=kit.render("hours/roster_dm.j2"), data=data,
                   filename=f"roster-{_today(kit).isoformat()}.xlsx", title=_("Roster %(date)s") % {"date": _today(kit).isoformat()})


def home_section(kit: Kit, user: str) -> list[Block]:
    """On everyone's App Home: My hours; for coordinators also the Roster."""
    buttons = [bk.button(_("My hours"), ids.HOURS_OPEN)]
    if kit.services.role(user) >= Role.COORDINATOR:
        buttons.append(bk.button(_("Roster"), ids.HOURS_ROSTER_OPEN))
    return [bk.divider(), bk.actions(*buttons, block_id="home_hours")]


# ---------------------------------------------------------------- commands


@subcommand("hours", usage="[statement]")
def cmd_hours(req: CommandRequest) -> None:
    """Your hours this year (a modal) and your statement of service hours; coordinators also see and correct anyone's."""
    kit = req.kit
    coordinator = req.role >= Role.COORDINATOR
    word, _space, rest = req.args.partition(" ")
    word = word.lower()
    if not word:
        if req.trigger_id:
            req.client.views_open(trigger_id=req.trigger_id, view=mine_view(kit, req.actor))
        else:
            req.reply(kit.render("hours/mine.j2", s=summary(kit, req.actor)))
        return
    if word == "statement":  # under the name Slack knows: anything typed after it is not a name
        s = summary(kit, req.actor)
        if not s.lines:
            req.say("hours/no_statement.j2", year=s.year)
            return
        req.say("hours/statement_sent.j2", total=s.total, year=s.year, typed=bool(rest.strip()))
        send_statement(kit, req.client, user=req.actor, s=s)
        return
    if word == "verify":
        if not coordinator:
            req.say("common/not_allowed.j2", needed=Role.COORDINATOR.label, what="/outreach hours verify")
            return
        number = parse_number(rest.split(" ")[0]) if rest.strip() else None
        if number is None:
            req.say("common/usage.j2", usage="/outreach hours verify NUMBER")
            return
        req.reply(verify_text(kit, number))
        return
    if word == "correct":
        if not coordinator:
            req.say("common/not_allowed.j2", needed=Role.COORDINATOR.label, what="/outreach hours correct")
            return
        parts = rest.split(" ", 3)
        user = parse_mention(parts[0]) if parts else None
        shift = parse_number(parts[1]) if len(parts) > 1 else None
        hours = hr.parse_hours(parts[2]) if len(parts) > 2 else None
        if user is None or shift is None or hours is None or len(parts) < 4:
            req.say("common/usage.j2", usage="/outreach hours correct @person N HOURS REASON")
            return
        _outcome, text = apply_correction(kit, actor=req.actor, user=user, shift=shift, hours=hours, reason=parts[3])
        req.reply(text)
        return
    user = parse_mention(req.args.split(" ")[0])
    if coordinator and user:
        req.reply(kit.render("hours/person.j2", user=user, s=summary(kit, user)))
        return
    req.say("hours/usage.j2", coordinator=coordinator)


@subcommand("roster", role=Role.COORDINATOR, usage="[export]")
def cmd_roster(req: CommandRequest) -> None:
    """The volunteers' roster (a modal); `export` sends its .xlsx to your DMs."""
    if req.args.lower() == "export" or not req.trigger_id:
        req.say("hours/roster_sent.j2")
        send_roster(req.kit, req.client, req.actor)
        return
    req.client.views_open(trigger_id=req.trigger_id, view=roster_view(req.kit))


# ---------------------------------------------------------------- Bolt wiring


def on_open(kit: Kit, click: Click) -> None:
    click.show(mine_view(kit, click.actor))


def on_statement(kit: Kit, ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    actor = context["actor"]  # the form has no name field: whatever a payload carries is not read
    s = summary(kit, actor)
    text = (kit.render("hours/statement_sent.j2", total=s.total, year=s.year, typed=False) if s.lines
            else kit.render("hours/no_statement.j2", year=s.year))
    ack(response_action="update", view=bk.modal(title=_("My hours"), callback_id="hours_sent", close=_("Done"),
                                                 blocks=[bk.section(text)]))
    if s.lines:
        send_statement(kit, client, user=actor, s=s)


def on_roster(kit: Kit, click: Click) -> None:
    click.show(roster_view(kit))


def on_export(kit: Kit, click: Click) -> None:
    click.update(roster_view(kit, note=kit.render("hours/roster_sent.j2")))
    send_roster(kit, click.client, click.actor)


def on_correct_open(kit: Kit, click: Click) -> None:
    click.show(correct_view(kit))  # from the roster: on top of it


def on_correct(kit: Kit, ack: Ack, body: dict, context: BoltContext) -> None:
    form = context.get("form") or {}
    user = str(form.get("person") or "")
    shift = parse_number(str(form.get("shift") or ""))
    hours = hr.parse_hours(str(form.get("hours") or ""))
    errors = {}
    if not USER_ID.match(user):
        errors["person"] = _("Pick the person whose hours to correct.")
    if shift is None:
        errors["shift"] = _("Give the shift's number, like 12.")
    if hours is None:
        errors["hours"] = _("Give the hours as a number from 0 to 24, like 3.5.")
    if not str(form.get("reason") or "").strip():
        errors["reason"] = kit.render("hours/correct_problem.j2", outcome="no_reason", shift=shift, problem=None)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    assert shift is not None and hours is not None
    outcome, text = apply_correction(kit, actor=context["actor"], user=user, shift=shift, hours=hours,
                                     reason=str(form.get("reason")), request_key=bk.submission_key(body))
    if outcome not in ("saved", "repeat"):
        field = {"private": "reason", "no_reason": "reason", "bad_hours": "hours"}.get(outcome, "shift")
        ack(response_action="errors", errors={field: text})
        return
    ack(response_action="update", view=bk.modal(title=_("Correct hours"), callback_id="hours_corrected",
                                                 close=_("Done"), blocks=[bk.section(text)]))


def register(app: App, kit: Kit) -> None:
    """Wire My hours, the statement, corrections and the roster; add the buttons to the App Home."""
    kit.render.env.filters["hours"] = lambda value: f"{rf.hours_text(float(value or 0))} h"
    points.add(points.HOME_SECTIONS, home_section)
    kit.wire(app, actions={
        ids.HOURS_OPEN: on_open,
        ids.HOURS_ROSTER_OPEN: coordinators(on_roster, N_("Roster")),
        ids.HOURS_ROSTER_EXPORT: coordinators(on_export, N_("Roster")),
        ids.HOURS_CORRECT_OPEN: coordinators(on_correct_open, N_("Correct hours")),
    }, forms={
        MINE: on_statement,
        CORRECT: coordinators(on_correct, N_("Correct hours"), field="person"),
    })
