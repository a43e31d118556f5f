"""Readiness in Slack: the checklist message, ticking, evidence, on-call partners, Go (the hotline card: handlers/card.py)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from jinja2 import pass_context
from markupsafe import Markup
from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block, CheckboxesElement, Option, PlainTextObject, StaticSelectElement
from slack_sdk.webhook import WebhookClient

from handlers import blocks as bk
from handlers import ids, points
from handlers.click import Click
from handlers.commands import CommandRequest, parse_number, subcommand
from handlers.kit import Kit
from handlers.notify import notice
from handlers.render import SLACK_ID
from handlers.safety import result_text
from handlers.shifts import screen_reason
from outreach import privacy, safety
from outreach import readiness as rd
from outreach import shifts as sh
from outreach.digits import parse_number as parse_whole
from outreach.hotlines import CONDITIONS, NATIONAL
from outreach.i18n import N_, ngettext
from outreach.i18n import gettext as _
from outreach.partners import all_partners
from outreach.readiness import Protocol, Readiness
from outreach.roles import Role
from outreach.shifts import Shift
from outreach.store import from_iso

log = logging.getLogger(__name__)

NOBODY = "none"


def protocol_of(kit: Kit) -> Protocol:
    """The checklist, categories and hotlines loaded at start-up."""
    return rd.load_protocol(kit.services.settings.data_dir)


def channel_of(kit: Kit) -> str | None:
    """Where coordinator alerts go."""
    return kit.services.settings.coordinator_channel


def readiness_states(kit: Kit, shifts: list[Shift]) -> dict[int, Readiness]:
    """The readiness of a list's shifts (not the cancelled ones), read together."""
    live = [s for s in shifts if not s.cancelled]
    return rd.readiness_many(kit.services.store, protocol_of(kit), live) if live else {}


def readiness_line(kit: Kit, shift: Shift, states: dict[int, Readiness] | None = None, *,
                   detail: bool = False) -> Markup:
    """The one readiness line shown wherever a shift is listed (a Jinja filter: `shift|readiness`).

    Everyone sees one badge (Go, ready, not ready yet); `detail` (the `readiness_detail` filter, for
    leads and coordinators) adds "9 of 14 ready" and what is missing. A list renders its lines with
    `readiness_states` (read ahead for all its shifts) in the context.
    """
    if shift.cancelled:
        return Markup("")
    state = (states or {}).get(shift.id) or rd.readiness_of(kit.services.store, protocol_of(kit), shift.id)
    return Markup(kit.render("readiness/line.j2", r=state, detail=detail)) if state else Markup("")


# ---------------------------------------------------------------- the checklist: a modal for those who work it

DONE = N_("Done")


def _editable(state: Readiness) -> bool:
    """True while the checklist can still be worked (not for a cancelled shift)."""
    return not state.shift.cancelled


def _tick_box(shift_id: int, item: rd.ItemState) -> CheckboxesElement:
    """The one tick box of a ticked item (its words are in the section it belongs to)."""
    done = Option(text=PlainTextObject(text=_(DONE)), value=item.id)
    return CheckboxesElement(action_id=ids.READY_TICK, options=[done], initial_options=[done] if item.passed else None)


def _partner_select(partners: list, category: str, current: int | None) -> StaticSelectElement | None:
    covering = [p for p in partners if category in p.categories]
    if not covering:
        return None
    options = [bk.option(p.name + (" (24/7)" if p.always_open else ""), str(p.id)) for p in covering][: bk.OPTIONS_MAX - 1]
    options.append(bk.option(_("Nobody on call"), NOBODY))
    initial = next((o for o in options if current is not None and o.value == str(current)), None)
    return StaticSelectElement(action_id=ids.READY_ONCALL, options=options, initial_option=initial,
                               placeholder=PlainTextObject(text=_("Confirm a partner on call")))


def _hotline_select(protocol: Protocol, current: str) -> StaticSelectElement:
    lines = [NATIONAL, *protocol.hotlines]
    options = [bk.option(h.name if h.qualified else _("%(name)s (not qualified)") % {"name": h.name}, h.id)
               for h in lines][: bk.OPTIONS_MAX]
    initial = next((o for o in options if o.value == current), None)
    return StaticSelectElement(action_id=ids.READY_HOTLINE, options=options, initial_option=initial,
                               placeholder=PlainTextObject(text=_("Choose the hotline")))


