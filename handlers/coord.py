"""The coordinators' work by buttons: Record training, Make coordinator, Report and Export, the check-in
interval (Details), and everyone's My profile; and the DMs that tell people what concerns them (a new
coordinator, a training recorded, the lead named on a shift, a lead whose team changed).

Each modal calls the domain function its typed command calls (`train`, `role`, `report`, `export`,
`checkevery`, `profile languages`); the role is checked on every tap and again on every submission.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from babel.dates import format_skeleton
from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers import ids, points, reports
from handlers.click import Click, admins, coordinators, only
from handlers.kit import Kit
from handlers.notify import notice
from handlers.safety import result_text
from outreach import i18n, people, roles, safety, told
from outreach import readiness as rd
from outreach import reports as rp
from outreach import shifts as sh
from outreach import trainings as tr
from outreach.digits import parse_number
from outreach.i18n import N_
from outreach.i18n import gettext as _
from outreach.languages import LanguageError, choose_language, chosen_language, language_of
from outreach.roles import Role
from outreach.shifts import USER_ID, Shift

log = logging.getLogger(__name__)

TRAIN, ROLE, ROLE_CONFIRM, REPORT, PROFILE, EVERY = (
    "coord_train", "coord_role", "coord_role_confirm", "coord_report", "coord_profile", "coord_every")
CUSTOM = "custom"
AUTOMATIC = "auto"  # My profile's bot language: follow Slack's
MONTHS_OFFERED, QUARTERS_OFFERED, YEARS_OFFERED = 12, 4, 3


def _today(kit: Kit) -> date:
    return kit.services.now().astimezone(kit.services.settings.zone).date()


def _done(title: str, callback_id: str, text: str) -> dict:
    """The modal a form becomes once it did its work: what was done, and Done."""
    return bk.modal(title=title, callback_id=callback_id, close=_("Done"), blocks=bk.sections(text)[: bk.VIEW_BLOCKS])


# ---------------------------------------------------------------- App Home and roster


def home_section(kit: Kit, user: str) -> list[Block]:
    """On everyone's App Home: My profile; coordinators add Record training, Report and Export; admins
    Make coordinator."""
    role = kit.services.role(user)
    buttons = [bk.button(_("My profile"), ids.COORD_PROFILE_OPEN)]
    if role >= Role.COORDINATOR:
        buttons += [bk.button(_("Record training"), ids.COORD_TRAIN_OPEN),
                    bk.button(_("Report"), ids.COORD_REPORT_OPEN), bk.button(_("Export"), ids.COORD_EXPORT_OPEN)]
    if role >= Role.ADMIN:
        buttons.append(bk.button(_("Make coordinator"), ids.COORD_ROLE_OPEN))
    return [bk.divider(), bk.actions(*buttons, block_id="home_coord")]


def every_button(kit: Kit, shift: Shift) -> list[bk.ButtonElement]:
    """In Details, beside Edit (coordinators only): the check-in interval of a watched shift not over yet."""
    if shift.cancelled or not shift.safety_net or shift.ends_at <= kit.services.now():
        return []
    every = safety.load_state(kit.services.store, shift.id).checkin_every
    label = _("Check-ins: every %(minutes)s min") % {"minutes": every} if every else _("Check-ins: set an interval")
    return [bk.button(label, ids.COORD_EVERY_OPEN, str(shift.id))]


# ---------------------------------------------------------------- the modals


def train_view(kit: Kit) -> dict:
    """Record training: who (several people), which training, the day it was completed (today by default)."""
    choices = [(t.id, t.name) for t in kit.services.catalog.trainings]
    return bk.modal(title=_("Record training"), callback_id=TRAIN, submit=_("Record"), blocks=[
        bk.people_input("people", _("Who completed it")),
        bk.select_input("training", _("Training"), choices),
        bk.date_input("completed_on", _("Completed on"), initial=_today(kit).isoformat()),
        bk.context(kit.render("coord/train.j2", part="hint")),
    ])


def role_view(kit: Kit) -> dict:
    """Make coordinator (admins): a person and what they become."""
    return bk.modal(title=_("Make coordinator"), callback_id=ROLE, submit=_("Next"), blocks=[
        bk.user_input("person", _("Person")),
        bk.select_input("role", _("Role"), [("coordinator", _("Coordinator")),
                                            ("volunteer", _("Volunteer (no longer a coordinator)"))],
                        initial="coordinator"),
    ])


def role_confirm_view(kit: Kit, user: str, role: str) -> dict:
    """The second screen: are you sure? (what the person will be able to do, or no longer)."""
    return bk.modal(title=_("Make coordinator"), callback_id=ROLE_CONFIRM, close=_("Back"),
                    submit=_("Make coordinator") if role == "coordinator" else _("Remove role"),
                    metadata={"user": user, "role": role},
                    blocks=[bk.section(kit.render("coord/role.j2", part="confirm", user=user, role=role))])


def period_choices(today: date) -> list[tuple[str, str]]:
    """The periods offered: the last months, quarters and years (the current one included), and custom dates."""
    choices: list[tuple[str, str]] = []
    month = rp.shift_month(today, 0)
    for back in range(MONTHS_OFFERED):
        first = rp.shift_month(month, -back)
        choices.append((f"{first.year}-{first.month:02d}", month_name(first)))
    quarter = (today.month - 1) // 3 + 1
    year = today.year
    for _back in range(QUARTERS_OFFERED):
        choices.append((f"{year}-Q{quarter}", _("Q%(quarter)s %(year)s") % {"quarter": quarter, "year": year}))
        quarter, year = (quarter - 1, year) if quarter > 1 else (4, year - 1)
    choices += [(str(today.year - back), str(today.year - back)) for back in range(YEARS_OFFERED)]
    return choices + [(CUSTOM, _("Custom dates (below)"))]


def month_name(first: date) -> str:
    """A month and its year in the language in force, as a choice starts ("December 2026", "Diciembre de 2026")."""
    words = format_skeleton("yMMMM", first, locale=i18n.current())
    return words[:1].upper() + words[1:]


def report_view(kit: Kit, *, export: bool = False) -> dict:
    """Report or Export: a period and the formats (PDF with the chart, workbook, CSV of the nights held)."""
    today = _today(kit)
    last = rp.parse_period("", today=today)
    assert last is not None
    formats = [("pdf", _("PDF, with the 12-month chart")), ("xlsx", _("Workbook (.xlsx)")),
               ("csv", _("CSV: one row per night held"))]
    return bk.modal(title=_("Export") if export else _("Report"), callback_id=REPORT, submit=_("Send"), blocks=[
        bk.select_input("period", _("Period"), period_choices(today), initial=last.label),
        bk.date_input("first", _("From (custom dates)"), optional=True),
        bk.date_input("last", _("To (custom dates)"), optional=True),
        bk.checkboxes_input("formats", _("Files"), formats, initial=["csv"] if export else ["pdf", "xlsx"]),
        bk.context(kit.render("coord/report.j2", part="where",
                              channel=reports.destination(kit, None))),
    ])


def slack_language(kit: Kit, user: str) -> str:
    """The bot's language Slack's locale for a person gives (English when Slack gave none the bot speaks)."""
    person = people.lookup(kit.services.store, [user]).get(user)
    return (i18n.pick(person.locale) if person else None) or i18n.ENGLISH


def bot_language_input(kit: Kit, user: str, chosen: str | None) -> Block:
    """The bot's language: Automatic (Slack's, named), or one the bot speaks, each in its own name."""
    automatic = _("Automatic: Slack's language (%(language)s)") % {
        "language": i18n.LANGUAGES[slack_language(kit, user)]}
    return bk.select_input("bot_language", _("The bot's language"),
                           [(AUTOMATIC, automatic), *i18n.LANGUAGES.items()], initial=chosen or AUTOMATIC)


def profile_view(kit: Kit, user: str, *, note: str | None = None) -> dict:
    """My profile: the languages the person speaks, the bot's language, and (when the bot texts and calls)
    their alert phone."""
    with kit.services.store.read() as db:
        languages = rd.languages_of(db, user)
        chosen = chosen_language(db, user)
    choices = [(x.id, x.name) for x in kit.services.catalog.languages]
    parts: list[Block] = [bk.section(note, block_id="profile_note")] if note else []
    parts.append(bk.multi_select_input("languages", _("Languages you speak"), choices, initial=languages,
                                       hint=kit.render("coord/profile.j2", part="hint")))
    parts.append(bot_language_input(kit, user, chosen))
    if kit.services.settings.twilio:
        from outreach import phones

        parts.append(bk.section(kit.render("phone/home.j2", phone=phones.load(kit.services.store, user),
                                           coordinator=kit.services.role(user) >= Role.COORDINATOR),
                                accessory=bk.button(_("My alert phone"), ids.PHONE_OPEN), block_id="profile_phone"))
    return bk.modal(title=_("My profile"), callback_id=PROFILE, submit=_("Save"), blocks=parts)


def every_view(kit: Kit, shift: Shift) -> dict:
    """The check-in interval of one shift (coordinators, from Details): minutes, 0 for none."""
    every = safety.load_state(kit.services.store, shift.id).checkin_every
    return bk.modal(title=_("Check-ins"), callback_id=EVERY, submit=_("Save"), close=_("Back"),
                    metadata={"shift_id": shift.id},
                    blocks=[bk.section(kit.render("coord/every.j2", shift=shift, every=every)),
                            bk.number_input("minutes", _("Minutes between check-ins"), initial=every or 0, minimum=0,
                                            maximum=safety.MAX_EVERY,
                                            hint=_("%(low)s to %(high)s; 0 turns them off.")
                                            % {"low": safety.MIN_EVERY, "high": safety.MAX_EVERY})])


# ---------------------------------------------------------------- what people are told


def _shift_blocks(kit: Kit, text: str, shift: Shift, *buttons: bk.ButtonElement) -> list[dict]:
    return bk.message([bk.section(text), bk.actions(*buttons, block_id=f"told:{shift.id}")])


@notice(roles.COORDINATOR_TEMPLATE)
def notice_coordinator(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A new coordinator hears what they can now do (skipped when the role was removed meanwhile)."""
    user = str(context["user"])
    if kit.services.role(user) < Role.COORDINATOR:
        return None
    text = kit.render("told/coordinator.j2", by=context.get("by"))
    return text, bk.message([bk.section(text)])


