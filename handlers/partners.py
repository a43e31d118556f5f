"""The referral network in Slack: the partner directory, its form, removal, and /outreach refer."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers import ids
from handlers.click import Click, coordinators
from handlers.commands import CommandRequest, subcommand
from handlers.kit import Kit
from handlers.readiness import channel_of, parse_languages, protocol_of
from outreach import partners as pt
from outreach import readiness as rd
from outreach.catalog import Entry
from outreach.i18n import N_, pgettext
from outreach.i18n import gettext as _
from outreach.partners import Partner, PartnerDraft
from outreach.roles import Role

LIST_MAX = 20
REFER_MAX = 8


def _today(kit: Kit):  # noqa: ANN202
    return kit.services.now().astimezone(kit.services.settings.zone).date()


def partner_blocks(kit: Kit, partner: Partner, *, coordinator: bool,
                   on_call: list[int] | None = None) -> list[Block]:
    """One partner as listed, with Edit and Remove (behind a confirm dialog) for coordinators.

    `on_call`: the shifts it is on call for, named in Remove's dialog.
    """
    parts: list[Block] = [bk.section(kit.render("partners/partner.j2", p=partner, today=_today(kit)))]
    if coordinator:
        sure = bk.confirm(_("Remove this partner?"),
                          kit.render("partners/remove_confirm.j2", p=partner, shifts=on_call or []),
                          yes=_("Remove"), no=_("Keep"))
        parts.append(bk.actions(
            bk.button(_("Edit"), ids.PARTNER_EDIT, str(partner.id)),
            bk.button(_("Remove"), ids.PARTNER_REMOVE, str(partner.id), style="danger", confirm=sure),
            block_id=f"partner:{partner.id}",
        ))
    return parts


def list_message(kit: Kit, found: list[Partner], *, query: str, coordinator: bool,
                 note: str | None = None) -> tuple[str, list[dict]]:
    """The directory (or a search of it)."""
    text = kit.render("partners/list_header.j2", count=len(found), query=query, shown=min(len(found), LIST_MAX),
                      coordinator=coordinator)
    shown = found[:LIST_MAX]
    on_call: dict[int, list[int]] = {}
    if coordinator and shown:
        with kit.services.store.read() as db:
            on_call = {p.id: rd.shifts_with_partner(db, p.id) for p in shown}
    parts: list[Block] = [bk.section(note)] if note else []
    parts.append(bk.section(text))
    for partner in shown:
        parts.append(bk.divider())
        parts += partner_blocks(kit, partner, coordinator=coordinator, on_call=on_call.get(partner.id))
    if coordinator and not found:  # the empty state says what to do, with a button rather than a command
        parts.append(bk.actions(bk.button(_("Add a partner"), ids.PARTNER_ADD, style="primary"), block_id=ids.PARTNER_ADD))
    return (note + "\n" if note else "") + text, bk.message(parts)


def partner_form(kit: Kit, *, partner: Partner | None = None) -> dict:
    """The modal to add or edit a partner."""
    protocol, catalog = protocol_of(kit), kit.services.catalog
    parts: list[Block] = [
        bk.text_input("name", _("Name"), initial=partner.name if partner else None, max_length=pt.MAX_NAME),
        bk.multi_select_input("categories", _("Service categories"), [(c.id, c.name) for c in protocol.categories],
                              initial=partner.categories if partner else None, optional=False),
        bk.multi_select_input("languages", _("Languages served"), [(x.id, x.name) for x in catalog.languages],
                              initial=partner.languages if partner else None),
        bk.text_input("hours", pgettext("opening hours", "Hours"), initial=partner.hours if partner else None,
                      max_length=pt.MAX_FIELD, hint=_("24/7, or when they answer (like Mon-Fri 9-17).")),
        bk.text_input("phone", _("Phone"), initial=partner.phone if partner else None, max_length=30),
        bk.text_input("contact", _("Contact person"), initial=partner.contact if partner else None,
                      max_length=pt.MAX_FIELD, optional=True),
        bk.text_input("notes", _("Notes"), initial=partner.notes if partner else None, multiline=True,
                      max_length=pt.MAX_NOTES, optional=True, hint=_("About the partner only: never about people met.")),
        bk.date_input("verified_on", _("Last verified"),
                      initial=(partner.verified_on.isoformat() if partner and partner.verified_on else _today(kit).isoformat()),
                      optional=True),
    ]
    return bk.modal(
        title=_("Edit partner") if partner else pgettext("modal title", "Add a partner"), blocks=parts,
        callback_id=ids.PARTNER_FORM, submit=_("Save") if partner else _("Add"), close=_("Cancel"), metadata={"partner_id": partner.id if partner else None},
    )


def draft_from_form(form: dict) -> PartnerDraft:
    """The partner draft typed into the modal."""

    def text(key: str) -> str | None:
        value = form.get(key)
        return value if isinstance(value, str) else None

    def many(key: str) -> list[str]:
        value = form.get(key)
        return [x for x in value if isinstance(x, str)] if isinstance(value, list) else []

    return PartnerDraft(
        name=text("name"), categories=many("categories"), languages=many("languages"), hours=text("hours"),
        phone=text("phone"), contact=text("contact"), notes=text("notes"), verified_on=text("verified_on"),
    )


# ---------------------------------------------------------------- Find a partner

ANY_LANGUAGE = "any"


def referral_parts(kit: Kit, needs: list[Entry], language: str | None) -> list[Block]:
    """The partners for these needs (and language), ranked as /outreach refer ranks them, one section each."""
    results = pt.refer(kit.services.store, needs=needs, language=language, now=kit.services.now())
    speakers = [r for r in results if r.speaks]
    parts: list[Block] = [bk.section(kit.render("partners/find_header.j2", needs=needs, language=language,
                                                count=len(results), speakers=len(speakers)))]
    for referral in results[:REFER_MAX]:
        parts.append(bk.section(kit.render("partners/card.j2", r=referral, today=_today(kit))))
    if len(results) > REFER_MAX:
        parts.append(bk.context(kit.render("partners/find_more.j2", more=len(results) - REFER_MAX)))
    return parts


def _keep_value(needs: list[Entry], language: str | None) -> str:
    """What "Send to me as a DM" carries: the needs' ids, then the language."""
    return ",".join(c.id for c in needs) + "|" + (language or "")


