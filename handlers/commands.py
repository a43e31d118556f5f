"""The /outreach command: a registry of subcommands, help, and the dispatcher."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient

from handlers import blocks as bk
from handlers import ids
from handlers.click import Click
from handlers.kit import Kit
from outreach import digits
from outreach import shifts as sh
from outreach.catalog import fold
from outreach.i18n import N_
from outreach.i18n import gettext as _
from outreach.roles import Role
from outreach.shifts import Shift

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

    def live_shift(self, usage: str) -> Shift | None:
        """The shift (neither gone nor cancelled) the arguments start with; else say why and return None."""
        number = self.shift_number(usage)
        if number is None:
            return None
        shift = sh.load_shift(self.kit.services.store, number)
        if shift is None or shift.cancelled:
            self.say("shifts/unavailable.j2", number=number, shift=shift)
            return None
        return shift


Handler = Callable[[CommandRequest], None]


@dataclass(frozen=True)
class Subcommand:
    """A registered subcommand: its words, who may use it, what it takes."""

    name: str
    fn: Handler
    role: Role
    usage: str


REGISTRY: dict[str, Subcommand] = {}
# Words typed in Spanish (issue 23, locales/es/GLOSSARY.md): what a person types -> the subcommand's words
# it stands for, the rest of the line following (`/outreach inscribir 12` = `/outreach signup 12`).
# Matched on whole words, longest first, ignoring case and accents.
ALIASES: dict[str, str] = {
    "ayuda": "help",
    "turnos": "shifts",
    "mis turnos": "mine",
    "inscribir": "signup",
    "inscribirme": "signup",
    "perfil": "profile",
    "perfil idiomas": "profile languages",
    "perfil idioma": "profile languages",
}


def subcommand(name: str, *, role: Role = Role.VOLUNTEER, usage: str = "") -> Callable[[Handler], Handler]:
    """Register a subcommand of /outreach."""

    def inner(fn: Handler) -> Handler:
        REGISTRY[name] = Subcommand(name, fn, role, usage)
        return fn

    return inner


def resolve(text: str) -> tuple[str, str]:
    """The subcommand a typed line names (in English or by a Spanish alias) and the rest of the line."""
    words = text.split()
    for size in sorted({len(a.split()) for a in ALIASES}, reverse=True):
        meant = ALIASES.get(fold(" ".join(words[:size]))) if len(words) >= size else None
        if meant:
            words = [*meant.split(), *words[size:]]
            break
    name = words[0].lower() if words else "help"
    return name, " ".join(words[1:])


def visible_to(role: Role) -> list[Subcommand]:
    """The subcommands a role may use, in registration order."""
    return [s for s in REGISTRY.values() if role >= s.role]


def parse_mention(token: str) -> str | None:
    """The user id in a Slack mention like <@U123|name>, or None."""
    match = MENTION.match(token.strip())
    return match.group(1) if match else None


def parse_number(token: str) -> int | None:
    """A shift number like 12 or #12 (ASCII digits only, see outreach.digits), or None."""
    token = token.strip()
    return digits.parse_number(token[1:] if token.startswith("#") else token)


def help_text(kit: Kit, role: Role, *, problem: str | None = None, only: set[str] | None = None) -> str:
    """The list of typed commands, only those the reader may use (`only`: just these)."""
    allowed = {s.name for s in visible_to(role)} & (only if only is not None else set(REGISTRY))
    return kit.render("commands/help.j2", allowed=allowed, role=role.label, problem=problem)


@dataclass(frozen=True)
class HelpTopic:
    """One entry of the help menu: what a person wants to do, and who it is for."""

    id: str
    english: str  # marked with N_; read in the language in force as `label`
    role: Role = Role.VOLUNTEER
    words: tuple[str, ...] = ()  # what else may be typed for it (`/outreach ayuda comandos`)

    @property
    def label(self) -> str:
        """The topic's button label, in the language in force."""
        return _(self.english)


HELP_TOPICS = (
    HelpTopic("signup", N_("Sign up for a shift"), words=("inscribirse", "inscribirse en un turno")),
    HelpTopic("tonight", N_("Tonight's shift"), words=("esta noche", "el turno de esta noche")),
    HelpTopic("after", N_("After a shift"), words=("despues", "despues de un turno")),
    HelpTopic("coordinators", N_("Coordinators"), Role.COORDINATOR, words=("coordinadores",)),
    HelpTopic("commands", N_("Typed commands"), words=("comandos",)),
)


def help_topic(word: str) -> HelpTopic | None:
    """The help topic a typed word names (its id, its label or one of its words, in English or Spanish), or None."""
    key = fold(word)
    return next((t for t in HELP_TOPICS if key in {t.id, fold(t.english), fold(t.label), *map(fold, t.words)}), None)