@notice(tr.TRAINED_TEMPLATE)
def notice_trained(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A training recorded: what it lets the person sign up for now, the next three such shifts with Sign up."""
    store, user, training = kit.services.store, str(context["user"]), str(context["training"])
    now = kit.services.now()
    with store.read() as db:
        latest = next((r for r in tr.records_by_person(db, [user])[user] if r.training == training
                       and r.valid_on(now.astimezone(kit.services.settings.zone).date())), None)
        numbers = tr.next_shifts_needing(db, training=training, user_id=user, now=now) if latest else []
    if latest is None:  # removed or lapsed before the message went
        return None
    shifts = [s for n in numbers if (s := sh.load_shift(store, n, user=user)) is not None
              and latest.valid_on(s.local_start().date())]
    kinds = sorted({s.kind for s in shifts})
    text = kit.render("told/trained.j2", training=training, record=latest, shifts=shifts,
                      kind=kinds[0] if len(kinds) == 1 else None)
    parts: list[Block] = [bk.section(text)]
    for shift in shifts:
        parts.append(bk.section(
            kit.render("trainings/lapse_shift.j2", shift=shift), block_id=f"trained_shift:{shift.id}",
            accessory=bk.button(_("Sign up") if shift.places_left else _("Join waitlist"), ids.SHIFT_SIGNUP,
                                str(shift.id), style="primary")))
    return text, bk.message(parts)


def _still_leads(kit: Kit, context: dict) -> Shift | None:
    shift = sh.load_shift(kit.services.store, int(context["shift_id"]))
    if shift is None or shift.cancelled or shift.lead != context["user"] or shift.started(kit.services.now()):
        return None
    return shift


@notice(told.LEAD_TEMPLATE)
def notice_lead(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """The lead named on a shift hears it (skipped when no longer the lead, or the shift is off or started)."""
    shift = _still_leads(kit, context)
    if shift is None:
        return None
    text = kit.render("told/lead.j2", shift=shift, changed=bool(context.get("changed")))
    return text, _shift_blocks(kit, text, shift, bk.button(_("Open checklist"), ids.READY_OPEN, str(shift.id),
                                                           style="primary"),
                               bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)))


@notice(told.TEAM_TEMPLATE)
def notice_team(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A lead hears their team changed: who left, who took the place (cover or the waitlist), the team now."""
    shift = _still_leads(kit, context)
    if shift is None:
        return None
    text = kit.render("told/team.j2", shift=shift, left=context["left"], covered_by=context.get("covered_by"),
                      joined=context.get("joined") or [])
    return text, _shift_blocks(kit, text, shift, bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)))


