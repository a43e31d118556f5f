"""In the field without data: a watched shift's start by SMS, IN / OUT / SOS texted back from a verified alert
phone (through the signed /twilio/sms webhook of handlers/phone.py), and the duress word (set on My alert
phone; typed at check-out, by SMS or in the check-out form of handlers/safety.py).

A texted word acts exactly as the Slack button does, for the phone's owner only: the same domain calls,
the same refusals (answered by SMS, short). A duress check-out reads, to everyone but the coordinators,
exactly as a normal one.
"""

from __future__ import annotations

import threading

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers import ids, points
from handlers import phone as phone_views
from handlers import safety as safety_views
from handlers import sos as sos_views
from handlers.click import Click
from handlers.kit import Kit
from handlers.notify import gate, notice
from outreach import duress, field, safety, sos
from outreach import shifts as sh
from outreach.i18n import gettext as _
from outreach.roles import Role


@gate("safety/start_sms")
def start_still_true(kit: Kit, context: dict) -> bool:
    """A start SMS goes only while its night is live and its person still out (not back, not absent)."""
    shift = sh.load_shift(kit.services.store, int(context["shift_id"]))
    if shift is None or shift.cancelled or kit.services.now() >= shift.ends_at:
        return False
    state = safety.load_state(kit.services.store, shift.id)
    return bool(state.night and state.night.live()) and str(context.get("user")) in state.unaccounted


@notice("safety/start_sms")
def notice_start(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """The start of a watched shift, by SMS: the words to reply (lock-screen safe)."""
    return kit.render("field/sms.j2", part="start", number=int(context["shift_id"])), []


# ---------------------------------------------------------------- IN, OUT, SOS by SMS


def _flush_later(kit: Kit) -> None:
    """Send what the action queued (rewritten DMs, the team's messages) without keeping Twilio waiting."""
    threading.Thread(target=kit.notifier.flush, name="field-sms", daemon=True).start()


def answer(kit: Kit, *, user: str, body: str, sid: str) -> str | None:
    """What IN, OUT or SOS texted from `user`'s verified phone does, and the SMS that answers it (None: the text
    is none of them)."""
    store = kit.services.store
    reply = field.parse(body)
    if reply is None:
        return None
    if reply.word == "sos":
        return _sos(kit, user=user, number=reply.shift_id, sid=sid)
    store, now = kit.services.store, kit.services.now()
    with store.read() as db:
        how, number, choices = field.pick(db, user, reply, now)
    if how != "one" or number is None:
        return kit.render("field/sms.j2", part=how, word=reply.word.upper(), choices=choices)
    if reply.word == "in":
        outcome, _row = safety.check_in(store, shift_id=number, user=user)
        _flush_later(kit)
        return kit.render("field/sms.j2", part="in", outcome=outcome, number=number)
    done = safety_views.check_out(kit, user, number, typed=reply.rest)
    _flush_later(kit)
    return kit.render("field/sms.j2", part="out", outcome=done.outcome, number=number, over=done.over,
                      absent=bool(done.absent))


def _sos(kit: Kit, *, user: str, number: int | None, sid: str) -> str:
    """SOS by SMS, as `/outreach sos`: the shift named, else the one under way that started last (never a lesson
    first); the answer says whether a coordinator has it yet, and how to send it for another shift."""
    live = [s.id for s in sos.shifts_under_way(kit.services.store, user=user, now=kit.services.now(),
                                               watched_only=False)]
    if number is None and not live:
        return kit.render("field/sms.j2", part="sos", outcome="none_under_way")
    number = number if number is not None else live[0]
    outcome, item, _shift = sos_views.press(kit, shift_id=number, user=user, request_key=f"sms:{sid}", typed=True)
    delivered = item is not None and sos_views.delivered_at(kit, item) is not None
    return kit.render("field/sms.j2", part="sos", outcome=outcome, number=number, delivered=delivered,
                      others=[s for s in live if s != number])


# ---------------------------------------------------------------- the duress word (My alert phone)


def phone_parts(kit: Kit, user: str) -> list[Block]:
    """On the My alert phone modal: whether a duress word is set, with Set / Change and Remove."""
    have = duress.load(kit.services.store, user)
    parts: list[Block] = [bk.divider(), bk.section(
        kit.render("field/duress.j2", part="phone", have=have),
        accessory=bk.button(_("Change word") if have else _("Set a duress word"), ids.DURESS_OPEN), block_id="duress")]
    if have:
        parts.append(bk.actions(bk.button(_("Remove word"), ids.DURESS_REMOVE, style="danger", confirm=bk.confirm(
            _("Remove your duress word?"), kit.render("field/duress.j2", part="remove_confirm"), yes=_("Remove"),
            no=_("Go back"))),
            block_id=ids.DURESS_REMOVE))
    return parts


def word_view(kit: Kit, *, have: bool) -> dict:
    """The form to set (or change) the duress word."""
    return bk.modal(title=_("Duress word"), callback_id=ids.DURESS_WORD, submit=_("Save"), close=_("Go back"), blocks=[
        bk.section(kit.render("field/duress.j2", part="explain", have=have)),
        bk.text_input("word", _("Your duress word"), max_length=duress.MAX_LENGTH)])


def details_duress(kit: Kit, shift: sh.Shift, role: Role, on_team: bool = True) -> list[Block]:
    """In a shift's Details, for coordinators not `on_team` only: its duress SOS (the team's Details never show one,
    a coordinator's on the team included)."""
    if role < Role.COORDINATOR or on_team:
        return []
    items = [i for i in sos.of_shift(kit.services.store, shift.id, duress=True) if i.duress]
    return [bk.context(kit.render("field/duress.j2", part="details", items=items, tz=shift.tz))] if items else []


def on_open(kit: Kit, click: Click) -> None:
    click.show(word_view(kit, have=duress.load(kit.services.store, click.actor)))


def on_remove(kit: Kit, click: Click) -> None:
    gone = duress.remove(kit.services.store, user=click.actor)
    note = kit.render("field/duress.j2", part="removed" if gone else "none")
    click.update(phone_views.phone_view(kit, click.actor, note=note))


def on_word(kit: Kit, ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    store = kit.services.store
    actor = context["actor"]
    problem = duress.set_word(store, user=actor, word=str((context.get("form") or {}).get("word") or ""))
    if problem is not None:
        ack(response_action="errors", errors={"word": kit.render("field/duress.j2", part=problem,
                                                                 low=duress.MIN_LENGTH, high=duress.MAX_LENGTH)})
        return
    ack()  # this form closes: back to My alert phone, which now says the word is set
    previous = (body.get("view") or {}).get("previous_view_id")
    if previous:
        client.views_update(view_id=previous, view=phone_views.phone_view(
            kit, actor, note=kit.render("field/duress.j2", part="saved")))


def register(app: App, kit: Kit) -> None:
    """The SMS words, the duress word on My alert phone, and the duress line in a coordinator's Details."""

    points.add(points.SMS_WORDS, answer)
    points.add(points.PHONE_PARTS, phone_parts)
    points.add(points.DETAILS_EXTRAS, details_duress)
    kit.wire(app, actions={
        ids.DURESS_OPEN: on_open,
        ids.DURESS_REMOVE: on_remove,
    }, forms={
        ids.DURESS_WORD: on_word,
    })
