"""SOS in Slack: the red button (App Home, check-in DM), `/outreach sos`, "I'm on it", and its messages."""

from __future__ import annotations

from datetime import datetime, timedelta

from markupsafe import Markup
from slack_bolt import App
from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers import ids, points
from handlers.click import Click, coordinators
from handlers.commands import CommandRequest, parse_number, subcommand
from handlers.kit import Kit
from handlers.notify import notice, sent
from outreach import outbox, phones, reach, response, safety, sos
from outreach import shifts as sh
from outreach.digits import parse_number as parse_whole
from outreach.durations import format_duration
from outreach.i18n import N_, ngettext
from outreach.i18n import gettext as _
from outreach.roles import Role
from outreach.shifts import Shift
from outreach.store import from_iso


def spoken_every(value: timedelta) -> str:
    """A repeat interval as a person says it after "every", in the language in force: `minute`, `15 minutes`,
    `2 hours` (cada minuto, cada 15 minutos)."""
    seconds = int(value.total_seconds())
    if seconds and seconds % 3600 == 0:
        count = seconds // 3600
        return ngettext("hour", "%(count)s hours", count) % {"count": count}
    if seconds and seconds % 60 == 0:
        count = seconds // 60
        return ngettext("minute", "%(count)s minutes", count) % {"count": count}
    return format_duration(value)

# The one place the bot broadcasts: built here, never from anything a person typed.
BROADCAST = Markup("<!channel>")
HOME_MAX = 3  # shifts under way at once, each with its SOS button, at the top of the App Home
# The messages that reach a coordinator: the channel post (or its copy by DM) and a coordinator's DM.
REACHES = ("sos/alert", "sos/coordinator")
# When nothing reached a coordinator this long after the press, the presser's DM says to call now.
UNHEARD_AFTER = timedelta(seconds=60)


def sos_button(kit: Kit, shift: Shift) -> bk.ButtonElement:
    """The red SOS button of a shift, behind a confirm dialog."""
    return bk.button(_("SOS: I need help now"), ids.SOS_PRESS, str(shift.id), style="danger",
                     confirm=bk.confirm(_("Send an SOS?"), kit.render("sos/confirm.j2", shift=shift),
                                        yes=_("Send SOS"), no=_("Go back")))


def _words(kit: Kit, shift: Shift, item: sos.Sos) -> dict:
    """What an SOS's messages show: the shift, the team, who pressed and when, the contact, its state."""
    with kit.services.store.read() as db:
        members = sh.team(db, shift.id)[0]
        pressed = sos.pressers(db, item.id)
    return {"shift": shift, "sos": item, "members": members, "contact": kit.contact(shift.id),
            "pressers": [p for p in pressed if p != item.pressed_by],
            "every": spoken_every(kit.services.settings.sos_repeat)}


def _load(kit: Kit, context: dict) -> tuple[Shift, sos.Sos] | None:
    item = sos.load_sos(kit.services.store, int(context["sos_id"]))
    shift = sh.load_shift(kit.services.store, item.shift_id) if item else None
    return (shift, item) if shift and item else None


def _buttons(shift: Shift, item: sos.Sos, *, block_id: str) -> bk.ActionsBlock:
    return bk.actions(bk.button(_("I'm on it"), ids.SOS_ACK, str(item.id), style="danger"),
                      bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)), block_id=block_id)


@notice("sos/alert")
def notice_alert(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """The SOS post in the coordinators' channel, as things stand (posted with @channel, then rewritten)."""
    found = _load(kit, context)
    if not found:
        return None
    shift, item = found
    words = _words(kit, shift, item)
    broadcast = BROADCAST if item.acked_at is None else Markup("")
    text = kit.render("sos/alert.j2", part="headline", dm=False, broadcast=broadcast, **words)
    parts: list[Block] = [bk.section(kit.render("sos/alert.j2", part="body", dm=False, broadcast=broadcast, **words))]
    if item.acked_at is None:
        parts.append(_buttons(shift, item, block_id=f"sos:{item.id}"))
    else:
        parts.append(bk.actions(bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)), block_id=f"sos:{item.id}"))
    return text, bk.message(parts)