# ---------------------------------------------------------------- wiring


# The buttons that open a modal: action id -> (who may, what a refusal names (translated where said), the modal
# for the actor).
OPENERS: dict[str, tuple[Role, str, Callable[[Kit, str], dict]]] = {
    ids.COORD_TRAIN_OPEN: (Role.COORDINATOR, N_("Record training"), lambda kit, actor: train_view(kit)),
    ids.COORD_ROLE_OPEN: (Role.ADMIN, N_("Make coordinator"), lambda kit, actor: role_view(kit)),
    ids.COORD_REPORT_OPEN: (Role.COORDINATOR, N_("Report"), lambda kit, actor: report_view(kit)),
    ids.COORD_EXPORT_OPEN: (Role.COORDINATOR, N_("Export"), lambda kit, actor: report_view(kit, export=True)),
    ids.COORD_PROFILE_OPEN: (Role.VOLUNTEER, N_("My profile"), lambda kit, actor: profile_view(kit, actor)),
}


def on_open(kit: Kit, click: Click) -> None:
    """One of the OPENERS tapped: its modal (the role each needs is checked where it is registered)."""
    click.show(OPENERS[click.action_id][2](kit, click.actor))


def on_every_open(kit: Kit, click: Click) -> None:
    shift = sh.load_shift(kit.services.store, click.number) if click.number is not None else None
    if shift is None:
        click.tell(kit.render("shifts/unavailable.j2", number=click.number, shift=None))
        return
    click.show(every_view(kit, shift))


