"""One person's Slack in tests: open the App Home, tap buttons by their words, fill and submit modals.

Every tap is a signed request through the real app, shaped as Slack sends it from that surface (a
home tab or modal has no response_url; a message tap carries its channel and ts), and every screen
is what the fake Slack received: so a journey test reads like a person's night.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from conftest import Bot, Sent, message_text
from fakeslack import Call, dm_channel

WAIT = 20.0  # generous: a loaded machine can be slow, and a wait ends as soon as the call arrives
_names = itertools.count(1)


def _plain(node: object) -> str:
    return str(node.get("text", "")) if isinstance(node, dict) else ""


def _option_words(option: dict) -> str:
    return _plain(option.get("text"))


def _elements(block: dict) -> list[dict]:
    """The interactive elements of one block, in order."""
    found: list[dict] = []
    if block.get("type") == "actions":
        found += block.get("elements") or []
    if isinstance(block.get("accessory"), dict):
        found.append(block["accessory"])
    if block.get("type") == "input" and isinstance(block.get("element"), dict):
        found.append(block["element"])
    return found


def _block_words(block: dict) -> str:
    return message_text({"blocks": [block]})


@dataclass
class Screen:
    """What the person sees: the App Home, a modal or a message, as Slack received it."""

    phone: Phone
    kind: str  # "home", "modal" or "message"
    blocks: list[dict]
    text: str = ""
    view: dict = field(default_factory=dict)
    channel: str | None = None
    ts: str | None = None
    ephemeral: bool = False
    fills: dict[str, object] = field(default_factory=dict)

    @property
    def words(self) -> str:
        """Every word on the screen (title, text and blocks)."""
        title = _plain(self.view.get("title")) if self.view else ""
        return "\n".join(w for w in (title, message_text({"text": self.text, "blocks": self.blocks})) if w)

    @property
    def buttons(self) -> list[str]:
        """The texts of the buttons on the screen, in order."""
        return [_plain(e.get("text")) for b in self.blocks for e in _elements(b) if e.get("type") == "button"]

    @property
    def inputs(self) -> list[str]:
        """The labels of a modal's inputs, in order."""
        return [_plain(b.get("label")) for b in self.blocks if b.get("type") == "input"]

    def has_button(self, text: str) -> bool:
        """Whether a button with these words is on the screen."""
        return text in self.buttons

    # -- finding things

    def _candidates(self, near: str | None) -> list[dict]:
        if near is None:
            return self.blocks
        for index, block in enumerate(self.blocks):
            if near in _block_words(block):
                return self.blocks[index:]
        raise AssertionError(f"nothing on the {self.kind} mentions {near!r}:\n{self.words}")

    def _find(self, match: Callable[[dict], bool], what: str, near: str | None) -> tuple[dict, dict]:
        blocks = self._candidates(near)
        found = [(b, e) for b in blocks for e in _elements(b) if match(e)]
        if not found:
            raise AssertionError(f"no {what} on the {self.kind}; it shows:\n{self.words}\nbuttons: {self.buttons}")
        if near is None and len(found) > 1:
            raise AssertionError(f"{len(found)} {what}s on the {self.kind}: say which with near=")
        return found[0]

    def button(self, text: str, *, near: str | None = None) -> dict:
        """The button element with these words."""
        return self._find(lambda e: e.get("type") == "button" and _plain(e.get("text")) == text,
                          f"button {text!r}", near)[1]

    # -- acting

    def tap(self, text: str, *, near: str | None = None, confirm: bool = False) -> Tapped:
        """Tap a button by its words (`confirm=True`: it must ask first, and the person says yes)."""
        block, element = self._find(lambda e: e.get("type") == "button" and _plain(e.get("text")) == text,
                                    f"button {text!r}", near)
        asks = bool(element.get("confirm"))
        assert asks == confirm, (f"button {text!r} {'asks' if asks else 'does not ask'} for confirmation"
                                 f" (tapped with confirm={confirm})")
        action = {"type": "button", "action_id": element["action_id"], "block_id": block.get("block_id") or "b",
                  "text": element.get("text"), "value": element.get("value", "")}
        return self._act(action)

    def choose(self, option: str, *, near: str | None = None) -> Tapped:
        """Tick a checkbox, or pick an option of a select or overflow menu, by the option's words."""
        kinds = ("checkboxes", "static_select", "overflow", "radio_buttons")

        def has(e: dict) -> bool:
            return e.get("type") in kinds and any(_option_words(o) == option for o in self._options(e))

        block, element = self._find(has, f"choice {option!r}", near)
        picked = next(o for o in self._options(element) if _option_words(o) == option)
        action: dict = {"type": element["type"], "action_id": element["action_id"],
                        "block_id": block.get("block_id") or "b"}
        if element["type"] == "checkboxes":
            ticked = [o for o in element.get("initial_options") or [] if o.get("value") != picked.get("value")]
            if not any(o.get("value") == picked.get("value") for o in element.get("initial_options") or []):
                ticked.append(picked)
            action["selected_options"] = ticked
        else:
            action["selected_option"] = picked
        return self._act(action)

    def pick_user(self, user: str, *, near: str | None = None) -> Tapped:
        """Pick a person in a people picker outside an input (a message's or a view's select)."""
        block, element = self._find(lambda e: e.get("type") == "users_select", "people picker", near)
        return self._act({"type": "users_select", "action_id": element["action_id"],
                          "block_id": block.get("block_id") or "b", "selected_user": user})

    @staticmethod
    def _options(element: dict) -> list[dict]:
        options = list(element.get("options") or [])
        for group in element.get("option_groups") or []:
            options += group.get("options") or []
        return options

    def fill(self, values: dict[str, object]) -> Screen:
        """Type into a modal's inputs by label (kept for the next tap or submit)."""
        labels = self.inputs
        for label in values:
            assert label in labels, f"no input labelled {label!r} on the modal; it has {labels}"
        self.fills.update(values)
        return self

    def submit(self, values: dict[str, object] | None = None) -> Tapped:
        """Fill inputs by label and press the modal's submit button; the other inputs keep what they show."""
        assert self.kind == "modal", "only a modal can be submitted"
        assert self.view.get("submit"), f"the modal {self.view.get('callback_id')!r} has no submit button"
        self.fill(values or {})
        name = f"phone{next(_names)}"
        payload = self._base(name)
        payload.update({"type": "view_submission", "view": self._view_payload()})
        mark = self.phone.mark
        status, body = self.phone.bot.interactive(payload)
        return Tapped(self.phone, mark, trigger=payload["trigger_id"], response=None,
                      status=status, body=body, origin=self)._started()

    # -- shaping payloads as Slack does

    def _base(self, name: str) -> dict:
        return {"team": {"id": "T1"}, "user": {"id": self.phone.user, "team_id": "T1"}, "api_app_id": "A1",
                "token": "legacy", "trigger_id": f"trig-{name}"}

    def _state(self) -> dict:
        values: dict = {}
        for block in self.blocks:
            if block.get("type") != "input":
                continue
            element = block["element"]
            label = _plain(block.get("label"))
            given = label in self.fills
            value = self.fills.get(label)
            values[block.get("block_id") or label] = {element.get("action_id", "value"): _state_of(element, given, value)}
        return {"values": values}

    def _view_payload(self) -> dict:
        return {
            "id": self.view.get("id"), "type": self.view.get("type", self.kind), "team_id": "T1",
            "callback_id": self.view.get("callback_id", ""), "private_metadata": self.view.get("private_metadata", ""),
            "state": self._state(), "hash": self.view.get("hash", "h"), "blocks": self.blocks,
            "root_view_id": self.view.get("root_view_id") or self.view.get("id"),
            "previous_view_id": self.view.get("previous_view_id"),
        }

    def _act(self, action: dict) -> Tapped:
        name = f"phone{next(_names)}"
        payload = self._base(name)
        payload["type"] = "block_actions"
        payload["actions"] = [dict(action, action_ts=f"{time.time():.6f}")]
        response: str | None = None
        if self.kind in ("home", "modal"):  # Slack sends no response_url from a view
            payload["container"] = {"type": "view", "view_id": self.view.get("id")}
            payload["view"] = self._view_payload()
        else:
            channel = self.channel or "CGENERAL"
            payload["container"] = {"type": "message", "channel_id": channel, "message_ts": self.ts or "1.1",
                                    "is_ephemeral": self.ephemeral}
            payload["channel"] = {"id": channel}
            if not self.ephemeral:
                payload["message"] = {"type": "message", "ts": self.ts or "1.1", "text": self.text,
                                      "blocks": self.blocks}
            response = name
            payload["response_url"] = self.phone.bot.fake.response_url(name)
        mark = self.phone.mark
        status, body = self.phone.bot.interactive(payload)
        return Tapped(self.phone, mark, trigger=payload["trigger_id"], response=response, status=status, body=body,
                      origin=self)._started()

    def now(self) -> Screen:
        """This message as it stands now (after any chat.update of it)."""
        if self.kind != "message" or not self.ts:
            return self
        latest = self
        for call in self.phone.bot.fake.calls_to("chat.update"):
            if call.params.get("ts") == self.ts and _same_channel(call.params.get("channel"), self.channel):
                latest = Screen(self.phone, "message", list(call.params.get("blocks") or []),
                                text=str(call.params.get("text") or ""), channel=self.channel, ts=self.ts)
        return latest


