"""People in Slack: recording trainings (typed, or from a training shift's attendance), telling people
before a training lapses, and granting the coordinator role."""

from __future__ import annotations

import re
from datetime import date

from markupsafe import Markup
from slack_bolt import Ack, App, BoltContext
from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers import ids, points
from handlers.click import Click
from handlers.commands import CommandRequest, parse_mention, subcommand
from handlers.kit import Kit
from handlers.notify import notice
from outreach import roles
from outreach import shifts as sh
from outreach import trainings as tr
from outreach.digits import parse_number
from outreach.i18n import N_
from outreach.i18n import gettext as _
from outreach.roles import Role
from outreach.shifts import USER_ID, Shift
from outreach.trainings import record_training, trainings_of

EXPIRES = re.compile(r"^(?P<name>.+?)\s+expires\s+(?P<date>\S+)$", re.IGNORECASE)
MAX_LISTED = 60


@subcommand("train", role=Role.COORDINATOR, usage="@person TRAINING [expires YYYY-MM-DD]")
def cmd_train(req: CommandRequest) -> None:
    """Record a completed training for a person."""
    usage = "/outreach train @person TRAINING [expires YYYY-MM-DD]"
    who, _space, rest = req.args.partition(" ")
    user = parse_mention(who)
    if not user:
        req.say("people/need_mention.j2", usage=usage)
        return
    expires: date | None = None
    match = EXPIRES.match(rest.strip())
    if match:
        rest = match.group("name")
        try:
            expires = date.fromisoformat(match.group("date"))
        except ValueError:
            req.say("people/bad_date.j2", typed=match.group("date"), usage=usage, past=False)
            return
    training = req.kit.services.catalog.match_training(rest) if rest.strip() else None
    if training is None:
        req.say("people/unknown_training.j2", typed=rest.strip(), trainings=req.kit.services.catalog.trainings, usage=usage)
        return
    today = req.kit.services.now().astimezone(req.kit.services.settings.zone).date()
    if expires is not None and expires < today:
        req.say("people/bad_date.j2", typed=expires.isoformat(), usage=usage, past=True)
        return
    record = record_training(
        req.kit.services.store, actor=req.actor, user_id=user, training=training, completed_on=today, expires_on=expires
    )
    req.say("people/trained.j2", user=user, training=training.name, record=record)
    req.kit.notifier.flush(prefix="trained:")  # the person's DM: what the training lets them sign up for


@subcommand("trainings", usage="[@person]")
def cmd_trainings(req: CommandRequest) -> None:
    """List recorded trainings: volunteers their own, coordinators anyone's."""
    target: str | None = req.actor
    if req.args:
        target = parse_mention(req.args.split(" ")[0])
        if target is None:
            req.say("people/need_mention.j2", usage="/outreach trainings [@person]")
            return
        if target != req.actor and req.role < Role.COORDINATOR:
            req.say("common/not_allowed.j2", needed="coordinator", what="/outreach trainings @person")
            return
    elif req.role >= Role.COORDINATOR:
        target = None
    records = trainings_of(req.kit.services.store, target)
    today = req.kit.services.now().astimezone(req.kit.services.settings.zone).date()
    req.say(
        "people/trainings.j2", records=records[:MAX_LISTED], more=max(len(records) - MAX_LISTED, 0),
        target=target, own=target == req.actor, everyone=target is None, today=today,
        pending=tr.pending_claims(req.kit.services.store, target)[:MAX_LISTED],
    )


@subcommand("role", role=Role.ADMIN, usage="@person coordinator|volunteer")
def cmd_role(req: CommandRequest) -> None:
    """Grant or remove the coordinator role."""
    usage = "/outreach role @person coordinator|volunteer"
    parts = req.args.split(" ")
    user = parse_mention(parts[0]) if parts and parts[0] else None
    wanted = parts[1].lower() if len(parts) == 2 else None
    if not user or wanted not in ("coordinator", "volunteer"):
        req.say("people/need_mention.j2", usage=usage)
        return
    if user in req.kit.services.settings.admins:
        req.say("people/role.j2", user=user, role=wanted, changed=False, admin=True)
        return
    changed = roles.set_role(req.kit.services.store, actor=req.actor, user_id=user, role=wanted)
    req.say("people/role.j2", user=user, role=wanted, changed=changed, admin=False)
    if changed:
        req.kit.notifier.flush(prefix=f"coordinator:{user}:")  # a new coordinator's DM


# ---------------------------------------------------------------- trainings that renew

ATTENDANCE = "training_attendance_form"
HOME_LAPSING = 5


def may_confirm(shift: Shift, *, actor: str, role: Role) -> bool:
    """The lead of a training shift, or a coordinator, confirms who attended once it has started."""
    return (shift.kind == tr.TRAINING_KIND and not shift.cancelled
            and (role >= Role.COORDINATOR or shift.lead == actor))


