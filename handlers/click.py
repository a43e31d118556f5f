"""A click's context, built once by middleware, and the role a listener needs, checked by listener middleware.

`Click` is what every button's listener gets (as its `click` argument): who tapped, with which role,
the value the button carries (and the shift number and list page in it), where the tap came from (a
message, the App Home or a modal), and the ways to reply there:
- `tell(text)`: only to the person: beside the message, or by DM from the App Home or a modal;
- `answer(text)`: after a change: the place shown again with the result (the modal in place, a list's
  page again, the Details of a shift), else by DM, and the App Home published again;
- `show(view)`: a modal, pushed on top when the tap came from a modal; `update(view)`: the tapped modal in place.

`only(role, listener, what)` declares, where a listener is registered, that only people of that role may use
it; `Kit.wire` installs `gate` as its listener middleware, which tells anyone else why not (in the place
they tapped, or under the form's first input) and does not run the listener.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from slack_bolt import BoltContext, BoltRequest, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import blocks as bk
from handlers import ids, points
from outreach import i18n
from outreach.digits import parse_number
from outreach.i18n import gettext as _
from outreach.roles import Role

if TYPE_CHECKING:
    from handlers.kit import Kit

log = logging.getLogger(__name__)

Where = Literal["message", "home", "modal"]
# What Slack says when a tap's trigger can no longer open a modal (it lasts 3 s, and opens one modal).
TRIGGER_ERRORS = ("expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id")
# A message shown again in place with a note on top: fn(note) -> (text, blocks).
Redraw = Callable[[str], tuple[str, list]]


@dataclass
class Click:
    """One button tapped: its value and where it came from, and how to reply there."""

    kit: Kit
    client: WebClient
    respond: Respond | None
    body: dict
    action: dict
    actor: str
    role: Role
    meta: dict = field(default_factory=dict)

    @classmethod
    def of(cls, kit: Kit, body: dict, context: BoltContext) -> Click:
        """The click a block_actions request stands for."""
        actions = body.get("actions")
        action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
        return cls(kit=kit, client=context.client, respond=context.respond if body.get("response_url") else None,
                   body=body, action=action, actor=str(context.get("actor") or ""),
                   role=context.get("role") or Role.VOLUNTEER, meta=dict(context.get("meta") or {}))

    # ------------------------------------------------------------ what was tapped

    @property
    def action_id(self) -> str:
        """The tapped element's action id."""
        return str(self.action.get("action_id") or "")

    @property
    def value(self) -> str:
        """The value the button carries (a select's chosen option, an overflow's item)."""
        picked = self.action.get("selected_option")
        raw = picked.get("value") if isinstance(picked, dict) else self.action.get("value")
        return raw if isinstance(raw, str) else ""

    @property
    def number(self) -> int | None:
        """The number the value starts with (a shift's, an offer's, a partner's): `12` or `12:3`."""
        return parse_number(self.value.partition(":")[0])

    @property
    def page(self) -> int | None:
        """The list page the value carries after the number (`12:3`), if any."""
        return parse_number(self.value.partition(":")[2])

    @property
    def block_id(self) -> str:
        """The tapped element's block id."""
        return str(self.action.get("block_id") or "")

    @property
    def view(self) -> dict:
        """The view the tap came from ({} on a message)."""
        view = self.body.get("view")
        return view if isinstance(view, dict) else {}

    @property
    def view_id(self) -> str | None:
        """The id of the view the tap came from."""
        ident = self.view.get("id")
        return ident if isinstance(ident, str) and ident else None

    @property
    def callback_id(self) -> str:
        """The callback id of the view the tap came from ("" on a message)."""
        return str(self.view.get("callback_id") or "")

    @property
    def container(self) -> dict:
        """What Slack says held the tapped element ({} when it says nothing readable)."""
        container = self.body.get("container")
        return container if isinstance(container, dict) else {}

    @property
    def where(self) -> Where:
        """A message (it has a response_url), a modal, or the App Home (anything else is answered by DM)."""
        if self.view.get("type") == "modal":
            return "modal"
        if self.respond is not None and self.container.get("type") != "view":
            return "message"
        return "home"

    @property
    def channel(self) -> str:
        """The channel of the tapped message ("" elsewhere)."""
        return str(self.container.get("channel_id") or "")

    @property
    def message_ts(self) -> str:
        """The timestamp of the tapped message ("" elsewhere)."""
        return str(self.container.get("message_ts") or "")

    @property
    def in_dm(self) -> bool:
        """The tap was on a message in a DM with the bot."""
        return self.where == "message" and self.channel.startswith("D")

    @property
    def trigger_id(self) -> str | None:
        """What opens a modal for this tap."""
        trigger = self.body.get("trigger_id")
        return trigger if isinstance(trigger, str) and trigger else None

    def view_meta(self) -> dict:
        """The tapped modal's private metadata ({} when none or unreadable)."""
        try:
            meta = json.loads(self.view.get("private_metadata") or "{}")
        except (TypeError, ValueError):
            return {}
        return meta if isinstance(meta, dict) else {}

    # ------------------------------------------------------------ replies

    def dm(self, text: str, blocks: list | None = None, *, line: str | None = None) -> None:
        """A DM to the person who tapped; `line` is its lock-screen text when the words go in blocks."""
        if line is None:
            self.client.chat_postMessage(channel=self.actor, text=text, blocks=blocks)
        else:
            self.client.chat_postMessage(channel=self.actor, text=line, blocks=blocks or bk.message([bk.section(text)]))

    def reply(self, **message: object) -> None:
        """Answer at the tapped message's response_url; Slack refusing it is logged (it raises nothing)."""
        assert self.respond is not None
        answer = self.respond(**message)  # type: ignore[arg-type]
        if answer.status_code != 200:
            log.warning("could not answer action:%s beside its message: HTTP %d %s", self.action_id,
                        answer.status_code, str(answer.body)[:100])

    def tell(self, text: str, blocks: list | None = None) -> None:
        """Only to the person who tapped: beside the message, or by DM from the App Home or a modal."""
        if self.where == "message" and self.respond is not None:
            self.reply(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
        else:
            self.dm(text, blocks)

    def answer(self, text: str, blocks: list | None = None, *, redraw: Redraw | None = None, replace: bool = False,
               details: Callable[[str], dict] | None = None, line: str | None = None) -> None:
        """After a change, the result where the tap was.

        On a message: the message drawn again with it (`redraw`), or in the message's place (`replace`), or
        beside it. In a modal: the Details of a shift again with it on top (`details`), or the App Home's own
        modal again (points.MODAL_REFRESHERS), else by DM. From the App Home: by DM (`line` its lock-screen
        text). From a modal or the App Home, the home is published again.
        """
        if self.where == "message" and self.respond is not None:
            if redraw is not None:
                again, again_blocks = redraw(text)
                self.reply(text=again, blocks=again_blocks, replace_original=True, response_type="ephemeral")
            elif replace:
                self.reply(text=text, blocks=blocks, replace_original=True)
            else:
                self.reply(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
            return
        if details is not None and self.where == "modal" and self.view_id and self.callback_id == ids.SHIFT_DETAILS:
            self.update(details(text))
        elif not points.refresh_modal(self.kit, self.client, self.body, self.actor, note=text):
            self.dm(text, blocks, line=line)
        points.publish_home(self.kit, self.client, self.actor)

    def show(self, view: dict, *, in_place: bool = False) -> None:
        """Open a modal: pushed on top when the tap came from a modal (Slack stacks at most three), or in its
        place (`in_place`: a section of a modal opened by updating it), else new."""
        if in_place and self.where == "modal" and self.view_id:
            self.update(view)
            return
        self._open(self.client.views_push if self.where == "modal" else self.client.views_open, view)

    def open(self, view: dict) -> None:
        """A new modal, wherever the tap came from (views.open)."""
        self._open(self.client.views_open, view)

    def push(self, view: dict) -> None:
        """A modal on top of the one the tap came from (a form's second step)."""
        self._open(self.client.views_push, view)

    def _open(self, opener: Callable[..., object], view: dict) -> None:
        """Open a modal with the tap's trigger; one Slack no longer takes (it lasts 3 s) or that is missing is
        logged, and the person told to tap again."""
        try:
            if self.trigger_id is None:
                raise SlackApiError("no trigger_id", {"ok": False, "error": "invalid_trigger_id"})
            opener(trigger_id=self.trigger_id, view=view)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if error not in TRIGGER_ERRORS:
                raise
            log.warning("could not open a modal for action:%s: %s", self.action_id, error)
            self.tell(self.kit.render("common/not_opened.j2"))

    def update(self, view: dict) -> None:
        """Show a view in place of the modal the tap came from (nothing when it came from elsewhere)."""
        if self.view_id:
            self.client.views_update(view_id=self.view_id, view=view)

    def refuse(self, needed: Role, what: str) -> None:
        """Tell the person this is for another role."""
        self.tell(self.kit.render("common/not_allowed.j2", needed=needed.label, what=named(what)))


# ---------------------------------------------------------------- roles


def named(what: str) -> str:
    """What a refusal names (a label marked with `N_` where the listener is registered), in the language in force."""
    return _(what) if what else what


@dataclass(frozen=True)
class Only:
    """A listener that only people of `role` may use, and what the others are told.

    `what` names it as people know it (a button's label, a form's title), in English marked with `N_`: it is
    read in the language in force when someone is refused; `refusal` is a template and its
    values to say instead of common/not_allowed.j2; `field` the form input the refusal shows under (else the
    form's first input; a form with none is replaced by the refusal).
    """

    role: Role
    listener: Callable[..., None]
    what: str
    refusal: tuple[str, dict] | None = None
    field: str | None = None

    def text(self, kit: Kit) -> str:
        """What someone without the role is told."""
        if self.refusal is not None:
            return kit.render(self.refusal[0], **self.refusal[1])
        return kit.render("common/not_allowed.j2", needed=self.role.label, what=named(self.what))


def only(role: Role, listener: Callable[..., None], what: str, *, refusal: tuple[str, dict] | None = None,
         field: str | None = None) -> Only:
    """Declare, where a listener is registered, the role it needs (see `gate`)."""
    return Only(role, listener, what, refusal, field)


def coordinators(listener: Callable[..., None], what: str, **kwargs: object) -> Only:
    """A listener for coordinators (and admins) only."""
    return only(Role.COORDINATOR, listener, what, **kwargs)  # type: ignore[arg-type]


def admins(listener: Callable[..., None], what: str, **kwargs: object) -> Only:
    """A listener for admins only."""
    return only(Role.ADMIN, listener, what, **kwargs)  # type: ignore[arg-type]


def gate(kit: Kit, rule: Only) -> Callable[..., BoltResponse | None]:
    """The listener middleware for `rule`: the listener runs for people of its role; anyone else is told why
    not, where they tapped (or in the form), and the listener does not run.

    A click is only acked where it is received (its work is a job, whose process knows the role): there the
    middleware lets it through. A form runs where it is received: its refusal is its answer, and its job ends.
    """

    def check(request: BoltRequest, context: BoltContext, body: dict,
              next: Callable[[], BoltResponse]) -> BoltResponse | None:
        if context.get("handed_over") or context.get("role", Role.VOLUNTEER) >= rule.role:
            return next()
        with i18n.speaking(context.get("language")):  # in the language of who tapped
            text = rule.text(kit)
            if body.get("type") == "view_submission":
                return _refuse_form(kit, request, context, rule, text)
            click = context.get("click")
            if isinstance(click, Click):
                click.tell(text)
        return BoltResponse(status=200, body="")

    check.__name__ = f"only_{rule.role.label}"
    return check


def _refuse_form(kit: Kit, request: BoltRequest, context: BoltContext, rule: Only, text: str) -> BoltResponse:
    """A form sent by someone without the role: the refusal under its input (or in its place); nothing saved."""
    inputs = _inputs(request.body.get("view"), context.get("form") or {})
    place = rule.field if rule.field in inputs else next(iter(inputs), None)
    if place is not None:
        answer: dict = {"response_action": "errors", "errors": {place: text}}
    else:
        answer = {"response_action": "update", "view": bk.modal(
            title=named(rule.what)[:24] or _("Not allowed"), callback_id="not_allowed", blocks=[bk.section(text)])}
    kit.runner.finish(request, refused=True)
    return BoltResponse(status=200, body=json.dumps(answer), headers={"content-type": ["application/json"]})


def _inputs(view: object, form: dict) -> list[str]:
    """The block ids of a submitted form's inputs, where Slack can show an error: its input blocks (when the view
    lists its blocks), of those the submission carries; an error under any other block id is refused by Slack."""
    blocks = view.get("blocks") if isinstance(view, dict) else None
    if not isinstance(blocks, list):
        return list(form)
    named = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("type") == "input"]
    return [b for b in named if isinstance(b, str) and b in form]
