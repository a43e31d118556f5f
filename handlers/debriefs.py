"""Debriefs in Slack: the after-outreach form, the lead's DM and nudges, follow-ups, wellbeing notes."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, CheckboxesElement, InputBlock

from handlers import blocks as bk
from handlers import ids, points
from handlers.click import Click
from handlers.commands import CommandRequest, parse_number, subcommand
from handlers.kit import Kit
from handlers.notify import notice
from outreach import debriefs as dbf
from outreach import privacy, retention
from outreach import shifts as sh
from outreach.digits import parse_number as parse_whole
from outreach.i18n import N_
from outreach.i18n import gettext as _
from outreach.roles import Role
from outreach.shifts import Shift, clean_text

log = logging.getLogger(__name__)

LOADS = [(str(n), label) for n, label in enumerate(
    [N_("1 · light"), N_("2 · fine"), N_("3 · heavy at times"), N_("4 · heavy"), N_("5 · too much")], start=1)]
MAX_LISTED = 20
HOME_MAX = 5
MAX_WELLBEING_NOTE = 500


def lists(kit: Kit) -> dbf.Lists:
    """The debrief lists of the configured data folder."""
    return dbf.lists_for(kit.services.settings.data_dir)


def checkboxes(block_id: str, label: str, choices: list[tuple[str, str]], *, initial: list[str] | None = None,
               hint: str | None = None) -> InputBlock:
    """Tick boxes in a modal (optional)."""
    options = [bk.option(_(text), value) for value, text in choices]
    chosen = [o for o in options if o.value in (initial or [])]
    element = CheckboxesElement(action_id="value", options=options, initial_options=chosen or None)
    return InputBlock(block_id=block_id, label=label, element=element, optional=True, hint=hint)


FLAGS = [
    ("incident", N_("Something unsafe happened")),
    ("police", N_("Law enforcement was contacted")),
    ("hotline", N_("The hotline was contacted")),
    ("checkin", N_("I'd like a check-in call")),
]


def loads() -> list[tuple[str, str]]:
    """How heavy a night was, 1 to 5, in the language in force."""
    return [(value, _(label)) for value, label in LOADS]


def debrief_form(kit: Kit, shift: Shift, debrief: dbf.Debrief | None, *,
                 draft: dbf.Details | None = None) -> dict:
    """The debrief's first screen (at most 8 inputs, at most 20 lines of text on a phone): counts and answers,
    with the shift's place, times and team shown, not asked; "Add details" pushes the optional second step
    (the bottom line says what it holds: per-category counts, other materials, follow-ups and notes)."""
    cat, dl, d = kit.services.catalog, lists(kit), debrief
    with kit.services.store.read() as db:
        facts = dbf.facts_of(db, shift, debrief)
    main = dbf.first_material(dl)
    parts: list[Block] = [
        bk.section(kit.render("debriefs/form_intro.j2", shift=shift, debrief=debrief, facts=facts)),
        *[block for extra in points.DEBRIEF_FORM_CONTEXT for block in extra(kit, shift)],
        bk.number_input("db_contacts", _("People reached"), initial=d.contacts if d else None,
                        maximum=dbf.MAX_CONTACTS,
                        hint=_("How many people you spoke with or handed a card to. A count, never who.")),
    ]
    if main:
        parts.append(bk.number_input(f"db_mat_{main.id}", _("%(material)s handed out") % {"material": main.name},
                                     optional=True, initial=d.materials.get(main.id) if d else None,
                                     maximum=dbf.MAX_MATERIAL))
    parts += [
        bk.multi_select_input("db_referrals", _("Referrals made"), [(x.id, x.name) for x in dl.categories],
                              initial=list(d.referrals) if d else None),
        bk.multi_select_input("db_indicators", _("Indicators observed"), [(x.id, x.name) for x in dl.indicators],
                              initial=d.indicators if d else None, hint=_("What you saw, never who.")),
        bk.multi_select_input("db_languages", _("Languages used"), [(x.id, x.name) for x in cat.languages],
                              initial=d.languages if d else shift.languages),
        checkboxes("db_flags", _("Anything unsafe?"), FLAGS,
                   initial=[k for k in ("incident", "police", "hotline", "checkin") if d and getattr(d, k)],
                   hint=_("Ask for a check-in call and a coordinator is told at once.")),
        bk.text_input("db_what", _("If so, what happened"), optional=True, max_length=dbf.MAX_SHORT,
                      initial=(d.incident_what or d.police_why) if d else None,
                      hint=_("Needed when something unsafe happened or law enforcement was contacted. No names.")),
        bk.select_input("db_load", _("How are you after tonight?"), loads(), optional=True,
                        initial=str(d.load) if d and d.load else None),
        bk.context(kit.render("debriefs/details_added.j2", draft=draft, debrief=debrief, lists=dl)),
        bk.actions(bk.button(_("Change details") if draft else _("Add details"), ids.DEBRIEF_MORE, str(shift.id)),
                   block_id="db_more"),
    ]
    return bk.modal(title=_("Debrief #%(id)s") % {"id": shift.id}, blocks=parts, callback_id=ids.DEBRIEF_FORM,
                    submit=_("Save"), close=_("Cancel"), metadata={"shift_id": shift.id})


def _followup_inputs(draft: dbf.Details | None, *, actor: str) -> list[Block]:
    """The follow-up slots of the debrief's details: what, who (the writer by default) and by when."""
    parts: list[Block] = []
    for n in range(1, dbf.FOLLOWUP_SLOTS + 1):
        task = draft.followups[n - 1] if draft and len(draft.followups) >= n else None
        parts += [
            bk.text_input(f"db_fu{n}_what", _("Follow-up %(n)s: what") % {"n": n}, optional=True,
                          max_length=dbf.MAX_SHORT, initial=task.what if task else None,
                          placeholder=_("Ask the clinic about Spanish-language hours")),
            optional(bk.user_input(f"db_fu{n}_owner", _("Follow-up %(n)s: who") % {"n": n},
                                   initial=task.owner if task else actor)),
            bk.date_input(f"db_fu{n}_due", _("Follow-up %(n)s: due") % {"n": n}, optional=True,
                          initial=task.due_on.isoformat() if task else None),
        ]
    return parts


