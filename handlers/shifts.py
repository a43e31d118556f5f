"""Shifts in Slack: the shift form, lists, posts, signup buttons and their notifications."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers import series as hs
from handlers.commands import CommandRequest, subcommand
from handlers.kit import Kit, tell
from handlers.notify import notice
from outreach import privacy, reach
from outreach import series as sr
from outreach import shifts as sh
from outreach.catalog import KINDS
from outreach.digits import parse_number
from outreach.roles import Role
from outreach.shifts import Shift, ShiftDraft
from outreach.store import from_iso
from outreach.trainings import holds_training, required

log = logging.getLogger(__name__)

PAGE_SIZE = 10
NO_TRAINING = "none"
# Buttons other surfaces add beside a shift's own for one reader (Find cover, Tell me if a place opens):
# fn(kit, reader, shift loaded for that reader, the value the shift's buttons carry) -> buttons.
SHIFT_BUTTONS: list[Callable[[Kit, str, Shift, str], list[bk.ButtonElement]]] = []


# ---------------------------------------------------------------- words and blocks


def summary(kit: Kit, shift: Shift, ahead: dict | None = None, *, detail: bool = False,
            untrained: bool = False, course: Shift | None = None) -> str:
    """The few lines that describe a shift wherever it is listed (`ahead`: what `kit.read_ahead` read).

    Everyone sees one readiness badge; `detail` (for leads and coordinators) says what is missing.
    `untrained`: the reader lacks the required training, so the lines say who can record it, and which
    training shift gives it (`course`, see `training_course`).
    """
    extra = {"course": course, "sign_up": True} if untrained else {}
    return kit.render("shifts/summary.j2", shift=shift, detail=detail, untrained=untrained,
                      coordinators=kit.services.coordinators()[:3] if untrained else [], **extra, **(ahead or {}))


def training_course(kit: Kit, reader: str, shift: Shift) -> Shift | None:
    """For a reader locked out of a shift: the next training shift that gives its required training and still
    has a place (or that they are already on), read for them; None when none is planned."""
    needed = required(shift.kind, shift.training)
    if not needed:
        return None
    return sh.training_for(kit.services.store, training=needed, user=reader, now=kit.services.now())


def course_button(course: Shift | None, value: str | None = None) -> list[bk.ButtonElement]:
    """Sign up for the training shift that unlocks a shift (none when the reader is already on it)."""
    if course is None or course.my_status is not None or not course.places_left:
        return []
    return [bk.button(f"Sign up for #{course.id}", "shift_signup", value or str(course.id), style="primary")]


def confirm_dialog(kit: Kit, what: str, shift: Shift) -> bk.ConfirmObject:
    """Slack's "are you sure?" for withdraw, leave waitlist, give back, check out (words in shifts/confirm.j2)."""

    def part(name: str) -> str:
        return kit.render("shifts/confirm.j2", what=what, part=name, shift=shift)

    return bk.confirm(part("title"), part("text"), yes=part("yes"))


def withdraw_button(kit: Kit, shift: Shift, value: str, *, waitlisted: bool,
                    action_id: str = "shift_withdraw") -> bk.ButtonElement:
    """Withdraw (or Leave waitlist), asking first."""
    label, what = ("Leave waitlist", "leave") if waitlisted else ("Withdraw", "withdraw")
    return bk.button(label, action_id, value, confirm=confirm_dialog(kit, what, shift))


def extra_buttons(kit: Kit, reader: str, shift: Shift, value: str | None = None) -> list[bk.ButtonElement]:
    """The buttons other surfaces add beside a shift's own for this reader (see SHIFT_BUTTONS)."""
    return [b for fn in SHIFT_BUTTONS for b in fn(kit, reader, shift, value or str(shift.id))]


def shift_buttons(kit: Kit, shift: Shift, *, mine: str | None, shared: bool, page: int | None = None,
                  trained: bool = True, extra: list[bk.ButtonElement] | None = None) -> bk.ActionsBlock:
    """Sign up (Join waitlist when full) / Withdraw and Details, as they apply to the reader (both on a
    shared post). A reader without the required training (`trained=False`) gets no Sign up. `extra`
    buttons (other surfaces') go before Details."""
    value = f"{shift.id}:{page}" if page is not None else str(shift.id)
    buttons = []
    if shared:
        buttons.append(bk.button("Sign up", "shift_signup", value, style="primary"))
    elif mine is None and trained:
        label = "Sign up" if shift.places_left else "Join waitlist"
        buttons.append(bk.button(label, "shift_signup", value, style="primary" if shift.places_left else None))
    if shared or mine is not None:
        buttons.append(withdraw_button(kit, shift, value, waitlisted=mine == "waitlisted"))
    buttons += extra or []
    buttons.append(bk.button("Details", "shift_details", str(shift.id)))
    return bk.actions(*buttons, block_id=f"shift:{shift.id}")


def post_blocks(kit: Kit, shift: Shift) -> list[dict]:
    """The shared announcement of a shift, as posted in a channel."""
    parts: list[Block] = [bk.section(kit.render("shifts/post.j2", shift=shift))]
    if shift.cancelled:
        parts.append(bk.context(kit.render("shifts/cancelled_note.j2", shift=shift)))
    else:
        parts.append(shift_buttons(kit, shift, mine=None, shared=True))
        if series_buttons := hs.post_buttons(kit, shift):  # a shift of a series: sign up for all, withdraw from all
            parts.append(bk.actions(*series_buttons, block_id=f"series:{shift.id}"))
    return bk.message(parts)