def attendance_form(kit: Kit, shift: Shift, *, actor: str, role: Role) -> dict:
    """The modal: who attended (the confirmed team picked already); the training is the one the shift gives."""
    with kit.services.store.read() as db:
        confirmed, _waiting = sh.team(db, shift.id)
    training = kit.services.catalog.training(shift.training)
    parts: list[Block] = [bk.section(kit.render(
        "trainings/attendance_intro.j2", shift=shift, training=training,
        own=shift.lead == actor and role < Role.COORDINATOR))]
    parts.append(bk.people_input("attended", _("Who attended"), initial=confirmed,
                                hint=_("Remove anyone who did not come; add anyone who came without signing up.")))
    return bk.modal(title=_("Confirm attendance"), blocks=parts, callback_id=ATTENDANCE, submit=_("Record"),
                    close=_("Back"), metadata={"shift_id": shift.id})


@notice(tr.LAPSE_TEMPLATE)
def notice_lapse(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A person's training lapses in 30 or 7 days: the next training shifts that renew it, each with Sign up;
    skipped once a renewal was recorded."""
    store, user, training = kit.services.store, str(context["user"]), str(context["training"])
    expires_on = date.fromisoformat(str(context["expires_on"]))
    with store.read() as db:
        if not tr.still_lapsing(db, user_id=user, training=training, expires_on=expires_on):
            return None
        numbers = tr.next_training_shifts(db, training=training, now=kit.services.now())
    shifts = [s for s in (sh.load_shift(store, n, user=user) for n in numbers) if s is not None]
    today = kit.services.now().astimezone(kit.services.settings.zone).date()
    text = kit.render("trainings/lapse.j2", training=training, expires_on=expires_on,
                      days=(expires_on - today).days, shifts=shifts)
    parts: list[Block] = [bk.section(text)]
    for shift in shifts:
        signed = shift.my_status is not None
        parts.append(bk.section(
            kit.render("trainings/lapse_shift.j2", shift=shift), block_id=f"lapse_shift:{shift.id}",
            accessory=None if signed else bk.button(_("Sign up") if shift.places_left else _("Join waitlist"),
                                                    ids.SHIFT_SIGNUP, str(shift.id), style="primary"),
        ))
    return text, bk.message(parts)


def lapsing_section(kit: Kit, user: str) -> list[Block]:
    """For coordinators' App Home: trainings that lapse in the next 30 days, soonest first (a short list)."""
    if kit.services.role(user) < Role.COORDINATOR:
        return []
    today = kit.services.now().astimezone(kit.services.settings.zone).date()
    total, records = tr.lapsing(kit.services.store, today=today, days=max(tr.LEADS), limit=HOME_LAPSING)
    if not total:
        return []
    return [bk.divider(), bk.section(kit.render("trainings/home.j2", total=total, records=records, today=today,
                                                more=total - len(records)), block_id="home_lapsing")]


def _decide(kit: Kit, click: Click, *, confirm: bool) -> None:
    """A coordinator confirms or declines a lead's own attendance: the message says what was done, and by whom."""
    outcome, claim = tr.decide_claim(kit.services.store, claim_id=click.number or 0, actor=click.actor,
                                     coordinator=click.role >= Role.COORDINATOR, confirm=confirm)
    text = kit.render("trainings/claim_result.j2", outcome=outcome, claim=claim)
    if outcome in ("done", "already") and click.where == "message":
        click.answer(text, replace=True)
    else:
        click.tell(text)
    if outcome == "done":
        kit.notifier.flush()


def on_attendance(kit: Kit, click: Click) -> None:
    shift = sh.load_shift(kit.services.store, click.number) if click.number is not None else None
    problem = attendance_problem(kit, shift, click.actor, click.role)
    if problem or shift is None:
        click.tell(problem or "")
        return
    click.show(attendance_form(kit, shift, actor=click.actor, role=click.role))


def on_attendance_form(kit: Kit, ack: Ack, body: dict, context: BoltContext) -> None:
    services = kit.services
    meta, form = context.get("meta") or {}, context.get("form") or {}
    number = parse_number(str(meta.get("shift_id", "")))
    shift = sh.load_shift(services.store, number) if number is not None else None
    problem = attendance_problem(kit, shift, context["actor"], context["role"])
    if problem or shift is None:
        ack(response_action="errors", errors={"attended": problem})
        return
    picked = form.get("attended") if isinstance(form.get("attended"), list) else []
    people = [u for u in picked if isinstance(u, str) and USER_ID.match(u)]
    if not people:
        ack(response_action="errors", errors={"attended": _("Pick the people who attended.")})
        return
    done = tr.record_attendance(services.store, actor=context["actor"], shift_id=shift.id,
                                coordinator=context["role"] >= Role.COORDINATOR,
                                trainings=services.catalog.trainings, attendees=people,
                                request_key=bk.submission_key(body), coordinators=services.coordinators(),
                                coordinator_channel=services.settings.coordinator_channel)
    if done.outcome != "done":  # changed since it was checked above: say why, record nothing
        ack(response_action="errors", errors={"attended": kit.render(
            "trainings/no_training.j2" if done.outcome == "no_training" else "trainings/not_allowed.j2",
            shift=sh.load_shift(services.store, shift.id))})
        return
    training = services.catalog.training(done.training)
    ack(response_action="update", view=bk.modal(
        title=_("Confirm attendance"), callback_id="training_attendance_done", close=_("Done"),
        blocks=[bk.section(kit.render("trainings/recorded.j2", shift=shift, training=training.name if training
                                      else done.training, done=done))]))
    if done.pending or done.recorded:  # the coordinators asked; each person recorded told by DM
        kit.notifier.flush()


def on_claim_confirm(kit: Kit, click: Click) -> None:
    _decide(kit, click, confirm=True)


def on_claim_decline(kit: Kit, click: Click) -> None:
    _decide(kit, click, confirm=False)


def register(app: App, kit: Kit) -> None:
    """Wire Confirm attendance, the lapse notices (a timer job), the coordinators' home section and the
    lapse lines of the not-ready alert."""
    services = kit.services
    points.add(points.HOME_SECTIONS, lapsing_section)

    def lapse_notices() -> None:
        """Queue the lapse notices that came due and send them."""
        if tr.queue_lapse_notices(services.store, now=services.now(), zone=services.settings.zone):
            kit.notifier.flush()

    kit.periodic.append(lapse_notices)

    def lapses(shift_id: int) -> list[str] | None:
        """For the not-ready alert: confirmed members whose required training lapses before the shift."""
        shift = sh.load_shift(services.store, shift_id)
        if shift is None or shift.cancelled:
            return None
        with services.store.read() as db:
            found = tr.lapses_before(db, shift_id=shift.id, training=tr.required(shift.kind, shift.training),
                                     day=shift.local_start().date())
        return [Markup(kit.render("trainings/lapse_line.j2", lapse=lapse)) for lapse in found] or None

    kit.readiness_checkers.append(lapses)

    kit.wire(app, actions={
        ids.TRAINING_ATTENDANCE: on_attendance,
        ids.TRAINING_CLAIM_CONFIRM: on_claim_confirm,
        ids.TRAINING_CLAIM_DECLINE: on_claim_decline,
    }, forms={
        ATTENDANCE: on_attendance_form,
    })


# The answers to a lead's own attendance: label (marked; read in the language in force), action id, style.
CLAIM_ANSWERS = ((N_("Confirm"), ids.TRAINING_CLAIM_CONFIRM, "primary"), (N_("Decline"), ids.TRAINING_CLAIM_DECLINE, None))


@notice(tr.CLAIM_TEMPLATE)
def notice_claim(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Coordinators are asked to confirm a training lead's own attendance (skipped once decided)."""
    with kit.services.store.read() as db:
        claim = tr.get_claim(db, int(context["claim_id"]))
    shift = sh.load_shift(kit.services.store, claim.shift_id) if claim else None
    if claim is None or shift is None or claim.status != "pending":
        return None
    text = kit.render("trainings/claim.j2", claim=claim, shift=shift)
    answers = [bk.button(_(label), action, str(claim.id), style=style) for label, action, style in CLAIM_ANSWERS]
    return text, bk.message([bk.section(text), bk.actions(*answers, block_id=f"claim:{claim.id}")])


@notice(tr.CLAIM_DECIDED_TEMPLATE)
def notice_claim_decided(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """The lead hears whether a coordinator confirmed their own attendance."""
    with kit.services.store.read() as db:
        claim = tr.get_claim(db, int(context["claim_id"]))
    if claim is None or claim.status == "pending":
        return None
    text = kit.render("trainings/claim_result.j2", outcome="told", claim=claim)
    return text, bk.message([bk.section(text)])


def attendance_problem(kit: Kit, shift: Shift | None, actor: str, role: Role) -> str | None:
    """Why this person cannot confirm attendance of this shift now (None when they can)."""
    if shift is None or not may_confirm(shift, actor=actor, role=role):
        return kit.render("trainings/not_allowed.j2", shift=shift)
    if kit.services.catalog.training(shift.training) is None:
        return kit.render("trainings/no_training.j2", shift=shift)
    if not shift.started(kit.services.now()):
        return kit.render("trainings/not_started.j2", shift=shift)
    return None
