"""Safety in Slack: check-in / check-out prompts and commands, "All OK?" pings, escalations."""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup
from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from handlers import blocks as bk
from handlers.commands import CommandRequest, parse_number, subcommand
from handlers.kit import Kit, open_modal
from handlers.notify import gate, notice
from handlers.sos import sos_button, spoken_every
from outreach import debriefs as dbf
from outreach import reminders, safety
from outreach import shifts as sh
from outreach.numbers import parse_number as parse_whole
from outreach.roles import Role
from outreach.shifts import Shift
from outreach.store import from_iso


def result_text(kit: Kit, action: str, outcome: str, number: int, **extra: object) -> str:
    """What a safety action did, in words."""
    words: dict = {"shift": None, "others": (), "still_out": (), "absent": (), "kept": (), "told": False,
                   "minutes": None, **extra}
    return kit.render("safety/result.j2", action=action, outcome=outcome, number=number,
                      low=safety.MIN_EVERY, high=safety.MAX_EVERY, **words)


def checkout_text(kit: Kit, actor: str, number: int, *, everyone: bool = True) -> str:
    """Check out (the lead: everyone still out with them, unless `everyone` is False) and say what happened;
    the coordinator channel hears of an early end."""
    done = safety.check_out(kit.services.store, shift_id=number, user=actor, everyone=everyone,
                            coordinator_channel=kit.services.settings.coordinator_channel)
    return result_text(kit, "checkout", done.outcome, number, shift=done.shift, others=done.others,
                       still_out=done.still_out, told=bool(kit.services.settings.coordinator_channel))


def state_line(kit: Kit, shift: Shift) -> Markup:
    """A shift's check-in state for lists, Details and the App Home (empty before it starts)."""
    now = kit.services.now()
    if shift.cancelled or not shift.started(now) and now < shift.starts_at - safety.EARLY_CHECKIN:
        return Markup("")
    state = safety.load_state(kit.services.store, shift.id)
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
    if state.checked_out_at or (mine and (mine.checked_in_at or mine.absent)):
        return None
    text = kit.render("safety/checkin_prompt.j2", shift=shift)
    return text, bk.message([bk.section(text), bk.actions(
        bk.button("Check in (team is out)", "safety_checkin", str(shift.id), style="primary"),
        sos_button(kit, shift), block_id=f"checkin:{shift.id}")])


def checkout_button(kit: Kit, shift: Shift, still_out: list[str] | tuple[str, ...] = ()) -> bk.ButtonElement:
    """The lead's Check out (everyone safe): the lead and everyone still out, behind a confirm dialog
    (an accidental check out silences the alert)."""
    return bk.button("Check out (everyone safe)", "safety_checkout", f"{shift.id}:all", style="primary",
                     confirm=bk.confirm(f"Check out shift #{shift.id}?",
                                        kit.render("safety/confirm_checkout.j2", shift=shift, still_out=still_out, mine=False),
                                        yes="Everyone is safe", no="Go back", danger=False))


def my_checkout_button(kit: Kit, shift: Shift, label: str = "Check out") -> bk.ButtonElement:
    """A person's own Check out (I am back safe), behind a confirm dialog."""
    return bk.button(label, "safety_checkout", str(shift.id), style="primary",
                     confirm=bk.confirm(f"Check out of shift #{shift.id}?",
                                        kit.render("safety/confirm_checkout.j2", shift=shift, mine=True, still_out=()),
                                        yes="I'm back safe", no="Go back", danger=False))


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
        if mine and mine.checked_out_at or state.checked_out_at:
            text = kit.render("safety/checked_out.j2", shift=shift, state=state, mine=mine, member=True, written=False)
            return text, bk.message([bk.section(text)])
        text = kit.render("safety/checkout_prompt.j2", shift=shift, member=True, still_out=(),
                          overdue=shift.ends_at + kit.services.settings.checkout_grace)
        return text, bk.message([bk.section(text), bk.actions(my_checkout_button(kit, shift),
                                                              block_id=f"checkout:{shift.id}")])
    if state.checked_out_at is None:
        text = kit.render("safety/checkout_prompt.j2", shift=shift, still_out=state.still_out, member=False,
                          overdue=shift.ends_at + kit.services.settings.checkout_grace)
        return text, bk.message([bk.section(text), bk.actions(checkout_button(kit, shift, state.still_out),
                                                              block_id=f"checkout:{shift.id}")])
    written = dbf.load_debrief(kit.services.store, shift.id) is not None
    text = kit.render("safety/checked_out.j2", shift=shift, state=state, written=written, member=False, mine=None)
    parts = [bk.section(text)]
    buttons = [] if written else [bk.button("Write debrief", "debrief_open", str(shift.id), style="primary")]
    if shift.kind == "training":  # who came gets the training recorded (handlers/people.py)
        buttons.append(bk.button("Confirm attendance", "training_attendance", str(shift.id)))
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
        bk.button("Details", "shift_details", str(shift.id)), block_id=f"early:{shift.id}")])