def listed_shift(kit: Kit, reader: str, shift: Shift, ahead: dict, *, coordinator: bool, trained: set[int],
                 page: int | None = None) -> list[Block]:
    """One shift of a list the reader sees: its lines, then its own buttons."""
    untrained = shift.my_status is None and shift.id not in trained and not shift.cancelled
    course = training_course(kit, reader, shift) if untrained else None
    text = summary(kit, shift, ahead, detail=coordinator or shift.lead == reader, untrained=untrained, course=course)
    extra = course_button(course, f"{course.id}:{page}" if course and page is not None else None)
    extra += extra_buttons(kit, reader, shift, f"{shift.id}:{page}" if page is not None else None)
    return [bk.section(text, block_id=f"listed:{shift.id}"),
            shift_buttons(kit, shift, mine=shift.my_status, shared=False, page=page, trained=not untrained, extra=extra)]


def list_message(kit: Kit, reader: str, *, page: int, note: str | None = None) -> tuple[str, list[dict]]:
    """One page of the shift list of the next 30 days, with buttons for the reader."""
    total, page, chunk = sh.upcoming_page(kit.services.store, now=kit.services.now(), page=page, size=PAGE_SIZE,
                                          user=reader)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    text = kit.render("shifts/list_header.j2", count=total, page=page + 1, pages=pages)
    parts: list[Block] = []
    if note:
        parts.append(bk.section(note))
    parts.append(bk.section(text))
    ahead = kit.read_ahead(chunk)
    coordinator = kit.services.role(reader) >= Role.COORDINATOR
    trained = sh.may_sign_up(kit.services.store, user=reader, shifts=chunk)
    for shift in chunk:
        parts.append(bk.divider())
        parts += listed_shift(kit, reader, shift, ahead, coordinator=coordinator, trained=trained, page=page)
    nav = []
    if page > 0:
        nav.append(bk.button("◀ Earlier", "shifts_page", str(page - 1)))
    if page < pages - 1:
        nav.append(bk.button("Later ▶", "shifts_page", str(page + 1)))
    if nav:
        parts.append(bk.actions(*nav, block_id="shifts_nav"))
    return (note + "\n" if note else "") + text, bk.message(parts)


def cancel_button(kit: Kit, shift: Shift, *, people: int, label: str = "Cancel shift") -> bk.ButtonElement:
    """Cancel shift, behind Slack's confirm dialog (`people`: how many are on it or its waitlist)."""
    return bk.button(label, "shift_cancel", str(shift.id), style="danger", confirm=bk.confirm(
        f"Cancel shift #{shift.id}?", kit.render("shifts/cancel_confirm.j2", shift=shift, people=people),
        yes="Cancel shift", no="Keep it",
    ))


# Blocks other surfaces add to a shift's Details, after its words: fn(kit, shift, role) -> blocks.
DETAILS_EXTRAS: list[Callable[[Kit, Shift, Role, bool], list[Block]]] = []
# Buttons other surfaces add to the coordinators' row of a shift's Details (after Cancel): fn(kit, shift) -> buttons.
DETAILS_COORDINATOR_BUTTONS: list[Callable[[Kit, Shift], list[bk.ButtonElement]]] = []


def details_view(kit: Kit, shift: Shift, *, role: Role, note: str | None = None, actor: str | None = None) -> dict:
    """A modal with everything about one shift; coordinators get Edit, Duplicate and Cancel shift; the lead
    (`actor`) and coordinators get Message the team, and on a training shift that started, Confirm attendance;
    the `actor` gets the buttons other surfaces add for them (see SHIFT_BUTTONS). A shift of a series says
    how it repeats, with Sign up for every week or Withdraw from all (for the `actor`; both when unknown),
    and coordinators also get Edit and Cancel this and later."""
    with kit.services.store.read() as db:
        confirmed, waiting = sh.team(db, shift.id)
    parts: list[Block] = [bk.section(note)] if note else []
    # A live SOS is for the team and the coordinators only.
    on_team = actor is not None and (actor == shift.lead or actor in confirmed)
    parts.append(bk.section(kit.render("shifts/details.j2", shift=shift, team=confirmed, waitlist=waiting,
                                       show_sos=role >= Role.COORDINATOR or on_team)))
    if actor is not None and not on_team and not shift.cancelled and not shift.started(kit.services.now()):
        parts += locked_parts(kit, actor, shift)
    for extra in DETAILS_EXTRAS:  # the reader may be on the team unless known not to be (a duress SOS hides from it)
        parts += extra(kit, shift, role, on_team or actor is None)
    parts += hs.details_parts(kit, shift, reader=actor)
    if role >= Role.COORDINATOR:
        value = str(shift.id)
        later = hs.coordinator_buttons(kit, shift)
        buttons = [] if shift.cancelled else [bk.button("Edit this one" if later else "Edit", "shift_edit", value)]
        buttons.append(bk.button("Duplicate", "shift_duplicate", value))
        if not shift.cancelled:
            buttons.append(cancel_button(kit, shift, people=len(confirmed) + len(waiting),
                                         label="Cancel this one" if later else "Cancel shift"))
        buttons += later + [b for fn in DETAILS_COORDINATOR_BUTTONS for b in fn(kit, shift)]
        parts.append(bk.actions(*buttons, block_id="details_actions"))
    if not shift.cancelled and (role >= Role.COORDINATOR or (actor is not None and actor == shift.lead)):
        team_buttons = [bk.button("Message the team", "team_message_open", str(shift.id))]
        if shift.kind == "training" and shift.started(kit.services.now()):
            team_buttons.append(bk.button("Confirm attendance", "training_attendance", str(shift.id)))
        parts.append(bk.actions(*team_buttons, block_id="details_team"))
    mine = sh.load_shift(kit.services.store, shift.id, user=actor) if actor else None
    if mine is not None and (extra := extra_buttons(kit, actor or "", mine)):
        parts.append(bk.actions(*extra, block_id="details_reader"))
    return bk.modal(title=f"Shift #{shift.id}", blocks=parts, callback_id="shift_details")