def _item_blocks(kit: Kit, state: Readiness, item: rd.ItemState, partners: list,
                 on_call: dict) -> list[Block]:
    """One item, once, with its own control; a services item adds one line per category with its partner pick."""
    protocol = protocol_of(kit)
    shift, protocol = state.shift, protocol_of(kit)
    text = bk.MarkdownTextObject(text=bk.clip(kit.render("readiness/item.j2", i=item, tz=shift.tz), bk.TEXT_LIMIT))
    editable = _editable(state)
    if editable and not item.computed:
        # The block id carries the item's state, so Slack shows the box as it is now after an update.
        out: list[Block] = [bk.SectionBlock(text=text, accessory=_tick_box(shift.id, item),
                                            block_id=f"tick:{shift.id}:{item.id}:{int(item.passed)}")]
    elif editable and item.check == "hotline":
        out = [bk.SectionBlock(text=text, accessory=_hotline_select(protocol, state.hotline),
                               block_id=f"hotline:{shift.id}:{state.hotline}")]
    elif editable and item.check == "contact":  # the agency picked from the directory, as a partner on call
        category, current = item.detail.get("category", ""), item.detail.get("partner_id")
        out = [bk.SectionBlock(text=text, accessory=_partner_select(partners, category, current),
                               block_id=f"oncall:{shift.id}:{category}:{current or NOBODY}:contact")]
    else:
        out = [bk.SectionBlock(text=text)]
    if editable and item.check == "services":
        for category in item.detail.get("categories", []):
            current = on_call.get(category, {}).get("partner_id")
            line = kit.render("readiness/oncall.j2", category=category, partner=item.detail["covered"].get(category),
                              by=on_call.get(category, {}).get("confirmed_by"),
                              choices=any(category in p.categories for p in partners))
            out.append(bk.SectionBlock(text=bk.MarkdownTextObject(text=bk.clip(line, bk.TEXT_LIMIT)),
                                       accessory=_partner_select(partners, category, current),
                                       block_id=f"oncall:{shift.id}:{category}:{current or NOBODY}"))
    return out


def _summary_blocks(kit: Kit, state: Readiness) -> list[Block]:
    """One line and one Open button per section: what a phone shows first."""
    shift, out = state.shift, []
    for key, name, items in state.by_section():
        required = [i for i in items if i.required]
        line = kit.render("readiness/section_line.j2", name=name, required=len(required),
                          passed=sum(1 for i in required if i.passed),
                          optional=len(items) - len(required), optional_done=sum(1 for i in items if not i.required and i.passed))
        out.append(bk.section(line, accessory=bk.button(_("Open"), ids.READY_SECTION, f"{shift.id}:{key}"),
                              block_id=f"section:{shift.id}:{key}"))
    return out


def _section_blocks(kit: Kit, state: Readiness, key: str) -> list[Block]:
    """One section of the checklist: its name with Back to the summary, then each item once with its control."""
    shift = state.shift
    with kit.services.store.read() as db:
        partners = all_partners(db)
        on_call = rd.on_call(db, shift.id)
    name, items = next((n, i) for k, n, i in state.by_section() if k == key)
    part: list[Block] = [bk.section(kit.render("readiness/section_name.j2", name=name),
                                    accessory=bk.button(_("Back"), ids.READY_SECTION, f"{shift.id}:"),
                                    block_id=f"back:{shift.id}:{key}")]
    for item in items:
        part += _item_blocks(kit, state, item, partners, on_call)
    return part