def on_train(kit: Kit, ack: Ack, body: dict, context: BoltContext) -> None:
    services = kit.services
    form = context.get("form") or {}
    people = [u for u in (form.get("people") or []) if isinstance(u, str) and USER_ID.match(u)]
    training = services.catalog.training(str(form.get("training") or ""))
    errors: dict[str, str] = {}
    if not people:
        errors["people"] = kit.render("coord/train.j2", part="no_people")
    if training is None:
        errors["training"] = kit.render("coord/train.j2", part="no_training")
    try:
        completed_on = date.fromisoformat(str(form.get("completed_on") or ""))
    except ValueError:
        completed_on = None
    today = _today(kit)
    if completed_on is None or completed_on > today or completed_on.year < 2000:
        errors["completed_on"] = kit.render("coord/train.j2", part="bad_date", today=today)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    assert training is not None and completed_on is not None
    expires_on = tr.valid_until(training, completed_on)
    if expires_on is not None and expires_on < today:
        ack(response_action="errors", errors={"completed_on": kit.render(
            "coord/train.j2", part="lapsed", expires_on=expires_on, training=training.name)})
        return
    records = tr.record_trainings(services.store, actor=context["actor"], user_ids=people, training=training,
                                  completed_on=completed_on, expires_on=None, request_key=bk.submission_key(body))
    if records is None:  # the same form sent again: recorded the first time
        ack()
        return
    ack(response_action="update", view=_done(_("Record training"), "coord_train_done", kit.render(
        "coord/train.j2", part="done", records=records, training=training.name)))
    kit.notifier.flush(prefix="trained:")


def on_role(kit: Kit, ack: Ack, context: BoltContext) -> None:
    services = kit.services
    form = context.get("form") or {}
    user, role = str(form.get("person") or ""), str(form.get("role") or "")
    problem = None
    if not USER_ID.match(user):
        problem = "no_person"
    elif user in services.settings.admins:
        problem = "admin"
    elif role not in ("coordinator", "volunteer"):
        problem = "no_role"
    elif (services.role(user) >= Role.COORDINATOR) == (role == "coordinator"):
        problem = "already"
    if problem:
        ack(response_action="errors", errors={"role" if problem == "no_role" else "person": kit.render(
            "coord/role.j2", part=problem, user=user, role=role)})
        return
    ack(response_action="update", view=role_confirm_view(kit, user, role))


def on_role_confirm(kit: Kit, ack: Ack, context: BoltContext, client: WebClient) -> None:
    services = kit.services
    meta = context.get("meta") or {}
    user, role = str(meta.get("user") or ""), str(meta.get("role") or "")
    if not USER_ID.match(user) or role not in ("coordinator", "volunteer"):
        ack(response_action="update", view=_done(_("Make coordinator"), "coord_role_done", kit.render(
            "common/not_allowed.j2", needed=Role.ADMIN.label, what=_("Make coordinator"))))
        return
    admin = user in services.settings.admins
    changed = not admin and roles.set_role(services.store, actor=context["actor"], user_id=user, role=role)
    ack(response_action="update", view=_done(_("Make coordinator"), "coord_role_done", kit.render(
        "people/role.j2", user=user, role=role, changed=changed, admin=admin)))
    if changed:
        kit.notifier.flush(prefix=f"coordinator:{user}:")
        points.publish_home(kit, client, user)  # their App Home gains (or loses) the coordinators' buttons
        points.publish_home(kit, client, context["actor"])  # the admin's setup checklist counts them


