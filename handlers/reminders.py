"""Reminders and alerts in Slack: the DM before a shift, understaffed and not-ready alerts."""

from __future__ import annotations

from slack_bolt import App

from handlers import blocks as bk
from handlers import ids, shift_views
from handlers.click import Click
from handlers.kit import Kit
from handlers.notify import notice
from handlers.readiness import checklist_reply
from outreach import reminders
from outreach import shifts as sh
from outreach.i18n import gettext as _


@notice("reminders/reminder")
def notice_reminder(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A confirmed volunteer's reminder: when and where, one Go line, the meeting point and the notes;
    skipped once the shift started or they left it (the full checklist is behind its button)."""
    shift = sh.load_shift(kit.services.store, int(context["shift_id"]), user=context.get("user"))
    if not shift or shift.cancelled or shift.my_status != "confirmed" or shift.started(kit.services.now()):
        return None
    with kit.services.store.read() as db:
        about = reminders.briefing(db, shift.id)
        members = sh.team(db, shift.id)[0]
    text = kit.render("reminders/reminder.j2", shift=shift, lead=context.get("lead", ""), members=members,
                      checklist=kit.readiness(shift.id) is not None, **about)
    return text, bk.message([
        bk.section(text),
        bk.actions(
            bk.button(_("Can't make it"), ids.SHIFT_WITHDRAW, str(shift.id),
                      confirm=bk.confirm(_("Give up your place on shift #%(number)s?") % {"number": shift.id},
                                         kit.render("reminders/confirm_withdraw.j2", shift=shift),
                                         yes=_("Give my place back"), no=_("Keep my place"))),
            *shift_views.extra_buttons(kit, context["user"], shift),  # Find cover: stay on until someone takes it
            # the full checklist is the lead's to work; a volunteer reads the one Go line above
            *([bk.button(_("Open checklist"), ids.READY_OPEN, str(shift.id))] if context.get("user") == shift.lead else []),
            bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)),
            block_id=f"reminder:{shift.id}",
        ),
    ])


@notice("reminders/understaffed")
def notice_understaffed(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Tell the coordinators a shift lacks its minimum team, with a Sign up button for anyone."""
    shift = sh.load_shift(kit.services.store, int(context["shift_id"]))
    if not shift or shift.cancelled or not shift.understaffed or shift.started(kit.services.now()):
        return None
    text = kit.render("reminders/understaffed.j2", shift=shift)
    return text, bk.message([
        bk.section(text),
        bk.actions(
            bk.button(_("Sign up"), ids.SHIFT_SIGNUP, str(shift.id), style="primary"),
            bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)),
            block_id=f"understaffed:{shift.id}",
        ),
    ])


@notice("reminders/not_ready")
def notice_not_ready(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Tell the lead and the coordinators what is missing, with Open checklist; skipped when ready or nobody checks."""
    shift = sh.load_shift(kit.services.store, int(context["shift_id"]))
    if not shift or shift.cancelled or shift.started(kit.services.now()):
        return None
    missing = kit.readiness(shift.id)
    if not missing:
        return None
    text = kit.render("reminders/not_ready.j2", shift=shift, missing=missing)
    return text, bk.message([
        bk.section(text),
        bk.actions(bk.button(_("Open checklist"), ids.READY_OPEN, str(shift.id), style="primary"),
                   bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)), block_id=f"notready:{shift.id}"),
    ])


def on_checklist(kit: Kit, click: Click) -> None:
    if click.number is None:
        return
    text, blocks = checklist_reply(kit, click.number, click.actor, click.role)
    click.tell(text, blocks)


def register(app: App, kit: Kit) -> None:
    """Derive reminders from every change and at start-up; answer the Checklist button of reminders sent
    before it became the lead's Open checklist."""
    kit.wire(app, actions={
        ids.REMINDER_CHECKLIST: on_checklist,
    })
