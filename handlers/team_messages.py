"""Messages to a shift's team in Slack: Message the team on Details, its modal, `/outreach message N TEXT`,
and the DM each member gets (neutral on the lock screen, the words in its blocks)."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext

from handlers import blocks as bk
from handlers import ids
from handlers.click import Click
from handlers.commands import CommandRequest, subcommand
from handlers.kit import Kit
from handlers.notify import notice
from outreach import privacy
from outreach import shifts as sh
from outreach import team_messages as tm
from outreach.digits import parse_number
from outreach.i18n import gettext as _
from outreach.shifts import Shift

CALLBACK = "team_message_form"
WAITLIST = "waitlist"


def message_form(kit: Kit, shift: Shift) -> dict:
    """The modal: who will get the message, the message, and "Also the waitlist"."""
    with kit.services.store.read() as db:
        confirmed, waiting = sh.team(db, shift.id)
    parts = [
        bk.section(kit.render("team/form_intro.j2", shift=shift, confirmed=len(confirmed), waiting=len(waiting))),
        bk.text_input("message", _("Message"), multiline=True, max_length=tm.MAX_MESSAGE,
                      placeholder=_("Like: we meet 15 minutes earlier, at the side entrance"),
                      hint=_("Each person gets it by DM. Nothing about the people you meet.")),
        bk.checkboxes_input(WAITLIST, _("Who else"), [(WAITLIST, _("Also the waitlist"))]),
    ]
    return bk.modal(title=_("Message the team"), blocks=parts, callback_id=CALLBACK, submit=_("Send"),
                    close=_("Back"), metadata={"shift_id": shift.id})


def sent_view(kit: Kit, shift: Shift, sent: tm.Sent) -> dict:
    """What the sender sees once the message is on its way: how many were told."""
    return bk.modal(title=_("Message the team"), callback_id="team_message_sent", close=_("Done"),
                    blocks=[bk.section(kit.render("team/sent.j2", shift=shift, sent=sent))])


def screen_text(kit: Kit, text: str | None) -> tuple[str, str | None]:
    """The cleaned message and what to change in it (None when it can be sent)."""
    year = kit.services.now().astimezone(kit.services.settings.zone).year
    cleaned, problem, findings = tm.check_text(text, screen=kit.services.privacy_screen(), current_year=year)
    return cleaned, problem or (privacy.explain(findings) if findings else None)


@subcommand("message", usage="N TEXT")
def cmd_message(req: CommandRequest) -> None:
    """Send a message to shift N's team (its lead or a coordinator); without TEXT, open the form."""
    usage = "/outreach message N TEXT"
    if (shift := req.live_shift(usage)) is None:
        return
    if not tm.may_message(shift, actor=req.actor, role=req.role):
        req.say("team/not_allowed.j2", shift=shift)
        return
    typed = req.args.partition(" ")[2]
    if not typed.strip():
        req.client.views_open(trigger_id=req.trigger_id, view=message_form(req.kit, shift))
        return
    text, problem = screen_text(req.kit, typed)
    if problem:
        req.say("team/refused.j2", problem=problem, usage=usage)
        return
    sent = tm.send(req.kit.services.store, shift_id=shift.id, sender=req.actor, role=req.role, text=text,
                   waitlist=False, request_key=None)
    if sent is None:  # changed meanwhile: gone, cancelled, or led by someone else now
        req.say("team/not_allowed.j2", shift=sh.load_shift(req.kit.services.store, shift.id))
        return
    req.say("team/sent.j2", shift=shift, sent=sent)
    req.kit.notifier.flush()


@notice(tm.TEMPLATE)
def notice_message(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """One member's copy of a team message; skipped once its words expired or the shift is gone."""
    store = kit.services.store
    with store.read() as db:
        message = tm.load(db, int(context["message_id"]))
    shift = sh.load_shift(store, message.shift_id) if message else None
    if message is None or not message.text or shift is None:
        return None
    text = kit.render("team/message.j2", shift=shift, message=message)
    return text, bk.message([
        bk.section(text),
        bk.actions(bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)), block_id=f"team_message:{message.id}"),
    ])


def _expire_words(kit: Kit) -> None:
    """Blank team messages' words past the notes retention period, and empty the log of them."""
    services = kit.services
    if tm.expire(services.store, now=services.now(), days=services.settings.notes_retention_days):
        services.store.checkpoint()


def on_open(kit: Kit, click: Click) -> None:
    shift = sh.load_shift(kit.services.store, click.number) if click.number is not None else None
    if shift is None or not tm.may_message(shift, actor=click.actor, role=click.role):
        click.tell(kit.render("team/not_allowed.j2", shift=shift))
        return
    click.show(message_form(kit, shift))  # tapped in Details: on top of it


def on_submit(kit: Kit, ack: Ack, body: dict, context: BoltContext) -> None:
    services = kit.services
    actor, role = context["actor"], context["role"]
    meta, form = context.get("meta") or {}, context.get("form") or {}
    number = parse_number(str(meta.get("shift_id", "")))
    shift = sh.load_shift(services.store, number) if number is not None else None
    if shift is None or not tm.may_message(shift, actor=actor, role=role):
        ack(response_action="errors", errors={"message": kit.render("team/not_allowed.j2", shift=shift)})
        return
    raw = form.get("message") if isinstance(form.get("message"), str) else ""
    text, problem = screen_text(kit, raw)
    if problem:
        ack(response_action="errors", errors={"message": problem})
        return
    waitlist = WAITLIST in (form.get(WAITLIST) or [])
    sent = tm.send(services.store, shift_id=shift.id, sender=actor, role=role, text=text, waitlist=waitlist,
                   request_key=bk.submission_key(body))
    if sent is None:  # changed meanwhile: gone, cancelled, or led by someone else now
        ack(response_action="errors", errors={"message": kit.render(
            "team/not_allowed.j2", shift=sh.load_shift(services.store, shift.id))})
        return
    ack(response_action="update", view=sent_view(kit, shift, sent))
    if not sent.repeat:
        kit.notifier.flush()


def register(app: App, kit: Kit) -> None:
    """Wire Message the team, its form, and the expiry of the messages' words."""

    kit.periodic.append(lambda: _expire_words(kit))
    kit.wire(app, actions={
        ids.TEAM_MESSAGE_OPEN: on_open,
    }, forms={
        CALLBACK: on_submit,
    })
