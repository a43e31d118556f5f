"""The /outreach command: a registry of subcommands, help, and the dispatcher."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient

from handlers.kit import Kit
from outreach import numbers
from outreach.roles import Role

log = logging.getLogger(__name__)

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


@dataclass
class CommandRequest:
    """One /outreach invocation, with everything a subcommand needs to answer."""

    kit: Kit
    actor: str
    role: Role
    args: str
    channel_id: str | None
    trigger_id: str | None
    respond: Respond
    client: WebClient
    extra: dict = field(default_factory=dict)

    def reply(self, text: str, blocks: list[dict] | None = None, *, replace: bool = False) -> None:
        """Answer only the person who typed the command."""
        self.respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=replace)

    def say(self, template: str, **context: object) -> None:
        """Answer with a rendered template."""
        self.reply(self.kit.render(template, **context))

    def shift_number(self, usage: str) -> int | None:
        """The shift number the arguments start with; without one, answer with the usage and return None."""
        number = parse_number(self.args.split(" ")[0]) if self.args else None
        if number is None:
            self.say("common/usage.j2", usage=usage)
        return number


Handler = Callable[[CommandRequest], None]


@dataclass(frozen=True)
class Subcommand:
    """A registered subcommand: its words, who may use it, what it takes."""

    name: str
    fn: Handler
    role: Role
    usage: str


REGISTRY: dict[str, Subcommand] = {}


def subcommand(name: str, *, role: Role = Role.VOLUNTEER, usage: str = "") -> Callable[[Handler], Handler]:
    """Register a subcommand of /outreach."""

    def inner(fn: Handler) -> Handler:
        REGISTRY[name] = Subcommand(name, fn, role, usage)
        return fn

    return inner


def visible_to(role: Role) -> list[Subcommand]:
    """The subcommands a role may use, in registration order."""
    return [s for s in REGISTRY.values() if role >= s.role]


def parse_mention(token: str) -> str | None:
    """The user id in a Slack mention like <@U123|name>, or None."""
    match = MENTION.match(token.strip())
    return match.group(1) if match else None


def parse_number(token: str) -> int | None:
    """A shift number like 12 or #12 (ASCII digits only, see outreach.numbers), or None."""
    token = token.strip()
    return numbers.parse_number(token[1:] if token.startswith("#") else token)


def help_text(kit: Kit, role: Role, *, problem: str | None = None) -> str:
    """The help, listing only what the reader may use."""
    allowed = {s.name for s in visible_to(role)}
    return kit.render("commands/help.j2", allowed=allowed, role=role.label, problem=problem)


@subcommand("help")
def show_help(req: CommandRequest) -> None:
    """Explain every subcommand the reader may use."""
    req.reply(help_text(req.kit, req.role))


def run(req: CommandRequest, name: str) -> None:
    """Run a subcommand by name, answering unknown names and missing rights with the help."""
    entry = REGISTRY.get(name)
    if entry is None:
        req.reply(help_text(req.kit, req.role, problem=f"I don't know `/outreach {name}`."))
        return
    if req.role < entry.role:
        req.say("common/not_allowed.j2", needed=entry.role.label, what=f"/outreach {name}")
        return
    entry.fn(req)


def register(app: App, kit: Kit) -> None:
    """Wire /outreach to the registry."""

    @kit.later(app.command("/outreach"))
    def outreach(command: dict, context: BoltContext, respond: Respond, client: WebClient) -> None:
        text = " ".join(str(command.get("text") or "").split())
        name, _, args = text.partition(" ")
        req = CommandRequest(
            kit=kit, actor=context["actor"], role=context["role"], args=args.strip(),
            channel_id=command.get("channel_id"), trigger_id=command.get("trigger_id"),
            respond=respond, client=client,
        )
        run(req, (name or "help").lower())
