"""Small Block Kit builders on slack_sdk's models, so Slack's limits are checked in one place."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
    TimePickerElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from outreach.i18n import gettext as _

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT_LIMIT = 3000
HEADER_LIMIT = 150
TITLE_LIMIT = 24
BUTTON_LIMIT = 75
OPTION_LIMIT = 75
OPTIONS_MAX = 100
METADATA_LIMIT = 3000


def clip(text: str, limit: int) -> str:
    """Cut text to Slack's limit at a word's end, marking the cut (mid-word only for one giant word)."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rstrip().rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:.-") + "…"


def section(text: str, *, accessory: ButtonElement | None = None,
            block_id: str | None = None) -> SectionBlock:
    """A mrkdwn section."""
    return SectionBlock(text=MarkdownTextObject(text=clip(text, TEXT_LIMIT)), accessory=accessory, block_id=block_id)


def context(text: str) -> ContextBlock:
    """A small grey line."""
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, TEXT_LIMIT))])


def header(text: str) -> HeaderBlock:
    """A bold heading (plain text)."""
    return HeaderBlock(text=PlainTextObject(text=clip(text, HEADER_LIMIT), emoji=True))


def divider() -> DividerBlock:
    """A rule between items."""
    return DividerBlock()


CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30


def confirm(title: str, text: str, *, yes: str, no: str | None = None, danger: bool = True) -> ConfirmObject:
    """Slack's "are you sure?" dialog for a button whose action cannot be undone (`no`: Go back by default)."""
    no = _("Go back") if no is None else no
    return ConfirmObject(
        title=PlainTextObject(text=clip(title, CONFIRM_TITLE)),
        text=MarkdownTextObject(text=clip(text, CONFIRM_TEXT)),
        confirm=PlainTextObject(text=clip(yes, CONFIRM_BUTTON)),
        deny=PlainTextObject(text=clip(no, CONFIRM_BUTTON)),
        style="danger" if danger else "primary",
    )


def button(
    text: str, action_id: str, value: str = "", *, style: str | None = None, url: str | None = None,
    confirm: ConfirmObject | None = None,
) -> ButtonElement:
    """A button carrying a short value (`confirm`: a dialog Slack shows before sending the click)."""
    return ButtonElement(
        text=PlainTextObject(text=clip(text, BUTTON_LIMIT), emoji=True),
        action_id=action_id, value=value or None, style=style, url=url, confirm=confirm,
    )


def actions(*buttons: ButtonElement, block_id: str | None = None) -> ActionsBlock:
    """A row of buttons."""
    return ActionsBlock(elements=list(buttons), block_id=block_id)


def option(text: str, value: str) -> Option:
    """One choice of a select."""
    return Option(text=PlainTextObject(text=clip(text, OPTION_LIMIT)), value=value)


def _initial(options: list[Option], value: str | None) -> Option | None:
    return next((o for o in options if o.value == value), None)