def _audience_inputs(kit: Kit, shift: Shift, debrief: dbf.Debrief | None,
                     draft: dbf.Details | None) -> list[Block]:
    """Community outreach's first figure: how many people were trained, per sector (as drafted, or as saved)."""
    if draft is not None and draft.audiences is not None:
        audience = draft.audiences
    elif debrief is not None:
        with kit.services.store.read() as db:
            audience = dbf.audiences_of(db, debrief.id)
    else:
        audience = {}
    parts: list[Block] = [bk.context(kit.render("debriefs/audience_intro.j2", shift=shift))]
    for sector in sectors_of(kit):
        parts.append(bk.number_input(f"db_aud_{sector.id}", _("Audience: %(sector)s") % {"sector": sector.name}, optional=True,
                                     initial=audience.get(sector.id) or None, maximum=dbf.MAX_CONTACTS))
    return parts


def details_form(kit: Kit, shift: Shift, debrief: dbf.Debrief | None, *, actor: str, root: str,
                 picked: list[str],
                 draft: dbf.Details | None) -> dict:
    """The optional second step: a count per category picked (or, none picked, per category of the list),
    the other materials, follow-ups with owner and due date, and notes. Never a typed mini-language."""
    dl, d = lists(kit), debrief
    names = {c.id: c.name for c in dl.categories}
    picked = [c for c in names if c in set(picked)]  # in the list's order
    offered = picked or list(names)
    counts = draft.referrals if draft else (d.referrals if d else {})
    materials = draft.materials if draft else (d.materials if d else {})
    parts: list[Block] = [bk.section(kit.render("debriefs/details_intro.j2", shift=shift, picked=bool(picked), debrief=d))]
    if draft is not None and draft.team is not None:
        out = draft.team
    else:
        with kit.services.store.read() as db:
            out = dbf.facts_of(db, shift, d).team
    parts.append(bk.people_input("db_team", _("Who was out tonight"), initial=out,
                                 hint=_("Hours and attendance count the people named here: the lead, confirmed "
                                        "members, anyone named at the team check-in.")))
    for ident in offered:
        parts.append(bk.number_input(
            f"db_ref_{ident}", _("Referrals: %(category)s") % {"category": names[ident]}, optional=True, maximum=dbf.MAX_REFERRALS,
            minimum=1 if ident in picked else 0, initial=counts.get(ident) or (1 if ident in picked else None)))
    parts += _followup_inputs(draft, actor=actor)
    parts += [
        bk.context(kit.render("debriefs/notes_warning.j2", days=kit.services.settings.notes_retention_days)),
        bk.text_input("db_notes", _("Notes"), optional=True, multiline=True, max_length=dbf.MAX_NOTES,
                      initial=draft.notes if draft else (d.notes if d else None),
                      hint=_("No names, phone numbers, e-mail or street addresses, dates of birth or photos of "
                             "anyone met.")),
    ]
    main = dbf.first_material(dl)
    for entry in dl.materials:
        if entry is not main:
            parts.append(bk.number_input(f"db_mat_{entry.id}", _("%(material)s handed out") % {"material": entry.name},
                                         optional=True,
                                         initial=materials.get(entry.id) or None, maximum=dbf.MAX_MATERIAL))
    if shift.kind in dbf.AUDIENCE_KINDS:  # the first figure of community outreach: who was trained, by sector
        parts += _audience_inputs(kit, shift, d, draft)
    brief, extended = (draft.brief, draft.extended) if draft else ((d.brief, d.extended) if d else (0, 0))
    parts += [
        bk.number_input("db_brief", _("Of the people reached: brief conversations"), optional=True,
                        initial=brief or None, maximum=dbf.MAX_CONTACTS),
        bk.number_input("db_extended", _("Of the people reached: extended conversations"), optional=True,
                        initial=extended or None, maximum=dbf.MAX_CONTACTS),
    ]
    return bk.modal(title=_("Debrief details"), blocks=parts, callback_id=ids.DEBRIEF_MORE, submit=_("Done"),
                    close=_("Back"), metadata={"shift_id": shift.id, "root": root, "picked": picked})


