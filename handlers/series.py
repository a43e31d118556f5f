"""Repeating shifts in Slack: the Repeats inputs of the shift form, Sign up for every week / Withdraw from all,
Edit and Cancel this and later, the timer that plans the next weeks, and the one-message notices."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers.commands import CommandRequest, parse_number, subcommand
from handlers.kit import Kit, tell
from handlers.notify import notice
from outreach import series as sr
from outreach import shifts as sh
from outreach.roles import Role
from outreach.shifts import Shift

log = logging.getLogger(__name__)

EVERY = {"weekly": "every week", "biweekly": "every 2 weeks", "monthly": "every month"}


# ---------------------------------------------------------------- form inputs and buttons


def repeat_inputs(freq: str | None, end: str | None) -> list[Block]:
    """The Repeat… step's two inputs: Repeats (a select) and an optional Until (or number of times)."""
    choices = [(sr.NO_REPEAT, "Does not repeat")] + list(sr.FREQUENCIES.items())
    return [
        bk.select_input("repeats", "Repeats", choices, initial=freq or sr.NO_REPEAT,
                        hint="Monthly keeps the weekday: the 3rd Friday stays the 3rd Friday."),
        bk.text_input("repeat_end", "Until (or number of times)", initial=end or None, max_length=20, optional=True,
                      placeholder="2027-06-30, or 10",
                      hint=f"Empty: it goes on until cancelled. The next {sr.HORIZON.days // 7} weeks are "
                           f"planned now, more as time goes on (at most {sr.MAX_TIMES} times)."),
    ]


def repeat_from_form(form: dict) -> tuple[str | None, str | None]:
    """The Repeats choice and the typed end, from the flattened Repeat… form."""
    freq, end = form.get("repeats"), form.get("repeat_end")
    return (freq if isinstance(freq, str) else None), (end if isinstance(end, str) else None)


def _as_text(repeat: sr.Repeat | None) -> tuple[str, str]:
    if repeat is None:
        return sr.NO_REPEAT, ""
    return repeat.freq, str(repeat.count) if repeat.count else (repeat.until.isoformat() if repeat.until else "")


def chosen_repeat(kit: Kit, meta: dict, *, shift: Shift | None) -> tuple[str, str]:
    """The repeat a shift form carries (chosen on its Repeat… step), else the series' own for an Edit this
    and later form of `shift`, else none."""
    chosen = meta.get("repeat")
    if isinstance(chosen, dict):
        return str(chosen.get("freq") or sr.NO_REPEAT), str(chosen.get("end") or "")
    return _as_text(later_form_repeat(kit, shift) if shift else None)


def repeat_section(kit: Kit, *, shift: Shift | None, chosen: dict | None) -> Block:
    """The shift form's line saying how it repeats, with its Repeat… button."""
    freq, end = chosen_repeat(kit, {"repeat": chosen} if chosen else {}, shift=shift)
    text = kit.render("series/form_line.j2", every=EVERY.get(freq), end=end)
    return bk.section(text, block_id="repeat", accessory=bk.button("Repeat…", "series_repeat", "repeat"))


def repeat_view(freq: str, end: str, *, parent: str, parent_meta: dict) -> dict:
    """The pushed Repeat… step of the shift form."""
    return bk.modal(title="Repeat", blocks=repeat_inputs(freq, end), callback_id="series_repeat", submit="Done",
                    close="Back", metadata={"parent": parent, "meta": parent_meta})


def signup_label(series: sr.Series) -> str:
    """"Sign up for every week" (or every 2 weeks, every month)."""
    return f"Sign up for {EVERY.get(series.freq, 'every one')}"


def leave_button(kit: Kit, shift: Shift, series: sr.Series) -> bk.ButtonElement:
    """Withdraw from all, behind a confirm dialog."""
    return bk.button("Withdraw from all", "series_withdraw", str(shift.id), confirm=bk.confirm(
        "Withdraw from all?", kit.render("series/leave_confirm.j2", every=EVERY.get(series.freq), shift=shift),
        yes="Withdraw from all", no="Stay on"))


def reader_buttons(kit: Kit, shift: Shift, membership: sr.Membership, *, shared: bool) -> list[bk.ButtonElement]:
    """Sign up for every week and/or Withdraw from all, as they apply to the reader (both on a shared post)."""
    if shift.cancelled:
        return []
    buttons = []
    if shared or not membership.member:
        buttons.append(bk.button(signup_label(membership.series), "series_signup", str(shift.id)))
    if shared or membership.member:
        buttons.append(leave_button(kit, shift, membership.series))
    return buttons


def details_parts(kit: Kit, shift: Shift, *, reader: str | None) -> list[Block]:
    """What Details adds for a shift of a series: how it repeats, and the reader's series buttons."""
    membership = sr.membership(kit.services.store, shift.id, user=reader)
    if membership is None:
        return []
    parts: list[Block] = [bk.context(kit.render("series/details_line.j2", series=membership.series,
                                                member=membership.member, every=EVERY.get(membership.series.freq)))]
    if buttons := reader_buttons(kit, shift, membership, shared=reader is None):
        parts.append(bk.actions(*buttons, block_id="series_actions"))
    return parts


