"""Safety in Slack: check-in / check-out prompts and commands, "All OK?" pings, escalations."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from markupsafe import Markup
from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from handlers import blocks as bk
from handlers import ids, points
from handlers.click import Click, coordinators
from handlers.commands import CommandRequest, parse_number, subcommand
from handlers.kit import Kit
from handlers.notify import gate, notice
from handlers.sos import sos_button, spoken_every
from outreach import debriefs as dbf
from outreach import duress, incidents, phones, reminders, response, safety
from outreach import shifts as sh
from outreach.digits import parse_number as parse_whole
from outreach.i18n import N_, pgettext
from outreach.i18n import gettext as _
from outreach.roles import Role
from outreach.shifts import Shift
from outreach.store import from_iso


def result_text(kit: Kit, action: str, outcome: str, number: int, **extra: object) -> str:
    """What a safety action did, in words."""
    words: dict = {"shift": None, "others": (), "still_out": (), "absent": (), "kept": (), "told": False,
                   "minutes": None, "over": False, **extra}
    return kit.render("safety/result.j2", action=action, outcome=outcome, number=number,
                      low=safety.MIN_EVERY, high=safety.MAX_EVERY, **words)


def check_out(kit: Kit, actor: str, number: int, *, typed: str | None = None) -> safety.Result:
    """Check the actor out (themselves only: the whole team is "Everyone back safe"); the coordinator channel
    hears of an early end. `typed`: what they typed at check-out (the check-out form, OUT by SMS): their duress
    word also raises a duress SOS to the coordinators, which the result (all anyone sees) never shows."""
    services = kit.services
    settings = services.settings
    coordinators = services.coordinators()
    texted = None
    if settings.twilio:
        with services.store.read() as db:
            texted = coordinators + phones.people_on_call(db, settings, now=services.now())
    done = duress.check_out(services.store, shift_id=number, user=actor, typed=typed,
                            coordinator_channel=settings.coordinator_channel, coordinators=coordinators,
                            texted=texted,
                            call_after=settings.call_after if settings.twilio_from else None)
    if done.sos_id is not None:  # the coordinators' DMs at once, as an SOS's, but beside the member's answer: an
        # answer that waited on Slack (late, or never within Twilio's 15 s) would tell whoever holds their phone
        threading.Thread(target=kit.notifier.flush, kwargs={"urgent": True}, name="duress", daemon=True).start()
    return done.result


def checkout_text(kit: Kit, actor: str, number: int) -> str:
    """Check the actor out and say what happened."""
    return done_text(kit, "checkout", check_out(kit, actor, number), number)


def done_text(kit: Kit, action: str, done: safety.Result, number: int) -> str:
    """What a check-in or check-out did, from its result: "everyone is back safe" only once the night is over."""
    return result_text(kit, action, done.outcome, number, shift=done.shift, others=done.others,
                       still_out=done.still_out, absent=done.absent, kept=done.kept, over=done.over,
                       told=bool(kit.services.settings.coordinator_channel))


def state_line(kit: Kit, shift: Shift) -> Markup:
    """A shift's check-in state for lists, Details and the App Home (empty before it starts)."""
    now = kit.services.now()
    if shift.cancelled or not shift.started(now) and now < shift.starts_at - safety.EARLY_CHECKIN:
        return Markup("")
    state = safety.load_state(kit.services.store, shift.id)
    if not shift.safety_net and not (state.night and state.night.status == "not_held"):
        return Markup("")
    acked = tuple(dict(e, acked_at_dt=from_iso(e["acked_at"])) for e in state.acked)
    state = safety.State(**{**state.__dict__, "acked": acked})
    return Markup(kit.render("safety/state.j2", state=state, tz=shift.tz, started=shift.started(now)))


def _shift(kit: Kit, context: dict) -> Shift | None:
    return sh.load_shift(kit.services.store, int(context["shift_id"]))


