"""Cover and watching in Slack: Find cover beside Withdraw, the offers by DM with Take this place, and
Tell me if a place opens on a shift one cannot join now (outreach/cover.py holds what they mean)."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers import ids, points, shift_views
from handlers import shifts as shift_posts
from handlers.click import Click
from handlers.commands import CommandRequest, subcommand
from handlers.kit import Kit
from handlers.notify import lock_screen, notice
from outreach import cover
from outreach import shifts as sh
from outreach.i18n import gettext as _
from outreach.shifts import Shift

WATCH_HOME_MAX = 5


# ---------------------------------------------------------------- buttons beside a shift


def _confirm(kit: Kit, what: str, shift: Shift) -> bk.ConfirmObject:
    def part(name: str) -> str:
        return kit.render("cover/confirm.j2", what=what, part=name, shift=shift)

    return bk.confirm(part("title"), part("text"), yes=part("yes"), danger=False)


def reader_buttons(kit: Kit, reader: str, shift: Shift, value: str) -> list[bk.ButtonElement]:
    """Find cover (or Stop looking for cover) on a shift the reader is on; Tell me if a place opens (or
    Stop watching) on a full one they are not on, trained or not (`/outreach watch N` also takes a shift
    with free places whose training they lack)."""
    store = kit.services.store
    if shift.cancelled or shift.started(kit.services.now()):
        return []
    if shift.my_status == "confirmed":
        if shift.id in cover.open_requests(store, reader, [shift.id]):
            return [bk.button(_("Stop looking for cover"), ids.COVER_STOP, value)]
        return [bk.button(_("Find cover"), ids.COVER_FIND, value, confirm=_confirm(kit, "find", shift))]
    if shift.my_status is not None or shift.lead == reader:
        return []
    if shift.id in cover.watched(store, reader, [shift.id]):
        return [bk.button(_("Stop watching"), ids.WATCH_STOP, value)]
    if not shift.places_left:
        return [bk.button(_("Tell me if a place opens"), ids.WATCH_START, value)]
    return []


# ---------------------------------------------------------------- words of each action


def ask_text(kit: Kit, actor: str, shift_id: int) -> str:
    """Ask for cover and say how many were asked (or why nobody was); offers go out with the outbox."""
    result = cover.ask_cover(kit.services.store, shift_id=shift_id, user=actor)
    if result.outcome == "asked":
        kit.notifier.flush()
    return kit.render("cover/ask_result.j2", r=result, number=shift_id)


def stop_text(kit: Kit, actor: str, shift_id: int) -> str:
    """Stop looking for cover; the offers say it is no longer needed."""
    outcome, shift = cover.stop_cover(kit.services.store, shift_id=shift_id, user=actor)
    if outcome == "stopped":
        kit.notifier.flush()
    return kit.render("cover/stop_result.j2", outcome=outcome, shift=shift, number=shift_id)


def watch_text(kit: Kit, actor: str, shift_id: int) -> str:
    """Start watching a shift and say what that means."""
    result = cover.watch(kit.services.store, shift_id=shift_id, user=actor)
    return kit.render("cover/watch_result.j2", r=result, number=shift_id)


def unwatch_text(kit: Kit, actor: str, shift_id: int) -> str:
    """Stop watching a shift."""
    stopped = cover.unwatch(kit.services.store, shift_id=shift_id, user=actor)
    return kit.render("cover/unwatch_result.j2", stopped=stopped, number=shift_id)


# ---------------------------------------------------------------- the offer DM


def offer_state(kit: Kit, offer: cover.Offer, shift: Shift) -> str:
    """Where an offer stands for its reader: open, yours, taken (by someone else), declined or over."""
    if offer.status == "taken":
        return "yours"
    if offer.status == "declined":
        return "declined"
    if offer.request_status == "covered":
        return "taken"
    if offer.status != "open" or offer.request_status != "open" or shift.cancelled \
            or shift.started(kit.services.now()):
        return "over"
    return "open"


def offer_message(kit: Kit, offer: cover.Offer, shift: Shift, *, note: str | None = None) -> tuple[str,
                  list[dict]]:
    """An offer as it stands: the place with Take this place and No thanks while open, else how it ended."""
    state = offer_state(kit, offer, shift)
    text = kit.render("cover/offer.j2", state=state, shift=shift, leaver=offer.leaver, note=note)
    value = str(offer.id)
    if state == "open":
        buttons = [bk.button(_("Take this place"), ids.COVER_TAKE, value, style="primary",
                             confirm=_confirm(kit, "take", shift)),
                   bk.button(_("No thanks"), ids.COVER_DECLINE, value)]
    else:
        buttons = []
    buttons.append(bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)))
    return text, bk.message([bk.section(text), bk.actions(*buttons, block_id=f"cover_offer:{offer.id}")])


@notice(cover.OFFER_TEMPLATE)
def notice_offer(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A place offered by DM; an update rewrites it as things are (taken, no longer needed)."""
    store = kit.services.store
    offer = cover.load_offer(store, int(context["offer_id"]))
    shift = sh.load_shift(store, int(context["shift_id"]), user=context.get("user"))
    if offer is None or shift is None:
        return None
    if not context.get("_mode") and offer_state(kit, offer, shift) != "open":
        return None  # closed before it was sent: nothing to offer, nothing to update later
    return offer_message(kit, offer, shift)


