"""Who is on call tonight, in Slack: the App Home's "On call" section (Edit rota, I'll take a night), the
`/outreach oncall` command, the hand-over on the timer (the DM to the person whose turn starts and the
coordinators' channel line), and someone leaving the workspace (outreach/leaving.py)."""

from __future__ import annotations

from datetime import date

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers import ids, points
from handlers.click import Click, coordinators
from handlers.commands import CommandRequest, subcommand
from handlers.kit import Kit
from handlers.notify import notice
from outreach import leaving, phones, rota
from outreach import shifts as sh
from outreach.i18n import N_, pgettext
from outreach.i18n import gettext as _
from outreach.roles import Role
from outreach.store import from_iso


def _fallback(kit: Kit) -> list[str]:
    return list(kit.services.settings.oncall_coordinators)


def _handover(kit: Kit) -> str:
    return kit.services.settings.oncall_handover.strftime("%H:%M")


def _dates(pairs: list) -> list[tuple[date, date]]:
    return [(a if isinstance(a, date) else date.fromisoformat(a), b if isinstance(b, date) else date.fromisoformat(b))
            for a, b in pairs]


# ---------------------------------------------------------------- the App Home


def home_blocks(kit: Kit, user: str) -> list[Block]:
    """The "On call" section: for coordinators tonight, next and the gaps with Edit rota / I'll take a night;
    for everyone else, one line saying who is on call tonight."""
    services = kit.services
    settings, now = services.settings, services.now()
    with services.store.read() as db:
        turns = rota.next_turns(db, settings, at=now, count=2)
        gaps = rota.uncovered(db, settings, now=now)
    if services.role(user) < Role.COORDINATOR:
        if not turns and not _fallback(kit):
            return []
        tonight = turns[0] if turns else None
        return [bk.context(kit.render("rota/home.j2", part="line", tonight=tonight, fallback=_fallback(kit)))]
    text = kit.render("rota/home.j2", part="coordinator", turns=turns, gaps=gaps, fallback=_fallback(kit),
                      tz=settings.timezone)
    return [bk.divider(), bk.section(kit.render("rota/home.j2", part="heading"), block_id="oncall_heading"),
            bk.section(text, block_id="oncall"),
            bk.actions(bk.button(_("Edit rota"), ids.ROTA_EDIT), bk.button(_("I'll take a night"), ids.ROTA_TAKE),
                       block_id="oncall_actions")]


def edit_view(kit: Kit) -> dict:
    """Edit rota: the coordinators in turn order and the first turn's date."""
    services = kit.services
    settings = services.settings
    current = rota.load(services.store)
    today = rota.night_of(services.now(), settings)
    parts: list[Block] = [
        bk.section(kit.render("rota/form.j2", part="edit_intro", handover=_handover(kit), tz=settings.timezone,
                              rota=current)),
        bk.people_input("rota_people", kit.render("rota/form.j2", part="people"),
                        initial=current.members if current else None),
        bk.date_input("rota_start", kit.render("rota/form.j2", part="start"),
                      initial=(current.starts_on if current else today).isoformat()),
    ]
    return bk.modal(title=_("On-call rota"), blocks=parts, callback_id=ids.ROTA_EDIT, submit=_("Save"))


def take_view(kit: Kit) -> dict:
    """I'll take a night: a date picker (tonight by default)."""
    settings = kit.services.settings
    tonight = rota.night_of(kit.services.now(), settings)
    return bk.modal(title=_("Take a night on call"), callback_id=ids.ROTA_TAKE,
                    submit=pgettext("a night on call", "Take it"), blocks=[
        bk.section(kit.render("rota/form.j2", part="take_intro", handover=_handover(kit), tz=settings.timezone)),
        bk.date_input("rota_night", kit.render("rota/form.j2", part="night"), initial=tonight.isoformat())])


# ---------------------------------------------------------------- the notices


