"""Shifts in Slack: the shift form, lists, posts, signup buttons and their notifications."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import blocks as bk
from handlers import ids, points
from handlers import series_views as hs
from handlers.click import Click, coordinators
from handlers.commands import CommandRequest, subcommand
from handlers.kit import Kit, for_everyone
from handlers.notify import notice
from handlers.shift_views import (
    cancel_form,
    confirm_dialog,
    course_button,
    details_view,
    draft_from_form,
    list_again,
    list_message,
    post_blocks,
    shift_form,
    summary,
    training_course,
    withdraw_button,
)
from outreach import privacy, reach
from outreach import series as sr
from outreach import shifts as sh
from outreach.digits import parse_number
from outreach.i18n import N_
from outreach.i18n import gettext as _
from outreach.roles import Role
from outreach.shifts import Shift
from outreach.store import from_iso
from outreach.trainings import holds_training

log = logging.getLogger(__name__)
T = TypeVar("T")


# ---------------------------------------------------------------- actions shared by commands and buttons


def screen_reason(kit: Kit, reason: str | None) -> list[privacy.Finding]:
    """What a cancel reason must not carry (personal details of anyone met), as the shift form screens notes."""
    year = kit.services.now().astimezone(kit.services.settings.zone).year
    return kit.services.privacy_screen()(reason or "", current_year=year)


def cancel_from_form(kit: Kit, ack: Ack, body: dict, context: BoltContext,
                     cancel: Callable[..., T]) -> tuple[int, T] | None:
    """A cancel form's shift number and what `cancel` did with it and the form's screened reason; None when
    the form was answered with an inline error (a reason carrying personal details of anyone met, or no shift)."""
    meta, form = context.get("meta") or {}, context.get("form") or {}
    reason = form.get("reason") if isinstance(form.get("reason"), str) else ""
    if findings := screen_reason(kit, reason):
        ack(response_action="errors", errors={"reason": privacy.explain(findings)})
        return None
    number = parse_number(str(meta.get("shift_id", "")))
    if number is None:
        ack(response_action="errors", errors={"reason": kit.render("shifts/form_gone.j2")})
        return None
    return number, cancel(kit.services.store, actor=context["actor"], shift_id=number, reason=reason or "",
                          request_key=bk.submission_key(body))


# A shift form or cancel form sent by someone who is no coordinator: what they are told (handlers/click.py).
FORM_FORBIDDEN = ("shifts/form_forbidden.j2", {})


@for_everyone
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


@for_everyone
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
    number = req.shift_number(_("/outreach signup N (the shift's number, as in /outreach shifts)"))
    if number is not None:
        req.reply(*signup_reply(req.kit, req.actor, number))


@subcommand("withdraw", usage="N")
def cmd_withdraw(req: CommandRequest) -> None:
    """Withdraw from shift N."""
    number = req.shift_number(_("/outreach withdraw N (the shift's number, as in /outreach mine)"))
    if number is not None:
        req.reply(withdraw_text(req.kit, req.actor, number))


@subcommand("edit", role=Role.COORDINATOR, usage="N")
def cmd_edit(req: CommandRequest) -> None:
    """Open the shift form prefilled."""
    if (shift := req.live_shift("/outreach edit N")) is None:
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
    what = "giveback" if action_id == ids.SHIFT_GIVEBACK else "withdraw"
    return text, bk.message([
        bk.section(text),
        bk.actions(bk.button(label, action_id, str(shift.id), confirm=confirm_dialog(kit, what, shift)),
                   bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id))),
    ])


def _shift_for_notice(kit: Kit, context: dict) -> Shift | None:
    return sh.load_shift(kit.services.store, int(context["shift_id"]), user=context.get("user"))


@notice("shifts/promoted")
def notice_promoted(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A waitlisted person got a place."""
    shift = _shift_for_notice(kit, context)
    if not shift or shift.cancelled or shift.my_status != "confirmed" or shift.started(kit.services.now()):
        return None
    return _dm_with_buttons(kit, kit.render("shifts/promoted.j2", shift=shift), shift, _("Give my place back"),
                            ids.SHIFT_GIVEBACK)


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
                   bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id))),
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
    return _dm_with_buttons(kit, text, shift, _("Withdraw"), ids.SHIFT_WITHDRAW)