def checklist_view(kit: Kit, state: Readiness, *, note: str | None = None,
                   section: str | None = None) -> dict:
    """The checklist modal of one shift for its lead and coordinators: a count and the status, then either the
    summary (one line and one button per section) or one section (`section`), each of its items once with its
    control. A section opens by updating the view in place, so the stack never grows."""
    shift = state.shift
    if section not in {key for key, _name, _items in state.by_section()}:
        section = None
    top: list[Block] = [bk.header(kit.render("readiness/count.j2", r=state))]
    if note:
        top.append(bk.section(note))
    top.append(bk.section(kit.render("readiness/status.j2", r=state, editor=True)))
    if _editable(state) and state.applies and state.ready and not state.go:
        top.append(bk.actions(bk.button(_("Record Go"), ids.READY_GO, str(shift.id), style="primary"),
                              block_id=f"go:{shift.id}"))
    middle = _section_blocks(kit, state, section) if section else _summary_blocks(kit, state)
    bottom: list[Block] = []
    if _editable(state):
        buttons = [bk.button(_("Refresh"), ids.READY_REFRESH, str(shift.id))]
        if state.new_items:
            # The English keeps "items" for one too (tests/test_readiness.py asserts it); the Spanish says each form.
            buttons.append(bk.button(ngettext("Add %(count)s new checklist items", "Add %(count)s new checklist items",
                                               state.new_items) % {"count": state.new_items},
                                      ids.READY_PULL, str(shift.id)))
        bottom.append(bk.actions(*buttons, block_id=f"more:{shift.id}"))
    blocks = [*top, bk.divider(), *middle, *bottom] if middle else [*top, *bottom]
    return bk.modal(title=_("Checklist #%(number)s") % {"number": shift.id}, callback_id="ready_checklist", close=_(DONE),
                    metadata={"shift_id": shift.id, "section": section}, blocks=blocks)


def section_of(meta: object) -> str | None:
    """The checklist section a modal shows, from its metadata (None: the summary)."""
    section = meta.get("section") if isinstance(meta, dict) else None
    return section if isinstance(section, str) and section in rd.SECTIONS else None


def notice_view(kit: Kit, text: str, *, title: str | None = None) -> dict:
    """A small modal that only says something (a refusal, a shift that is gone)."""
    return bk.modal(title=title or _("Checklist"), callback_id="ready_notice", close=_("Close"),
                    blocks=[bk.section(text)])


def checklist_message(kit: Kit, state: Readiness, *, editor: bool,
                      note: str | None = None) -> tuple[str, list[dict]]:
    """The checklist as a read-only message (each item once); those who work it get an Open checklist button."""
    shift = state.shift
    text = kit.render("readiness/status.j2", r=state, editor=editor)
    parts: list[Block] = [bk.section(note)] if note else []
    parts.append(bk.section(text))
    for _key, name, items in state.by_section():
        parts.append(bk.divider())
        parts.append(bk.section(kit.render("readiness/section.j2", name=name, items=items, tz=shift.tz)))
    if editor and _editable(state):
        parts.append(bk.actions(bk.button(_("Open checklist"), ids.READY_OPEN, str(shift.id), style="primary"),
                                block_id=f"open:{shift.id}"))
    return (note + "\n" if note else "") + text, bk.message(parts)


def evidence_view(kit: Kit, state: Readiness, item: rd.ItemState, *, checklist: str | None = None,
                  section: str | None = None, response_url: str | None = None) -> dict:
    """The small modal that asks for an item's evidence: a few words, or a member picked."""
    label = item.evidence_label or item.name
    if item.evidence_kind == "member":
        current = item.evidence if item.evidence and SLACK_ID.match(item.evidence) else None
        field: Block = bk.user_input("evidence", label, initial=current)
    elif item.evidence_kind == "minutes":
        every = safety.load_state(kit.services.store, state.shift.id).checkin_every
        field = bk.number_input("evidence", label, initial=every, minimum=safety.MIN_EVERY, maximum=safety.MAX_EVERY,
                                hint=kit.render("readiness/evidence_hint.j2", part="minutes", low=safety.MIN_EVERY,
                                                high=safety.MAX_EVERY))
    else:
        field = bk.text_input("evidence", label, initial=item.evidence, max_length=rd.MAX_EVIDENCE,
                              hint=kit.render("readiness/evidence_hint.j2"))
    return bk.modal(
        title=_("Evidence"), callback_id=ids.READY_EVIDENCE, submit=_("Tick it"),
        close=_("Back") if checklist else _("Cancel"),
        metadata={"shift_id": state.shift.id, "item": item.id, "checklist": checklist, "section": section,
                  "response_url": response_url},
        blocks=[bk.section(kit.render("readiness/evidence_intro.j2", shift=state.shift, item=item)), field],
    )


# ---------------------------------------------------------------- access