@notice("sos/coordinator")
def notice_coordinator(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A coordinator's DM about an SOS: I'm on it; once taken on, a line saying who is on it."""
    found = _load(kit, context)
    if not found:
        return None
    shift, item = found
    words = _words(kit, shift, item)
    text = kit.render("sos/alert.j2", part="body", dm=True, broadcast=Markup(""), **words)
    parts: list[Block] = [bk.section(text)]
    if item.acked_at is None:
        parts.append(_buttons(shift, item, block_id=f"sos_dm:{item.id}"))
    else:
        parts.append(bk.context(kit.render("sos/alert.j2", part="on_it", dm=True, broadcast=Markup(""), **words)))
    return text, bk.message(parts)


@notice("sos/repeat")
def notice_repeat(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A repeat in the SOS post's thread; skipped once a coordinator is on it."""
    found = _load(kit, context)
    if not found or found[1].acked_at is not None:
        return None
    shift, item = found
    text = kit.render("sos/repeat.j2", shift=shift, sos=item, round=int(context.get("round", 1)))
    return text, bk.message([bk.section(text)])


@notice("sos/again")
def notice_again(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Someone pressed SOS again while it was open: a line in its thread."""
    found = _load(kit, context)
    if not found:
        return None
    shift, item = found
    text = kit.render("sos/again.j2", shift=shift, sos=item, by=context.get("by"), at=from_iso(context["at"]))
    return text, bk.message([bk.section(text)])


def delivered_at(kit: Kit, item: sos.Sos) -> datetime | None:
    """When Slack first accepted a message of this SOS that reaches a coordinator (not its presser); None before."""
    with kit.services.store.read() as db:
        return outbox.first_delivered(db, key_prefix=f"sos:{item.id}:", templates=REACHES, not_to=item.pressed_by)


@notice("sos/told")
def notice_told(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """The DM to a person who pressed SOS: what was delivered. "Sending your alert..." until a message
    reached a coordinator, "call now" when none had within UNHEARD_AFTER, then who is on it."""
    found = _load(kit, context)
    if not found:
        return None
    shift, item = found
    settings = kit.services.settings
    delivered = delivered_at(kit, item)
    late = kit.services.now() - item.pressed_at >= UNHEARD_AFTER
    said = "delivered" if delivered or item.acked_at else "unreached" if late else "sending"
    if context.get("why") == "unreached" and said != "unreached":
        return None  # the "call now" rewrite came due after a coordinator got it: nothing to rewrite
    context["_said"] = said
    text = kit.render("sos/told.j2", shift=shift, sos=item, said=said, delivered=delivered,
                      reached=coordinators_reached(kit, item), channel_down=channel_down(kit),
                      every=spoken_every(settings.sos_repeat))
    return text, bk.message([bk.section(text), bk.actions(bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)),
                                                         block_id=f"sos_told:{item.id}")])


def _told_keys(kit: Kit, sos_id: int) -> list[str]:
    """The DMs to the people who pressed this SOS that were sent (so may be rewritten)."""
    with kit.services.store.read() as db:
        keys = [sos.told_key(sos_id, user) for user in sos.pressers(db, sos_id)]
        return [k for k in keys if outbox.posted(db, k)]


@sent(*REACHES)


def on_reached(kit: Kit, note: outbox.Notification, context: dict) -> None:
    """A message reached a coordinator: the presser's DM, if it went out saying otherwise, is rewritten."""
    if note.mode or "sos_id" not in note.context:
        return
    store, now = kit.services.store, kit.services.now()
    keys = _told_keys(kit, int(note.context["sos_id"]))
    with store.write() as db:
        for key in keys:
            outbox.enqueue_update(db, parent=key, key=f"update:{key}:delivered", now=now)


@sent("sos/told")
def on_told(kit: Kit, note: outbox.Notification, context: dict) -> None:
    """The presser's DM went out before a coordinator got the alert: rewrite it once one has (or as soon
    as that happened meanwhile), and at UNHEARD_AFTER after the press to say to call now if none has."""
    said = context.get("_said")
    found = _load(kit, note.context)
    if said == "delivered" or not found:
        return
    item = found[1]
    told = note.parent if note.mode == "update" and note.parent else note.key
    store, now = kit.services.store, kit.services.now()
    reached = delivered_at(kit, item) is not None
    with store.write() as db:
        if reached:
            outbox.enqueue_update(db, parent=told, key=f"update:{told}:delivered", now=now)
        elif said == "sending":
            outbox.enqueue(db, key=f"update:{told}:unreached", channel=note.channel, template=note.template,
                           context=dict(note.context, why="unreached"), due_at=item.pressed_at + UNHEARD_AFTER,
                           now=now, parent=told, mode="update")


@notice("sos/on_it")
def notice_on_it(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """The team is told which coordinator took the SOS on."""
    found = _load(kit, context)
    if not found or found[1].acked_at is None:
        return None
    shift, item = found
    text = kit.render("sos/on_it.j2", shift=shift, sos=item)
    return text, bk.message([bk.section(text)])


def details_line(kit: Kit, shift: Shift) -> Markup:
    """The shift's SOS presses for its Details: who pressed and when, who took it on and when."""
    items = sos.of_shift(kit.services.store, shift.id)
    return Markup(kit.render("sos/details.j2", items=items, tz=shift.tz)) if items else Markup("")


def home_blocks(kit: Kit, user: str) -> list[Block]:
    """At the top of the App Home while the reader's shift is under way: its SOS button and state."""
    now, store = kit.services.now(), kit.services.store
    parts: list[Block] = []
    for shift in sos.shifts_under_way(store, user=user, now=now)[:HOME_MAX]:
        with store.read() as db:
            current = sos.open_sos(db, shift.id)
        latest = current or next(iter(reversed(sos.of_shift(store, shift.id))), None)
        parts += [bk.section(kit.render("sos/home.j2", shift=shift, sos=latest), block_id=f"sos_home:{shift.id}"),
                  bk.actions(sos_button(kit, shift), block_id=f"sos_press:{shift.id}")]
    return parts + [bk.divider()] if parts else []


def coordinator_blocks(kit: Kit, user: str) -> list[Block]:
    """First of all on a coordinator's App Home: every SOS nobody took on yet, with I'm on it and Details."""
    if kit.services.role(user) < Role.COORDINATOR:
        return []
    total, items = sos.open_all(kit.services.store, now=kit.services.now(), limit=HOME_MAX)
    parts: list[Block] = []
    for item in items:
        shift = sh.load_shift(kit.services.store, item.shift_id)
        if shift is None or item.duress and on_team(kit, shift, user):  # a duress SOS never shows to its team
            continue
        parts += [bk.section(kit.render("sos/home_open.j2", part="sos", shift=shift, sos=item),
                             block_id=f"sos_open:{item.id}"),
                  _buttons(shift, item, block_id=f"sos_open_actions:{item.id}")]
    if total > len(items):
        parts.append(bk.context(kit.render("sos/home_open.j2", part="more", more=total - len(items))))
    return parts + [bk.divider()] if parts else []


def on_team(kit: Kit, shift: Shift, user: str) -> bool:
    """Whether `user` is the shift's lead or a confirmed member."""
    with kit.services.store.read() as db:
        return user in safety.roster(db, shift)


def coordinators_reached(kit: Kit, item: sos.Sos) -> bool:
    """Whether an SOS can reach anyone: the coordinators' channel (unless the bot cannot post there), or
    a coordinator other than who pressed it."""
    channel = kit.services.settings.coordinator_channel
    return (bool(channel) and not channel_down(kit)) or any(
        c != item.pressed_by for c in kit.services.coordinators())


def channel_down(kit: Kit) -> bool:
    """The coordinators' channel is set, but the bot cannot post in it (outreach/reach.py)."""
    channel = kit.services.settings.coordinator_channel
    return bool(channel) and not reach.status(kit.services.store, channel).reachable


def result_text(kit: Kit, outcome: str, *, number: int | None, item: sos.Sos | None,
                shift: Shift | None) -> str:
    """What a press did, in words (for the typed command, and a refused tap)."""
    tz = shift.tz if shift else kit.services.settings.timezone
    reached = item is None or coordinators_reached(kit, item)
    return kit.render("sos/result.j2", outcome=outcome, number=number, sos=item, tz=tz, reached=reached,
                      channel_down=channel_down(kit))


def press(kit: Kit, *, shift_id: int, user: str, request_key: str,
          typed: bool = False) -> tuple[str, sos.Sos | None, Shift | None]:
    """Press SOS for a shift, then send its messages at once (`typed`: never refused for the night's state)."""
    services = kit.services
    settings = services.settings
    coordinators = services.coordinators()
    with services.store.read() as db:
        on_call = phones.people_on_call(db, settings, now=services.now())
    outcome, item, shift = sos.press(services.store, shift_id=shift_id, user=user, request_key=request_key,
                                     channel=settings.coordinator_channel, coordinators=coordinators, typed=typed,
                                     texted=coordinators + on_call if settings.twilio else None,
                                     call_after=settings.call_after if settings.twilio_from else None)
    kit.notifier.flush(urgent=True)  # at once, before any ordinary notice: the post, the DMs, the presser's DM
    return outcome, item, shift


# ---------------------------------------------------------------- the command


@subcommand("sos", usage="[N]")
def cmd_sos(req: CommandRequest) -> None:
    """Alert every coordinator now from the shift you are on (the one under way, or shift N)."""
    kit = req.kit
    # Anything typed after `sos` that is not a shift number is ignored: someone in trouble gets the SOS, not a lesson.
    number = parse_number(req.args.split(" ")[0]) if req.args else None
    if number is None:
        under_way = sos.shifts_under_way(kit.services.store, user=req.actor, now=kit.services.now(),
                                         watched_only=False)
        if not under_way:
            req.reply(result_text(kit, "none_under_way", number=None, item=None, shift=None))
            return
        number = under_way[0].id
    outcome, item, shift = press(kit, shift_id=number, user=req.actor, typed=True,
                                 request_key=f"command:{req.trigger_id or req.actor}")
    req.reply(result_text(kit, outcome, number=number, item=item, shift=shift))


# ---------------------------------------------------------------- wiring


def on_press(kit: Kit, click: Click) -> None:
    number = parse_whole(click.value)
    if number is None:
        return
    actor = click.actor
    outcome, item, shift = press(kit, shift_id=number, user=actor,
                                 request_key=f"tap:{actor}:{click.action.get('action_ts') or click.trigger_id}")
    if outcome not in ("done", "again"):
        words = result_text(kit, outcome, number=number, item=item, shift=shift)
        if click.where != "message":  # by DM: the lock screen shows a neutral line, the words are in the blocks
            click.dm(words, line=kit.render("common/lock_screen.j2", notice="sos/result", shift=shift, day=None,
                                            context={}))
        else:
            click.tell(words)
    if click.where != "message":
        points.publish_home(kit, click.client, actor)


def on_ack(kit: Kit, click: Click) -> None:
    services = kit.services
    sos_id = parse_whole(click.value)
    if sos_id is None:
        return
    actor = click.actor
    taken = response.take_sos(services.store, sos_id=sos_id, user=actor)
    kit.notifier.flush(urgent=True)  # the post, the DMs rewritten; the team told
    item = sos.load_sos(services.store, sos_id)
    if taken.outcome != "done" and item is not None:
        shift = sh.load_shift(services.store, item.shift_id)
        click.tell(kit.render("sos/result.j2", outcome="already", number=item.shift_id,
                              sos=item, tz=shift.tz if shift else services.settings.timezone))
    if click.where != "message":  # tapped on the App Home: it shows the SOS taken on
        points.publish_home(kit, click.client, actor)


def register(app: App, kit: Kit) -> None:
    """Repeat open SOS on every tick, wire the buttons, show SOS on the App Home and in Details."""

    services = kit.services
    kit.periodic.append(lambda: sos.repeat_due(services.store, every=services.settings.sos_repeat,
                                               channel=services.settings.coordinator_channel))
    kit.periodic.append(lambda: kit.notifier.flush(background=True))  # the repeats queued by the job above
    kit.render.env.globals["sos_line"] = lambda shift: details_line(kit, shift)
    points.add(points.HOME_TOP, home_blocks)
    if coordinator_blocks not in points.HOME_TOP:  # open SOS first of all on a coordinator's home
        points.HOME_TOP.insert(0, coordinator_blocks)
    kit.wire(app, actions={
        ids.SOS_PRESS: on_press,
        ids.SOS_ACK: coordinators(on_ack, N_("taking on an SOS")),
    })