def _same_channel(a: object, b: object) -> bool:
    def norm(c: object) -> str:
        text = str(c or "")
        return dm_channel(text) if text.startswith("U") else text
    return norm(a) == norm(b)


def _state_of(element: dict, given: bool, value: object) -> dict:
    """One input's state as Slack sends it: the typed value when given, else what the input showed."""
    kind = element.get("type")
    options = Screen._options(element)

    def option(v: object) -> dict | None:
        if v is None:
            return None
        found = next((o for o in options if v in (o.get("value"), _option_words(o))), None)
        assert found is not None, f"{v!r} is not a choice of {element.get('action_id')}: {[_option_words(o) for o in options]}"
        return found

    if kind in ("static_select", "radio_buttons"):
        return {"type": kind, "selected_option": option(value) if given else element.get("initial_option")}
    if kind in ("multi_static_select", "checkboxes"):
        chosen = [option(v) for v in value or []] if given else list(element.get("initial_options") or [])
        return {"type": kind, "selected_options": chosen}
    if kind == "users_select":
        return {"type": kind, "selected_user": value if given else element.get("initial_user")}
    if kind == "multi_users_select":
        return {"type": kind, "selected_users": list(value or []) if given else list(element.get("initial_users") or [])}
    if kind == "conversations_select":
        return {"type": kind, "selected_conversation": value if given else element.get("initial_conversation")}
    if kind == "channels_select":
        return {"type": kind, "selected_channel": value if given else element.get("initial_channel")}
    if kind == "datepicker":
        return {"type": kind, "selected_date": value if given else element.get("initial_date")}
    if kind == "timepicker":
        return {"type": kind, "selected_time": value if given else element.get("initial_time")}
    if kind == "file_input":  # `value`: the ids of files the person chose (tests/fakeslack.py's add_file)
        return {"type": kind, "files": [{"id": f, "name": f} for f in value or []] if given else []}
    typed = value if given else element.get("initial_value")
    return {"type": kind, "value": None if typed in (None, "") else str(typed)}