def help_menu(kit: Kit, role: Role, *, problem: str | None = None,
              current: str | None = None) -> list[bk.Block]:
    """The help menu: one line, then a button per thing a person may want to do (those the reader may use)."""
    buttons = [bk.button(t.label, ids.HELP_TOPIC, t.id) for t in HELP_TOPICS if role >= t.role and t.id != current]
    return [bk.section(kit.render("commands/help_menu.j2", problem=problem, current=current)),
            bk.actions(*buttons, block_id="help_menu")]


def help_topic_text(kit: Kit, topic: HelpTopic, role: Role) -> str:
    """The words of one help topic, for the reader's role (the typed commands: those the reader may use)."""
    if topic.id == "commands":
        return help_text(kit, role)
    return kit.render(f"commands/help_{topic.id}.j2", role=role.label, allowed={s.name for s in visible_to(role)})


def help_view(kit: Kit, topic: HelpTopic, role: Role) -> dict:
    """A short modal for one help topic, with the other topics a tap away (updated in place)."""
    return bk.modal(title=topic.label, callback_id=ids.HELP_TOPIC, close=_("Close"),
                    blocks=[*bk.sections(help_topic_text(kit, topic, role)), bk.divider(),
                            *help_menu(kit, role, current=topic.id)])


def reply_help(req: CommandRequest, *, problem: str | None = None) -> None:
    """Answer with the help menu (a line and its buttons)."""
    blocks = help_menu(req.kit, req.role, problem=problem)
    req.reply(req.kit.render("commands/help_menu.j2", problem=problem, current=None), bk.message(blocks))


@subcommand("help", usage="[TOPIC]")
def show_help(req: CommandRequest) -> None:
    """A menu of buttons by what you want to do; `help commands` lists every command, `help TOPIC` one topic."""
    word = req.args.strip()
    if not word:
        reply_help(req)
        return
    topic = help_topic(word)
    word = resolve(word)[0] if topic is None and fold(word) in ALIASES else word  # `ayuda inscribir`
    if topic is not None and req.role >= topic.role:
        text = help_topic_text(req.kit, topic, req.role)
        req.reply(text, bk.message(bk.sections(text)[: bk.MESSAGE_BLOCKS]))
        return
    if topic is None and word.lower() in {s.name for s in visible_to(req.role)}:  # one command's line
        req.reply(help_text(req.kit, req.role, only={word.lower()}))
        return
    if topic is not None or word.lower() in REGISTRY:
        req.say("common/not_allowed.j2", needed=(topic.role if topic else REGISTRY[word.lower()].role).label,
                what=f"/outreach help {word}" if topic else f"/outreach {word.lower()}")
        return
    reply_help(req, problem=req.kit.render("commands/help_unknown.j2", word=word))


def run(req: CommandRequest, name: str) -> None:
    """Run a subcommand by name, answering unknown names and missing rights with the help."""
    entry = REGISTRY.get(name)
    if entry is None:
        reply_help(req, problem=req.kit.render("commands/unknown.j2", name=name))
        return
    if req.role < entry.role:
        req.say("common/not_allowed.j2", needed=entry.role.label, what=f"/outreach {name}")
        return
    entry.fn(req)


def outreach(kit: Kit, command: dict, context: BoltContext, respond: Respond, client: WebClient) -> None:
    name, args = resolve(str(command.get("text") or ""))
    req = CommandRequest(
        kit=kit, actor=context["actor"], role=context["role"], args=args.strip(),
        channel_id=command.get("channel_id"), trigger_id=command.get("trigger_id"),
        respond=respond, client=client,
    )
    run(req, name)


def on_help_topic(kit: Kit, click: Click) -> None:
    """Open one help topic in a short modal (in place when tapped in another topic's)."""
    topic = help_topic(click.value)
    if topic is None:
        return
    if click.role < topic.role:  # the command it names stays as typed (English)
        refused = kit.render("common/not_allowed.j2", needed=topic.role.label, what=f"/outreach help {topic.id}")
        view = bk.modal(title=_("Help"), callback_id=ids.HELP_TOPIC, blocks=[bk.section(refused)])
    else:
        view = help_view(kit, topic, click.role)
    if click.where == "modal" and click.view_id:
        click.update(view)
    else:
        click.open(view)


def register(app: App, kit: Kit) -> None:
    """Wire /outreach to the registry."""
    kit.wire(app, actions={
        ids.HELP_TOPIC: on_help_topic,
    }, commands={
        "/outreach": outreach,
    })
