"""The extension points between Slack surfaces, declared in one place.

A surface adds to another only through these: it appends its function to a list here when it is
registered (handlers/__init__.py registers every surface, in order). Nothing imports another surface's
module to add itself to it, so the surfaces of handlers/ import each other without a cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.models.blocks import Block, ButtonElement

from outreach import i18n, languages
from outreach.roles import Role
from outreach.shifts import Shift

if TYPE_CHECKING:
    from handlers.kit import Kit

# ---------------------------------------------------------------- the App Home

# Sections shown first, above the entry buttons (what cannot wait: SOS during a shift), fn(kit, user) -> blocks.
HOME_TOP: list[Callable[[Kit, str], list[Block]]] = []
# Sections other surfaces add to the home tab, in order: fn(kit, user) -> blocks (keep each small).
HOME_SECTIONS: list[Callable[[Kit, str], list[Block]]] = []
# Who publishes a person's home tab (handlers/home.py): fn(kit, client, user).
HOME_PUBLISHERS: list[Callable[[Kit, WebClient, str], None]] = []
# Who shows one of the home's modals again in place after a tap inside it, with a note on top:
# fn(kit, client, body, actor, note) -> True when it was theirs.
MODAL_REFRESHERS: list[Callable[[Kit, WebClient, dict, str, str], bool]] = []

# ---------------------------------------------------------------- a shift

# Buttons other surfaces add beside a shift's own for one reader (Find cover, Tell me if a place opens):
# fn(kit, reader, shift loaded for that reader, the value the shift's buttons carry) -> buttons.
SHIFT_BUTTONS: list[Callable[[Kit, str, Shift, str], list[ButtonElement]]] = []
# Blocks other surfaces add to a shift's Details, after its words: fn(kit, shift, role, whether the reader may be
# on its team: a duress SOS hides from the team) -> blocks.
DETAILS_EXTRAS: list[Callable[[Kit, Shift, Role, bool], list[Block]]] = []
# Buttons other surfaces add to the coordinators' row of a shift's Details (after Cancel): fn(kit, shift) -> buttons.
DETAILS_COORDINATOR_BUTTONS: list[Callable[[Kit, Shift], list[ButtonElement]]] = []
# Who saves a new shift's form that chose a repeat (handlers/series.py), after the modal closed:
# fn(kit, client, actor, values, repeat, channel, request_key=) -> None.
NEW_SERIES: list[Callable[..., None]] = []

# ---------------------------------------------------------------- the debrief

# Blocks other surfaces add under the debrief's first lines: fn(kit, shift) -> blocks. Keep them to a line or a
# button each (the first screen is at most 20 lines on a phone): the safety timeline is one button.
DEBRIEF_FORM_CONTEXT: list[Callable[[Kit, Shift], list[Block]]] = []

# ---------------------------------------------------------------- the alert phone

# Other surfaces' answers to an SMS from a verified alert phone, asked first (handlers/drills.py):
# fn(kit, member, body, the shifts it may take now) -> the reply, or None when it is not theirs.
SMS_REPLIES: list[Callable[[Kit, str, str, list[int]], str | None]] = []
# ... and to a digit pressed in a call the bot placed: fn(kit, CallSid, digits) -> what the call says, or None.
VOICE_REPLIES: list[Callable[[Kit, str, str], str | None]] = []
# Other surfaces' answers to an SMS from a verified alert phone (handlers/field.py: IN, OUT, SOS):
# fn(kit, user=, body=, sid=) -> the SMS to answer, or None when the text is not theirs.
SMS_WORDS: list[Callable[..., str | None]] = []
# Other surfaces' blocks on the My alert phone modal, after the number: fn(kit, user) -> blocks.
PHONE_PARTS: list[Callable[[Kit, str], list[Block]]] = []

# ---------------------------------------------------------------- people

# What follows a member leaving the workspace (Slack says `deleted`), fn(kit, user id); each must be
# idempotent: a `user_change` and every daily look-up of a deactivated member say it again (handlers/rota.py).
LEFT: list[Callable[[Kit, str], None]] = []


def add(point: list, fn: Callable) -> None:
    """Add a surface's function to an extension point, once (an app made twice adds nothing twice)."""
    if fn not in point:
        point.append(fn)


def publish_home(kit: Kit, client: WebClient, user: str) -> None:
    """Publish one person's home tab again (after a change that shows there), in their language."""
    with kit.services.store.read() as db:
        language = languages.language_of(db, user)
    with i18n.speaking(language):
        for publish in HOME_PUBLISHERS:
            publish(kit, client, user)


def refresh_modal(kit: Kit, client: WebClient, body: dict, actor: str, *, note: str) -> bool:
    """Show the home's modal a tap came from again in place, with the result on top; False elsewhere."""
    return any(refresh(kit, client, body, actor, note) for refresh in MODAL_REFRESHERS)