def _from_value(kit: Kit, raw: str) -> tuple[list[Entry], str | None]:
    """The needs and language a "Send to me as a DM" button carries (unknown ids dropped)."""
    protocol = protocol_of(kit)
    wanted, _bar, language = raw.partition("|")
    needs = [c for c in (protocol.category(x) for x in wanted.split(",") if x) if c is not None]
    return needs, language if language and kit.services.catalog.language(language) else None


def find_view(kit: Kit, *, category: str | None = None, language: str | None = None,
              note: str | None = None) -> dict:
    """The Find a partner modal: pick a need (and a language) and read the partners for it."""
    protocol, catalog = protocol_of(kit), kit.services.catalog
    need = protocol.category(category) if category else None
    parts: list[Block] = [bk.section(kit.render("partners/find_intro.j2"))]
    parts.append(bk.actions(
        bk.select(ids.PARTNER_FIND_PICK, [(c.id, c.name) for c in protocol.categories],
                  initial=need.id if need else None, placeholder=_("Choose a need")),
        bk.select(ids.PARTNER_FIND_LANGUAGE, [(ANY_LANGUAGE, _("Any language"))] + [(x.id, x.name) for x in catalog.languages],
                  initial=language or ANY_LANGUAGE, placeholder=_("Any language")),
        block_id="find_pick",
    ))
    if need is not None:
        parts.append(bk.divider())
        parts += referral_parts(kit, [need], language)
        parts.append(bk.actions(bk.button(_("Send to me as a DM"), ids.PARTNER_FIND_DM, _keep_value([need], language)),
                                block_id="find_keep"))
    if note:
        parts.append(bk.context(note))
    return bk.modal(title=pgettext("modal title", "Find a partner"), blocks=parts, callback_id=ids.PARTNER_FIND,
                    metadata={"category": need.id if need else None, "language": language})