@notice(cover.COVERED_TEMPLATE)
def notice_covered(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """The leaver hears who took their place."""
    store = kit.services.store
    with store.read() as db:
        request = cover.request_state(db, int(context["request_id"]))
    shift = sh.load_shift(store, int(context["shift_id"]))
    if request is None or shift is None or request["status"] != "covered":
        return None
    text = kit.render("cover/covered.j2", shift=shift, taker=request["taken_by"])
    return text, bk.message([bk.section(text), bk.actions(bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)),
                                                           block_id=f"covered:{shift.id}")])


@notice(cover.DECLINED_TEMPLATE)
def notice_all_declined(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Everyone asked said no thanks: the leaver is still on the shift, and can ask again or withdraw."""
    store = kit.services.store
    shift = sh.load_shift(store, int(context["shift_id"]), user=context.get("user"))
    if shift is None or shift.cancelled or shift.my_status != "confirmed" or shift.started(kit.services.now()):
        return None
    text = kit.render("cover/all_declined.j2", shift=shift)
    buttons = [*reader_buttons(kit, str(context["user"]), shift, str(shift.id)),
               shift_views.withdraw_button(kit, shift, str(shift.id), waitlisted=False),
               bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id))]
    return text, bk.message([bk.section(text), bk.actions(*buttons, block_id=f"declined:{shift.id}")])


@notice(cover.PLACE_TEMPLATE)
def notice_place_open(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A watcher can join now: the shift with Sign up (Join waitlist if it filled again meanwhile)."""
    shift = sh.load_shift(kit.services.store, int(context["shift_id"]), user=context.get("user"))
    if shift is None or shift.cancelled or shift.my_status is not None or shift.started(kit.services.now()):
        return None
    text = kit.render("cover/place_open.j2", shift=shift)
    label = _("Sign up") if shift.places_left else _("Join waitlist")
    return text, bk.message([bk.section(text), bk.actions(
        bk.button(label, ids.SHIFT_SIGNUP, str(shift.id), style="primary"),
        bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)), block_id=f"place_open:{shift.id}")])


# ---------------------------------------------------------------- the App Home: shifts watched


def home_watching(kit: Kit, user: str) -> list[Block]:
    """The shifts the person watches, each with Stop watching (nothing when none)."""
    total, shifts = cover.watching(kit.services.store, user=user, now=kit.services.now(), limit=WATCH_HOME_MAX)
    if not shifts:
        return []
    parts: list[Block] = [bk.divider(), bk.section(kit.render("cover/home_watching.j2", part="heading", count=total))]
    for shift in shifts:
        parts.append(bk.section(kit.render("cover/home_watching.j2", part="shift", shift=shift),
                                block_id=f"watching:{shift.id}",
                                accessory=bk.button(_("Stop watching"), ids.WATCH_STOP, str(shift.id))))
    if total > len(shifts):
        parts.append(bk.context(kit.render("cover/home_watching.j2", part="more", count=total - len(shifts))))
    return parts


# ---------------------------------------------------------------- subcommands