def locked_parts(kit: Kit, reader: str, shift: Shift) -> list[Block]:
    """For a reader without the training a shift requires: the next training shift that gives it, with Sign up."""
    needed = required(shift.kind, shift.training)
    with kit.services.store.read() as db:
        if not needed or holds_training(db, user_id=reader, training=needed, on=shift.local_start().date()):
            return []
    course = training_course(kit, reader, shift)
    buttons = course_button(course)
    text = kit.render("shifts/course.j2", shift=shift, course=course, sign_up=bool(buttons))
    return [bk.section(text, block_id="details_course"), *([bk.actions(*buttons, block_id="details_course_actions")]
                                                         if buttons else [])]


def shift_form(
    kit: Kit, *, shift: Shift | None = None, channel: str | None = None, planner: str | None = None,
    copy_of: Shift | None = None, later: bool = False, repeat: dict | None = None,
) -> dict:
    """The modal to plan a shift: empty (the lead defaults to the `planner`), prefilled for an edit of
    `shift`, or prefilled from `copy_of` one week later as a new shift. A new shift may repeat (its
    Repeat… step, chosen there as `repeat`); `later` edits `shift` of a series and all later ones."""
    cat, zone = kit.services.catalog, kit.services.settings.zone
    source = shift or copy_of
    start = end = None
    if shift:
        start, end = shift.starts_at.astimezone(zone), shift.ends_at.astimezone(zone)
    elif copy_of:
        start, end = (moment.astimezone(zone) for moment in sh.weeks_later(copy_of, now=kit.services.now()))
    today = kit.services.now().astimezone(zone).date().isoformat()
    trainings = [(NO_TRAINING, "No training required")] + [(t.id, t.name) for t in cat.trainings]
    parts: list[Block] = []
    if copy_of and start:
        parts.append(bk.context(kit.render("shifts/form_copy.j2", shift=copy_of, start=start)))
    parts += [
        bk.select_input("kind", "Kind", list(KINDS.items()), initial=source.kind if source else None),
        bk.select_input("venue", "Venue type", [(v.id, v.name) for v in cat.venues],
                        initial=source.venue if source else None),
        bk.text_input(
            "area", "Area", initial=source.area if source else None, max_length=sh.MAX_AREA,
            placeholder="Neighbourhood, town or corridor", hint="Coarse only: no street address is needed.",
        ),
        bk.date_input("start_date", "Start date", initial=start.date().isoformat() if start else today),
        bk.time_input(
            "start_time", "Start time", initial=start.strftime("%H:%M") if start else None,
            hint=f"Times are in {zone.key}.",
        ),
        bk.time_input(
            "end_time", "End time", initial=end.strftime("%H:%M") if end else None,
            hint="Before the start time: the shift ends the next day.",
        ),
        bk.user_input("lead", "Lead", initial=source.lead if source else planner),
        bk.number_input("capacity", "Capacity", initial=source.capacity if source else 4, minimum=1,
                        maximum=sh.MAX_CAPACITY),
        bk.number_input(
            "min_team", "Minimum team size", initial=source.min_team if source else 2, minimum=1,
            maximum=sh.MAX_CAPACITY, hint="Direct outreach never goes alone: at least 2.",
        ),
        bk.select_input(
            "training", "Required training", trainings,
            initial=(source.training or NO_TRAINING) if source else None,
            hint="Direct outreach must require a training.",
        ),
        bk.multi_select_input(
            "languages", "Languages needed", [(lang.id, lang.name) for lang in cat.languages],
            initial=source.languages if source else None,
        ),
        bk.select_input(
            "safety_net", "Safety net", list(sh.SAFETY_NET.items()),
            initial=("on" if source.safety_net else "off") if source else "auto",
            hint="Check-ins, SOS and alerts if the team goes silent. Off for a classroom or a library.",
        ),
        bk.text_input(
            "notes", "Notes for the team", initial=source.notes if source else None, multiline=True,
            max_length=sh.MAX_NOTES, optional=True,
            hint="Never write anything about the people you may meet.",
        ),
    ]
    if later or not shift:  # how it repeats: a line and a Repeat… button (a pushed step), not more inputs
        parts.append(hs.repeat_section(kit, shift=shift if later else None, chosen=repeat))
    if shift:
        meta: dict = {"shift_id": shift.id, **({"later": True} if later else {})}
        title = f"Edit #{shift.id} and later" if later else f"Edit shift #{shift.id}"
    else:
        meta = {"channel": channel, **({"copy_of": copy_of.id} if copy_of else {})}
        title = f"Copy of shift #{copy_of.id}" if copy_of else "Plan a shift"
    if repeat:
        meta["repeat"] = repeat
    return bk.modal(
        title=title, blocks=parts, callback_id="shift_form",
        submit="Save" if shift else "Create", close="Cancel", metadata=meta,
    )