def referral_dm(kit: Kit, needs: list[Entry], language: str | None) -> tuple[str, list[dict]]:
    """The partner list as a DM to keep: a neutral notification text, the detail in the blocks."""
    parts = referral_parts(kit, needs, language)
    parts.append(bk.context(kit.render("partners/find_hotline.j2")))
    return kit.render("partners/find_dm_text.j2"), bk.message(parts)


# ---------------------------------------------------------------- subcommands


@subcommand("partners", usage="[search]")
def cmd_partners(req: CommandRequest) -> None:
    """List or search the referral network."""
    protocol = protocol_of(req.kit)
    found = pt.search(req.kit.services.store, req.args, catalog=req.kit.services.catalog, categories=protocol.categories)
    text, blocks = list_message(req.kit, found, query=req.args, coordinator=req.role >= Role.COORDINATOR)
    req.reply(text, blocks)


@subcommand("partner", role=Role.COORDINATOR, usage="add")
def cmd_partner(req: CommandRequest) -> None:
    """Open the form to add a partner."""
    if req.args.strip().lower() != "add":
        req.say("common/usage.j2", usage=_("/outreach partner add (edit or remove a partner from /outreach partners)"))
        return
    req.client.views_open(trigger_id=req.trigger_id, view=partner_form(req.kit))


@subcommand("refer", usage="[NEED] [LANGUAGE]")
def cmd_refer(req: CommandRequest) -> None:
    """Partners for a need (and language): on call tonight and 24/7 first, with phone numbers; bare: Find a partner."""
    protocol = protocol_of(req.kit)
    words = req.args.split()
    if not words:
        if req.trigger_id:
            req.client.views_open(trigger_id=req.trigger_id, view=find_view(req.kit))
        else:
            req.say("partners/refer_usage.j2", categories=protocol.categories)
        return
    language = None
    if len(words) > 1:
        found, unknown = parse_languages(req.kit, words[-1])
        if found and not unknown:
            language, words = found[0], words[:-1]
    need = " ".join(words)
    needs, suggestions = pt.match_need(need, protocol.categories)
    if not needs:
        req.say("partners/refer_unknown.j2", need=need, suggestions=suggestions)
        return
    results = pt.refer(req.kit.services.store, needs=needs, language=language, now=req.kit.services.now())
    speakers = [r for r in results if r.speaks]
    text = req.kit.render("partners/refer.j2", needs=needs, language=language, results=results[:REFER_MAX],
                          more=max(len(results) - REFER_MAX, 0), speakers=len(speakers), today=_today(req.kit))
    keep = [bk.actions(bk.button(_("Send to me as a DM"), ids.PARTNER_FIND_DM, _keep_value(needs, language)),
                       block_id="refer_keep")] if results else []
    req.reply(text, bk.message([bk.section(text), *keep]))


# ---------------------------------------------------------------- Bolt wiring


def _recheck(kit: Kit, shift_ids: list[int]) -> None:
    if shift_ids and rd.recheck_all(kit.services.store, protocol_of(kit), channel=channel_of(kit), shift_ids=shift_ids):
        kit.notifier.flush()


def on_add(kit: Kit, click: Click) -> None:
    click.show(partner_form(kit))


def on_edit(kit: Kit, click: Click) -> None:
    with kit.services.store.read() as db:
        partner = pt.get_partner(db, click.number) if click.number else None
    if partner is None:
        click.tell(kit.render("partners/gone.j2"))
        return
    click.show(partner_form(kit, partner=partner))


