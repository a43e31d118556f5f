"""The App Home tab, the hub: entry buttons, then what the reader leads, is on, waits for and owes;
coordinators first see open safety alerts and this week's staffing. Also the modals its buttons open."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from jinja2 import pass_context
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers import ids, points, shift_views
from handlers import safety as safety_views
from handlers.click import Click, coordinators
from handlers.kit import Kit
from handlers.readiness import readiness_line
from outreach import incidents, safety
from outreach import shifts as sh
from outreach.digits import parse_number
from outreach.i18n import N_, pgettext
from outreach.i18n import gettext as _
from outreach.night import Watch, open_for_checkin
from outreach.readiness import Readiness
from outreach.roles import Role
from outreach.shifts import MyShift, Shift

log = logging.getLogger(__name__)

LEAD_MAX = 5
MINE_MAX = 6
WAIT_MAX = 5
ALERTS_MAX = 5
WEEK_MAX = 10
FIND_PAGE = 10
MODAL_EACH = 15  # per part of the My shifts modal
WEEK_MODAL = 40


# ---------------------------------------------------------------- pieces


def entry_row(*, coordinator: bool) -> bk.ActionsBlock:
    """The buttons at the top of the App Home: where every journey starts."""
    buttons = [
        bk.button(_("Find a shift"), ids.HOME_FIND, style="primary"),
        bk.button(_("My shifts"), ids.HOME_MINE),
        bk.button(_("Hotline card"), ids.HOTLINE_OPEN),
        bk.button(_("Find a partner"), ids.PARTNER_FIND),
    ]
    if coordinator:
        buttons += [bk.button(_("Plan a shift"), ids.SHIFT_NEW), bk.button(_("This week"), ids.HOME_WEEK)]
    return bk.actions(*buttons, block_id="home_entry")


def _heading(kit: Kit, part: str, **context: object) -> Block:
    return bk.section(kit.render("home/heading.j2", part=part, **context))


def _more(kit: Kit, more: int, where: str) -> list[Block]:
    return [bk.context(kit.render("home/more.j2", more=more, where=where))] if more > 0 else []


def _watch_buttons(kit: Kit, shift: Shift, watch: Watch | None, now: datetime, *,
                   lead: bool = False, reader: str | None = None) -> list[bk.ButtonElement]:
    """Check in / Check out while the shift is under way (an hour before its start until checked out);
    for the lead, named as in the lead's DMs: Check in (me) / Check out (me), beside the team's buttons."""
    if not shift.safety_net or not open_for_checkin(shift, watch, now):
        return []
    check_in_label, check_out_label = (_("Check in (me)"), _("Check out (me)")) if lead else (
        _("Check in"), pgettext("a person", "Check out"))
    check_out = safety_views.my_checkout_button(kit, shift, label=check_out_label, user=reader)
    if watch and watch.checked_in:
        return [check_out]
    check_in = bk.button(check_in_label, ids.SAFETY_CHECKIN, str(shift.id), style="primary")
    return [check_in, check_out] if watch and watch.counted else [check_in]


def lead_blocks(kit: Kit, shift: Shift, r: Readiness | None, watch: Watch | None, now: datetime,
                ahead: dict, reader: str | None = None) -> list[Block]:
    """A shift the reader leads: its readiness progress, Open checklist, Record Go once everything passes."""
    buttons = _watch_buttons(kit, shift, watch, now, lead=True, reader=reader) + safety_views.team_buttons(
        kit, shift, now)
    go = r is not None and r.applies and r.ready and not r.go
    buttons.append(bk.button(_("Open checklist"), ids.READY_OPEN, str(shift.id),
                             style=None if buttons or go else "primary"))
    if go:
        buttons.append(bk.button(_("Record Go"), ids.READY_GO, str(shift.id), style="primary"))
    buttons.append(bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)))
    return [bk.section(kit.render("home/lead.j2", shift=shift, r=r, **ahead), block_id=f"lead:{shift.id}"),
            bk.actions(*buttons, block_id=f"lead_actions:{shift.id}")]


def mine_blocks(kit: Kit, shift: Shift, watch: Watch | None, now: datetime, ahead: dict,
                reader: str | None = None) -> list[Block]:
    """A shift the reader is on: when, where to meet, one readiness badge, its own buttons (and those
    other surfaces add for the `reader`, like Find cover)."""
    buttons = _watch_buttons(kit, shift, watch, now, reader=reader)
    buttons.append(bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)))
    if not shift.started(now):
        buttons.append(shift_views.withdraw_button(kit, shift, str(shift.id), waitlisted=False))
        buttons += shift_views.extra_buttons(kit, reader, shift) if reader else []
    return [bk.section(kit.render("home/shift.j2", shift=shift, **ahead), block_id=f"mine:{shift.id}"),
            bk.actions(*buttons, block_id=f"mine_actions:{shift.id}")]


def waiting_block(kit: Kit, item: MyShift) -> Block:
    """A waitlist place: the position and Leave waitlist."""
    return bk.section(kit.render("home/waiting.j2", item=item), block_id=f"waiting:{item.shift.id}",
                      accessory=shift_views.withdraw_button(kit, item.shift, str(item.shift.id), waitlisted=True))


def week_block(kit: Kit, shift: Shift, ahead: dict) -> Block:
    """One shift of the week for coordinators: staffing, readiness in detail, safety; Details."""
    return bk.section(kit.render("home/staffing.j2", s=shift, **ahead), block_id=f"week:{shift.id}",
                      accessory=bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)))


def alert_blocks(kit: Kit, total: int, alerts: list[incidents.Alert]) -> list[Block]:
    """Open safety alerts, a short line each with Details (coordinators, first thing on the home)."""
    if not alerts:
        return []
    parts: list[Block] = [_heading(kit, "alerts", count=total)]
    for alert in alerts:
        parts.append(bk.section(kit.render("home/alert.j2", alert=alert), block_id=f"alert:{alert.shift.id}:{alert.reason}",
                                accessory=bk.button(_("Details"), ids.SHIFT_DETAILS, str(alert.shift.id))))
    return parts + _more(kit, total - len(alerts), "alerts") + [bk.divider()]


# ---------------------------------------------------------------- the home tab


def _leading_and_mine(kit: Kit, user: str, lead: tuple[list[Shift], list[Shift]],
                      mine: tuple[list[Shift], list[Shift]], ahead: dict, where: str) -> list[Block]:
    """The shifts a person leads, then those they are on (each: all of them, and those shown), with their
    buttons and how many more; on the App Home a divider between the two."""
    now, (leading, shown_lead), (confirmed, shown_mine) = kit.services.now(), lead, mine
    states: dict[int, Readiness] = ahead.get("readiness_states", {})
    watches = safety.my_watches(kit.services.store, user, [s.id for s in shown_lead + shown_mine])
    parts: list[Block] = []
    if shown_lead:
        parts.append(_heading(kit, "leading", count=len(leading)))
        for shift in shown_lead:
            parts += lead_blocks(kit, shift, states.get(shift.id), watches.get(shift.id), now, ahead, reader=user)
        parts += _more(kit, len(leading) - len(shown_lead), where)
    if shown_mine:
        parts += [bk.divider()] if shown_lead and where == "home" else []
        parts.append(_heading(kit, "mine", count=len(confirmed)))
        for shift in shown_mine:
            parts += mine_blocks(kit, shift, watches.get(shift.id), now, ahead, reader=user)
        parts += _more(kit, len(confirmed) - len(shown_mine), where)
    return parts


def home_view(kit: Kit, user: str) -> dict:
    """Build the home tab for one reader (always within Slack's 100 blocks)."""
    now, store = kit.services.now(), kit.services.store
    coordinator = kit.services.role(user) >= Role.COORDINATOR
    leading = sh.led_shifts(store, user=user, now=now)
    mine = [m for m in sh.my_shifts(store, user=user, now=now) if m.shift.lead != user]
    confirmed = [m.shift for m in mine if m.status == "confirmed"]
    waiting = [m for m in mine if m.status == "waitlisted"]
    alerts_total, alerts = incidents.open_alerts(store, limit=ALERTS_MAX) if coordinator else (0, [])
    week_total, week = sh.staffing(store, now=now, days=7, limit=WEEK_MAX) if coordinator else (0, [])
    shown_lead, shown_mine, shown_wait = leading[:LEAD_MAX], confirmed[:MINE_MAX], waiting[:WAIT_MAX]
    ahead = kit.read_ahead(list({s.id: s for s in shown_lead + shown_mine + week}.values()))

    parts: list[Block] = [bk.header(_("Outreach"))]
    for top in points.HOME_TOP:
        parts += top(kit, user)
    parts.append(entry_row(coordinator=coordinator))
    parts += alert_blocks(kit, alerts_total, alerts)
    parts += _leading_and_mine(kit, user, (leading, shown_lead), (confirmed, shown_mine), ahead, "home")
    if shown_wait:
        parts += [bk.divider()] if shown_lead or shown_mine else []
        parts.append(_heading(kit, "waiting", count=len(waiting)))
        parts += [waiting_block(kit, item) for item in shown_wait]
        parts += _more(kit, len(waiting) - len(shown_wait), "home")
    if not (leading or mine):
        parts.append(bk.section(kit.render("home/empty.j2", part="home")))
    for extra in points.HOME_SECTIONS:
        parts += extra(kit, user)
    if coordinator:
        parts += [bk.divider(), _heading(kit, "week")]
        parts += [week_block(kit, shift, ahead) for shift in week] or [bk.section(kit.render("home/empty.j2", part="week"))]
        parts += _more(kit, week_total - len(week), "week")
    parts.append(bk.context(kit.render("home/footer.j2")))
    if len(parts) > bk.VIEW_BLOCKS:  # another surface's section grew: keep the top, say where the rest is
        log.warning("home of %s has %d blocks; cutting to %d", user, len(parts), bk.VIEW_BLOCKS)
        parts = parts[: bk.VIEW_BLOCKS - 1] + _more(kit, len(parts) - bk.VIEW_BLOCKS + 1, "home")
    return bk.home(parts)


def publish_home(kit: Kit, client: WebClient, user: str) -> None:
    """Publish the home tab for one reader."""
    client.views_publish(user_id=user, view=home_view(kit, user))


# ---------------------------------------------------------------- the modals the entry buttons open


def find_view(kit: Kit, user: str, *, page: int, note: str | None = None) -> dict:
    """Find a shift: one page of the next 30 days, each shift with Sign up (or why not) and Details."""
    store = kit.services.store
    total, page, chunk = sh.upcoming_page(store, now=kit.services.now(), page=page, size=FIND_PAGE, user=user)
    pages = max((total + FIND_PAGE - 1) // FIND_PAGE, 1)
    parts: list[Block] = [bk.section(note, block_id="find_note")] if note else []
    if not chunk:
        parts.append(bk.section(kit.render("home/empty.j2", part="find")))
    else:
        parts.append(_heading(kit, "find", count=total, page=page + 1, pages=pages))
    ahead = kit.read_ahead(chunk)
    coordinator = kit.services.role(user) >= Role.COORDINATOR
    trained = sh.may_sign_up(store, user=user, shifts=chunk)
    for shift in chunk:
        parts.append(bk.divider())
        parts += shift_views.listed_shift(kit, user, shift, ahead, coordinator=coordinator, trained=trained)
    nav = []
    if page > 0:
        nav.append(bk.button(_("◀ Earlier"), ids.HOME_FIND_PAGE, str(page - 1)))
    if page < pages - 1:
        nav.append(bk.button(_("Later ▶"), ids.HOME_FIND_PAGE, str(page + 1)))
    if nav:
        parts.append(bk.actions(*nav, block_id="find_nav"))
    return bk.modal(title=_("Find a shift"), blocks=parts, callback_id=ids.HOME_FIND, metadata={"page": page})


def mine_view(kit: Kit, user: str, *, note: str | None = None) -> dict:
    """My shifts: what the person leads, is on and waits for, each with its own buttons."""
    now, store = kit.services.now(), kit.services.store
    leading = sh.led_shifts(store, user=user, now=now)
    mine = [m for m in sh.my_shifts(store, user=user, now=now) if m.shift.lead != user]
    confirmed = [m.shift for m in mine if m.status == "confirmed"]
    waiting = [m for m in mine if m.status == "waitlisted"]
    shown_lead, shown_mine = leading[:MODAL_EACH], confirmed[:MODAL_EACH]
    ahead = kit.read_ahead(shown_lead + shown_mine)
    parts: list[Block] = [bk.section(note, block_id="mine_note")] if note else []
    parts += _leading_and_mine(kit, user, (leading, shown_lead), (confirmed, shown_mine), ahead, "modal")
    if waiting:
        parts.append(_heading(kit, "waiting", count=len(waiting)))
        parts += [waiting_block(kit, item) for item in waiting[:MODAL_EACH]]
        parts += _more(kit, len(waiting) - MODAL_EACH, "modal")
    if not (leading or mine):
        parts.append(bk.section(kit.render("home/empty.j2", part="home")))
    return bk.modal(title=_("My shifts"), blocks=parts, callback_id=ids.HOME_MINE)


def week_view(kit: Kit) -> dict:
    """This week, for coordinators: every shift's staffing, readiness and safety state, understaffed first."""
    total, week = sh.staffing(kit.services.store, now=kit.services.now(), days=7, limit=WEEK_MODAL)
    ahead = kit.read_ahead(week)
    parts: list[Block] = [_heading(kit, "week")]
    parts += [week_block(kit, shift, ahead) for shift in week] or [bk.section(kit.render("home/empty.j2", part="week"))]
    parts += _more(kit, total - len(week), "modal")
    return bk.modal(title=_("This week"), blocks=parts, callback_id=ids.HOME_WEEK)


def refresh_modal(kit: Kit, client: WebClient, body: dict, actor: str, *, note: str) -> bool:
    """After a tap inside one of these modals, show it again in place with the result on top; False elsewhere."""
    view = body.get("view")
    if not isinstance(view, dict) or view.get("type") != "modal" or not view.get("id"):
        return False
    callback = view.get("callback_id")
    if callback == ids.HOME_FIND:
        meta = _meta(view)
        fresh = find_view(kit, actor, page=parse_number(str(meta.get("page", 0))) or 0, note=note)
    elif callback == ids.HOME_MINE:
        fresh = mine_view(kit, actor, note=note)
    else:
        return False
    client.views_update(view_id=view["id"], view=fresh)
    return True


def _meta(view: dict) -> dict:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


# ---------------------------------------------------------------- Bolt wiring


def _refresh(kit: Kit, client: WebClient, body: dict, actor: str, note: str) -> bool:
    return refresh_modal(kit, client, body, actor, note=note)


def on_home_opened(kit: Kit, event: dict, client: WebClient) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    publish_home(kit, client, event["user"])


def on_find(kit: Kit, click: Click) -> None:
    click.show(find_view(kit, click.actor, page=0))


def on_find_page(kit: Kit, click: Click) -> None:
    click.update(find_view(kit, click.actor, page=click.number or 0))


def on_mine(kit: Kit, click: Click) -> None:
    click.show(mine_view(kit, click.actor))


def on_week(kit: Kit, click: Click) -> None:
    click.show(week_view(kit))


def on_plan(kit: Kit, click: Click) -> None:
    click.show(shift_views.shift_form(kit, channel=None, planner=click.actor))


def register(app: App, kit: Kit) -> None:
    """Publish the home tab whenever someone opens it; wire its entry buttons."""
    points.add(points.HOME_PUBLISHERS, publish_home)
    points.add(points.MODAL_REFRESHERS, _refresh)
    kit.render.env.filters["readiness_detail"] = pass_context(
        lambda context, shift: readiness_line(kit, shift, context.get("readiness_states"), detail=True))

    kit.wire(app, actions={
        ids.HOME_FIND: on_find,
        ids.HOME_FIND_PAGE: on_find_page,
        ids.HOME_MINE: on_mine,
        ids.HOME_WEEK: coordinators(on_week, N_("This week")),
        ids.SHIFT_NEW: coordinators(on_plan, N_("Plan a shift")),
    }, events={
        "app_home_opened": on_home_opened,
    })