def select_input(
    block_id: str, label: str, choices: list[tuple[str, str]], *, initial: str | None = None,
    optional: bool = False, hint: str | None = None,
) -> InputBlock:
    """A single-choice select in a modal."""
    options = [option(text, value) for value, text in choices][:OPTIONS_MAX]
    element = StaticSelectElement(
        action_id="value", options=options, initial_option=_initial(options, initial),
        placeholder=PlainTextObject(text=_("Choose…")),
    )
    return InputBlock(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def multi_select_input(
    block_id: str, label: str, choices: list[tuple[str, str]], *, initial: list[str] | None = None,
    optional: bool = True, hint: str | None = None,
) -> InputBlock:
    """A multiple-choice select in a modal."""
    options = [option(text, value) for value, text in choices][:OPTIONS_MAX]
    chosen = [o for o in options if o.value in (initial or [])]
    element = StaticMultiSelectElement(
        action_id="value", options=options, initial_options=chosen or None,
        placeholder=PlainTextObject(text=_("Choose…")),
    )
    return InputBlock(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def text_input(
    block_id: str, label: str, *, initial: str | None = None, multiline: bool = False,
    max_length: int | None = None, optional: bool = False, hint: str | None = None, placeholder: str | None = None,
) -> InputBlock:
    """A typed text field in a modal."""
    element = PlainTextInputElement(
        action_id="value", initial_value=initial or None, multiline=multiline, max_length=max_length,
        placeholder=PlainTextObject(text=placeholder) if placeholder else None,
    )
    return InputBlock(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def number_input(
    block_id: str, label: str, *, initial: int | None = None, minimum: int = 0, maximum: int | None = None,
    optional: bool = False, hint: str | None = None,
) -> InputBlock:
    """A whole-number field in a modal."""
    element = NumberInputElement(
        action_id="value", is_decimal_allowed=False, initial_value=str(initial) if initial is not None else None,
        min_value=str(minimum), max_value=str(maximum) if maximum is not None else None,
    )
    return InputBlock(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def date_input(block_id: str, label: str, *, initial: str | None = None,
               optional: bool = False) -> InputBlock:
    """A date picker in a modal (YYYY-MM-DD)."""
    return InputBlock(
        block_id=block_id, label=label, optional=optional,
        element=DatePickerElement(action_id="value", initial_date=initial),
    )


def time_input(block_id: str, label: str, *, initial: str | None = None,
               hint: str | None = None) -> InputBlock:
    """A time picker in a modal (HH:MM)."""
    return InputBlock(
        block_id=block_id, label=label, hint=hint, element=TimePickerElement(action_id="value", initial_time=initial)
    )


def user_input(block_id: str, label: str, *, initial: str | None = None) -> InputBlock:
    """A person picker in a modal."""
    return InputBlock(block_id=block_id, label=label, element=UserSelectElement(action_id="value", initial_user=initial))


def message(blocks: list[Block]) -> list[dict]:
    """Blocks of one message, as dicts, checked against Slack's limits."""
    if len(blocks) > MESSAGE_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks is over Slack's {MESSAGE_BLOCKS} for a message")
    return [b.to_dict() for b in blocks]


def modal(
    *, title: str, blocks: list[Block], callback_id: str, submit: str | None = None,
    close: str | None = None, metadata: dict | None = None,
) -> dict:
    """A modal view, checked against Slack's limits (`close`: Close by default)."""
    if len(blocks) > VIEW_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks is over Slack's {VIEW_BLOCKS} for a view")
    meta = json.dumps(metadata or {})
    if len(meta) > METADATA_LIMIT:
        raise ValueError("private_metadata is over Slack's limit")
    return View(
        type="modal", callback_id=callback_id, title=PlainTextObject(text=clip(title, TITLE_LIMIT)),
        submit=PlainTextObject(text=submit) if submit else None, close=PlainTextObject(text=_("Close") if close is None else close),
        blocks=blocks, private_metadata=meta,
    ).to_dict()


def submission_key(body: dict) -> str | None:
    """The key a view submission is acted on once under: the form (its callback id) in that view (its id) as it
    was answered (its hash, which Slack changes on every update or push).

    A resend of one answer carries all three; a modal that becomes another form (Details, then Cancel shift,
    then Duplicate, in one view) keeps its id but changes form and hash, so each answer is acted on.
    """
    view = body.get("view") or {}
    view_id = view.get("id")
    if not isinstance(view_id, str) or not view_id:
        return None
    return f"view:{view_id}:{view.get('callback_id') or ''}:{view.get('hash') or ''}"


def home(blocks: list[Block]) -> dict:
    """The App Home tab, checked against Slack's limits."""
    if len(blocks) > VIEW_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks is over Slack's {VIEW_BLOCKS} for a view")
    return View(type="home", blocks=blocks).to_dict()


def select(
    action_id: str, choices: list[tuple[str, str]], *, initial: str | None = None, placeholder: str | None = None,
) -> StaticSelectElement:
    """A select for an actions block: picking an option sends the action at once (`placeholder`: Choose… by default)."""
    options = [option(text, value) for value, text in choices][:OPTIONS_MAX]
    return StaticSelectElement(
        action_id=action_id, options=options, initial_option=_initial(options, initial),
        placeholder=PlainTextObject(text=clip(_("Choose…") if placeholder is None else placeholder, 150)),
    )


def checkboxes_input(block_id: str, label: str, choices: list[tuple[str, str]], *,
                     initial: list[str] | None = None, hint: str | None = None) -> InputBlock:
    """Tick boxes in a modal (optional: none ticked is an answer)."""
    options = [option(text, value) for value, text in choices][:10]
    chosen = [o for o in options if o.value in (initial or [])]
    element = CheckboxesElement(action_id="value", options=options, initial_options=chosen or None)
    return InputBlock(block_id=block_id, label=label, element=element, optional=True, hint=hint)


def people_input(block_id: str, label: str, *, initial: list[str] | None = None, hint: str | None = None,
                optional: bool = False) -> InputBlock:
    """A picker of several people in a modal."""
    element = UserMultiSelectElement(action_id="value", initial_users=initial or None,
                                     placeholder=PlainTextObject(text=_("Choose people…")))
    return InputBlock(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def sections(text: str, *, limit: int = TEXT_LIMIT) -> list[SectionBlock]:
    """Long text as several sections, each cut at a line's end (or a word's end), never mid-word or mid-token."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # one very long line: at its last space before the limit
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        joined = f"{current}\n{line}" if current else line
        if len(joined) > limit:
            chunks.append(current)
            current = line
        else:
            current = joined
    if current.strip():
        chunks.append(current)
    return [section(chunk) for chunk in chunks if chunk.strip()]