def sectors_of(kit: Kit) -> list:
    """The audience sectors of data/sectors.yml (law enforcement, health care, ...)."""
    return dbf.load_sectors(kit.services.settings.data_dir)


def optional(block: InputBlock) -> InputBlock:
    """The same input, which may be left empty."""
    block.optional = True
    return block


def wellbeing_form(kit: Kit, shift: Shift) -> dict:
    """A team member's own short wellbeing note."""
    parts: list[Block] = [
        bk.section(kit.render("debriefs/wellbeing_intro.j2", shift=shift)),
        bk.select_input("wb_load", _("How heavy was it for you?"), loads(), optional=True),
        checkboxes("wb_checkin", _("Support"), [("checkin", N_("I'd like a check-in call"))]),
        bk.text_input("wb_note", _("Anything else (about you, not about anyone met)"), optional=True, multiline=True,
                      max_length=MAX_WELLBEING_NOTE),
    ]
    return bk.modal(title=_("How are you doing?"), blocks=parts, callback_id=ids.WELLBEING_FORM, submit=_("Send"),
                    close=_("Cancel"), metadata={"shift_id": shift.id})


def details_view(kit: Kit, shift: Shift, debrief: dbf.Debrief) -> dict:
    """Everything in a debrief, notes included (only for the lead and coordinators)."""
    with kit.services.store.read() as db:
        wellbeing = dbf.wellbeing_of(db, shift.id)
        tasks = dbf.followups_of(db, shift.id)
    text = kit.render("debriefs/details.j2", shift=shift, d=debrief, lists=lists(kit), wellbeing=wellbeing, tasks=tasks)
    return bk.modal(title=_("Debrief #%(id)s") % {"id": shift.id}, blocks=bk.sections(text)[:20],
                    callback_id="debrief_details")