@dataclass
class Tapped:
    """What a tap, a submit or a typed command led to: find the modal, reply, DM or home it produced."""

    phone: Phone
    mark: int
    trigger: str
    response: str | None
    status: int
    body: bytes
    origin: Screen | None = None

    def _started(self) -> Tapped:
        assert self.status == 200, f"Slack would show an error: HTTP {self.status} {self.body!r}"
        return self

    @property
    def answer(self) -> dict:
        """The HTTP answer's JSON (a form's response_action), {} when empty."""
        return json.loads(self.body) if self.body.strip() else {}

    @property
    def errors(self) -> dict:
        """Inline errors a submitted modal shows, by block id ({} when none)."""
        answer = self.answer
        return dict(answer.get("errors") or {}) if answer.get("response_action") == "errors" else {}

    def _after(self, match: Callable[[Call], bool], what: str, timeout: float = WAIT) -> Call:
        return self.phone.wait(self.mark, match, what, timeout=timeout)

    def modal(self, timeout: float = WAIT) -> Screen:
        """The modal this tap opened, pushed or updated."""
        answer = self.answer
        if answer.get("response_action") in ("update", "push"):
            view = dict(answer["view"])
            if answer["response_action"] == "update":  # Slack keeps the view's id and gives it a new hash
                view["id"] = self.origin.view.get("id") if self.origin else None
                view["hash"] = f"{self.origin.view.get('hash', 'h') if self.origin else 'h'}+"
            else:
                view.update(id=f"{self.origin.view.get('id') if self.origin else 'V'}-pushed",
                            previous_view_id=self.origin.view.get("id") if self.origin else None,
                            root_view_id=(self.origin.view.get("root_view_id") or self.origin.view.get("id"))
                            if self.origin else None)
            return self.phone.screen_of_view("modal", view)
        known = self.phone.modal_ids

        def match(c: Call) -> bool:
            if c.method in ("views.open", "views.push"):
                return c.params.get("trigger_id") == self.trigger
            return c.method == "views.update" and c.params.get("view_id") in known

        call = self._after(match, "a modal")
        view = dict(call.params.get("view") or {})
        view["id"] = (call.answer or {}).get("view", {}).get("id") or call.params.get("view_id")
        view["hash"] = (call.answer or {}).get("view", {}).get("hash") or view.get("hash")
        if call.method == "views.push" and self.origin is not None:
            view["previous_view_id"] = self.origin.view.get("id")
            view["root_view_id"] = self.origin.view.get("root_view_id") or self.origin.view.get("id")
        return self.phone.screen_of_view("modal", view)

    def no_modal(self) -> None:
        """Assert this tap opened no modal (after the other answers arrived)."""
        assert not any(c.method in ("views.open", "views.push") and c.params.get("trigger_id") == self.trigger
                       for c in self.phone.calls_since(self.mark))

    def reply(self, timeout: float = WAIT) -> Screen:
        """The answer posted to this tap's response_url (ephemeral, or replacing the message)."""
        assert self.response, "a tap on a home tab or modal has no response_url: look for a DM, modal or home"
        path = f"/response_url/{self.response}"
        call = self._after(lambda c: c.method == "response_url" and c.path == path, "a reply", timeout)
        p = call.params
        origin = self.origin
        replaced = bool(p.get("replace_original")) and origin is not None
        return Screen(self.phone, "message", list(p.get("blocks") or []), text=str(p.get("text") or ""),
                      channel=origin.channel if origin else None, ts=origin.ts if replaced and origin else None,
                      ephemeral=p.get("response_type") != "in_channel" and not (replaced and origin and not origin.ephemeral))

    def dm(self, *, where: Callable[[Screen], bool] | None = None, timeout: float = WAIT) -> Screen:
        """The next DM to this person after the tap (`where`: the first one that matches)."""
        channels = {self.phone.user, dm_channel(self.phone.user)}

        def match(c: Call) -> bool:
            if c.method != "chat.postMessage" or c.params.get("channel") not in channels or c.answer is None:
                return False
            return where is None or where(self.phone.message_screen(c))

        return self.phone.message_screen(self._after(match, "a DM", timeout))

    def home(self, timeout: float = WAIT) -> Screen:
        """The App Home republished for this person after the tap."""
        call = self._after(lambda c: c.method == "views.publish" and c.params.get("user_id") == self.phone.user
                           and c.answer is not None, "the App Home", timeout)
        return self.phone.home_screen(call)

    def posted(self, channel: str, *, where: Callable[[Screen], bool] | None = None, timeout: float = WAIT) -> Screen:
        """The next message posted (or updated) in a channel after the tap."""
        def match(c: Call) -> bool:
            if c.method not in ("chat.postMessage", "chat.update") or c.params.get("channel") != channel:
                return False
            return c.answer is not None and (where is None or where(self.phone.message_screen(c)))

        return self.phone.message_screen(self._after(match, f"a message in {channel}", timeout))