def coordinator_buttons(kit: Kit, shift: Shift) -> list[bk.ButtonElement]:
    """Edit this and later, Cancel this and later (confirmed first) for a shift of a series."""
    if shift.cancelled or sr.membership(kit.services.store, shift.id) is None:
        return []
    return [
        bk.button("Edit this and later", "series_edit_later", str(shift.id)),
        bk.button("Cancel this and later", "series_cancel_later", str(shift.id), style="danger", confirm=bk.confirm(
            "Cancel this and later?", kit.render("series/cancel_confirm.j2", shift=shift),
            yes="Cancel them", no="Keep them")),
    ]


def in_series(kit: Kit, shift: Shift) -> bool:
    """True for a shift made by a series."""
    return sr.membership(kit.services.store, shift.id) is not None


def post_buttons(kit: Kit, shift: Shift) -> list[bk.ButtonElement]:
    """The series buttons on a shift's shared post (none for a shift that does not repeat)."""
    membership = sr.membership(kit.services.store, shift.id)
    return reader_buttons(kit, shift, membership, shared=True) if membership else []


def later_form_repeat(kit: Kit, shift: Shift) -> sr.Repeat | None:
    """The repeat an Edit this and later form starts from: the series' own, from this occurrence on."""
    membership = sr.membership(kit.services.store, shift.id)
    return sr.repeat_of(membership.series, after=shift.starts_at) if membership else None


def cancel_later_form(kit: Kit, shift: Shift) -> dict:
    """After Cancel this and later's confirm: an optional reason, then they are cancelled."""
    with kit.services.store.read() as db:
        ids = sr.this_and_later(db, shift.id)
    parts: list[Block] = [
        bk.section(kit.render("series/form_cancel.j2", shift=shift, count=len(ids))),
        bk.text_input("reason", "Reason (optional)", max_length=sh.MAX_CANCEL_REASON, optional=True,
                      placeholder="Like: the route ends for the season",
                      hint="Everyone on them reads it. Nothing about the people you meet."),
    ]
    return bk.modal(title="Cancel this and later", blocks=parts, callback_id="series_cancel_form",
                    submit="Cancel them", close="Keep them", metadata={"shift_id": shift.id})


# ---------------------------------------------------------------- actions shared by commands and buttons


def signup_all_text(kit: Kit, actor: str, shift_id: int) -> str:
    """Sign the actor up for every occurrence of a shift's series and say what happened."""
    from handlers.shifts import refresh_post

    result = sr.sign_up_all(kit.services.store, shift_id=shift_id, user=actor)
    for number in result.confirmed + result.waitlisted:
        refresh_post(kit, kit.notifier.client, number)
    kit.notifier.flush()
    training = None
    if result.series and result.series.template.get("training"):
        training = kit.services.catalog.name_of("trainings", result.series.template["training"])
    return kit.render("series/signup_result.j2", result=result, number=shift_id, training=training,
                      every=EVERY.get(result.series.freq) if result.series else None,
                      coordinators=kit.services.coordinators()[:5])


def leave_text(kit: Kit, actor: str, shift_id: int) -> str:
    """Take the actor off every future occurrence of a shift's series and say what happened."""
    from handlers.shifts import refresh_post

    result = sr.leave(kit.services.store, shift_id=shift_id, user=actor)
    for number in result.withdrawn:
        refresh_post(kit, kit.notifier.client, number)
    kit.notifier.flush()
    return kit.render("series/leave_result.j2", result=result, number=shift_id,
                      every=EVERY.get(result.series.freq) if result.series else None)


def create_from_form(kit: Kit, client: WebClient, actor: str, values: dict, repeat: sr.Repeat, channel: str | None,
                     *, request_key: str | None) -> None:
    """Save a new series (after the form closed), post its first shift and tell the planner what was planned."""
    from handlers.shifts import post_shift

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
        "series/created.j2", shifts=created.shifts, every=EVERY.get(repeat.freq), repeat=repeat, posted=posted,
        weeks=sr.HORIZON.days // 7, refused=refused, coordinators=kit.services.settings.coordinator_channel))
    kit.notifier.flush()


def top_up(kit: Kit, client: WebClient) -> None:
    """The timer's job: plan each series' shifts of the next weeks (once each) and post the new ones."""
    post_made(kit, client, sr.top_up(kit.services.store, now=kit.services.now()))


def post_made(kit: Kit, client: WebClient, made: dict[int, list[int]]) -> None:
    """Post the shifts a series made, each in the series' channel (else the coordinators')."""
    from handlers.shifts import post_shift

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
    buttons = [bk.button("Details", "shift_details", str(items[0]["shift"].id))]
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


def _number(body: dict) -> int | None:
    raw = str(((body.get("actions") or [{}])[0]).get("value") or "")
    return parse_number(raw.partition(":")[0])