def draft_from_form(form: dict) -> ShiftDraft:
    """The shift draft typed into the modal."""

    def text(key: str) -> str | None:
        value = form.get(key)
        return value if isinstance(value, str) else None

    languages = form.get("languages")
    training = text("training")
    return ShiftDraft(
        kind=text("kind"), venue=text("venue"), area=text("area"),
        start_date=text("start_date"), start_time=text("start_time"),
        end_date=text("end_date"), end_time=text("end_time"),
        capacity=text("capacity"), min_team=text("min_team"),
        languages=[x for x in languages if isinstance(x, str)] if isinstance(languages, list) else [],
        lead=text("lead"), training=None if training in (None, NO_TRAINING) else training, notes=text("notes"),
        safety_net=text("safety_net"),
    )


def cancel_form(kit: Kit, shift: Shift) -> dict:
    """The short modal after Cancel shift's confirm: an optional reason, then the shift is cancelled
    and the modal shows its Details with what was done."""
    with kit.services.store.read() as db:
        confirmed, waiting = sh.team(db, shift.id)
    parts: list[Block] = [
        bk.section(kit.render("shifts/form_cancel.j2", shift=shift, people=len(confirmed) + len(waiting))),
        bk.text_input("reason", "Reason (optional)", max_length=sh.MAX_CANCEL_REASON, optional=True,
                      placeholder="Like: not enough people, or the weather",
                      hint="Everyone on the shift reads it. Nothing about the people you meet."),
    ]
    return bk.modal(title=f"Cancel shift #{shift.id}", blocks=parts, callback_id="shift_cancel_form",
                    submit="Cancel shift", close="Keep it", metadata={"shift_id": shift.id})


# ---------------------------------------------------------------- actions shared by commands and buttons


def screen_reason(kit: Kit, reason: str | None) -> list[privacy.Finding]:
    """What a cancel reason must not carry (personal details of anyone met), as the shift form screens notes."""
    year = kit.services.now().astimezone(kit.services.settings.zone).year
    return kit.services.privacy_screen()(reason or "", current_year=year)


def read_cancel_form(kit: Kit, ack: Ack, context: BoltContext) -> tuple[int | None, str] | None:
    """A cancel form's shift number and screened reason; None when it was answered with an inline error
    (not a coordinator, or a reason carrying personal details of anyone met)."""
    if context["role"] < Role.COORDINATOR:
        ack(response_action="errors", errors={"reason": kit.render("shifts/form_forbidden.j2")})
        return None
    meta, form = context.get("meta") or {}, context.get("form") or {}
    reason = form.get("reason") if isinstance(form.get("reason"), str) else ""
    if findings := screen_reason(kit, reason):
        ack(response_action="errors", errors={"reason": privacy.explain(findings)})
        return None
    return parse_number(str(meta.get("shift_id", ""))), reason or ""


def coordinators_shift(kit: Kit, body: dict, respond: Respond, client: WebClient, context: BoltContext,
                       number: int | None, what: str) -> tuple[int, Shift | None] | None:
    """The shift number a coordinator's button carries, and the shift (None when gone); None when there is
    nothing to do: no number, or the person is no coordinator (a forged or stale payload: told why)."""
    if context["role"] < Role.COORDINATOR:
        tell(body, respond, client, context["actor"],
             kit.render("common/not_allowed.j2", needed=Role.COORDINATOR.label, what=what))
        return None
    return None if number is None else (number, sh.load_shift(kit.services.store, number))


def refresh_post(kit: Kit, client: WebClient, shift_id: int) -> None:
    """Update the shift's channel post in place, when it has one."""
    shift = sh.load_shift(kit.services.store, shift_id)
    if not shift or not shift.channel or not shift.message_ts:
        return
    try:
        client.chat_update(
            channel=shift.channel, ts=shift.message_ts, text=summary(kit, shift), blocks=post_blocks(kit, shift)
        )
    except SlackApiError as exc:
        log.warning("could not update the post of shift %s: %s", shift_id, exc.response.get("error"))
        channel_refused(kit, shift.channel, str(exc.response.get("error")))