# ---------------------------------------------------------------- opening the form


def open_form(kit: Kit, show: Callable[[dict], object], *, actor: str, role: Role, shift_id: int | None) -> str | None:
    """Open the debrief form for a shift (`show` opens a modal), or return why it cannot be opened (words for
    the person)."""
    shift = sh.load_shift(kit.services.store, shift_id) if shift_id else None
    now = kit.services.now()
    if shift is None or shift.cancelled:
        return kit.render("debriefs/unavailable.j2", number=shift_id, shift=shift, why="gone")
    if not dbf.may_debrief(shift, actor=actor, coordinator=role >= Role.COORDINATOR):
        return kit.render("debriefs/unavailable.j2", number=shift_id, shift=shift, why="forbidden")
    if not shift.started(now):
        return kit.render("debriefs/unavailable.j2", number=shift_id, shift=shift, why="early")
    debrief = dbf.load_debrief(kit.services.store, shift.id)
    if debrief and not debrief.editable(now):
        return kit.render("debriefs/unavailable.j2", number=shift_id, shift=shift, why="locked")
    show(debrief_form(kit, shift, debrief))
    return None


@subcommand("debrief", usage="[N]")
def cmd_debrief(req: CommandRequest) -> None:
    """Open the debrief form for shift N (the lead or a coordinator), or list shifts awaiting one."""
    number = parse_number(req.args.split(" ")[0]) if req.args else None
    if req.args and number is None:
        req.say("common/usage.j2", usage="/outreach debrief N (the shift's number)")
        return
    if number is None:
        waiting = dbf.awaiting(req.kit.services.store, user=req.actor, coordinator=req.role >= Role.COORDINATOR,
                               now=req.kit.services.now())
        text = req.kit.render("debriefs/awaiting.j2", shifts=waiting[:MAX_LISTED])
        buttons = [bk.button(_("Write debrief #%(id)s") % {"id": s.id}, ids.DEBRIEF_OPEN, str(s.id))
                   for s in waiting[:5]]
        req.reply(text, bk.message([bk.section(text)] + ([bk.actions(*buttons, block_id="awaiting")] if buttons else [])))
        return
    problem = open_form(req.kit, lambda view: req.client.views_open(trigger_id=req.trigger_id, view=view),
                        actor=req.actor, role=req.role, shift_id=number)
    if problem:
        req.reply(problem)


def followups_message(kit: Kit, actor: str, role: Role, note: str | None = None) -> tuple[str, list[dict]]:
    """Open follow-ups (a coordinator's: everyone's; anyone else's: their own), each with a Done button."""
    everyone = role >= Role.COORDINATOR
    tasks = dbf.open_tasks(kit.services.store, owner=None if everyone else actor)
    text = kit.render("debriefs/followups.j2", tasks=tasks[:MAX_LISTED], everyone=everyone, more=len(tasks) - MAX_LISTED,
                      today=kit.services.now().astimezone(kit.services.settings.zone).date(), note=note)
    parts: list[Block] = [bk.section(text)]
    for task in tasks[:MAX_LISTED]:
        parts.append(bk.section(kit.render("debriefs/task.j2", task=task),
                                accessory=bk.button(_("Done"), ids.FOLLOWUP_DONE, str(task.id), style="primary"),
                                block_id=f"task:{task.id}"))
    return text, bk.message(parts)