class Phone:
    """One person's Slack client, driven by the words on the screen."""

    def __init__(self, bot: Bot, user: str) -> None:
        self.bot = bot
        self.user = user
        self.modal_ids: set[str] = set()

    @property
    def mark(self) -> int:
        """How many calls the fake Slack has seen (what comes after a tap is after this)."""
        with self.bot.fake._cond:
            return len(self.bot.fake.calls)

    def calls_since(self, mark: int) -> list[Call]:
        with self.bot.fake._cond:
            return list(self.bot.fake.calls[mark:])

    def wait(self, mark: int, match: Callable[[Call], bool], what: str, *, timeout: float = WAIT) -> Call:
        """The first call after `mark` that matches, waiting for it."""
        fake = self.bot.fake
        deadline = time.monotonic() + timeout
        with fake._cond:
            while True:
                found = next((c for c in fake.calls[mark:] if match(c)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [f"{c.method}:{c.params.get('channel') or c.params.get('user_id') or ''}" for c in fake.calls[mark:]]
                    raise AssertionError(f"{self.user} never got {what}; calls after the tap: {seen}")
                fake._cond.wait(min(left, 0.05))

    def screen_of_view(self, kind: str, view: dict) -> Screen:
        if kind == "modal" and view.get("id"):
            self.modal_ids.add(view["id"])
        return Screen(self, kind, list(view.get("blocks") or []), view=view)

    def home_screen(self, call: Call) -> Screen:
        view = dict(call.params.get("view") or {})
        view["id"] = ((call.answer or {}).get("view") or {}).get("id") or "VHOME"
        assert view.get("type") == "home" and len(view.get("blocks") or []) <= 100
        return self.screen_of_view("home", view)

    def message_screen(self, call: Call) -> Screen:
        answer = call.answer or {}
        return Screen(self, "message", list(call.params.get("blocks") or []), text=str(call.params.get("text") or ""),
                      channel=str(answer.get("channel") or call.params.get("channel") or ""),
                      ts=str(answer.get("ts") or call.params.get("ts") or "") or None)

    def home(self) -> Screen:
        """Open the App Home tab and read what it shows."""
        mark = self.mark
        status, _ = self.bot.event({"type": "app_home_opened", "user": self.user, "tab": "home",
                                    "channel": dm_channel(self.user)})
        assert status == 200
        return self.home_screen(self.wait(mark, lambda c: c.method == "views.publish"
                                          and c.params.get("user_id") == self.user and c.answer is not None,
                                          "the App Home"))

    def command(self, text: str, *, channel: str = "CGENERAL") -> Tapped:
        """Type `/outreach <text>`."""
        mark = self.mark
        sent: Sent = self.bot.command(self.user, text, channel=channel)
        origin = Screen(self, "message", [], channel=channel, ephemeral=True)
        return Tapped(self, mark, trigger=f"trig-{sent.response_name}", response=sent.response_name,
                      status=sent.status, body=sent.body, origin=origin)._started()

    def dms(self) -> list[Screen]:
        """Every DM this person got, oldest first, as each stands now."""
        channels = {self.user, dm_channel(self.user)}
        calls = [c for c in self.bot.fake.calls_to("chat.postMessage") if c.params.get("channel") in channels]
        return [self.message_screen(c).now() for c in calls if c.answer is not None]

    def last_dm(self) -> Screen:
        """The latest DM to this person, as it stands now."""
        dms = self.dms()
        assert dms, f"{self.user} got no DM"
        return dms[-1]
