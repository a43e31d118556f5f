"""Repeating shifts in Slack: the Repeats inputs of the shift form, Sign up for every week / Withdraw from all,
Edit and Cancel this and later, the timer that plans the next weeks, and the one-message notices."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from handlers import blocks as bk
from handlers import ids, points
from handlers.click import Click, coordinators
from handlers.commands import CommandRequest, parse_number, subcommand
from handlers.kit import Kit
from handlers.notify import notice
from handlers.series_views import (
    cancel_later_form,
    chosen_repeat,
    every,
    in_series,
    repeat_from_form,
    repeat_view,
)
from handlers.shift_views import details_view, shift_form
from handlers.shifts import (
    FORM_FORBIDDEN,
    cancel_from_form,
    post_shift,
    refresh_post,
)
from outreach import series as sr
from outreach import shifts as sh
from outreach.i18n import N_
from outreach.i18n import gettext as _

log = logging.getLogger(__name__)

def signup_all_text(kit: Kit, actor: str, shift_id: int) -> str:
    """Sign the actor up for every occurrence of a shift's series and say what happened."""
    result = sr.sign_up_all(kit.services.store, shift_id=shift_id, user=actor)
    for number in result.confirmed + result.waitlisted:
        refresh_post(kit, kit.notifier.client, number)
    kit.notifier.flush()
    training = None
    if result.series and result.series.template.get("training"):
        training = kit.services.catalog.name_of("trainings", result.series.template["training"])
    return kit.render("series/signup_result.j2", result=result, number=shift_id, training=training,
                      every=every(result.series.freq) if result.series else None,
                      coordinators=kit.services.coordinators()[:5])


def leave_text(kit: Kit, actor: str, shift_id: int) -> str:
    """Take the actor off every future occurrence of a shift's series and say what happened."""
    result = sr.leave(kit.services.store, shift_id=shift_id, user=actor)
    for number in result.withdrawn:
        refresh_post(kit, kit.notifier.client, number)
    kit.notifier.flush()
    return kit.render("series/leave_result.j2", result=result, number=shift_id,
                      every=every(result.series.freq) if result.series else None)