def post_shift(kit: Kit, client: WebClient, shift: Shift, *, channels: list[str | None],
               refused: dict[str, str] | None = None) -> str | None:
    """Post a new shift to the first channel that accepts it; remember where. A channel that refuses it
    for a channel error (the bot not in it, archived, gone) is recorded with the safety net's detector,
    so the admins are told once (outreach/reach.py); `refused` collects each refusing channel's error."""
    for channel in dict.fromkeys(c for c in channels if c):
        try:
            response = client.chat_postMessage(channel=channel, text=summary(kit, shift), blocks=post_blocks(kit, shift))
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            log.info("could not post shift %s in %s: %s", shift.id, channel, error)
            if refused is not None:
                refused[channel] = error
            channel_refused(kit, channel, error)
            continue
        sh.set_message(kit.services.store, shift.id, channel=response["channel"], ts=response["ts"])
        if not channel.startswith(("U", "D")):
            reach.reachable(kit.services.store, channel=channel, now=kit.services.now())
        return response["channel"]
    return None


def channel_refused(kit: Kit, channel: str, error: str) -> None:
    """A channel refused a post with a channel error: record it as the notifier does (the admins' one DM
    per episode is queued and sent)."""
    if error not in reach.CHANNEL_ERRORS or channel.startswith(("U", "D")):
        return
    settings = kit.services.settings
    if reach.unreachable(kit.services.store, channel=channel, error=error, now=kit.services.now(),
                         admins=settings.admins, coordinator_channel=settings.coordinator_channel):
        log.error("cannot post in channel %s (%s): the admins are told", channel, error)
        kit.notifier.flush(prefix=f"reach:{channel}:")


def signup_reply(kit: Kit, actor: str, shift_id: int) -> tuple[str, list[dict] | None]:
    """Sign the actor up and say what happened; when refused for a missing training, blocks that point to
    the next training shift that gives it, with its Sign up (None otherwise: the text says it all)."""
    result = sh.signup(kit.services.store, shift_id=shift_id, user=actor)
    if result.outcome in ("confirmed", "waitlisted"):
        refresh_post(kit, kit.notifier.client, shift_id)
    training = kit.services.catalog.name_of("trainings", result.shift.training) if result.shift else None
    words = {"outcome": result.outcome, "shift": result.shift, "number": shift_id, "position": result.position,
             "training": training, "coordinators": kit.services.coordinators()[:5]}
    if result.outcome != "missing_training" or result.shift is None:
        return kit.render("shifts/signup_result.j2", **words), None
    course = training_course(kit, actor, result.shift)
    buttons = course_button(course)
    text = kit.render("shifts/signup_result.j2", course=course, sign_up=bool(buttons), **words)
    if not buttons:
        return text, None
    return text, bk.message([bk.section(text), bk.actions(*buttons, block_id=f"course:{result.shift.id}")])


def withdraw_text(kit: Kit, actor: str, shift_id: int) -> str:
    """Take the actor off a shift and say what happened; the next in line is promoted and told."""
    result = sh.withdraw(kit.services.store, shift_id=shift_id, user=actor)
    if result.outcome in ("withdrawn", "left_waitlist"):
        refresh_post(kit, kit.notifier.client, shift_id)
        kit.notifier.flush()
    return kit.render("shifts/withdraw_result.j2", outcome=result.outcome, shift=result.shift, number=shift_id)


# ---------------------------------------------------------------- subcommands


@subcommand("new", role=Role.COORDINATOR)
def cmd_new(req: CommandRequest) -> None:
    """Open the shift form."""
    req.client.views_open(trigger_id=req.trigger_id,
                          view=shift_form(req.kit, channel=req.channel_id, planner=req.actor))


@subcommand("shifts")
def cmd_shifts(req: CommandRequest) -> None:
    """List the next 30 days of shifts."""
    text, blocks = list_message(req.kit, req.actor, page=0)
    req.reply(text, blocks)


@subcommand("mine")
def cmd_mine(req: CommandRequest) -> None:
    """List the reader's own shifts and waitlist places."""
    store, now = req.kit.services.store, req.kit.services.now()
    leading = sh.led_shifts(store, user=req.actor, now=now)
    mine = [m for m in sh.my_shifts(store, user=req.actor, now=now) if m.shift.lead != req.actor]
    req.say("shifts/mine.j2", mine=mine, leading=leading, **req.kit.read_ahead(leading))


@subcommand("signup", usage="N")
def cmd_signup(req: CommandRequest) -> None:
    """Sign up for shift N."""
    number = req.shift_number("/outreach signup N (the shift's number, as in /outreach shifts)")
    if number is not None:
        req.reply(*signup_reply(req.kit, req.actor, number))


@subcommand("withdraw", usage="N")
def cmd_withdraw(req: CommandRequest) -> None:
    """Withdraw from shift N."""
    number = req.shift_number("/outreach withdraw N (the shift's number, as in /outreach mine)")
    if number is not None:
        req.reply(withdraw_text(req.kit, req.actor, number))


@subcommand("edit", role=Role.COORDINATOR, usage="N")
def cmd_edit(req: CommandRequest) -> None:
    """Open the shift form prefilled."""
    number = req.shift_number("/outreach edit N")
    if number is None:
        return
    shift = sh.load_shift(req.kit.services.store, number)
    if shift is None or shift.cancelled:
        req.say("shifts/unavailable.j2", number=number, shift=shift)
        return
    req.client.views_open(trigger_id=req.trigger_id, view=shift_form(req.kit, shift=shift))