def register(app: App, kit: Kit) -> None:
    """Wire the series buttons and the cancel form; plan the next weeks on every tick."""
    from handlers.shifts import coordinators_shift, details_view, read_cancel_form, refresh_post, shift_form

    kit.periodic.append(lambda: top_up(kit, kit.notifier.client))
    # At start-up: post what a stopped process made but never posted (the timer makes each shift only once).
    kit.startup.append(lambda: post_made(kit, kit.notifier.client,
                                         sr.unposted(kit.services.store, now=kit.services.now())))

    def answer(body: dict, respond: Respond, client: WebClient, actor: str, role: Role, text: str,
               number: int) -> None:
        container = body.get("container") or {}
        view = body.get("view") or {}
        if container.get("type") == "view":
            from handlers.home import publish_home, refresh_modal

            if view.get("callback_id") == "shift_details" and view.get("id"):
                shift = sh.load_shift(kit.services.store, number)
                if shift:
                    client.views_update(view_id=view["id"],
                                        view=details_view(kit, shift, role=role, note=text, actor=actor))
            elif not refresh_modal(kit, client, body, actor, note=text):
                client.chat_postMessage(channel=actor, text=text)
            publish_home(kit, client, actor)
        else:
            respond(text=text, response_type="ephemeral", replace_original=False)

    @kit.later(app.action("series_signup"))
    @kit.later(app.action("series_withdraw"))
    def on_signup_or_leave(body: dict, action: dict, context: BoltContext, respond: Respond,
                           client: WebClient) -> None:
        number = _number(body)
        if number is None:
            return
        act = signup_all_text if action.get("action_id") == "series_signup" else leave_text
        answer(body, respond, client, context["actor"], context["role"], act(kit, context["actor"], number), number)

    @kit.later(app.action("series_repeat"))
    def on_repeat(body: dict, context: BoltContext, respond: Respond, client: WebClient) -> None:
        view = body.get("view") or {}
        if context["role"] < Role.COORDINATOR:
            tell(body, respond, client, context["actor"],
                 kit.render("common/not_allowed.j2", needed=Role.COORDINATOR.label, what="Repeat…"))
            return
        if view.get("callback_id") != "shift_form" or not view.get("id"):
            return
        meta = context.get("meta") or {}
        number = parse_number(str(meta.get("shift_id", ""))) if meta.get("later") else None
        shift = sh.load_shift(kit.services.store, number) if number else None
        freq, end = chosen_repeat(kit, meta, shift=shift)
        client.views_push(trigger_id=body["trigger_id"], view=repeat_view(freq, end, parent=view["id"],
                                                                           parent_meta=meta))

    @kit.form(app.view("series_repeat"))
    def on_repeat_done(ack: Ack, context: BoltContext, client: WebClient) -> None:
        meta, form = context.get("meta") or {}, context.get("form") or {}
        if context["role"] < Role.COORDINATOR:
            ack(response_action="errors", errors={"repeats": kit.render("shifts/form_forbidden.j2")})
            return
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

    @kit.later(app.action("series_edit_later"))
    def on_edit_later(body: dict, context: BoltContext, respond: Respond, client: WebClient) -> None:
        if (target := coordinators_shift(kit, body, respond, client, context, _number(body), "Edit this and later")) is None:
            return
        number, shift = target
        if shift and not shift.cancelled and in_series(kit, shift) and body.get("view"):
            client.views_update(view_id=body["view"]["id"], view=shift_form(kit, shift=shift, later=True))

    @kit.later(app.action("series_cancel_later"))
    def on_cancel_later(body: dict, context: BoltContext, respond: Respond, client: WebClient) -> None:
        if (target := coordinators_shift(kit, body, respond, client, context, _number(body), "Cancel this and later")) is None:
            return
        number, shift = target
        view = body.get("view") or {}
        if shift is None or shift.cancelled or not in_series(kit, shift):
            text = kit.render("shifts/unavailable.j2", number=number, shift=shift)
            if view.get("id") and shift is not None:
                client.views_update(view_id=view["id"], view=details_view(kit, shift, role=context["role"], note=text))
            else:
                respond(text=text, response_type="ephemeral", replace_original=False)
            return
        if view.get("id"):
            client.views_update(view_id=view["id"], view=cancel_later_form(kit, shift))
        else:
            client.views_open(trigger_id=body["trigger_id"], view=cancel_later_form(kit, shift))

    @kit.form(app.view("series_cancel_form"))
    def on_cancel_form(ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
        actor = context["actor"]
        if (read := read_cancel_form(kit, ack, context)) is None:
            return
        number, reason = read
        change = sr.cancel_later(kit.services.store, actor=actor, shift_id=number, reason=reason,
                                 request_key=bk.submission_key(body)) \
            if number is not None else sr.LaterChange("not_found")
        if change.outcome != "done" or number is None:
            ack(response_action="errors", errors={"reason": kit.render("shifts/form_gone.j2")})
            return
        shift = sh.load_shift(kit.services.store, number)
        assert shift
        done = kit.render("series/cancel_done.j2", cancelled=change.cancelled, notified=len(change.notified))
        ack(response_action="update", view=details_view(kit, shift, role=context["role"], note=done, actor=actor))
        for cancelled in change.cancelled:
            refresh_post(kit, client, cancelled)
        kit.notifier.flush()