@notice("shifts/cancelled")
def notice_cancelled(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A shift someone was on is cancelled."""
    shift = _shift_for_notice(kit, context)
    if not shift:
        return None
    text = kit.render("shifts/cancelled.j2", shift=shift)
    return text, bk.message([bk.section(text)])


# ---------------------------------------------------------------- Bolt wiring


def _tell_failure(kit: Kit, client: WebClient, actor: str, *, saved: bool, number: int | None,
                  editing: bool) -> None:
    """The form has closed: the coordinator hears by DM what did not happen and what to do.

    The error itself is raised on to the app's error handler, which logs it (a view has no response_url).
    """
    try:
        client.chat_postMessage(channel=actor, text=kit.render(
            "shifts/save_failed.j2", saved=saved, number=number, editing=editing, inline=False))
    except Exception:  # Slack itself is failing: the log has it
        log.warning("could not tell %s that shift form work failed", actor)


def _create(kit: Kit, client: WebClient, actor: str, values: dict, meta: dict, *,
            request_key: str | None) -> None:
    """Save a new shift and post it (after the modal closed); a failure is told by DM."""
    try:
        shift = sh.create_shift(kit.services.store, actor=actor, values=values, request_key=request_key)
    except Exception:
        _tell_failure(kit, client, actor, saved=False, number=None, editing=False)
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
        _tell_failure(kit, client, actor, saved=True, number=shift.id, editing=False)
        raise


def _refused(kit: Kit, ack: Ack, change: sh.Change | None, field: str) -> bool:
    """A change that did not happen, answered in its form: the shift gone (under `field`), or refused with
    reasons by input; False when it happened."""
    if change is None:
        ack(response_action="errors", errors={field: kit.render("shifts/form_gone.j2")})
        return True
    if change.refused:
        ack(response_action="errors", errors=change.refused)
        return True
    return False


def _edit(kit: Kit, ack: Ack, client: WebClient, actor: str, existing: Shift, values: dict, *,
          request_key: str | None) -> None:
    """Save an edit before answering (its capacity is checked again inside the write), then tell."""
    try:
        change = sh.update_shift(kit.services.store, actor=actor, shift_id=existing.id, values=values,
                                 request_key=request_key)
    except Exception:
        ack(response_action="errors", errors={"kind": kit.render("shifts/save_failed.j2", saved=False,
                                                                 number=existing.id, editing=True, inline=True)})
        raise
    if _refused(kit, ack, change, "kind"):
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
        _tell_failure(kit, client, actor, saved=True, number=existing.id, editing=True)
        raise


def _edit_later(kit: Kit, ack: Ack, client: WebClient, actor: str, existing: Shift, values: dict,
                repeat: sr.Repeat, *, request_key: str | None) -> None:
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


def on_signup_or_withdraw(kit: Kit, click: Click) -> None:
    number = click.number
    if number is None:
        return
    if click.action_id == ids.SHIFT_SIGNUP:
        text, blocks = signup_reply(kit, click.actor, number)
    else:
        text, blocks = withdraw_text(kit, click.actor, number), None
    click.answer(text, blocks, redraw=list_again(kit, click),
                 replace=click.in_dm and click.action_id == ids.SHIFT_GIVEBACK)


def on_details(kit: Kit, click: Click) -> None:
    shift = sh.load_shift(kit.services.store, click.number) if click.number else None
    if shift is None:
        click.tell(kit.render("shifts/unavailable.j2", number=click.number, shift=None))
        return
    click.show(details_view(kit, shift, role=click.role, actor=click.actor))  # over Find a shift, This week


def _shift(kit: Kit, click: Click) -> Shift | None:
    return sh.load_shift(kit.services.store, click.number) if click.number is not None else None


def _unavailable(kit: Kit, click: Click, shift: Shift | None) -> None:
    """A coordinator's button on a shift that is gone or cancelled: said in its Details, else to the person."""
    text = kit.render("shifts/unavailable.j2", number=click.number, shift=shift)
    if click.where == "modal" and click.view_id and shift is not None:
        click.update(details_view(kit, shift, role=click.role, note=text))
    else:
        click.tell(text)


def on_edit(kit: Kit, click: Click) -> None:
    if click.number is None:
        return
    if (shift := _shift(kit, click)) is None or shift.cancelled:
        _unavailable(kit, click, shift)
        return
    click.update(shift_form(kit, shift=shift))


def on_duplicate(kit: Kit, click: Click) -> None:
    if click.number is None:
        return
    if (shift := _shift(kit, click)) is None:
        _unavailable(kit, click, shift)
        return
    click.show(shift_form(kit, copy_of=shift, channel=shift.channel, planner=click.actor), in_place=True)


def on_cancel(kit: Kit, click: Click) -> None:
    if click.number is None:
        return
    shift = _shift(kit, click)
    if shift is None or shift.cancelled:
        _unavailable(kit, click, shift)
        return
    click.show(cancel_form(kit, shift), in_place=True)


def on_page(kit: Kit, click: Click) -> None:
    click.answer("", redraw=lambda note: list_message(kit, click.actor, page=click.number or 0))


def on_form(kit: Kit, ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    actor, meta = context["actor"], context.get("meta") or {}
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
        _edit_later(kit, ack, client, actor, existing, values, repeat or sr.Repeat("weekly", count=1),
                   request_key=bk.submission_key(body))
        return
    if existing is None and repeat is not None:
        ack()  # the modal closes; the series is saved and its first shift posted after
        channel = meta.get("channel") if isinstance(meta.get("channel"), str) else None
        try:
            for save in points.NEW_SERIES:
                save(kit, client, actor, values, repeat, channel, request_key=bk.submission_key(body))
        except Exception:
            _tell_failure(kit, client, actor, saved=False, number=None, editing=False)
            raise
        return
    if existing is None:
        ack()  # the modal closes; the shift is saved and posted after
        _create(kit, client, actor, values, meta, request_key=bk.submission_key(body))
    else:
        _edit(kit, ack, client, actor, existing, values, request_key=bk.submission_key(body))


def on_cancel_form(kit: Kit, ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    if (read := cancel_from_form(kit, ack, body, context, sh.cancel_shift)) is None:
        return
    change = read[1]
    if _refused(kit, ack, change, "reason"):
        return
    done = kit.render("shifts/cancel_done.j2", shift=change.shift, notified=len(change.notified))
    ack(response_action="update", view=details_view(kit, change.shift, role=context["role"], note=done))
    refresh_post(kit, client, change.shift.id)
    kit.notifier.flush()


def register(app: App, kit: Kit) -> None:
    """Wire the shift buttons and the shift form."""

    kit.wire(app, actions={
        ids.SHIFT_SIGNUP: on_signup_or_withdraw,
        ids.SHIFT_WITHDRAW: on_signup_or_withdraw,
        ids.SHIFT_GIVEBACK: on_signup_or_withdraw,
        ids.SHIFT_DETAILS: on_details,
        ids.SHIFT_EDIT: coordinators(on_edit, N_("Edit")),
        ids.SHIFT_DUPLICATE: coordinators(on_duplicate, N_("Duplicate")),
        ids.SHIFT_CANCEL: coordinators(on_cancel, N_("Cancel shift")),
        ids.SHIFTS_PAGE: on_page,
    }, forms={
        ids.SHIFT_FORM: coordinators(on_form, N_("Plan a shift"), refusal=FORM_FORBIDDEN, field="kind"),
        ids.SHIFT_CANCEL_FORM: coordinators(on_cancel_form, N_("Cancel shift"), refusal=FORM_FORBIDDEN, field="reason"),
    })