@subcommand("cancel", role=Role.COORDINATOR, usage="N [reason]")
def cmd_cancel(req: CommandRequest) -> None:
    """Cancel shift N and tell everyone on it."""
    number = req.shift_number("/outreach cancel N [reason]")
    if number is None:
        return
    reason = req.args.partition(" ")[2]
    if findings := screen_reason(req.kit, reason):
        req.reply(privacy.explain(findings))
        return
    change = sh.cancel_shift(req.kit.services.store, actor=req.actor, shift_id=number, reason=reason)
    if change is None:
        req.say("shifts/unavailable.j2", number=number, shift=sh.load_shift(req.kit.services.store, number))
        return
    if change.refused:
        req.reply(" ".join(change.refused.values()))
        return
    refresh_post(req.kit, req.client, number)
    req.kit.notifier.flush()
    req.say("shifts/cancel_done.j2", shift=change.shift, notified=len(change.notified))


# ---------------------------------------------------------------- notifications


def _dm_with_buttons(kit: Kit, text: str, shift: Shift, label: str, action_id: str) -> tuple[str, list[dict]]:
    what = "giveback" if action_id == "shift_giveback" else "withdraw"
    return text, bk.message([
        bk.section(text),
        bk.actions(bk.button(label, action_id, str(shift.id), confirm=confirm_dialog(kit, what, shift)),
                   bk.button("Details", "shift_details", str(shift.id))),
    ])


def _shift_for_notice(kit: Kit, context: dict) -> Shift | None:
    return sh.load_shift(kit.services.store, int(context["shift_id"]), user=context.get("user"))