@notice("safety/ping")
def notice_ping(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Ask the lead "All OK?" during the shift."""
    shift = _shift(kit, context)
    now = kit.services.now()
    if not shift or shift.cancelled or now >= shift.ends_at:
        return None
    if safety.load_state(kit.services.store, shift.id).checked_out_at:
        return None
    with kit.services.store.read() as db:
        if int(context["seq"]) in safety.answered_pings(db, shift.id):
            return None
    text = kit.render("safety/ping.j2", shift=shift, passed_on=context.get("passed_on"))
    return text, bk.message([bk.section(text), bk.actions(
        bk.button("All OK", "safety_ok", f"{shift.id}:{context['seq']}", style="primary"),
        block_id=f"ping:{shift.id}:{context['seq']}")])


def _alert_words(kit: Kit, shift: Shift) -> dict:
    """What the alert message and the DMs show: state, each escalation, team, law enforcement contact."""
    with kit.services.store.read() as db:
        state = safety.get_state(db, shift.id)
        rows = list(db.query("SELECT * FROM escalations WHERE shift_id = ? ORDER BY started_at", [shift.id]))
        members = sh.team(db, shift.id)[0]
        steps = safety.steps(db, shift.id)
    escalations = [dict(r, since=from_iso(r["started_at"]),
                        acked=from_iso(r["acked_at"]) if r["acked_at"] else None) for r in rows]
    contacts = next((s["people"] for s in steps if s["step"] == "contacts"), None)
    settings = kit.services.settings
    return {"shift": shift, "state": state, "escalations": escalations, "members": members,
            "contact": kit.contact(shift.id), "open": [e for e in escalations if not e["acked_at"]],
            "every": spoken_every(settings.escalation_repeat), "still_out": state.still_out,
            "absent": state.absent, "contacts": contacts, "after": settings.escalation_contacts_after}


def _ack_row(shift: Shift, reason: str, *, block_id: str) -> bk.ActionsBlock:
    return bk.actions(
        bk.button("Acknowledge", "safety_ack", f"{shift.id}:{reason}", style="danger"),
        bk.button("Details", "shift_details", str(shift.id)), block_id=block_id)


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
    parts = [bk.section(kit.render("safety/alert.j2", part="body", dm=False, **words))]
    if words["open"] and not words["state"].checked_out_at:
        parts.append(_ack_row(shift, words["open"][0]["reason"], block_id=f"alert:{shift.id}"))
    else:
        parts.append(bk.actions(bk.button("Details", "shift_details", str(shift.id)), block_id=f"alert:{shift.id}"))
    return text, bk.message(parts)


def _still_open(kit: Kit, context: dict) -> tuple[Shift, dict, dict] | None:
    """The shift, its alert's words and the escalation a notice is about, while it is still open."""
    shift = _shift(kit, context)
    if not shift:
        return None
    words = _alert_words(kit, shift)
    row = next((e for e in words["open"] if e["reason"] == context["reason"]), None)
    if row is None or words["state"].checked_out_at:
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
    """Level 1: the lead and the members out are asked by DM whether they are all right."""
    found = _still_open(kit, context)
    if found is None:
        return None
    shift, words, row = found
    user = str(context.get("user") or "")
    mine = words["state"].member(user)
    wait = kit.services.settings.escalation_team_wait
    text = kit.render("safety/are_you_ok.j2", shift=shift, e=row, still_out=words["still_out"],
                      lead=user == shift.lead, then=row["since"] + wait if wait else None)
    buttons = []
    if row["reason"].startswith("ping"):
        buttons.append(bk.button("All OK", "safety_ok", f"{shift.id}:{row['reason'][4:]}", style="primary"))
    if mine is None or mine.out or (row["reason"] == "checkout" and not mine.checked_out_at):
        buttons.append(my_checkout_button(kit, shift))
    if user == shift.lead and words["still_out"]:
        buttons.append(bk.button("Everyone back safe", "safety_team_out", str(shift.id)))
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
    settled = bool(words["state"].checked_out_at) or (mine is not None and mine["acked_at"] is not None)
    if mine is None or (settled and not context.get("_mode")):
        return None  # settled before it went out: no DM at all
    text = kit.render("safety/alert.j2", part="body", dm=True, **words)
    parts: list = [bk.section(text)]
    if settled:
        parts.append(bk.context(kit.render("safety/alert.j2", part="settled", dm=True, mine=mine, **words)))
    else:
        parts.append(_ack_row(shift, mine["reason"], block_id=f"escalation:{shift.id}:{mine['reason']}"))
    return text, bk.message(parts)


def timeline_text(kit: Kit, shift: Shift) -> str | None:
    """The shift's escalation steps as a short timeline (None when nothing was escalated)."""
    steps = safety.load_steps(kit.services.store, shift.id)
    if not steps:
        return None
    return kit.render("safety/timeline.j2", shift=shift, steps=steps)


def timeline_blocks(kit: Kit, shift: Shift, *_: object) -> list:
    """For a shift's Details and the debrief: the timeline in a context block, when there is one."""
    text = timeline_text(kit, shift)
    return [bk.context(text)] if text else []


def team_buttons(kit: Kit, shift: Shift, now: datetime) -> list[bk.ButtonElement]:
    """The lead's one-tap buttons for the whole team: "Who is out tonight?", then "Everyone back safe"."""
    if shift.cancelled or now < shift.starts_at - safety.EARLY_CHECKIN:
        return []
    state = safety.load_state(kit.services.store, shift.id)
    if state.checked_out_at:
        return []
    if state.still_out:
        return [bk.button("Everyone back safe", "safety_team_out", str(shift.id))]
    return [bk.button("Who is out tonight?", "safety_team_in", str(shift.id))]


def details_team_row(kit: Kit, shift: Shift, role: Role) -> list:
    """In a shift's Details, for coordinators while the shift is under way: the team buttons."""
    buttons = team_buttons(kit, shift, kit.services.now()) if role >= Role.COORDINATOR else []
    return [bk.actions(*buttons, block_id=f"team_safety:{shift.id}")] if buttons else []


def details_extra(kit: Kit, shift: Shift, role: Role) -> list:
    """What a shift's Details shows of safety: the escalation timeline, and the team buttons for coordinators."""
    return timeline_blocks(kit, shift) + details_team_row(kit, shift, role)


def team_in_view(kit: Kit, shift: Shift, people: list[str]) -> dict:
    """The lead's (or a coordinator's) modal: who is out tonight, prefilled with the confirmed team."""
    return bk.modal(
        title="Who is out tonight?", callback_id="safety_team_in", submit="Check in", close="Cancel",
        metadata={"shift_id": shift.id},
        blocks=[bk.section(kit.render("safety/team_form.j2", part="in", shift=shift, still_out=())),
                bk.people_input("out", "Out tonight", initial=people,
                               hint="Those not named are marked absent (not there), not safe.")])


def team_out_view(kit: Kit, shift: Shift, still_out: list[str]) -> dict:
    """The modal "Everyone back safe": who is still out, all picked; whoever is taken off stays out."""
    return bk.modal(
        title="Everyone back safe", callback_id="safety_team_out", submit="Check out", close="Cancel",
        metadata={"shift_id": shift.id},
        blocks=[bk.section(kit.render("safety/team_form.j2", part="out", shift=shift, still_out=still_out)),
                bk.people_input("back", "Back safe", initial=still_out,
                               hint="Take off anyone not back yet: they stay checked in and are watched.")])


@gate("debriefs/request")
def debrief_after_checkout(kit: Kit, context: dict) -> bool:
    """A debrief request waits for the check-out (the lead's check-out DM offers the debrief then)."""
    shift_id = parse_whole(str(context.get("shift_id", "")))
    return shift_id is not None and safety.load_state(kit.services.store, shift_id).checked_out_at is not None


# ---------------------------------------------------------------- commands


@subcommand("checkin", usage="N")
def cmd_checkin(req: CommandRequest) -> None:
    """Check yourself in on a shift (the lead or a confirmed member)."""
    number = req.shift_number("/outreach checkin N (the shift's number)")
    if number is not None:
        outcome, _ = safety.check_in(req.kit.services.store, shift_id=number, user=req.actor)
        req.reply(result_text(req.kit, "checkin", outcome, number))


@subcommand("checkout", usage="N")
def cmd_checkout(req: CommandRequest) -> None:
    """Check yourself out of a shift (the lead: everyone still out with them)."""
    number = req.shift_number("/outreach checkout N (the shift's number)")
    if number is not None:
        req.reply(checkout_text(req.kit, req.actor, number, everyone=True))
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
    outcome, _ = safety.set_every(req.kit.services.store, shift_id=number, minutes=minutes, actor=req.actor)
    req.reply(result_text(req.kit, "every", outcome, number, minutes=minutes))


# ---------------------------------------------------------------- wiring


def _value(body: dict) -> str:
    return str(((body.get("actions") or [{}])[0]).get("value") or "")


def register(app: App, kit: Kit) -> None:
    """Plan safety prompts, run escalations on every tick, wire the buttons, show state in lists."""
    services = kit.services
    safety.install(services.store)
    kit.periodic.append(lambda: safety.escalate_due(services.store, services.settings,
                                                    coordinators=services.coordinators()))
    kit.periodic.append(lambda: kit.notifier.flush(background=True))  # escalations queued by the job above
    kit.render.env.globals["safety_line"] = lambda shift: state_line(kit, shift)
    from handlers.debriefs import FORM_CONTEXT
    from handlers.shifts import DETAILS_EXTRAS

    if details_extra not in DETAILS_EXTRAS:
        DETAILS_EXTRAS.append(details_extra)
    if timeline_blocks not in FORM_CONTEXT:
        FORM_CONTEXT.append(timeline_blocks)
    # Start-up: derive every planned shift's reminders, alerts and prompts from the tables, on the
    # first tick (in the scheduler's thread, before it sends), so connecting to Slack never waits for it.
    kit.startup.append(lambda: reminders.rederive_all(
        services.store, services.settings, planners=[lambda db, shift_id, now: safety.plan_shift(db, shift_id, now)]))

    def from_home(body: dict, client: WebClient, actor: str, text: str) -> bool:
        """A tap on the App Home (no response_url): the result by DM, and the home shown again."""
        if (body.get("container") or {}).get("type") != "view":
            return False
        from handlers.home import publish_home

        client.chat_postMessage(channel=actor, text=text)
        publish_home(kit, client, actor)
        return True

    def answer(respond: Respond, text: str, body: dict) -> None:
        in_dm = str((body.get("container") or {}).get("channel_id", "")).startswith("D")
        respond(text=text, response_type="ephemeral", replace_original=in_dm)

    @kit.later(app.action("safety_checkin"))
    def on_checkin(body: dict, context: BoltContext, respond: Respond, client: WebClient) -> None:
        number = parse_whole(_value(body))
        if number is not None:
            outcome, _ = safety.check_in(services.store, shift_id=number, user=context["actor"])
            text = result_text(kit, "checkin", outcome, number)
            if not from_home(body, client, context["actor"], text):
                answer(respond, text, body)

    def clicked(body: dict) -> tuple[str, str]:
        container = body.get("container") or {}
        return str(container.get("channel_id") or ""), str(container.get("message_ts") or "")

    def updated_in_place(body: dict, places: list) -> bool:
        """True when the tapped message is one the outbox rewrites in place (so no other answer is due)."""
        channel, ts = clicked(body)
        return any(p.ts == ts and p.channel == channel for p in places)

    @kit.later(app.action("safety_checkout"))
    def on_checkout(body: dict, context: BoltContext, respond: Respond, client: WebClient) -> None:
        first, _, everyone = _value(body).partition(":")
        number = parse_whole(first)
        if number is None:
            return
        done = safety.check_out(services.store, shift_id=number, user=context["actor"], everyone=everyone == "all",
                                coordinator_channel=services.settings.coordinator_channel)
        outcome, shift = done.outcome, done.shift
        kit.notifier.flush()  # the lead's DM turns into Write debrief, the alert shows the check-out
        with services.store.read() as db:
            places = safety.lead_messages(db, number) + safety.member_messages(db, number)
        if outcome in ("done", "early") and updated_in_place(body, places):
            return
        text = result_text(kit, "checkout", outcome, number, shift=shift, others=done.others,
                           still_out=done.still_out, told=bool(services.settings.coordinator_channel))
        if not from_home(body, client, context["actor"], text):
            respond(text=text, response_type="ephemeral", replace_original=False)

    @kit.later(app.action("safety_ok"))
    def on_ok(body: dict, context: BoltContext, respond: Respond) -> None:
        first, _, second = _value(body).partition(":")
        number, seq = parse_whole(first), parse_whole(second)
        if number is not None and seq is not None:
            outcome, _ = safety.answer_ping(services.store, shift_id=number, seq=seq, user=context["actor"])
            answer(respond, result_text(kit, "ping", outcome, number), body)

    @kit.later(app.action("safety_ack"))
    def on_ack(body: dict, context: BoltContext, respond: Respond) -> None:
        first, _, reason = _value(body).partition(":")
        number = parse_whole(first)
        if number is None or not reason:
            return
        if context["role"] < Role.COORDINATOR and not safety.may_acknowledge(
                services.store, services.settings, shift_id=number, user=context["actor"]):
            respond(text=kit.render("common/not_allowed.j2", needed=Role.COORDINATOR.label,
                                    what="acknowledging a safety escalation"),
                    response_type="ephemeral", replace_original=False)
            return
        outcome, row = safety.acknowledge(services.store, shift_id=number, reason=reason, user=context["actor"])
        kit.notifier.flush()  # the alert message and the coordinators' DMs show who took it on
        if row is None:
            respond(text=result_text(kit, "ack", outcome, number), response_type="ephemeral",
                    replace_original=False)
            return
        with services.store.read() as db:
            places = safety.alert_messages(db, number)
        if outcome == "done" and updated_in_place(body, places):
            return
        shift = sh.load_shift(services.store, number)
        text = kit.render("safety/acked.j2", number=number, by=row["acked_by"], at=from_iso(row["acked_at"]),
                          tz=shift.tz if shift else services.settings.timezone, already=outcome == "already")
        respond(text=text, response_type="ephemeral", replace_original=False)

    def lead_or_coordinator(shift: Shift | None, context: BoltContext) -> bool:
        return shift is not None and (context["actor"] == shift.lead or context["role"] >= Role.COORDINATOR)

    def team_shift(body: dict, client: WebClient, context: BoltContext, action: str) -> Shift | None:
        """The shift of a team button, when the actor is its lead or a coordinator; else None (a forged or
        stale payload gets a DM saying why)."""
        number = parse_whole(_value(body))
        shift = sh.load_shift(services.store, number) if number is not None else None
        if shift is None:
            return None
        if not lead_or_coordinator(shift, context):
            client.chat_postMessage(channel=context["actor"], text=result_text(kit, action, "not_allowed", shift.id))
            return None
        return shift

    @kit.later(app.action("safety_team_in"))
    def on_team_in(body: dict, context: BoltContext, client: WebClient) -> None:
        if (shift := team_shift(body, client, context, "team_in")) is None:
            return
        with services.store.read() as db:
            people = safety.roster(db, shift)
        open_modal(body, client, team_in_view(kit, shift, people))

    @kit.later(app.action("safety_team_out"))
    def on_team_out(body: dict, context: BoltContext, client: WebClient) -> None:
        if (shift := team_shift(body, client, context, "team_out")) is None:
            return
        state = safety.load_state(services.store, shift.id)
        open_modal(body, client, team_out_view(kit, shift, state.still_out))

    def told(context: BoltContext, client: WebClient, action: str, done: safety.Result, number: int) -> None:
        """The result of a team check-in or check-out, by DM (a modal carries no response_url)."""
        client.chat_postMessage(channel=context["actor"], text=result_text(
            kit, action, done.outcome, number, shift=done.shift, others=done.others, still_out=done.still_out,
            absent=done.absent, kept=done.kept, told=bool(services.settings.coordinator_channel)))
        kit.notifier.flush()

    @kit.form(app.view("safety_team_in"))
    def on_team_in_submit(ack: Ack, context: BoltContext, client: WebClient) -> None:
        meta, form = context.get("meta") or {}, context.get("form") or {}
        number = parse_whole(meta.get("shift_id"))
        if number is None:
            ack()
            return
        out = [u for u in form.get("out") or [] if isinstance(u, str)]
        done = safety.team_check_in(services.store, shift_id=number, actor=context["actor"], out=out,
                                    coordinator=context["role"] >= Role.COORDINATOR)
        if done.outcome in ("nobody", "not_on_team", "not_allowed"):
            ack(response_action="errors", errors={"out": result_text(kit, "team_in", done.outcome, number,
                                                                     others=done.others)})
            return
        ack()
        told(context, client, "team_in", done, number)

    @kit.form(app.view("safety_team_out"))
    def on_team_out_submit(ack: Ack, context: BoltContext, client: WebClient) -> None:
        meta, form = context.get("meta") or {}, context.get("form") or {}
        number = parse_whole(meta.get("shift_id"))
        if number is None:
            ack()
            return
        back = [u for u in form.get("back") or [] if isinstance(u, str)]
        done = safety.team_check_out(services.store, shift_id=number, actor=context["actor"], back=back,
                                     coordinator=context["role"] >= Role.COORDINATOR,
                                     coordinator_channel=services.settings.coordinator_channel)
        if done.outcome in ("nobody", "not_checked_in", "not_allowed"):
            ack(response_action="errors", errors={"back": result_text(kit, "team_out", done.outcome, number,
                                                                      others=done.others)})
            return
        ack()
        told(context, client, "team_out", done, number)