def _access(kit: Kit, shift_id: int | None, actor: str, role: Role) -> tuple[Readiness | None, bool, bool]:
    """The shift's readiness, whether the actor may view it and whether they may edit it."""
    if shift_id is None:
        return None, False, False
    state = rd.readiness_of(kit.services.store, protocol_of(kit), shift_id)
    if state is None:
        return None, False, False
    coordinator = role >= Role.COORDINATOR
    editor = rd.may_edit(state.shift, actor=actor, coordinator=coordinator)
    with kit.services.store.read() as db:
        viewer = rd.may_view(db, state.shift, actor=actor, coordinator=coordinator)
    return state, viewer, editor


def _refused(kit: Kit, click: Click, what: str, shift: Shift | None = None) -> None:
    """Say why not where the tap came from: in its modal, beside its message, or in a modal over the App Home."""
    text = kit.render("readiness/not_allowed.j2", what=what, shift=shift)
    if click.where == "message":
        click.tell(text)
    elif click.where == "modal":
        click.update(notice_view(kit, text))
    elif click.trigger_id:
        click.show(notice_view(kit, text))


def open_checklist(kit: Kit, show: Callable[[dict], object], number: int | None, actor: str, role: Role,
                   note: str | None = None) -> None:
    """Open shift N's checklist modal for its lead or a coordinator; anyone else gets a modal saying why not."""
    state, _viewer, editor = _access(kit, number, actor, role)
    if state is None:
        view = notice_view(kit, kit.render("shifts/unavailable.j2", number=number, shift=None))
    elif not editor:
        view = notice_view(kit, kit.render("readiness/not_allowed.j2", what="open", shift=state.shift))
    else:
        view = checklist_view(kit, state, note=note)
    show(view)


# ---------------------------------------------------------------- subcommands


def is_slack_url(url: object, api_url: str) -> bool:
    """True for a response URL on Slack's own hosts (or the configured API host), never anywhere else."""
    if not isinstance(url, str):
        return False
    parts, api = urlsplit(url), urlsplit(api_url)
    return parts.scheme in ("https", "http") and (
        parts.hostname in ("hooks.slack.com", "hooks.slack-gov.com") or parts.netloc == api.netloc
    )


def checklist_reply(kit: Kit, number: int, actor: str, role: Role) -> tuple[str, list[dict] | None]:
    """The checklist of shift N as the actor may see it, or a sentence saying why not."""
    state, viewer, editor = _access(kit, number, actor, role)
    if state is None:
        return kit.render("shifts/unavailable.j2", number=number, shift=None), None
    if not viewer:
        return kit.render("readiness/not_allowed.j2", what="view"), None
    return checklist_message(kit, state, editor=editor)


@subcommand("checklist", usage="N")
def cmd_checklist(req: CommandRequest) -> None:
    """Open shift N's readiness checklist (the lead and coordinators; the shift's volunteers read it)."""
    words = req.args.split()
    number = parse_number(words[0]) if words else None
    if number is None:
        req.say("common/usage.j2", usage="/outreach checklist N (the shift's number, as in /outreach shifts)")
        return
    state, viewer, editor = _access(req.kit, number, req.actor, req.role)
    if state is None:
        req.say("shifts/unavailable.j2", number=number, shift=None)
        return
    if not viewer:
        req.say("readiness/not_allowed.j2", what="view")
        return
    note = None
    if len(words) > 1 and words[1].lower() == "pull":
        if not editor:
            req.say("readiness/not_allowed.j2", what="change")
            return
        added = rd.pull_new_items(req.kit.services.store, protocol_of(req.kit), shift_id=number, actor=req.actor,
                                  channel=channel_of(req.kit))
        note = req.kit.render("readiness/pulled.j2", added=added)
        state = rd.readiness_of(req.kit.services.store, protocol_of(req.kit), number)
        assert state
    if editor and req.trigger_id:
        open_checklist(req.kit, lambda view: req.client.views_open(trigger_id=req.trigger_id, view=view), number,
                       req.actor, req.role, note=note)
    else:
        text, blocks = checklist_message(req.kit, state, editor=editor, note=note)
        req.reply(text, blocks)
    req.kit.notifier.flush()