@notice("safety/checkin_prompt")
def notice_checkin(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Ask the lead to check in at the start."""
    shift = _shift(kit, context)
    if not shift or shift.cancelled or kit.services.now() >= shift.ends_at:
        return None
    state = safety.load_state(kit.services.store, shift.id)
    mine = state.member(str(context.get("user") or shift.lead))
    if not state.night or not state.night.live() or state.over or (mine and (mine.checked_in_at or mine.absent)):
        return None
    lead = str(context.get("user") or shift.lead) == shift.lead
    text = kit.render("safety/checkin_prompt.j2", shift=shift, lead=lead)
    buttons = [bk.button(_("Check in (me)") if lead else _("Check in"), ids.SAFETY_CHECKIN, str(shift.id), style="primary")]
    if lead:
        buttons.append(bk.button(_("Who is out tonight?"), ids.SAFETY_TEAM_IN, str(shift.id)))
    return text, bk.message([bk.section(text), bk.actions(*buttons, sos_button(kit, shift),
                                                          block_id=f"checkin:{shift.id}")])


def everyone_button(shift: Shift, *, primary: bool = True) -> bk.ButtonElement:
    """The lead's "Everyone back safe": a form naming who is still out, where each is checked out, or
    marked "wasn't out tonight", or left out and watched."""
    return bk.button(_("Everyone back safe"), ids.SAFETY_TEAM_OUT, str(shift.id), style="primary" if primary else None)


def my_checkout_button(kit: Kit, shift: Shift, label: str | None = None, *,
                       user: str | None = None) -> bk.ButtonElement:
    """A person's own Check out (I am back safe), behind a confirm dialog; for a `user` who set a duress word,
    a form with a field for it instead (the tap opens it). `label`: already in the reader's language."""
    label = label or pgettext("one person", "Check out")
    if user and duress.load(kit.services.store, user):
        return bk.button(label, ids.SAFETY_CHECKOUT, str(shift.id), style="primary")
    return bk.button(label, ids.SAFETY_CHECKOUT, str(shift.id), style="primary",
                     confirm=bk.confirm(_("Check out of shift #%(number)s?") % {"number": shift.id},
                                        kit.render("safety/confirm_checkout.j2", shift=shift, mine=True, still_out=()),
                                        yes=_("I'm back safe"), no=_("Go back"), danger=False))


@notice("safety/checkout_prompt")
def notice_checkout(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """The lead's one DM at the shift's end: Check out; once checked out, the same DM shows Write debrief."""
    shift = _shift(kit, context)
    if not shift or shift.cancelled:
        return None
    state = safety.load_state(kit.services.store, shift.id)
    user = str(context.get("user") or shift.lead)
    if user != shift.lead:  # a member's own end-of-shift DM: Check out, then a thank-you
        mine = state.member(user)
        if mine and (mine.checked_out_at or mine.absent) or state.over:
            text = kit.render("safety/checked_out.j2", shift=shift, state=state, mine=mine, member=True, written=False)
            return text, bk.message([bk.section(text)])
        text = kit.render("safety/checkout_prompt.j2", shift=shift, member=True, still_out=(),
                          overdue=shift.ends_at + kit.services.settings.checkout_grace)
        return text, bk.message([bk.section(text), bk.actions(my_checkout_button(kit, shift, user=user),
                                                              block_id=f"checkout:{shift.id}")])
    watched = bool(state.night and state.night.live())
    if watched and not state.over:
        text = kit.render("safety/checkout_prompt.j2", shift=shift, still_out=state.unaccounted, member=False,
                          overdue=shift.ends_at + kit.services.settings.checkout_grace)
        buttons = [everyone_button(shift)]
        if shift.lead in state.unaccounted:
            buttons.insert(0, my_checkout_button(kit, shift, label=_("Check out (me)"), user=shift.lead))
        return text, bk.message([bk.section(text), bk.actions(*buttons, block_id=f"checkout:{shift.id}")])
    if state.night and state.night.status == "not_held":
        return None
    written = dbf.load_debrief(kit.services.store, shift.id) is not None
    text = kit.render("safety/checked_out.j2", shift=shift, state=state, written=written, member=False, mine=None,
                      watched=watched)
    parts = [bk.section(text)]
    buttons = [] if written else [bk.button(_("Write debrief"), ids.DEBRIEF_OPEN, str(shift.id), style="primary")]
    if shift.kind == "training":  # who came gets the training recorded (handlers/people.py)
        buttons.append(bk.button(_("Confirm attendance"), ids.TRAINING_ATTENDANCE, str(shift.id)))
    if buttons:
        parts.append(bk.actions(*buttons, block_id=f"debrief:{shift.id}"))
    return text, bk.message(parts)


@notice("safety/early_checkout")
def notice_early_checkout(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Tell the coordinator channel that a team checked out before its shift's planned end."""
    shift = _shift(kit, context)
    if not shift or shift.cancelled:
        return None
    text = kit.render("safety/early_checkout.j2", shift=shift, by=context.get("by"), at=from_iso(context["at"]))
    return text, bk.message([bk.section(text), bk.actions(
        bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)), block_id=f"early:{shift.id}")])


@notice("safety/ping")
def notice_ping(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Ask the lead "All OK?" during the shift."""
    shift = _shift(kit, context)
    now = kit.services.now()
    if not shift or shift.cancelled or now >= shift.ends_at:
        return None
    state = safety.load_state(kit.services.store, shift.id)
    mine = state.member(str(context.get("user") or shift.lead))
    if state.over or (mine and mine.absent):  # someone not out tonight is not asked (their answer would not count)
        return None
    with kit.services.store.read() as db:
        if int(context["seq"]) in safety.answered_pings(db, shift.id):
            return None
    text = kit.render("safety/ping.j2", shift=shift, passed_on=context.get("passed_on"))
    return text, bk.message([bk.section(text), bk.actions(
        bk.button(_("All OK"), ids.SAFETY_OK, f"{shift.id}:{context['seq']}", style="primary"),
        block_id=f"ping:{shift.id}:{context['seq']}")])


def _alert_words(kit: Kit, shift: Shift) -> dict:
    """What the alert message and the DMs show: state, each escalation, team, law enforcement contact."""
    with kit.services.store.read() as db:
        state = safety.get_state(db, shift.id, now=kit.services.now())
        rows = safety.escalations_of(db, shift.id)
        incident = incidents.latest(db, shift.id)
        members = sh.team(db, shift.id)[0]
        steps = safety.steps(db, shift.id)
    escalations = [dict(r, since=from_iso(r["started_at"]),
                        acked=from_iso(r["acked_at"]) if r["acked_at"] else None) for r in rows]
    contacts = next((s["people"] for s in steps if s["step"] == "contacts"), None)
    settings = kit.services.settings
    return {"shift": shift, "state": state, "escalations": escalations, "members": members,
            "contact": kit.contact(shift.id), "open": [e for e in escalations if not e["acked_at"]],
            "every": spoken_every(settings.escalation_repeat), "still_out": state.still_out,
            "absent": state.absent, "contacts": contacts, "after": settings.escalation_contacts_after,
            "incident": incident}


def _ack_row(shift: Shift, reason: str, *, block_id: str) -> bk.ActionsBlock:
    return bk.actions(
        bk.button(_("Acknowledge"), ids.SAFETY_ACK, f"{shift.id}:{reason}", style="danger"),
        bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)), block_id=block_id)


def resolve_button(kit: Kit, shift: Shift) -> bk.ButtonElement:
    """A coordinator closes the shift's incident, behind a confirm dialog."""
    return bk.button(_("Resolved"), ids.INCIDENT_RESOLVE, str(shift.id),
                     confirm=bk.confirm(_("Close shift #%(number)s's alert?") % {"number": shift.id},
                                        kit.render("safety/resolve_confirm.j2", shift=shift),
                                        yes=_("Resolved"), no=_("Go back"), danger=False))


def _taken_row(kit: Kit, shift: Shift, words: dict, *, block_id: str) -> bk.ActionsBlock:
    """The buttons of an alert: Acknowledge while open, Resolved once taken on, Details always."""
    incident = words["incident"]
    if words["open"] and not words["state"].over:
        return _ack_row(shift, words["open"][0]["reason"], block_id=block_id)
    buttons = [bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id))]
    if incident is not None and incident.resolved_at is None:
        buttons.insert(0, resolve_button(kit, shift))
    return bk.actions(*buttons, block_id=block_id)