@subcommand("cover", usage="N [stop]")
def cmd_cover(req: CommandRequest) -> None:
    """Offer your place on shift N to the people who can take it; `stop` when you can come after all."""
    number = req.shift_number(_("/outreach cover N (the shift's number, as in /outreach mine); add stop to stop looking"))
    if number is None:
        return
    stop = req.args.split(" ")[1:2] == ["stop"]
    req.reply((stop_text if stop else ask_text)(req.kit, req.actor, number))


@subcommand("watch", usage="N")
def cmd_watch(req: CommandRequest) -> None:
    """Be told by DM when you can join shift N (it is full, or you lack its training)."""
    number = req.shift_number(_("/outreach watch N (the shift's number, as in /outreach shifts)"))
    if number is not None:
        req.reply(watch_text(req.kit, req.actor, number))


@subcommand("unwatch", usage="N")
def cmd_unwatch(req: CommandRequest) -> None:
    """Stop watching shift N."""
    number = req.shift_number("/outreach unwatch N")
    if number is not None:
        req.reply(unwatch_text(req.kit, req.actor, number))


# ---------------------------------------------------------------- Bolt wiring


def _line(kit: Kit, shift_id: int, text: str) -> str:
    """A result's lock-screen line by DM: neutral words; what happened is in the blocks."""
    return lock_screen(kit, "cover/answer", {"shift_id": shift_id}, text, [])[0]


def answer(kit: Kit, click: Click, shift_id: int, text: str) -> None:
    """Show a result where the tap was: the modal again with it on top (Find a shift, My shifts, Details) or
    a DM, then the App Home; a list page again; else a message only the person sees."""
    shift = sh.load_shift(kit.services.store, shift_id)
    click.answer(text, redraw=shift_views.list_again(kit, click), line=_line(kit, shift_id, text),
                 details=(lambda note: shift_views.details_view(kit, shift, role=click.role, note=note,
                                                                actor=click.actor)) if shift else None)


def _sweep(kit: Kit) -> None:
    store = kit.services.store
    if cover.sweep(store):
        kit.notifier.flush(background=True)


# The buttons on a shift for cover and watching: action id -> what it does for the actor, in words.
SHIFT_ACTIONS = {"cover_find": ask_text, ids.COVER_STOP: stop_text, ids.WATCH_START: watch_text, ids.WATCH_STOP: unwatch_text}


def on_shift_action(kit: Kit, click: Click) -> None:
    if click.number is None:
        return
    answer(kit, click, click.number, SHIFT_ACTIONS[click.action_id](kit, click.actor, click.number))


def on_offer(kit: Kit, click: Click) -> None:
    store, actor, offer_id = kit.services.store, click.actor, click.number
    if offer_id is None:
        return
    if click.action_id == ids.COVER_TAKE:
        result = cover.take(store, offer_id=offer_id, user=actor)
        outcome, offer, shift = result.outcome, result.offer, result.shift
    else:
        outcome, offer = cover.decline(store, offer_id=offer_id, user=actor)
        shift = sh.load_shift(store, offer.shift_id, user=actor) if offer else None
    note = kit.render("cover/take_result.j2", outcome=outcome, shift=shift,
                      training=kit.services.catalog.name_of("trainings", shift.training) if shift else None)
    if offer is None or shift is None:
        click.tell(note)
        return
    text, blocks = offer_message(kit, offer, shift, note=note or None)
    if click.where == "message":
        click.answer(_line(kit, shift.id, text), blocks, replace=True)
    else:
        click.dm(text, line=_line(kit, shift.id, text))
    client = click.client
    if outcome == "taken":
        shift_posts.refresh_post(kit, client, shift.id)
        kit.notifier.flush()
        points.publish_home(kit, client, actor)
        points.publish_home(kit, client, offer.leaver)
    elif outcome == "declined":
        kit.notifier.flush()


def register(app: App, kit: Kit) -> None:
    """Wire Find cover, the offers' buttons and watching; keep requests and watches in step with signups."""
    points.add(points.SHIFT_BUTTONS, reader_buttons)
    points.add(points.HOME_SECTIONS, home_watching)

    kit.periodic.append(lambda: _sweep(kit))
    kit.wire(app, actions={
        ids.COVER_FIND: on_shift_action,
        ids.COVER_STOP: on_shift_action,
        ids.WATCH_START: on_shift_action,
        ids.WATCH_STOP: on_shift_action,
        ids.COVER_TAKE: on_offer,
        ids.COVER_DECLINE: on_offer,
    })