@subcommand("go", usage="N")
def cmd_go(req: CommandRequest) -> None:
    """Record Go for shift N (the lead or a coordinator), refused while anything required is missing."""
    number = req.shift_number("/outreach go N")
    if number is None:
        return
    result = rd.record_go(req.kit.services.store, protocol_of(req.kit), shift_id=number, actor=req.actor,
                          coordinator=req.role >= Role.COORDINATOR)
    req.say("readiness/go_result.j2", result=result, number=number)


def parse_languages(kit: Kit, typed: str) -> tuple[list[str], list[str]]:
    """Language ids from what was typed (ids or names, separated by commas or spaces), and the unknown words."""
    catalog = kit.services.catalog
    found: list[str] = []
    unknown: list[str] = []

    def match(word: str) -> str | None:
        key = word.strip().lower()
        return next((x.id for x in catalog.languages if key in (x.id.lower(), x.name.lower())), None)

    for chunk in [c for c in re.split(r"[,;]", typed) if c.strip()]:
        whole = match(chunk)
        if whole:
            found.append(whole)
            continue
        for word in chunk.split():
            ident = match(word)
            (found.append(ident) if ident else unknown.append(word))
    return list(dict.fromkeys(found)), unknown


@subcommand("profile", usage="[languages LANGUAGE, ...]")
def cmd_profile(req: CommandRequest) -> None:
    """Show or set the languages you speak (they count towards a shift's language coverage)."""
    store = req.kit.services.store
    what, _sep, rest = req.args.partition(" ")
    if what and what.lower() != "languages":
        req.say("common/usage.j2", usage="/outreach profile languages Spanish, French (or none)")
        return
    if what and rest.strip():
        if rest.strip().lower() == "none":
            rd.set_languages(store, user_id=req.actor, languages=[])
        else:
            found, unknown = parse_languages(req.kit, rest)
            if unknown or not found:
                req.say("readiness/profile.j2", unknown=unknown or [rest.strip()], languages=[],
                        choices=req.kit.services.catalog.languages, saved=False)
                return
            rd.set_languages(store, user_id=req.actor, languages=found)
    with store.read() as db:
        languages = rd.languages_of(db, req.actor)
    req.say("readiness/profile.j2", unknown=[], languages=languages, choices=[], saved=bool(what and rest.strip()))


# ---------------------------------------------------------------- notifications