@notice("rota/turn")
def notice_turn(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """To the person whose turn starts: when it runs, and the watched shifts in it."""
    store, settings = kit.services.store, kit.services.settings
    starts, ends = from_iso(context["starts_at"]), from_iso(context["ends_at"])
    with store.read() as db:
        numbers = rota.watched_shifts(db, since=starts, until=min(ends, starts + rota.LIST_SPAN))
        texted = bool(phones.verified(db, [str(context["user"])])) and settings.twilio
    shifts = [s for s in (sh.load_shift(store, i) for i in numbers[:rota.LIST_MAX]) if s]
    text = kit.render("rota/turn.j2", starts_at=starts, ends_at=ends, open_ended=bool(context.get("open_ended")),
                      previous=context.get("previous"),
                      shifts=shifts, more=max(len(numbers) - rota.LIST_MAX, 0), texted=texted, tz=settings.timezone)
    return text, bk.message(bk.sections(text))


@notice("rota/handover")
def notice_handover(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """The coordinators' channel line: who is on call from the hand-over, and who was."""
    text = kit.render("rota/handover.j2", user=context.get("user"), previous=context.get("previous"),
                      starts_at=from_iso(context["starts_at"]), fallback=_fallback(kit),
                      tz=kit.services.settings.timezone)
    return text, bk.message([bk.section(text)])


@notice("rota/left")
def notice_left(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """To the coordinators: someone left the workspace, what changed and what is left uncovered."""
    store = kit.services.store
    leaderless = [s for s in (sh.load_shift(store, int(i)) for i in context.get("shifts") or []) if s and not s.lead]
    text = kit.render("rota/left.j2", user=context["user"], in_rota=context.get("in_rota"),
                      nights_dropped=int(context.get("nights_dropped") or 0), coordinator=context.get("coordinator"),
                      phone=context.get("phone"), shifts=context.get("shifts") or [], leaderless=leaderless,
                      gaps=_dates(context.get("uncovered") or []))
    blocks: list[Block] = list(bk.sections(text))
    if context.get("uncovered"):
        blocks.append(bk.actions(bk.button(_("I'll take a night"), ids.ROTA_TAKE), bk.button(_("Edit rota"), ids.ROTA_EDIT),
                                 block_id="left_actions"))
    return text, bk.message(blocks)


# ---------------------------------------------------------------- the command


@subcommand("oncall")
def cmd_oncall(req: CommandRequest) -> None:
    """Who is on call tonight and the next nights."""
    services = req.kit.services
    settings, now = services.settings, services.now()
    with services.store.read() as db:
        have = rota.get(db) is not None or bool(rota.overrides(db, since=rota.night_of(now, settings)))
        rows = rota.nights(db, settings, first=rota.night_of(now, settings), count=7) if have else []
    req.say("rota/oncall.j2", rows=rows, fallback=_fallback(req.kit), handover=_handover(req.kit),
            tz=settings.timezone, coordinator=req.role >= Role.COORDINATOR)


# ---------------------------------------------------------------- wiring


def on_left(kit: Kit, user: str) -> None:
    """Someone left the workspace: take them out of what counts on them, tell the coordinators."""
    services = kit.services
    left = leaving.leave(services.store, services.settings, user=user, coordinators=services.coordinators(),
                         now=services.now())
    if left.changed:
        kit.notifier.flush(prefix=f"left:{user}:")


def on_edit(kit: Kit, click: Click) -> None:
    click.show(edit_view(kit))


def on_take(kit: Kit, click: Click) -> None:
    click.show(take_view(kit))


def on_edit_saved(kit: Kit, ack: Ack, context: BoltContext, client: WebClient) -> None:
    services = kit.services
    actor, form = context["actor"], context.get("form") or {}
    people = [str(p) for p in form.get("rota_people") or [] if p]
    coordinators = set(services.coordinators())
    problems = rota.check(people, form.get("rota_start"), coordinators=coordinators, now=services.now(),
                          settings=services.settings)
    if problems:
        errors = {}
        if "people" in problems:
            errors["rota_people"] = kit.render("rota/form.j2", part=problems["people"], most=rota.ROTA_MAX,
                                               who=[p for p in people if p not in coordinators])
        if "start" in problems:
            errors["rota_start"] = kit.render("rota/form.j2", part=problems["start"])
        ack(response_action="errors", errors=errors)
        return
    ack()
    starts_on = rota.parse_night(form.get("rota_start"))
    assert starts_on is not None
    saved = rota.set_rota(services.store, actor=actor, people=people, starts_on=starts_on)
    client.chat_postMessage(channel=actor, text=kit.render("rota/saved.j2", what="rota", rota=saved))
    points.publish_home(kit, client, actor)


def on_take_saved(kit: Kit, ack: Ack, context: BoltContext, client: WebClient) -> None:
    services = kit.services
    actor, form = context["actor"], context.get("form") or {}
    outcome, night = rota.take_night(services.store, services.settings, actor=actor,
                                     night_text=str(form.get("rota_night") or ""))
    if outcome != "done":
        ack(response_action="errors", errors={"rota_night": kit.render("rota/form.j2", part=outcome)})
        return
    ack()
    client.chat_postMessage(channel=actor, text=kit.render("rota/saved.j2", what="night", night=night,
                                                           handover=_handover(kit)))
    points.publish_home(kit, client, actor)


def register(app: App, kit: Kit) -> None:
    """The App Home section and its modals, the hand-over on the timer, and leaving the workspace."""

    services = kit.services
    points.add(points.HOME_SECTIONS, home_blocks)

    def hand_over() -> None:
        if rota.handover_due(services.store, services.settings, now=services.now()):
            kit.notifier.flush(background=True, prefix="rota:")

    kit.periodic.append(hand_over)

    points.add(points.LEFT, on_left)

    refusal = ("rota/form.j2", {"part": "not_allowed"})
    kit.wire(app, actions={
        ids.ROTA_EDIT: coordinators(on_edit, N_("Rota"), refusal=refusal),
        ids.ROTA_TAKE: coordinators(on_take, N_("I'll take a night"), refusal=refusal),
    }, forms={
        ids.ROTA_EDIT: coordinators(on_edit_saved, N_("Rota"), refusal=refusal, field="rota_people"),
        ids.ROTA_TAKE: coordinators(on_take_saved, N_("I'll take a night"), refusal=refusal, field="rota_night"),
    })