def on_remove(kit: Kit, click: Click) -> None:
    services, number = kit.services, click.number
    with services.store.write() as db:
        shifts = rd.shifts_with_partner(db, number) if number else []
        removed = pt.remove_partner(services.store, db, actor=click.actor, partner_id=number) if number else None
    _recheck(kit, shifts)  # Go is taken back before the coordinator is told the partner is gone
    note = kit.render("partners/removed.j2", p=removed, shifts=shifts)
    found = pt.search(services.store, "", catalog=services.catalog, categories=protocol_of(kit).categories)
    click.answer(note, redraw=lambda note: list_message(kit, found, query="", coordinator=True, note=note))


def on_keep(kit: Kit, click: Click) -> None:
    click.answer(kit.render("partners/kept.j2"), replace=True)


def on_find(kit: Kit, click: Click) -> None:
    click.show(find_view(kit))


def on_find_pick(kit: Kit, click: Click) -> None:
    picked = click.value or None
    category, language = click.meta.get("category"), click.meta.get("language")
    if click.action_id == ids.PARTNER_FIND_PICK:
        category = picked
    else:
        language = None if picked in (None, ANY_LANGUAGE) else picked
    language = language if isinstance(language, str) and kit.services.catalog.language(language) else None
    click.update(find_view(kit, category=category if isinstance(category, str) else None, language=language))


def on_find_dm(kit: Kit, click: Click) -> None:
    needs, language = _from_value(kit, click.value)
    if not needs:
        return
    text, blocks = referral_dm(kit, needs, language)
    click.dm(text, blocks)
    sent = kit.render("partners/find_sent.j2")
    if click.where == "modal":
        click.update(find_view(kit, category=needs[0].id, language=language, note=sent))
    else:
        click.tell(sent)


def on_form(kit: Kit, ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    services = kit.services
    meta = context.get("meta") or {}
    partner_id = meta.get("partner_id")
    partner_id = partner_id if isinstance(partner_id, int) else None
    protocol = protocol_of(kit)
    saved = pt.submit_partner(
        services.store, draft_from_form(context.get("form") or {}), actor=context["actor"],
        catalog=services.catalog, categories=protocol.categories, today=_today(kit), partner_id=partner_id,
        request_key=bk.submission_key(body),
    )
    if saved.outcome == "gone":
        ack(response_action="errors", errors={"name": kit.render("partners/gone.j2")})
        return
    if saved.outcome == "invalid":
        ack(response_action="errors", errors=saved.errors)
        return
    ack()
    if saved.outcome == "repeat" or saved.partner_id is None:  # sent again after a slow answer: saved before
        return
    client.chat_postMessage(channel=context["actor"],
                            text=kit.render("partners/saved.j2", name=saved.name, added=partner_id is None))
    with services.store.read() as db:
        shifts = rd.shifts_with_partner(db, saved.partner_id)
    _recheck(kit, shifts)


def register(app: App, kit: Kit) -> None:
    """Wire the partner form and the Edit and Remove buttons."""
    kit.wire(app, actions={
        ids.PARTNER_ADD: coordinators(on_add, N_("partner changes")),
        ids.PARTNER_EDIT: coordinators(on_edit, N_("partner changes")),
        ids.PARTNER_REMOVE: coordinators(on_remove, N_("partner changes")),
        ids.PARTNER_REMOVE_YES: coordinators(on_remove, N_("partner changes")),
        ids.PARTNER_KEEP: on_keep,
        ids.PARTNER_FIND: on_find,
        ids.PARTNER_FIND_PICK: on_find_pick,
        ids.PARTNER_FIND_LANGUAGE: on_find_pick,
        ids.PARTNER_FIND_DM: on_find_dm,
    }, forms={
        ids.PARTNER_FORM: coordinators(on_form, N_("partner changes"), refusal=("partners/form_forbidden.j2", {}),
                                       field="name"),
    })