@notice("readiness/revoked")
def notice_revoked(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Go was taken back: tell the lead (their shifts) or the coordinators (all of them) what broke, in one message."""
    told = context.get("shifts") or [context]  # a notice queued before several were told at once names one shift
    now = kit.services.now()
    shifts = [(shift, entry) for entry in told
              if (shift := sh.load_shift(kit.services.store, int(entry["shift_id"])))
              and not shift.cancelled and shift.ends_at > now]
    if not shifts:
        return None
    if len(shifts) == 1:
        shift, entry = shifts[0]
        text = kit.render("readiness/revoked.j2", shift=shift, broke=entry.get("broke", []), go_by=entry.get("go_by"))
        return text, bk.message([bk.section(text), bk.actions(
            bk.button(_("Open checklist"), ids.READY_OPEN, str(shift.id), style="primary"),
            bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)), block_id=f"revoked:{shift.id}")])
    listed = shifts[: bk.MESSAGE_BLOCKS - 2]
    text = kit.render("readiness/revoked_many.j2", count=len(shifts), more=len(shifts) - len(listed), part="top")
    parts: list[Block] = [bk.section(text)]
    for shift, entry in listed:
        line = kit.render("readiness/revoked_line.j2", shift=shift, broke=entry.get("broke", []))
        parts.append(bk.section(line, accessory=bk.button(_("Open checklist"), ids.READY_OPEN, str(shift.id)),
                                block_id=f"revoked:{shift.id}"))
    parts.append(bk.section(kit.render("readiness/revoked_many.j2", count=len(shifts), more=len(shifts) - len(listed),
                                       part="end")))
    return text, bk.message(parts)


def contact_words(kit: Kit, state: Readiness | None) -> Markup | None:
    """The night's law enforcement contact as the SOS post, the safety alert and Details show it: the agency's
    name and phone from the partner directory, "see the checklist" where only typed words are stored, or None."""
    item = rd.contact_item(state) if state else None
    if item is None or not (item.passed or item.detail.get("typed")):
        return None
    return Markup(kit.render("readiness/contact.j2", d=item.detail, passed=item.passed))


def details_contact(kit: Kit, shift: Shift, role: Role, *_rest: object) -> list[Block]:
    """In a shift's Details: the night's law enforcement contact, when its checklist asks for one."""
    if shift.cancelled:
        return []
    state = rd.readiness_of(kit.services.store, protocol_of(kit), shift.id)
    item = rd.contact_item(state) if state else None
    if item is None:
        return []
    return [bk.context(kit.render("readiness/contact_line.j2", contact=contact_words(kit, state)))]


# ---------------------------------------------------------------- Bolt wiring


def _block_parts(click: Click, prefix: str) -> list[str]:
    parts = click.block_id.split(":")
    return parts[1:] if parts and parts[0] == prefix else []


def _periodic_recheck(kit: Kit) -> None:
    services = kit.services
    protocol = protocol_of(kit)
    if rd.recheck_all(services.store, protocol, channel=channel_of(kit)):
        kit.notifier.flush()


def _missing_items(kit: Kit, shift_id: int) -> list[str] | None:
    """For reminders and alerts: what a shift still lacks (None where no checklist applies)."""
    services = kit.services
    protocol = protocol_of(kit)
    state = rd.readiness_of(services.store, protocol, shift_id)
    return [item.name for item in state.missing] if state and state.applies else None


def _show(kit: Kit, click: Click, number: int, note: str | None = None) -> None:
    """After a change: the checklist modal again in place, or the message the tap came from; a tap on the App
    Home (Record Go there) gets what it did in a modal."""
    state, _viewer, editor = _access(kit, number, click.actor, click.role)
    if state is None:
        return
    if click.where == "modal" and click.view_id:
        click.update(checklist_view(kit, state, note=note, section=section_of(click.meta)))
    elif click.where == "message":
        click.answer(note or "", redraw=lambda note: checklist_message(kit, state, editor=editor, note=note or None))
    elif note and click.trigger_id:
        click.show(notice_view(kit, note))
    kit.notifier.flush()
    if editor:
        points.publish_home(kit, click.client, click.actor)  # the home lists the shifts a lead works


def _editable_(kit: Kit, click: Click, number: int | None) -> Readiness | None:
    """The shift's readiness when the actor may change it now; otherwise say why not and return None."""
    state, _viewer, editor = _access(kit, number, click.actor, click.role)
    if state is None:
        return None
    if not editor or state.shift.cancelled:
        _refused(kit, click, "change")
        return None
    return state


def _control(kit: Kit, click: Click, prefix: str) -> tuple[list[str], int, Readiness] | None:
    """A checklist control tapped (its block id `prefix:N:...`): its parts, the shift's number and readiness,
    when the actor may change it now; otherwise None (and they were told why)."""
    parts = _block_parts(click, prefix)
    number = parse_whole(parts[0]) if parts else None
    state = _editable_(kit, click, number)
    return None if state is None or number is None else (parts, number, state)


def _ask_evidence(kit: Kit, click: Click, state: Readiness, item: rd.ItemState) -> None:
    """Ask for an item's evidence: pushed over the checklist modal, or opened from a message."""
    if click.where == "modal" and click.view_id:
        click.push(evidence_view(kit, state, item, checklist=click.view_id, section=section_of(click.meta)))
    else:
        click.open(evidence_view(kit, state, item, response_url=click.body.get("response_url")))


def on_open(kit: Kit, click: Click) -> None:
    open_checklist(kit, click.open, parse_whole(click.value), click.actor, click.role)


def on_section(kit: Kit, click: Click) -> None:
    """Open a section of the checklist (or Back to its summary) by updating the modal in place."""
    number, _sep, key = click.value.partition(":")
    state, _viewer, editor = _access(kit, parse_whole(number), click.actor, click.role)
    if state is None:
        return
    if not editor:
        _refused(kit, click, "open", state.shift)
        return
    if click.where == "modal" or click.trigger_id:
        click.show(checklist_view(kit, state, section=key or None), in_place=True)


def on_tick(kit: Kit, click: Click) -> None:
    services = kit.services
    protocol = protocol_of(kit)
    if (control := _control(kit, click, "tick")) is None:
        return
    parts, number, state = control
    selected = {o.get("value") for o in click.action.get("selected_options") or [] if isinstance(o, dict)}
    scope = parts[1] if len(parts) > 1 else ""  # an item's id (its own box), or a section's (a message of v1)
    wants_evidence = None
    for item in [i for i in state.items if scope in (i.id, i.section) and not i.computed]:
        if item.id in selected and not item.passed:
            if item.evidence_label:
                wants_evidence = wants_evidence or item
                continue
            rd.tick(services.store, protocol, shift_id=number, actor=click.actor, item_id=item.id,
                    ticked=True, channel=channel_of(kit))
        elif item.id not in selected and item.passed:
            rd.tick(services.store, protocol, shift_id=number, actor=click.actor, item_id=item.id,
                    ticked=False, channel=channel_of(kit))
    if wants_evidence and click.trigger_id:
        _ask_evidence(kit, click, state, wants_evidence)
    _show(kit, click, number)


def on_evidence(kit: Kit, click: Click) -> None:
    number, _sep, item_id = click.value.partition(":")
    state = _editable_(kit, click, parse_whole(number))
    item = next((i for i in state.items if i.id == item_id and not i.computed), None) if state else None
    if state is None:
        return
    if item is None:
        _refused(kit, click, "change")
        return
    _ask_evidence(kit, click, state, item)


def on_evidence_submit(kit: Kit, ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    services = kit.services
    protocol = protocol_of(kit)
    meta, form = context.get("meta") or {}, context.get("form") or {}
    number = meta.get("shift_id")
    state, _viewer, editor = _access(kit, number if isinstance(number, int) else None, context["actor"], context["role"])
    item = next((i for i in state.items if i.id == meta.get("item") and not i.computed), None) if state else None
    if state is None or item is None or not editor or state.shift.cancelled:
        ack(response_action="errors", errors={"evidence": kit.render("readiness/not_allowed.j2", what="change")})
        return
    if item.evidence_kind == "member":
        evidence = str(form.get("evidence") or "")
        if not SLACK_ID.match(evidence):
            ack(response_action="errors", errors={"evidence": kit.render("readiness/evidence_missing.j2",
                                                                        member=True)})
            return
    elif item.evidence_kind == "minutes":  # sets the shift's check-ins, as /outreach checkevery does
        minutes = parse_whole(str(form.get("evidence") or "").strip())
        if not minutes or not safety.MIN_EVERY <= minutes <= safety.MAX_EVERY:
            ack(response_action="errors", errors={"evidence": kit.render(
                "readiness/evidence_hint.j2", part="minutes_error", low=safety.MIN_EVERY,
                high=safety.MAX_EVERY)})
            return
        outcome, _row = safety.set_every(services.store, shift_id=state.shift.id, minutes=minutes,
                                      actor=context["actor"])
        if outcome != "done":  # no safety net on this shift, or it was cancelled
            ack(response_action="errors", errors={"evidence": result_text(kit, "every", outcome, state.shift.id)})
            return
        evidence = kit.render("readiness/evidence_hint.j2", part="minutes_kept", every=minutes)
    else:
        evidence = sh.clean_text(str(form.get("evidence") or ""), limit=rd.MAX_EVIDENCE)
        if len(evidence) < 2:
            ack(response_action="errors", errors={"evidence": kit.render("readiness/evidence_missing.j2",
                                                                        member=False)})
            return
        if findings := screen_reason(kit, evidence):  # nothing about anyone met is kept
            ack(response_action="errors", errors={"evidence": privacy.explain(findings)})
            return
    ack()  # a pushed evidence view closes back to the checklist under it
    if not rd.tick(services.store, protocol, shift_id=state.shift.id, actor=context["actor"], item_id=item.id,
                   ticked=True, evidence=evidence, channel=channel_of(kit), request_key=bk.submission_key(body),
                   screen=services.privacy_screen()):
        return  # nothing changed (this submission was saved before): nothing to show or send
    fresh, _viewer, _editor = _access(kit, state.shift.id, context["actor"], context["role"])
    checklist, url = meta.get("checklist"), meta.get("response_url")
    if fresh and isinstance(checklist, str) and checklist:
        try:
            client.views_update(view_id=checklist, view=checklist_view(kit, fresh, section=section_of(meta)))
        except Exception:  # the checklist was closed meanwhile: it shows the tick when opened again
            log.info("the checklist modal was closed before its evidence was saved")
    elif fresh and is_slack_url(url, services.settings.api_url):
        text, blocks = checklist_message(kit, fresh, editor=True)
        try:
            WebhookClient(url).send(text=text, blocks=blocks, replace_original=True, response_type="ephemeral")
        except Exception:  # the checklist shows the tick next time it is opened
            log.warning("could not update the checklist message after evidence")
    kit.notifier.flush()
    points.publish_home(kit, client, context["actor"])


def on_oncall(kit: Kit, click: Click) -> None:
    protocol = protocol_of(kit)
    if (control := _control(kit, click, "oncall")) is None or len(control[0]) < 2:
        return
    parts, number, state = control
    partner_id = parse_whole(click.value)
    if partner_id is None and click.value != NOBODY:
        return
    rd.set_on_call(kit.services.store, protocol, shift_id=number, actor=click.actor, category=parts[1],
                   partner_id=partner_id, channel=channel_of(kit))
    _show(kit, click, number)


def on_hotline(kit: Kit, click: Click) -> None:
    if (control := _control(kit, click, "hotline")) is None:
        return
    parts, number, state = control
    rd.set_hotline(kit.services.store, protocol_of(kit), shift_id=number, actor=click.actor, hotline=click.value,
                   channel=channel_of(kit))
    _show(kit, click, number)


def on_go(kit: Kit, click: Click) -> None:
    number = parse_whole(click.value)
    if number is None:
        return
    result = rd.record_go(kit.services.store, protocol_of(kit), shift_id=number, actor=click.actor,
                          coordinator=click.role >= Role.COORDINATOR)
    if result.outcome in ("forbidden", "not_found"):
        _refused(kit, click, "change")
        return
    note = None if result.outcome == "go" else kit.render("readiness/go_result.j2", result=result, number=number)
    _show(kit, click, number, note=note)


def on_refresh(kit: Kit, click: Click) -> None:
    number = parse_whole(click.value)
    state, viewer, editor = _access(kit, number, click.actor, click.role)
    if state is None or number is None:
        return
    if not viewer or (click.action_id == ids.READY_PULL and not editor):
        _refused(kit, click, "change" if viewer else "view")
        return
    note = None
    if click.action_id == ids.READY_PULL:
        added = rd.pull_new_items(kit.services.store, protocol_of(kit), shift_id=number, actor=click.actor,
                                  channel=channel_of(kit))
        note = kit.render("readiness/pulled.j2", added=added)
    _show(kit, click, number, note=note)


def register(app: App, kit: Kit) -> None:
    """Wire the checklist's controls, the evidence modal, the readiness filter and the re-check job."""
    services = kit.services
    protocol = protocol_of(kit)  # read fresh when the app was made (outreach/subscribers.py's caller)
    kit.render.env.filters["readiness"] = pass_context(
        lambda context, shift: readiness_line(kit, shift, context.get("readiness_states")))
    kit.list_readers.append(lambda shifts: {"readiness_states": readiness_states(kit, shifts)})
    kit.render.env.filters["category"] = protocol.category_name
    kit.render.env.filters["condition"] = lambda key: _(CONDITIONS[key]) if key in CONDITIONS else key
    kit.render.env.filters["from_iso"] = from_iso

    kit.periodic.append(lambda: _periodic_recheck(kit))

    kit.readiness_checkers.append(lambda shift_id: _missing_items(kit, shift_id))
    kit.contact_providers.append(lambda shift_id: contact_words(kit, rd.readiness_of(services.store, protocol, shift_id)))
    points.add(points.DETAILS_EXTRAS, details_contact)

    kit.wire(app, actions={
        ids.READY_OPEN: on_open,
        ids.READY_SECTION: on_section,
        ids.READY_TICK: on_tick,
        ids.READY_EVIDENCE: on_evidence,
        ids.READY_ONCALL: on_oncall,
        ids.READY_HOTLINE: on_hotline,
        ids.READY_GO: on_go,
        ids.READY_REFRESH: on_refresh,
        ids.READY_PULL: on_refresh,
    }, forms={
        ids.READY_EVIDENCE: on_evidence_submit,
    })