def create_from_form(kit: Kit, client: WebClient, actor: str, values: dict, repeat: sr.Repeat,
                     channel: str | None,
                     *, request_key: str | None) -> None:
    """Save a new series (after the form closed), post its first shift and tell the planner what was planned."""
    created = sr.create_series(kit.services.store, actor=actor, values=values, repeat=repeat,
                               channel=channel or kit.services.settings.coordinator_channel, request_key=request_key)
    if created is None:  # sent again after a slow answer: created the first time, and said so
        client.chat_postMessage(channel=actor, text=kit.render("shifts/already_saved.j2"))
        return
    first = created.shifts[0]
    refused: dict[str, str] = {}
    posted = post_shift(kit, client, first, channels=[channel, kit.services.settings.coordinator_channel, actor],
                        refused=refused)
    client.chat_postMessage(channel=actor, text=kit.render(
        "series/created.j2", shifts=created.shifts, every=every(repeat.freq), repeat=repeat, posted=posted,
        weeks=sr.HORIZON.days // 7, refused=refused, coordinators=kit.services.settings.coordinator_channel))
    kit.notifier.flush()


def top_up(kit: Kit, client: WebClient) -> None:
    """The timer's job: plan each series' shifts of the next weeks (once each) and post the new ones."""
    post_made(kit, client, sr.top_up(kit.services.store, now=kit.services.now()))


def post_made(kit: Kit, client: WebClient, made: dict[int, list[int]]) -> None:
    """Post the shifts a series made, each in the series' channel (else the coordinators')."""
    for series_id, numbers in made.items():
        with kit.services.store.read() as db:
            series = sr.get_series(db, series_id)
        for number in numbers:
            shift = sh.load_shift(kit.services.store, number)
            if shift and series:
                post_shift(kit, client, shift, channels=[series.channel, kit.services.settings.coordinator_channel])
    if made:
        kit.notifier.flush(background=True)


# ---------------------------------------------------------------- subcommand


@subcommand("series", usage="N [withdraw]")
def cmd_series(req: CommandRequest) -> None:
    """Sign up for every occurrence of shift N's series, or withdraw from all of them."""
    number = req.shift_number("/outreach series N [withdraw]")
    if number is None:
        return
    leaving = req.args.split()[1:2] == ["withdraw"]
    req.reply((leave_text if leaving else signup_all_text)(req.kit, req.actor, number))


# ---------------------------------------------------------------- notices


def _items(kit: Kit, context: dict, user: str) -> list[dict]:
    out = []
    for number, start, old_start, cancelled in sr.occurrence_starts(context.get("items") or []):
        shift = sh.load_shift(kit.services.store, number, user=user)
        if shift is not None:
            out.append({"shift": shift, "start": start, "old_start": old_start, "cancelled": cancelled})
    return out


@notice("series/changed")
def notice_changed(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Several shifts of a series someone is on moved (this and later): one message listing them."""
    items = [i for i in _items(kit, context, context["user"]) if i["cancelled"] or i["shift"].my_status]
    if not items:
        return None
    text = kit.render("series/changed.j2", items=items)
    buttons = [bk.button(_("Details"), ids.SHIFT_DETAILS, str(items[0]["shift"].id))]
    return text, bk.message([bk.section(text), bk.actions(*buttons)])


@notice("series/cancelled")
def notice_cancelled(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Several shifts of a series someone was on were cancelled (this and later): one message listing them."""
    items = _items(kit, context, context["user"])
    if not items:
        return None
    reason = context.get("reason") or items[0]["shift"].cancel_reason or ""  # rows from before kept it in context
    text = kit.render("series/cancelled.j2", items=items, reason=reason)
    return text, bk.message([bk.section(text)])


# ---------------------------------------------------------------- Bolt wiring


def on_signup_or_leave(kit: Kit, click: Click) -> None:
    number = click.number
    if number is None:
        return
    act = signup_all_text if click.action_id == ids.SERIES_SIGNUP else leave_text
    text = act(kit, click.actor, number)
    shift = sh.load_shift(kit.services.store, number)
    click.answer(text, details=(lambda note: details_view(kit, shift, role=click.role, note=note, actor=click.actor))
                 if shift else None)


def on_repeat(kit: Kit, click: Click) -> None:
    if click.callback_id != ids.SHIFT_FORM or not click.view_id:
        return
    meta = click.meta
    number = parse_number(str(meta.get("shift_id", ""))) if meta.get("later") else None
    shift = sh.load_shift(kit.services.store, number) if number else None
    freq, end = chosen_repeat(kit, meta, shift=shift)
    click.push(repeat_view(freq, end, parent=click.view_id, parent_meta=meta))


def on_repeat_done(kit: Kit, ack: Ack, context: BoltContext, client: WebClient) -> None:
    meta, form = context.get("meta") or {}, context.get("form") or {}
    freq, end = repeat_from_form(form)
    _, problem = sr.check_repeat(freq, end, start=None)
    if problem:
        ack(response_action="errors",
            errors={"repeat_end" if freq and freq != sr.NO_REPEAT else "repeats": problem})
        return
    ack()  # back to the shift form, which now says how it repeats
    parent, parent_meta = str(meta.get("parent") or ""), meta.get("meta") or {}
    chosen = {"freq": freq or sr.NO_REPEAT, "end": " ".join((end or "").split())}
    number = parse_number(str(parent_meta.get("shift_id") or parent_meta.get("copy_of") or ""))
    source = sh.load_shift(kit.services.store, number) if number else None
    channel = parent_meta.get("channel") if isinstance(parent_meta.get("channel"), str) else None
    if parent_meta.get("later") and source:
        view = shift_form(kit, shift=source, later=True, repeat=chosen)
    elif parent_meta.get("copy_of") and source:
        view = shift_form(kit, copy_of=source, channel=channel, planner=context["actor"], repeat=chosen)
    else:
        view = shift_form(kit, channel=channel, planner=context["actor"], repeat=chosen)
    if parent:
        client.views_update(view_id=parent, view=view)


def on_edit_later(kit: Kit, click: Click) -> None:
    shift = sh.load_shift(kit.services.store, click.number) if click.number is not None else None
    if shift and not shift.cancelled and in_series(kit, shift):
        click.update(shift_form(kit, shift=shift, later=True))


def on_cancel_later(kit: Kit, click: Click) -> None:
    if click.number is None:
        return
    shift = sh.load_shift(kit.services.store, click.number)
    if shift is None or shift.cancelled or not in_series(kit, shift):
        text = kit.render("shifts/unavailable.j2", number=click.number, shift=shift)
        if click.view_id and shift is not None:
            click.update(details_view(kit, shift, role=click.role, note=text))
        else:
            click.tell(text)
        return
    click.show(cancel_later_form(kit, shift), in_place=True)


def on_cancel_form(kit: Kit, ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    actor = context["actor"]
    if (read := cancel_from_form(kit, ack, body, context, sr.cancel_later)) is None:
        return
    number, change = read
    if change.outcome != "done":
        ack(response_action="errors", errors={"reason": kit.render("shifts/form_gone.j2")})
        return
    shift = sh.load_shift(kit.services.store, number)
    assert shift
    done = kit.render("series/cancel_done.j2", cancelled=change.cancelled, notified=len(change.notified))
    ack(response_action="update", view=details_view(kit, shift, role=context["role"], note=done, actor=actor))
    for cancelled in change.cancelled:
        refresh_post(kit, client, cancelled)
    kit.notifier.flush()


def register(app: App, kit: Kit) -> None:
    """Wire the series buttons and the cancel form; plan the next weeks on every tick."""
    points.add(points.NEW_SERIES, create_from_form)
    kit.periodic.append(lambda: top_up(kit, kit.notifier.client))
    # At start-up: post what a stopped process made but never posted (the timer makes each shift only once).
    kit.startup.append(lambda: post_made(kit, kit.notifier.client,
                                         sr.unposted(kit.services.store, now=kit.services.now())))

    kit.wire(app, actions={
        ids.SERIES_SIGNUP: on_signup_or_leave,
        ids.SERIES_WITHDRAW: on_signup_or_leave,
        ids.SERIES_REPEAT: coordinators(on_repeat, N_("Repeat…")),
        ids.SERIES_EDIT_LATER: coordinators(on_edit_later, N_("Edit this and later")),
        ids.SERIES_CANCEL_LATER: coordinators(on_cancel_later, N_("Cancel this and later")),
    }, forms={
        ids.SERIES_REPEAT: coordinators(on_repeat_done, N_("Repeat…"), refusal=FORM_FORBIDDEN, field="repeats"),
        ids.SERIES_CANCEL_FORM: coordinators(on_cancel_form, N_("Cancel this and later"), refusal=FORM_FORBIDDEN,
                                             field="reason"),
    })
