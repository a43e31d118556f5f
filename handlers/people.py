"""People in Slack: recording trainings and granting the coordinator role."""

from __future__ import annotations

import re
from datetime import date

from slack_bolt import App

from handlers.commands import CommandRequest, parse_mention, subcommand
from handlers.kit import Kit
from outreach import roles
from outreach.roles import Role
from outreach.trainings import record_training, trainings_of

EXPIRES = re.compile(r"^(?P<name>.+?)\s+expires\s+(?P<date>\S+)$", re.IGNORECASE)
MAX_LISTED = 60


@subcommand("train", role=Role.COORDINATOR, usage="@person TRAINING [expires YYYY-MM-DD]")
def cmd_train(req: CommandRequest) -> None:
    """Record a completed training for a person."""
    usage = "/outreach train @person TRAINING [expires YYYY-MM-DD]"
    who, _, rest = req.args.partition(" ")
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


def register(app: App, kit: Kit) -> None:
    """People's subcommands are registered on import; no buttons yet."""