@subcommand("followups")
def cmd_followups(req: CommandRequest) -> None:
    """List open follow-ups with a Done button."""
    text, blocks = followups_message(req.kit, req.actor, req.role)
    req.reply(text, blocks)


# ---------------------------------------------------------------- notifications


@notice("debriefs/request")
def notice_request(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """The lead is asked for the debrief when the shift ends, and nudged until it is written."""
    shift = sh.load_shift(kit.services.store, int(context["shift_id"]))
    if not shift or shift.cancelled or shift.lead != context.get("lead"):
        return None
    if dbf.load_debrief(kit.services.store, shift.id):
        return None
    text = kit.render("debriefs/request.j2", shift=shift, nudge=int(context.get("nudge", 0)))
    return text, bk.message([bk.section(text), bk.actions(
        bk.button(_("Write debrief"), ids.DEBRIEF_OPEN, str(shift.id), style="primary"), block_id=f"ask:{shift.id}")])


@notice("debriefs/summary")
def notice_summary(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Coordinators see the counts of a submitted debrief (never its notes)."""
    shift = sh.load_shift(kit.services.store, int(context["shift_id"]))
    debrief = dbf.load_debrief(kit.services.store, int(context["shift_id"]))
    if not shift or not debrief:
        return None
    text = kit.render("debriefs/summary.j2", shift=shift, d=debrief, lists=lists(kit),
                      updated=int(context.get("revision", 1)) > 1)
    return text, bk.message([bk.section(text), bk.actions(
        bk.button(_("View debrief"), ids.DEBRIEF_VIEW, str(shift.id)), block_id=f"summary:{shift.id}")])


@notice("debriefs/followup")
def notice_followup(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A follow-up's owner is told of it, then reminded daily from its due date until it is done."""
    with kit.services.store.read() as db:
        task = dbf.get_task(db, int(context["followup_id"]))
    if not task or task.status != "open":
        return None
    today = kit.services.now().astimezone(kit.services.settings.zone).date()
    text = kit.render("debriefs/followup.j2", task=task, assigned=bool(context.get("assigned")), today=today)
    return text, bk.message([bk.section(text, accessory=bk.button(_("Done"), ids.FOLLOWUP_DONE, str(task.id), style="primary"))])


@notice("debriefs/wellbeing_invite")
def notice_wellbeing_invite(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Each team member may add a wellbeing note of their own."""
    shift = sh.load_shift(kit.services.store, int(context["shift_id"]))
    with kit.services.store.read() as db:
        done = dbf.wellbeing_given(db, int(context["shift_id"]), context.get("user"))
    if not shift or shift.cancelled or done:
        return None
    text = kit.render("debriefs/wellbeing_invite.j2", shift=shift)
    return text, bk.message([bk.section(text, accessory=bk.button(_("How I'm doing"), ids.WELLBEING_OPEN, str(shift.id)))])


@notice("debriefs/checkin")
def notice_checkin(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Coordinators hear at once that someone asked for a check-in call."""
    shift = sh.load_shift(kit.services.store, int(context["shift_id"]))
    if not shift:
        return None
    text = kit.render("debriefs/checkin.j2", shift=shift, user=context.get("user"))
    return text, bk.message([bk.section(text)])


# ---------------------------------------------------------------- home tab


def home_section(kit: Kit, user: str) -> list[Block]:
    """Debriefs and follow-ups this person owes: each its own section with its button (nothing when none)."""
    waiting = dbf.awaiting(kit.services.store, user=user, coordinator=False, now=kit.services.now())
    tasks = dbf.open_tasks(kit.services.store, owner=user)
    if not waiting and not tasks:
        return []
    today = kit.services.now().astimezone(kit.services.settings.zone).date()
    parts: list[Block] = [bk.divider(), bk.section(kit.render("debriefs/home_owe.j2"))]
    for shift in waiting[:HOME_MAX]:
        parts.append(bk.section(kit.render("debriefs/owed_debrief.j2", shift=shift),
                                accessory=bk.button(_("Write debrief"), ids.DEBRIEF_OPEN, str(shift.id), style="primary"),
                                block_id=f"owe:debrief:{shift.id}"))
    for task in tasks[:HOME_MAX]:
        parts.append(bk.section(kit.render("debriefs/task.j2", task=task, today=today),
                                accessory=bk.button(_("Done"), ids.FOLLOWUP_DONE, str(task.id)),
                                block_id=f"owe:task:{task.id}"))
    more = max(len(waiting) - HOME_MAX, 0) + max(len(tasks) - HOME_MAX, 0)
    if more:
        parts.append(bk.context(kit.render("debriefs/home_more.j2", more=more)))
    return parts


def thanks_message(kit: Kit, shift: Shift, saved: dbf.Saved) -> tuple[str, list[dict]]:
    """The DM after a debrief is saved: a neutral line, and what was saved in the blocks, with Edit."""
    text = kit.render("debriefs/thanks.j2", shift=shift, outcome=saved.outcome)
    with kit.services.store.read() as db:
        tasks = [t for t in (dbf.get_task(db, n) for n in saved.followups) if t]
    detail = kit.render("debriefs/thanks_detail.j2", shift=shift, d=saved.debrief, lists=lists(kit), tasks=tasks,
                        outcome=saved.outcome, channel=kit.services.settings.coordinator_channel)
    return text, bk.message([
        bk.section(detail),
        bk.actions(bk.button(_("Edit debrief"), ids.DEBRIEF_OPEN, str(shift.id)), block_id=f"thanks:{shift.id}"),
    ])


# ---------------------------------------------------------------- Bolt wiring


def _refuse(kit: Kit, ack: Ack, field: str, why: str) -> None:
    ack(response_action="errors", errors={field: kit.render("debriefs/form_refused.j2", why=why)})


def _shift_of(kit: Kit, context: BoltContext) -> Shift | None:
    number = parse_whole((context.get("meta") or {}).get("shift_id"))
    return sh.load_shift(kit.services.store, number) if number is not None else None


def on_open(kit: Kit, click: Click) -> None:
    problem = open_form(kit, click.open, actor=click.actor, role=click.role,
                        shift_id=parse_whole(click.value))
    if problem:
        click.tell(problem)


def on_view(kit: Kit, click: Click) -> None:
    number = parse_whole(click.value)
    shift = sh.load_shift(kit.services.store, number) if number else None
    debrief = dbf.load_debrief(kit.services.store, number) if number else None
    if not shift or not debrief or not dbf.may_debrief(shift, actor=click.actor,
                                                       coordinator=click.role >= Role.COORDINATOR):
        click.tell(kit.render("debriefs/unavailable.j2", number=number, shift=shift,
                              why="gone" if not debrief else "forbidden"))
        return
    click.open(details_view(kit, shift, debrief))


def on_done(kit: Kit, click: Click) -> None:
    outcome, task = dbf.complete(kit.services.store, task_id=parse_whole(click.value) or 0, actor=click.actor,
                                 coordinator=click.role >= Role.COORDINATOR)
    note = kit.render("debriefs/done.j2", outcome=outcome, task=task)
    if click.where != "message":  # the App Home: shown again without it
        points.publish_home(kit, click.client, click.actor)
        if outcome == "forbidden":
            click.dm(note)
        return
    if click.in_dm and outcome != "forbidden":
        click.answer(note, replace=True)
    elif click.container.get("is_ephemeral"):
        click.answer(note, redraw=lambda note: followups_message(kit, click.actor, click.role, note=note))
    else:
        click.tell(note)


def on_wellbeing(kit: Kit, click: Click) -> None:
    number = parse_whole(click.value)
    shift = sh.load_shift(kit.services.store, number) if number else None
    if not shift or shift.cancelled:
        click.tell(kit.render("debriefs/unavailable.j2", number=number, shift=shift, why="gone"))
        return
    click.open(wellbeing_form(kit, shift))


def on_submit(kit: Kit, ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    actor, role = context["actor"], context["role"]
    shift = _shift_of(kit, context)
    coordinator = role >= Role.COORDINATOR
    if shift is None or shift.cancelled:
        _refuse(kit, ack, "db_contacts", "gone")
        return
    if not dbf.may_debrief(shift, actor=actor, coordinator=coordinator):
        _refuse(kit, ack, "db_contacts", "forbidden")
        return
    checked, errors = dbf.check_form(context.get("form") or {}, catalog=kit.services.catalog, lists=lists(kit),
                                     zone=kit.services.settings.zone, now=kit.services.now(),
                                     screen=kit.services.privacy_screen())
    if errors:
        ack(response_action="errors", errors=errors)
        return
    saved = dbf.save(kit.services.store, actor=actor, coordinator=coordinator, shift_id=shift.id, checked=checked,
                     coordinators=kit.services.coordinators(),
                     coordinator_channel=kit.services.settings.coordinator_channel, lists=lists(kit),
                     request_key=bk.submission_key(body), root=(body.get("view") or {}).get("id"),
                     sectors=sectors_of(kit))
    if saved.outcome == "repeat":  # sent again after a slow answer: it was saved; close the modal only
        ack()
        return
    if saved.outcome not in ("saved", "updated"):
        _refuse(kit, ack, "db_contacts", saved.outcome)
        return
    ack()
    kit.notifier.flush()
    text, blocks = thanks_message(kit, shift, saved)
    client.chat_postMessage(channel=actor, text=text, blocks=blocks)


def on_more(kit: Kit, click: Click, context: BoltContext) -> None:
    """Add details: push the second step over the first screen, with a count per category picked there."""
    actor = click.actor
    shift = _shift_of(kit, context)
    root = click.view.get("root_view_id") or click.view_id
    debrief = dbf.load_debrief(kit.services.store, shift.id) if shift else None
    if shift is None or shift.cancelled or not root or not dbf.may_debrief(
            shift, actor=actor, coordinator=click.role >= Role.COORDINATOR):
        click.dm(kit.render(
            "debriefs/unavailable.j2", number=shift.id if shift else None, shift=shift,
            why="gone" if shift is None or shift.cancelled else "forbidden"))
        return
    picked = (context.get("form") or {}).get("db_referrals")
    picked = [x for x in picked if isinstance(x, str)] if isinstance(picked, list) else []
    draft = dbf.load_draft(kit.services.store, root=root, shift_id=shift.id, user=actor)
    click.push(details_form(kit, shift, debrief, actor=actor, root=root, picked=picked, draft=draft))


def on_more_submit(kit: Kit, ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    """The second step's Done: its details wait for the first screen's Save, which then shows them."""
    actor, meta = context["actor"], context.get("meta") or {}
    shift = _shift_of(kit, context)
    root = meta.get("root") if isinstance(meta.get("root"), str) else None
    coordinator = context["role"] >= Role.COORDINATOR
    if shift is None or shift.cancelled or not root:
        _refuse(kit, ack, "db_notes", "gone")
        return
    if not dbf.may_debrief(shift, actor=actor, coordinator=coordinator):
        _refuse(kit, ack, "db_notes", "forbidden")
        return
    names = [c.id for c in lists(kit).categories]
    picked = [c for c in meta.get("picked") or [] if c in names]
    details, errors = dbf.check_details(context.get("form") or {}, lists=lists(kit), offered=picked or names,
                                        picked=picked, zone=kit.services.settings.zone, now=kit.services.now(),
                                        screen=kit.services.privacy_screen(),
                                        sectors=sectors_of(kit) if shift.kind in dbf.AUDIENCE_KINDS else None)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    outcome = dbf.save_draft(kit.services.store, root=root, shift_id=shift.id, actor=actor, coordinator=coordinator,
                             details=details, request_key=bk.submission_key(body))
    if outcome == "not_on_team":  # someone who never signed up: refused here, credited by a correction
        ack(response_action="errors", errors={"db_team": kit.render(
            "debriefs/team_outside.j2", shift=shift, coordinator=coordinator,
            people=dbf.outside_roster(kit.services.store, shift, details.team or []))})
        return
    if outcome not in ("kept", "repeat"):
        _refuse(kit, ack, "db_notes", outcome)
        return
    ack()  # back to the first screen, whose Save keeps the details with it
    try:  # the first screen says what was added; Slack keeps what was typed there (same block ids)
        client.views_update(view_id=root, view=debrief_form(
            kit, shift, dbf.load_debrief(kit.services.store, shift.id), draft=details))
    except SlackApiError as exc:  # closed meanwhile: the details wait for nothing and expire
        log.info("debrief %s: first screen not updated (%s)", shift.id, exc.response.get("error"))


def on_wellbeing_submit(kit: Kit, ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    form, meta = context.get("form") or {}, context.get("meta") or {}
    raw = meta.get("shift_id")
    note = clean_text(form.get("wb_note") if isinstance(form.get("wb_note"), str) else "",
                      limit=MAX_WELLBEING_NOTE, multiline=True)
    year = kit.services.now().astimezone(kit.services.settings.zone).year
    if findings := kit.services.privacy_screen()(note, current_year=year):
        ack(response_action="errors", errors={"wb_note": privacy.explain(findings)})
        return
    load = parse_whole(form.get("wb_load"))
    outcome = dbf.save_wellbeing(
        kit.services.store, user=context["actor"], shift_id=parse_whole(raw) or 0,
        load=load if load in range(1, 6) else None,
        checkin="checkin" in (form.get("wb_checkin") or []), note=note, coordinators=kit.services.coordinators(),
        request_key=bk.submission_key(body),
    )
    if outcome == "repeat":
        ack()
        return
    if outcome != "saved":
        ack(response_action="errors", errors={"wb_note": kit.render("debriefs/form_refused.j2", why=outcome)})
        return
    ack()
    kit.notifier.flush()
    client.chat_postMessage(channel=context["actor"], text=kit.render("debriefs/wellbeing_thanks.j2"))


def register(app: App, kit: Kit) -> None:
    """Wire the debrief form, its buttons, notifications on shift events and the periodic jobs."""
    lists(kit)  # a malformed list stops the bot at start-up, naming the file and line
    points.add(points.HOME_SECTIONS, home_section)

    def remind() -> None:
        """Queue due follow-up reminders and send them."""
        if dbf.remind_followups(kit.services.store, now=kit.services.now(), zone=kit.services.settings.zone):
            kit.notifier.flush()

    log_to_empty = [False]

    def expire_text() -> None:
        """Delete free text past the retention period and details never saved, then empty the write-ahead
        log of their old versions."""
        expired = retention.expire(kit.services.store, now=kit.services.now(),
                                   days=kit.services.settings.notes_retention_days)
        dropped = dbf.drop_stale_drafts(kit.services.store, now=kit.services.now())
        if expired.total or dropped or log_to_empty[0]:
            log_to_empty[0] = not kit.services.store.checkpoint()  # busy readers: try again on the next tick

    kit.periodic.extend([expire_text, remind])  # expire first: a reminder never carries expired words

    kit.wire(app, actions={
        ids.DEBRIEF_OPEN: on_open,
        ids.DEBRIEF_VIEW: on_view,
        ids.FOLLOWUP_DONE: on_done,
        ids.WELLBEING_OPEN: on_wellbeing,
        ids.DEBRIEF_MORE: on_more,
    }, forms={
        ids.DEBRIEF_FORM: on_submit,
        ids.DEBRIEF_MORE: on_more_submit,
        ids.WELLBEING_FORM: on_wellbeing_submit,
    })