def on_report(kit: Kit, ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    form = context.get("form") or {}
    picked = str(form.get("period") or "")
    typed = picked
    if picked == CUSTOM:
        first, last = form.get("first"), form.get("last")
        if not first or not last:
            ack(response_action="errors", errors={"first" if not first else "last": kit.render(
                "coord/report.j2", part="custom")})
            return
        typed = f"{first}..{last}"
    period, problem = rp.read_period(typed, today=_today(kit))
    formats = {f for f in (form.get("formats") or []) if f in reports.FORMATS}
    if period is None or not formats:
        ack(response_action="errors", errors={"last" if picked == CUSTOM else "period": str(problem)}
            if period is None else {"formats": kit.render("coord/report.j2", part="no_format")})
        return
    where = reports.destination(kit, None)
    note = kit.render("coord/report.j2", part="sending", formats=sorted(formats), channel=where, period=period)
    ack(response_action="update", view=_done(_("Report"), "coord_report_done", note))
    if not where:
        return
    report = reports.build(kit, period) if formats & {"pdf", "xlsx"} else None
    sent = reports.send_files(kit, client, period, where=where, formats=formats, report=report)
    text = kit.render("coord/report.j2", part="sent" if sent else "failed", formats=sorted(formats),
                      channel=where, period=period)
    if report is not None:
        text += "\n\n" + reports.report_text(kit, period, report)
    view_id = (body.get("view") or {}).get("id")
    try:
        client.views_update(view_id=view_id, view=_done(_("Report"), "coord_report_done", text))
    except Exception:  # closed meanwhile: the files are in the channel all the same
        log.info("the report modal was closed before its figures were shown")


def on_profile(kit: Kit, ack: Ack, context: BoltContext, client: WebClient) -> None:
    """Save My profile; its done screen and the person's App Home then speak the language they chose."""
    services, actor = kit.services, context["actor"]
    form = context.get("form") or {}
    known = {x.id for x in services.catalog.languages}
    picked = [x for x in (form.get("languages") or []) if x in known]
    asked = form.get("bot_language")  # absent from a form opened before the choice existed: left as it is
    if asked is not None:
        try:  # a language the bot lacks (a forged form) is refused before anything is saved
            choose_language(services.store, actor, None if asked == AUTOMATIC else str(asked), now=services.now())
        except LanguageError as problem:
            ack(response_action="errors", errors={"bot_language": str(problem)})
            return
    rd.set_languages(services.store, user_id=actor, languages=picked)
    with services.store.read() as db:
        languages, chosen, language = rd.languages_of(db, actor), chosen_language(db, actor), language_of(db, actor)
    with i18n.speaking(language):
        text = kit.render("coord/profile.j2", part="saved", languages=languages) + "\n" + kit.render(
            "coord/profile.j2", part="language", language=i18n.LANGUAGES[language], chosen=chosen is not None)
        ack(response_action="update", view=_done(_("My profile"), "coord_profile_done", text))
        points.publish_home(kit, client, actor)  # the App Home in the language now chosen


def on_every(kit: Kit, ack: Ack, context: BoltContext) -> None:
    services = kit.services
    number = parse_number(str((context.get("meta") or {}).get("shift_id", "")))
    minutes = parse_number(str((context.get("form") or {}).get("minutes") or "").strip())
    if number is None or minutes is None:
        ack(response_action="errors", errors={"minutes": result_text(kit, "every", "bad_interval", number or 0)})
        return
    outcome, _state = safety.set_every(services.store, shift_id=number, minutes=minutes, actor=context["actor"])
    text = result_text(kit, "every", outcome, number, minutes=minutes)
    if outcome != "done":
        ack(response_action="errors", errors={"minutes": text})
        return
    ack(response_action="update", view=_done(_("Check-ins"), "coord_every_done", text))


def register(app: App, kit: Kit) -> None:
    """Wire the buttons and their modals, and the listeners that tell leads what concerns them."""
    points.add(points.HOME_SECTIONS, home_section)
    points.add(points.DETAILS_COORDINATOR_BUTTONS, every_button)
    kit.wire(app, actions={
        **{action: only(needed, on_open, what) for action, (needed, what, _view) in OPENERS.items()},
        ids.COORD_EVERY_OPEN: coordinators(on_every_open, N_("Check-ins")),
    }, forms={
        TRAIN: coordinators(on_train, N_("Record training"), field="people"),
        ROLE: admins(on_role, N_("Make coordinator"), field="person"),
        ROLE_CONFIRM: admins(on_role_confirm, N_("Make coordinator")),
        REPORT: coordinators(on_report, N_("Report"), field="period"),
        PROFILE: on_profile,
        EVERY: coordinators(on_every, N_("Check-ins"), field="minutes"),
    })