@notice("safety/alert")
def notice_alert(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """The shift's one alert message in the coordinators' channel, as things stand (posted, then updated)."""
    shift = _shift(kit, context)
    if not shift:
        return None
    words = _alert_words(kit, shift)
    if not words["escalations"]:
        return None
    text = kit.render("safety/alert.j2", part="headline", dm=False, **words)
    parts = [bk.section(kit.render("safety/alert.j2", part="body", dm=False, **words)),
             _taken_row(kit, shift, words, block_id=f"alert:{shift.id}")]
    return text, bk.message(parts)


def _still_open(kit: Kit, context: dict) -> tuple[Shift, dict, dict] | None:
    """The shift, its alert's words and the escalation a notice is about, while it is still open."""
    shift = _shift(kit, context)
    if not shift:
        return None
    words = _alert_words(kit, shift)
    row = next((e for e in words["open"] if e["reason"] == context["reason"]), None)
    if row is None or words["state"].over:
        return None
    return shift, words, row


@notice("safety/alert_repeat")
def notice_alert_repeat(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A repeat (or another reason opening) as a reply in the alert's thread; skipped once settled."""
    found = _still_open(kit, context)
    if found is None:
        return None
    shift, words, row = found
    rounds = int(context.get("round", 0))
    level3 = words["contacts"] if rounds and rounds == kit.services.settings.escalation_contacts_after else None
    text = kit.render("safety/alert_repeat.j2", shift=shift, e=row, round=rounds, level3=level3,
                      still_out=words["still_out"])
    return text, bk.message([bk.section(text)])


@notice("safety/are_you_ok")
def notice_are_you_ok(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Level 1: the lead and the members out are asked by DM whether they are all right; once settled
    (answered, taken on, everyone back), the DM is rewritten without its buttons."""
    found = _still_open(kit, context)
    if found is None:
        shift = _shift(kit, context) if context.get("_mode") == "update" else None
        if shift is None:
            return None
        words = _alert_words(kit, shift)
        text = kit.render("safety/are_you_ok.j2", shift=shift, settled=True, state=words["state"],
                          incident=words["incident"], e=None, still_out=(), lead=False, then=None)
        return text, bk.message([bk.section(text)])
    shift, words, row = found
    user = str(context.get("user") or "")
    mine = words["state"].member(user)
    wait = kit.services.settings.escalation_team_wait
    text = kit.render("safety/are_you_ok.j2", shift=shift, e=row, still_out=words["still_out"],
                      lead=user == shift.lead, then=row["since"] + wait if wait else None, settled=False)
    buttons = []
    if row["reason"].startswith("ping"):
        buttons.append(bk.button(_("All OK"), ids.SAFETY_OK, f"{shift.id}:{row['reason'][4:]}", style="primary"))
    if mine is None or mine.out or (row["reason"] == "checkout" and not mine.checked_out_at):
        buttons.append(my_checkout_button(kit, shift, user=user or None))
    if user == shift.lead and words["still_out"]:
        buttons.append(everyone_button(shift, primary=False))
    return text, bk.message([bk.section(text), bk.actions(*buttons, block_id=f"ok:{shift.id}:{row['reason']}")])


@notice("safety/handled")
def notice_handled(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """The lead and the members out are told who took the alert on."""
    shift = _shift(kit, context)
    if not shift:
        return None
    text = kit.render("safety/handled.j2", shift=shift, by=context["by"], at=from_iso(context["at"]))
    return text, bk.message([bk.section(text)])


@notice("safety/escalation")
def notice_escalation(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A coordinator's one DM about an escalation; rewritten in place once acknowledged or checked out."""
    shift = _shift(kit, context)
    if not shift:
        return None
    words = _alert_words(kit, shift)
    mine = next((e for e in words["escalations"] if e["reason"] == context["reason"]), None)
    settled = words["state"].over or (mine is not None and (mine["acked_at"] or mine["expired_at"]) is not None)
    if mine is None or (settled and not context.get("_mode")):
        return None  # settled before it went out: no DM at all
    text = kit.render("safety/alert.j2", part="body", dm=True, **words)
    parts: list = [bk.section(text)]
    if settled:
        parts.append(bk.context(kit.render("safety/alert.j2", part="settled", dm=True, mine=mine, **words)))
        incident = words["incident"]
        if incident is not None and incident.resolved_at is None and not words["state"].over:
            parts.append(bk.actions(resolve_button(kit, shift), block_id=f"escalation:{shift.id}:{mine['reason']}"))
    else:
        parts.append(_ack_row(shift, mine["reason"], block_id=f"escalation:{shift.id}:{mine['reason']}"))
    return text, bk.message(parts)


@notice("safety/went_out")
def notice_went_out(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """"Did shift #N go out?" to the lead and the coordinators (We're out / It didn't go out); rewritten once answered."""
    shift = _shift(kit, context)
    if not shift:
        return None
    state = safety.load_state(kit.services.store, shift.id)
    the_night = state.night
    answered = the_night is not None and (the_night.went_out_at is not None or the_night.status != "planned")
    if answered and not context.get("_mode"):
        return None
    undo = answered and the_night is not None and the_night.status == "not_held" and kit.services.now() < shift.ends_at
    text = kit.render("safety/went_out.j2", shift=shift, night=the_night, answered=answered, undo=undo)
    parts: list = [bk.section(text)]
    if not answered:
        parts.append(bk.actions(*night_buttons(kit, shift), block_id=f"went_out:{shift.id}"))
    elif undo:  # a mistaken "It didn't go out" is taken back with "We're out" (outreach/safety.py were_out)
        parts.append(bk.actions(bk.button(_("We're out after all"), ids.NIGHT_OUT, str(shift.id), style="primary"),
                                block_id=f"went_out:{shift.id}"))
    return text, bk.message(parts)


def night_buttons(kit: Kit, shift: Shift) -> list[bk.ButtonElement]:
    """We're out (the net counts everyone as out) and It didn't go out (behind a confirm)."""
    return [bk.button(_("We're out"), ids.NIGHT_OUT, str(shift.id), style="primary"),
            bk.button(_("It didn't go out"), ids.NIGHT_NOT_HELD, str(shift.id),
                      confirm=bk.confirm(_("Shift #%(number)s didn't go out?") % {"number": shift.id},
                                         kit.render("safety/not_held_confirm.j2", shift=shift),
                                         yes=_("It didn't go out"), no=_("Go back"), danger=False))]


@notice("safety/to_handler")
def notice_to_handler(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A reason that opened while the shift's alert was taken on, told to its handler."""
    shift = _shift(kit, context)
    if not shift:
        return None
    words = _alert_words(kit, shift)
    if words["state"].over:
        return None
    text = kit.render("safety/to_handler.j2", shift=shift, reason=context["reason"], still_out=words["still_out"])
    return text, bk.message([bk.section(text), _taken_row(kit, shift, words, block_id=f"to_handler:{shift.id}")])


@notice("safety/recheck")
def notice_recheck(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """An alert taken on and not resolved: its handler (round 1), then the other coordinators, asked again."""
    shift = _shift(kit, context)
    if not shift:
        return None
    words = _alert_words(kit, shift)
    incident = words["incident"]
    if incident is None or incident.id != int(context["incident_id"]) or incident.resolved_at:
        return None
    text = kit.render("safety/recheck.j2", shift=shift, incident=incident, round=int(context["round"]),
                      still_out=words["still_out"], over=words["state"].over)
    return text, bk.message([bk.section(text), bk.actions(
        resolve_button(kit, shift), bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)),
        block_id=f"recheck:{shift.id}")])


@notice("safety/resolved")
def notice_resolved(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """The incident closed, with the night's timeline (in the alert's thread)."""
    shift = _shift(kit, context)
    if not shift:
        return None
    words = _alert_words(kit, shift)
    text = kit.render("safety/resolved.j2", shift=shift, incident=words["incident"], still_out=words["still_out"])
    timeline = timeline_text(kit, shift, private=bool(context.get("private")))
    return text, bk.message([bk.section(text)] + ([bk.context(timeline)] if timeline else []))


@notice("safety/expired")
def notice_expired(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """An alert nobody took on, closed at the end of the look-back window: never silently."""
    shift = _shift(kit, context)
    if not shift:
        return None
    words = _alert_words(kit, shift)
    text = kit.render("safety/expired.j2", shift=shift, still_out=words["still_out"],
                      hours=int(safety.LOOKBACK.total_seconds() // 3600), missed=bool(context.get("missed")))
    return text, bk.message([bk.section(text), bk.actions(bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)),
                                                          block_id=f"expired:{shift.id}")])


def timeline_text(kit: Kit, shift: Shift, *, private: bool = False) -> str | None:
    """The shift's escalation steps as a short timeline (None when nothing was escalated); a duress SOS's
    steps only when `private` (shown to coordinators alone)."""
    with kit.services.store.read() as db:
        hidden = set() if private else duress.hidden_steps(db, shift.id)
        steps = [s for s in safety.steps(db, shift.id) if s["id"] not in hidden]
    if not steps:
        return None
    taken = {(s["at"], s["by"]) for s in steps if s["step"].startswith("taken:")}
    once: dict[tuple, dict] = {}
    for step in steps:  # one line per event: an acknowledgement of several reasons at once is one
        if step["step"] == "ack" and not step["reason"].startswith("sos:") and (step["at"], step["by"]) in taken:
            continue
        key = (step["step"], step["at"], step["by"]) if step["step"] in ("ack", "team", "coordinators") else (
            step["reason"], step["step"])
        once.setdefault(key, step)
    return kit.render("safety/timeline.j2", shift=shift, steps=list(once.values()))


def timeline_blocks(kit: Kit, shift: Shift, *_rest: object, private: bool = False) -> list:
    """For a shift's Details and the debrief: the timeline in a context block, when there is one (a duress
    SOS's steps only when `private`: a coordinator's Details)."""
    text = timeline_text(kit, shift, private=private)
    return [bk.context(text)] if text else []


def timeline_button(kit: Kit, shift: Shift, *_rest: object) -> list:
    """For the debrief's first screen: the timeline behind one button (it can run to two dozen lines)."""
    if not safety.load_steps(kit.services.store, shift.id):
        return []
    return [bk.actions(bk.button(_("Safety timeline"), ids.SAFETY_TIMELINE, str(shift.id)), block_id=f"timeline:{shift.id}")]


def timeline_view(kit: Kit, shift: Shift) -> dict:
    """The night's timeline in a modal of its own, pushed over the debrief (its close button reads Back)."""
    text = timeline_text(kit, shift) or kit.render("safety/timeline_none.j2", shift=shift)
    return bk.modal(title=_("Safety timeline"), callback_id=ids.SAFETY_TIMELINE, close=_("Back"),
                    blocks=bk.sections(text)[: bk.VIEW_BLOCKS])


def team_buttons(kit: Kit, shift: Shift, now: datetime) -> list[bk.ButtonElement]:
    """The lead's buttons for the whole team on a watched night: "Who is out tonight?" (and, once started
    with no sign of going out, We're out / It didn't go out), then "Everyone back safe"."""
    if shift.cancelled or not shift.safety_net or now < shift.starts_at - safety.EARLY_CHECKIN:
        return []
    state = safety.load_state(kit.services.store, shift.id)
    if state.over or not state.night or not state.night.live():
        return []
    buttons = []
    if not any(m.checked_in_at for m in state.members):
        buttons.append(bk.button(_("Who is out tonight?"), ids.SAFETY_TEAM_IN, str(shift.id)))
        if now >= shift.starts_at and state.night.went_out_at is None:
            buttons += night_buttons(kit, shift)
    if state.still_out and (state.night.went_out_at or now >= shift.ends_at):
        buttons.append(everyone_button(shift, primary=False))
    return buttons


def details_team_row(kit: Kit, shift: Shift, role: Role) -> list:
    """In a shift's Details, for coordinators while the shift is under way: the team buttons."""
    buttons = team_buttons(kit, shift, kit.services.now()) if role >= Role.COORDINATOR else []
    return [bk.actions(*buttons, block_id=f"team_safety:{shift.id}")] if buttons else []


def details_extra(kit: Kit, shift: Shift, role: Role, on_team: bool = True) -> list:
    """What a shift's Details shows of safety: the escalation timeline (a duress SOS's steps for coordinators not
    `on_team` only), and the team buttons for coordinators."""
    return (timeline_blocks(kit, shift, private=role >= Role.COORDINATOR and not on_team)
            + details_team_row(kit, shift, role))


def checkout_form(kit: Kit, shift: Shift, *, where: dict) -> dict:
    """Check out, for someone who set a duress word: the confirm dialog's words, and a field for a word (empty or
    any word: a check-out; their duress word: a check-out too, and the coordinators alerted silently)."""
    return bk.modal(title=pgettext("one person", "Check out"), callback_id=ids.SAFETY_CHECKOUT_FORM,
                    submit=_("I'm back safe"), close=_("Go back"),
                    metadata={"shift_id": shift.id, **where},
                    blocks=[bk.section(kit.render("safety/confirm_checkout.j2", shift=shift, mine=True, still_out=())),
                            bk.text_input("word", _("Word"), optional=True, max_length=80)])


def team_in_view(kit: Kit, shift: Shift, people: list[str]) -> dict:
    """The lead's (or a coordinator's) modal: who is out tonight, prefilled with the confirmed team."""
    return bk.modal(
        title=_("Who is out tonight?"), callback_id=ids.SAFETY_TEAM_IN, submit=_("Check in"), close=_("Cancel"),
        metadata={"shift_id": shift.id},
        blocks=[bk.section(kit.render("safety/team_form.j2", part="in", shift=shift, still_out=())),
                bk.people_input("out", _("Out tonight"), initial=people,
                               hint=_("Those not named are marked absent (not there), not safe."))])


def team_out_view(kit: Kit, shift: Shift, state: safety.State) -> dict:
    """The modal "Everyone back safe": everyone not yet accounted for, all picked as back; whoever is
    taken off stays out and watched; whoever never came can be named as "wasn't out tonight"."""
    waiting = state.unaccounted
    never = [u for u in waiting if not ((m := state.member(u)) and m.checked_in_at)]
    blocks: list = [bk.section(kit.render("safety/team_form.j2", part="out", shift=shift, still_out=waiting)),
                    bk.people_input("back", _("Back safe"), initial=waiting, optional=True,
                                    hint=_("Take off anyone not back yet: they stay out and are watched."))]
    if never:
        blocks.append(bk.people_input("absent", _("Wasn't out tonight"), optional=True,
                                      hint=_("Only people who never checked in. They are marked absent, not safe.")))
    return bk.modal(title=_("Everyone back safe"), callback_id=ids.SAFETY_TEAM_OUT, submit=_("Check out"), close=_("Cancel"),
                    metadata={"shift_id": shift.id}, blocks=blocks)


@gate("debriefs/request")
def debrief_after_checkout(kit: Kit, context: dict) -> bool:
    """On a watched night a debrief request waits for everyone to be back (the lead's end DM offers the
    debrief then); an unwatched shift's goes out as planned; a night that didn't go out gets none."""
    shift_id = parse_whole(str(context.get("shift_id", "")))
    if shift_id is None:
        return False
    state = safety.load_state(kit.services.store, shift_id)
    if state.night is None or state.night.status in ("not_held", "cancelled"):
        return False
    return state.over or not state.night.watched


# ---------------------------------------------------------------- commands


@subcommand("checkin", usage="N")
def cmd_checkin(req: CommandRequest) -> None:
    """Check yourself in on a shift (the lead or a confirmed member)."""
    number = req.shift_number("/outreach checkin N (the shift's number)")
    if number is not None:
        outcome, _row = safety.check_in(req.kit.services.store, shift_id=number, user=req.actor)
        req.reply(result_text(req.kit, "checkin", outcome, number))


@subcommand("checkout", usage="N")
def cmd_checkout(req: CommandRequest) -> None:
    """Check yourself out of a shift (the lead: everyone still out with them)."""
    number = req.shift_number("/outreach checkout N (the shift's number)")
    if number is not None:
        req.reply(checkout_text(req.kit, req.actor, number))
        req.kit.notifier.flush()


@subcommand("checkevery", role=Role.COORDINATOR, usage="N MINUTES")
def cmd_checkevery(req: CommandRequest) -> None:
    """Ask a shift's lead "All OK?" every so many minutes during the shift (0 turns it off)."""
    usage = "/outreach checkevery N MINUTES (0 turns mid-shift check-ins off)"
    parts = req.args.split(" ")
    number = parse_number(parts[0]) if parts and parts[0] else None
    minutes = parse_whole(parts[1]) if len(parts) == 2 else None
    if number is None or minutes is None:
        req.say("common/usage.j2", usage=usage)
        return
    outcome, _row = safety.set_every(req.kit.services.store, shift_id=number, minutes=minutes, actor=req.actor)
    req.reply(result_text(req.kit, "every", outcome, number, minutes=minutes))


# ---------------------------------------------------------------- wiring


def _updated_in_place(click: Click, places: list) -> bool:
    """True when the tapped message is one the outbox rewrites in place (so no other answer is due)."""
    return any(p.ts == click.message_ts and p.channel == click.channel for p in places)


def _answer_checkout(kit: Kit, client: WebClient, actor: str, done: safety.Result, number: int, *,
                     channel: str, ts: str, home: bool, respond_to: Callable[..., object] | None) -> None:
    """A check-out's answer where it was asked for: nothing more when the tapped DM is rewritten in place,
    else by DM with the App Home shown again (a tap there), or beside the message."""
    services = kit.services
    kit.notifier.flush()  # the lead's DM turns into Write debrief, the alert shows the check-out
    with services.store.read() as db:
        places = safety.lead_messages(db, number) + safety.member_messages(db, number)
    if done.outcome in ("done", "early") and any(p.ts == ts and p.channel == channel for p in places):
        return
    text = done_text(kit, "checkout", done, number)
    if home or respond_to is None:
        client.chat_postMessage(channel=actor, text=text)
        if home:
            points.publish_home(kit, client, actor)
    else:
        respond_to(text=text, response_type="ephemeral", replace_original=False)


def _night_action(kit: Kit, click: Click, action: str) -> None:
    """We're out / It didn't go out, by the lead or a coordinator, answered where it was tapped."""
    if (shift := _team_shift(kit, click, action)) is None:
        return
    act = safety.were_out if action == "were_out" else safety.not_held
    done = act(kit.services.store, shift_id=shift.id, actor=click.actor, coordinator=click.role >= Role.COORDINATOR)
    kit.notifier.flush()
    click.answer(done_text(kit, action, done, shift.id))


def _team_shift(kit: Kit, click: Click, action: str) -> Shift | None:
    """The shift of a team button, when the actor is its lead or a coordinator; else None (a forged or
    stale payload gets a DM saying why). An older lead's Check out carries "N:all": the number is N."""
    number = parse_whole(click.value.partition(":")[0])
    shift = sh.load_shift(kit.services.store, number) if number is not None else None
    if shift is None:
        return None
    if click.actor != shift.lead and click.role < Role.COORDINATOR:
        click.dm(result_text(kit, action, "not_allowed", shift.id))
        return None
    return shift


def _told(kit: Kit, context: BoltContext, client: WebClient, action: str, done: safety.Result,
          number: int) -> None:
    """The result of a team check-in or check-out, by DM (a modal carries no response_url)."""
    text = done_text(kit, action, done, number)
    client.chat_postMessage(channel=context["actor"], text=kit.render("common/lock_screen.j2", notice="safety/result",
                                                                      shift=done.shift, day=None, context={}),
                            blocks=bk.message([bk.section(text)]))
    kit.notifier.flush()


def on_checkin(kit: Kit, click: Click) -> None:
    number = parse_whole(click.value)
    if number is not None:
        outcome, _row = safety.check_in(kit.services.store, shift_id=number, user=click.actor)
        click.answer(result_text(kit, "checkin", outcome, number), replace=click.in_dm)


def on_timeline(kit: Kit, click: Click) -> None:
    """The night's timeline, pushed over the debrief it was tapped in (as a shift's Details shows it)."""
    number = parse_whole(click.value)
    shift = sh.load_shift(kit.services.store, number) if number is not None else None
    if shift is None:
        click.tell(kit.render("shifts/unavailable.j2", number=number, shift=None))
        return
    click.show(timeline_view(kit, shift))


def on_checkout(kit: Kit, click: Click) -> None:
    services = kit.services
    first, _sep, everyone = click.value.partition(":")
    number = parse_whole(first)
    if number is None:
        return
    if everyone == "all":  # an older lead's DM: "everyone" is the form that names who is back
        if (shift := _team_shift(kit, click, "team_out")) is not None:
            click.show(team_out_view(kit, shift, safety.load_state(services.store, shift.id)))
        return
    actor, home = click.actor, click.container.get("type") == "view"
    if duress.load(services.store, actor) and (shift := sh.load_shift(services.store, number)) is not None:
        click.show(checkout_form(kit, shift, where={  # where to answer once the form is sent, as a tap would be
            "channel": click.channel, "ts": click.message_ts, "home": home,
            "response_url": click.body.get("response_url")}))
        return
    _answer_checkout(kit, click.client, actor, check_out(kit, actor, number), number, channel=click.channel,
                     ts=click.message_ts, home=home, respond_to=click.respond)


def on_checkout_form(kit: Kit, ack: Ack, context: BoltContext, client: WebClient) -> None:
    meta, form = context.get("meta") or {}, context.get("form") or {}
    ack()  # never an error: whatever is typed, it is a check-out
    number = parse_whole(str(meta.get("shift_id") or ""))
    if number is None:
        return
    actor = context["actor"]
    url = str(meta.get("response_url") or "")
    done = check_out(kit, actor, number, typed=str(form.get("word") or ""))
    _answer_checkout(kit, client, actor, done, number, channel=str(meta.get("channel") or ""), ts=str(meta.get("ts") or ""),
                    home=bool(meta.get("home")),
                    respond_to=(lambda **k: WebhookClient(url).send(**k)) if url else None)


def on_ok(kit: Kit, click: Click) -> None:
    first, _sep, second = click.value.partition(":")
    number, seq = parse_whole(first), parse_whole(second)
    if number is not None and seq is not None:
        outcome, _row = safety.answer_ping(kit.services.store, shift_id=number, seq=seq, user=click.actor)
        click.answer(result_text(kit, "ping", outcome, number), replace=click.in_dm)


def on_ack(kit: Kit, click: Click) -> None:
    services = kit.services
    first, _sep, reason = click.value.partition(":")
    number = parse_whole(first)
    if number is None or not reason:
        return
    if click.role < Role.COORDINATOR and not safety.may_acknowledge(
            services.store, services.settings, shift_id=number, user=click.actor):
        click.refuse(Role.COORDINATOR, _("acknowledging a safety escalation"))
        return
    taken = response.take(services.store, shift_id=number, user=click.actor)
    kit.notifier.flush()  # the alert message and the coordinators' DMs show who took it on
    incident = taken.incident
    if incident is None or incident.handler is None:
        click.tell(result_text(kit, "ack", taken.outcome, number))
        return
    with services.store.read() as db:
        places = safety.alert_messages(db, number)
    if taken.outcome == "done" and _updated_in_place(click, places):
        return
    shift = sh.load_shift(services.store, number)
    click.tell(kit.render("safety/acked.j2", number=number, by=incident.handler, at=incident.taken_at,
                          tz=shift.tz if shift else services.settings.timezone, already=taken.outcome != "done",
                          resolved=incident.resolved_at is not None))


def on_resolve(kit: Kit, click: Click) -> None:
    services = kit.services
    number = parse_whole(click.value)
    if number is None:
        return
    done = response.resolve(services.store, shift_id=number, user=click.actor,
                            channel=services.settings.coordinator_channel)
    kit.notifier.flush()
    click.tell(kit.render("safety/resolved_result.j2", number=number, outcome=done.outcome, incident=done.incident))


def on_were_out(kit: Kit, click: Click) -> None:
    _night_action(kit, click, "were_out")


def on_not_held(kit: Kit, click: Click) -> None:
    _night_action(kit, click, "not_held")


def on_team_in(kit: Kit, click: Click) -> None:
    if (shift := _team_shift(kit, click, "team_in")) is None:
        return
    with kit.services.store.read() as db:
        people = safety.roster(db, shift)
    click.show(team_in_view(kit, shift, people))


def on_team_out(kit: Kit, click: Click) -> None:
    if (shift := _team_shift(kit, click, "team_out")) is None:
        return
    click.show(team_out_view(kit, shift, safety.load_state(kit.services.store, shift.id)))


def _people(form: dict, key: str) -> list[str]:
    return [u for u in form.get(key) or [] if isinstance(u, str)]


def _team_form(kit: Kit, ack: Ack, context: BoltContext, client: WebClient, action: str,
               act: Callable[[int, dict, bool], tuple[safety.Result, str | None]]) -> None:
    """A team check-in or check-out form: `act(number, form, coordinator)` gives the result and, when it is
    refused, the input to say why under; else the result by DM."""
    number = parse_whole((context.get("meta") or {}).get("shift_id"))
    if number is None:
        ack()
        return
    done, field = act(number, context.get("form") or {}, context["role"] >= Role.COORDINATOR)
    if field is not None:
        ack(response_action="errors", errors={field: result_text(kit, action, done.outcome, number,
                                                                 others=done.others)})
        return
    ack()
    _told(kit, context, client, action, done, number)


def on_team_in_submit(kit: Kit, ack: Ack, context: BoltContext, client: WebClient) -> None:
    def act(number: int, form: dict, coordinator: bool) -> tuple[safety.Result, str | None]:
        done = safety.team_check_in(kit.services.store, shift_id=number, actor=context["actor"],
                                    out=_people(form, "out"), coordinator=coordinator)
        return done, "out" if done.outcome in ("nobody", "not_on_team", "not_allowed") else None

    _team_form(kit, ack, context, client, "team_in", act)


def on_team_out_submit(kit: Kit, ack: Ack, context: BoltContext, client: WebClient) -> None:
    def act(number: int, form: dict, coordinator: bool) -> tuple[safety.Result, str | None]:
        absent = _people(form, "absent")
        done = safety.team_check_out(kit.services.store, shift_id=number, actor=context["actor"],
                                     back=_people(form, "back"), absent=absent, coordinator=coordinator,
                                     coordinator_channel=kit.services.settings.coordinator_channel)
        if done.outcome not in ("nobody", "not_checked_in", "not_allowed", "was_out", "not_started"):
            return done, None
        return done, "absent" if done.outcome == "was_out" and absent else "back"

    _team_form(kit, ack, context, client, "team_out", act)


def register(app: App, kit: Kit) -> None:
    """Plan safety prompts, run escalations on every tick, wire the buttons, show state in lists."""
    services = kit.services
    kit.periodic.append(lambda: safety.escalate_due(services.store, services.settings,
                                                    coordinators=services.coordinators()))
    kit.periodic.append(lambda: response.recheck_due(services.store, services.settings,
                                                     coordinators=services.coordinators()))
    kit.periodic.append(lambda: kit.notifier.flush(background=True))  # escalations queued by the jobs above
    kit.render.env.globals["safety_line"] = lambda shift: state_line(kit, shift)

    points.add(points.DETAILS_EXTRAS, details_extra)
    points.add(points.DEBRIEF_FORM_CONTEXT, timeline_button)
    # Start-up: derive every planned shift's reminders, alerts and prompts from the tables, on the
    # first tick (in the scheduler's thread, before it sends), so connecting to Slack never waits for it.
    kit.startup.append(lambda: reminders.rederive_all(
        services.store, services.settings, planners=[lambda db, shift_id, now: safety.plan_shift(db, shift_id, now)]))

    kit.wire(app, actions={
        ids.SAFETY_CHECKIN: on_checkin,
        ids.SAFETY_TIMELINE: on_timeline,
        ids.SAFETY_CHECKOUT: on_checkout,
        ids.SAFETY_OK: on_ok,
        ids.SAFETY_ACK: on_ack,
        ids.INCIDENT_RESOLVE: coordinators(on_resolve, N_("closing a shift's alert")),
        ids.NIGHT_OUT: on_were_out,
        ids.NIGHT_NOT_HELD: on_not_held,
        ids.SAFETY_TEAM_IN: on_team_in,
        ids.SAFETY_TEAM_OUT: on_team_out,
    }, forms={
        ids.SAFETY_CHECKOUT_FORM: on_checkout_form,
        ids.SAFETY_TEAM_IN: on_team_in_submit,
        ids.SAFETY_TEAM_OUT: on_team_out_submit,
    })
