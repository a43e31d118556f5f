"""The App Home tab: the reader's shifts, and for coordinators the week's staffing."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers.kit import Kit
from outreach import shifts as sh
from outreach.roles import Role

log = logging.getLogger(__name__)

MINE_MAX = 15
STAFFING_MAX = 15
# Sections other surfaces add to the home tab, in order: fn(kit, user) -> blocks (keep each small).
SECTIONS: list[Callable[[Kit, str], list[Block]]] = []


def home_view(kit: Kit, user: str) -> dict:
    """Build the home tab for one reader."""
    now, store = kit.services.now(), kit.services.store
    coordinator = kit.services.role(user) >= Role.COORDINATOR
    mine = sh.my_shifts(store, user=user, now=now)
    shown = mine[:MINE_MAX]
    total, week = sh.staffing(store, now=now, days=7, limit=STAFFING_MAX) if coordinator else (0, [])
    ahead = kit.read_ahead([m.shift for m in shown] + week)
    parts: list[Block] = [bk.header("Outreach"), bk.section(kit.render("home/mine.j2", mine=shown, more=len(mine) - MINE_MAX, **ahead))]
    for item in shown:
        parts.append(bk.actions(
            bk.button("Withdraw" if item.status == "confirmed" else "Leave waitlist", "shift_withdraw", str(item.shift.id)),
            bk.button("Details", "shift_details", str(item.shift.id)),
            block_id=f"mine:{item.shift.id}",
        ))
    if coordinator:
        parts += [bk.divider(), bk.section(kit.render("home/staffing.j2", shifts=week, more=total - len(week), **ahead))]
        for shift in week:
            parts.append(bk.actions(bk.button(f"#{shift.id} details", "shift_details", str(shift.id)), block_id=f"staff:{shift.id}"))
    for extra in SECTIONS:
        parts += extra(kit, user)
    parts.append(bk.context(kit.render("home/footer.j2")))
    return bk.home(parts)


def publish_home(kit: Kit, client: WebClient, user: str) -> None:
    """Publish the home tab for one reader."""
    client.views_publish(user_id=user, view=home_view(kit, user))


def register(app: App, kit: Kit) -> None:
    """Publish the home tab whenever someone opens it."""

    @kit.later(app.event("app_home_opened"))
    def on_home_opened(event: dict, client: WebClient) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        publish_home(kit, client, event["user"])