@notice("shifts/promoted")
def notice_promoted(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A waitlisted person got a place."""
    shift = _shift_for_notice(kit, context)
    if not shift or shift.cancelled or shift.my_status != "confirmed" or shift.started(kit.services.now()):
        return None
    return _dm_with_buttons(kit, kit.render("shifts/promoted.j2", shift=shift), shift, "Give my place back", "shift_giveback")


@notice("shifts/passed_over")
def notice_passed_over(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A place opened, but the first in line lacks the shift's training on its date: say why, keep their place."""
    shift = _shift_for_notice(kit, context)
    training = str(context.get("training") or "")
    if not shift or shift.cancelled or shift.my_status != "waitlisted" or shift.started(kit.services.now()):
        return None
    with kit.services.store.read() as db:
        if shift.training != training or holds_training(db, user_id=context["user"], training=training,
                                                        on=shift.local_start().date()):
            return None  # renewed (or no longer required) since: nothing to explain
    text = kit.render("shifts/passed_over_text.j2", shift=shift)
    detail = kit.render("shifts/passed_over.j2", shift=shift, training=kit.services.catalog.name_of("trainings", training),
                        coordinators=kit.services.coordinators()[:5])
    return text, bk.message([
        bk.section(detail),
        bk.actions(withdraw_button(kit, shift, str(shift.id), waitlisted=True),
                   bk.button("Details", "shift_details", str(shift.id))),
    ])


@notice("shifts/changed")
def notice_changed(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A shift someone is on moved in time or place."""
    shift = _shift_for_notice(kit, context)
    if not shift or shift.cancelled or shift.my_status is None:
        return None
    text = kit.render(
        "shifts/changed.j2", shift=shift, old_start=from_iso(context["old_starts_at"]),
        old_area=context.get("old_area"), old_venue=context.get("old_venue"),
    )
    return _dm_with_buttons(kit, text, shift, "Withdraw", "shift_withdraw")


@notice("shifts/cancelled")
def notice_cancelled(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A shift someone was on is cancelled."""
    shift = _shift_for_notice(kit, context)
    if not shift:
        return None
    text = kit.render("shifts/cancelled.j2", shift=shift)
    return text, bk.message([bk.section(text)])


# ---------------------------------------------------------------- Bolt wiring


def _value(body: dict) -> tuple[int | None, int | None]:
    """The shift number (and list page) carried by a clicked button."""
    raw = str(((body.get("actions") or [{}])[0]).get("value") or "")
    first, _, page = raw.partition(":")
    return parse_number(first), parse_number(page)


def register(app: App, kit: Kit) -> None:
    """Wire the shift buttons and the shift form."""

    def answer_click(body: dict, respond: Respond, client: WebClient, actor: str, text: str, page: int | None,
                     blocks: list[dict] | None = None) -> None:
        container = body.get("container") or {}
        if container.get("type") == "view":
            from handlers.home import publish_home, refresh_modal

            if not refresh_modal(kit, client, body, actor, note=text):  # a tap on the App Home: the result by DM
                client.chat_postMessage(channel=actor, text=text, blocks=blocks)
            publish_home(kit, client, actor)
        elif page is not None:
            list_text, blocks = list_message(kit, actor, page=page, note=text)
            respond(text=list_text, blocks=blocks, replace_original=True, response_type="ephemeral")
        elif str(container.get("channel_id", "")).startswith("D") and body.get("actions", [{}])[0].get(
            "action_id"
        ) == "shift_giveback":
            respond(text=text, replace_original=True)
        else:
            respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    @kit.later(app.action("shift_signup"))
    @kit.later(app.action("shift_withdraw"))
    @kit.later(app.action("shift_giveback"))
    def on_signup_or_withdraw(body: dict, action: dict, context: BoltContext, respond: Respond,
                              client: WebClient) -> None:
        number, page = _value(body)
        if number is None:
            return
        if action.get("action_id") == "shift_signup":
            text, blocks = signup_reply(kit, context["actor"], number)
        else:
            text, blocks = withdraw_text(kit, context["actor"], number), None
        answer_click(body, respond, client, context["actor"], text, page, blocks)

    def modal_id(body: dict) -> str | None:
        """The id of the modal a button was tapped in (None on a message or the App Home)."""
        view = body.get("view") or {}
        return view.get("id") if view.get("type") == "modal" and isinstance(view.get("id"), str) else None

    @kit.later(app.action("shift_details"))
    def on_details(body: dict, context: BoltContext, respond: Respond, client: WebClient) -> None:
        number, _ = _value(body)
        shift = sh.load_shift(kit.services.store, number) if number else None
        if shift is None:
            respond(text=kit.render("shifts/unavailable.j2", number=number, shift=None), response_type="ephemeral",
                    replace_original=False)
            return
        view = details_view(kit, shift, role=context["role"], actor=context["actor"])
        if modal_id(body) is not None:  # tapped in a modal (Find a shift, This week): Details goes on top of it
            client.views_push(trigger_id=body["trigger_id"], view=view)
        else:
            client.views_open(trigger_id=body["trigger_id"], view=view)

    @kit.later(app.action("shift_edit"))
    def on_edit(body: dict, context: BoltContext, respond: Respond, client: WebClient) -> None:
        if (target := coordinators_shift(kit, body, respond, client, context, _value(body)[0], "Edit")) is None:
            return
        number, shift = target
        if shift and not shift.cancelled and body.get("view"):
            client.views_update(view_id=body["view"]["id"], view=shift_form(kit, shift=shift))

    @kit.later(app.action("shift_duplicate"))
    def on_duplicate(body: dict, context: BoltContext, respond: Respond, client: WebClient) -> None:
        if (target := coordinators_shift(kit, body, respond, client, context, _value(body)[0], "Duplicate")) is None:
            return
        number, shift = target
        if shift is None:
            return
        view = shift_form(kit, copy_of=shift, channel=shift.channel, planner=context["actor"])
        if (details := modal_id(body)) is not None:
            client.views_update(view_id=details, view=view)
        else:
            client.views_open(trigger_id=body["trigger_id"], view=view)

    @kit.later(app.action("shift_cancel"))
    def on_cancel(body: dict, context: BoltContext, respond: Respond, client: WebClient) -> None:
        if (target := coordinators_shift(kit, body, respond, client, context, _value(body)[0], "Cancel shift")) is None:
            return
        number, shift = target
        details = modal_id(body)
        if shift is None or shift.cancelled:
            text = kit.render("shifts/unavailable.j2", number=number, shift=shift)
            if details is not None and shift is not None:
                client.views_update(view_id=details, view=details_view(kit, shift, role=context["role"], note=text))
            elif details is None:
                respond(text=text, response_type="ephemeral", replace_original=False)
            return
        if details is not None:
            client.views_update(view_id=details, view=cancel_form(kit, shift))
        else:
            client.views_open(trigger_id=body["trigger_id"], view=cancel_form(kit, shift))

    @kit.later(app.action("shifts_page"))
    def on_page(body: dict, context: BoltContext, respond: Respond) -> None:
        page, _ = _value(body)
        text, blocks = list_message(kit, context["actor"], page=page or 0)
        respond(text=text, blocks=blocks, replace_original=True, response_type="ephemeral")

    @kit.form(app.view("shift_form"))
    def on_form(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
        actor, meta = context["actor"], context.get("meta") or {}
        if context["role"] < Role.COORDINATOR:
            ack(response_action="errors", errors={"kind": kit.render("shifts/form_forbidden.j2")})
            return
        existing = None
        shift_id = meta.get("shift_id")
        if shift_id is not None:
            number = parse_number(shift_id)
            existing = sh.load_shift(kit.services.store, number) if number is not None else None
            if existing is None or existing.cancelled:
                ack(response_action="errors", errors={"kind": kit.render("shifts/form_gone.j2")})
                return
        values, errors = sh.check_draft(
            draft_from_form(context.get("form") or {}), catalog=kit.services.catalog,
            zone=kit.services.settings.zone, now=kit.services.now(), existing=existing,
            screen=kit.services.privacy_screen(),
        )
        later = bool(meta.get("later")) and existing is not None
        repeat = None
        if existing is None or later:
            freq, end = hs.chosen_repeat(kit, meta, shift=existing if later else None)
            start = from_iso(values["starts_at"]).astimezone(kit.services.settings.zone) \
                if values.get("starts_at") else None
            repeat, problem = sr.check_repeat(freq, end, start=start)
            if problem and "start_date" not in errors:
                errors["start_date"] = problem
        if errors:
            ack(response_action="errors", errors=errors)
            return
        if later:
            edit_later(ack, client, actor, existing, values, repeat or sr.Repeat("weekly", count=1),
                       request_key=bk.submission_key(body))
            return
        if existing is None and repeat is not None:
            ack()  # the modal closes; the series is saved and its first shift posted after
            channel = meta.get("channel") if isinstance(meta.get("channel"), str) else None
            try:
                hs.create_from_form(kit, client, actor, values, repeat, channel, request_key=bk.submission_key(body))
            except Exception:
                tell_failure(client, actor, saved=False, number=None, editing=False)
                raise
            return
        if existing is None:
            ack()  # the modal closes; the shift is saved and posted after
            create(client, actor, values, meta, request_key=bk.submission_key(body))
        else:
            edit(ack, client, actor, existing, values, request_key=bk.submission_key(body))

    def tell_failure(client: WebClient, actor: str, *, saved: bool, number: int | None, editing: bool) -> None:
        """The form has closed: the coordinator hears by DM what did not happen and what to do.

        The error itself is raised on to the app's error handler, which logs it (a view has no response_url).
        """
        try:
            client.chat_postMessage(channel=actor, text=kit.render(
                "shifts/save_failed.j2", saved=saved, number=number, editing=editing, inline=False))
        except Exception:  # Slack itself is failing: the log has it
            log.warning("could not tell %s that shift form work failed", actor)

    def create(client: WebClient, actor: str, values: dict, meta: dict, *, request_key: str | None) -> None:
        """Save a new shift and post it (after the modal closed); a failure is told by DM."""
        try:
            shift = sh.create_shift(kit.services.store, actor=actor, values=values, request_key=request_key)
        except Exception:
            tell_failure(client, actor, saved=False, number=None, editing=False)
            raise  # the app's error handler logs it
        if shift is None:  # sent again after a slow answer: created the first time, and said so
            client.chat_postMessage(channel=actor, text=kit.render("shifts/already_saved.j2"))
            return
        try:
            channel = meta.get("channel") if isinstance(meta.get("channel"), str) else None
            refused: dict[str, str] = {}
            posted = post_shift(kit, client, shift, channels=[channel, kit.services.settings.coordinator_channel, actor],
                                refused=refused)
            kit.notifier.flush(prefix=f"lead:{shift.id}:")  # the lead named by someone else hears it
            if posted != channel:
                client.chat_postMessage(channel=actor, text=kit.render(
                    "shifts/created.j2", shift=shift, posted=posted, asked=channel, refused=refused,
                    coordinators=kit.services.settings.coordinator_channel))
        except Exception:
            tell_failure(client, actor, saved=True, number=shift.id, editing=False)
            raise

    def edit(ack: Ack, client: WebClient, actor: str, existing: Shift, values: dict, *,
             request_key: str | None) -> None:
        """Save an edit before answering (its capacity is checked again inside the write), then tell."""
        try:
            change = sh.update_shift(kit.services.store, actor=actor, shift_id=existing.id, values=values,
                                     request_key=request_key)
        except Exception:
            ack(response_action="errors", errors={"kind": kit.render("shifts/save_failed.j2", saved=False,
                                                                     number=existing.id, editing=True, inline=True)})
            raise
        if change is None:
            ack(response_action="errors", errors={"kind": kit.render("shifts/form_gone.j2")})
            return
        if change.refused:
            ack(response_action="errors", errors=change.refused)
            return
        ack()
        if change.repeat:  # sent again after a slow answer: saved the first time
            return
        try:
            refresh_post(kit, client, existing.id)
            kit.notifier.flush()
            client.chat_postMessage(
                channel=actor,
                text=kit.render("shifts/edited.j2", shift=change.shift, moved=change.moved,
                                notified=len(change.notified), promoted=change.promoted),
            )
        except Exception:
            tell_failure(client, actor, saved=True, number=existing.id, editing=True)
            raise

    def edit_later(ack: Ack, client: WebClient, actor: str, existing: Shift, values: dict, repeat: sr.Repeat, *,
                   request_key: str | None) -> None:
        """Save an edit of this and all later occurrences, then tell the coordinator."""
        change = sr.edit_later(kit.services.store, actor=actor, shift_id=existing.id, values=values,
                                  repeat=repeat, request_key=request_key)
        if change.outcome == "not_found":
            ack(response_action="errors", errors={"kind": kit.render("shifts/form_gone.j2")})
            return
        if change.refused:
            ack(response_action="errors", errors=change.refused)
            return
        ack()
        for number in change.shifts + change.cancelled:
            refresh_post(kit, client, number)
        kit.notifier.flush()
        client.chat_postMessage(channel=actor, text=kit.render(
            "series/edited.j2", shifts=change.shifts, cancelled=change.cancelled, notified=len(change.notified)))

    @kit.form(app.view("shift_cancel_form"))
    def on_cancel_form(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
        actor = context["actor"]
        if (read := read_cancel_form(kit, ack, context)) is None:
            return
        number, reason = read
        change = sh.cancel_shift(kit.services.store, actor=actor, shift_id=number, reason=reason,
                                 request_key=bk.submission_key(body)) \
            if number is not None else None
        if change is None:
            ack(response_action="errors", errors={"reason": kit.render("shifts/form_gone.j2")})
            return
        if change.refused:
            ack(response_action="errors", errors=change.refused)
            return
        done = kit.render("shifts/cancel_done.j2", shift=change.shift, notified=len(change.notified))
        ack(response_action="update", view=details_view(kit, change.shift, role=context["role"], note=done))
        refresh_post(kit, client, change.shift.id)
        kit.notifier.flush()
