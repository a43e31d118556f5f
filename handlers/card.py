"""The hotline card in Slack: a modal a volunteer shows the person met, in that person's language (English or
Spanish written out; any other language the lines interpret, said in English and in its own name), kept by DM."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers import ids
from handlers.click import Click
from handlers.commands import CommandRequest, subcommand
from handlers.kit import Kit
from outreach import i18n
from outreach import readiness as rd
from outreach.hotlines import CONDITIONS, Hotline, national
from outreach.i18n import gettext as _
from outreach.i18n import pgettext

# The languages the card is written out in (the bot's own); any other is offered with interpretation.
WRITTEN = tuple(i18n.LANGUAGES)


def _local_lines(kit: Kit) -> list[Hotline]:
    return rd.load_protocol(kit.services.settings.data_dir).hotlines


def card_languages(kit: Kit) -> list[str]:
    """The languages the card is offered in: those it is written in, then every language the national hotline
    and the qualified local lines answer in that data/languages.yml names (the national line interprets them all)."""
    known = [x.id for x in kit.services.catalog.languages]
    local = [x for h in _local_lines(kit) if h.qualified for x in h.languages]
    return list(dict.fromkeys([*WRITTEN, *known, *(x for x in local if x in known)]))[: bk.OPTIONS_MAX]


def card_language(kit: Kit, value: object) -> str:
    """A language the card is offered in (from a choice or a view's metadata), else the one in force."""
    return value if isinstance(value, str) and value in card_languages(kit) else i18n.current()


def own_name(kit: Kit, language: str) -> str:
    """A language's name in that language (languages.yml's `own`; the bot's own names for its languages)."""
    entry = kit.services.catalog.language(language)
    return (entry.own_name if entry else None) or i18n.LANGUAGES.get(language) or language


def language_label(kit: Kit, language: str) -> str:
    """A language as the chooser shows it: its own name first, so the person met finds theirs, then its name
    in the language in force when that differs (`Kreyòl ayisyen (Haitian Creole)`, `English`)."""
    own, entry = own_name(kit, language), kit.services.catalog.language(language)
    name = entry.name if entry else own
    return bk.clip(own if name.casefold() == own.casefold() else f"{own} ({name})", bk.OPTION_LIMIT)


def card_text(kit: Kit, language: str) -> str:
    """The card for the person met: written out in English or Spanish; in any other language, in English with,
    on top, that the lines interpret it (in English, naming the language in its own name)."""
    lines = _local_lines(kit)
    qualified = [h for h in lines if h.qualified]
    with i18n.speaking(language if language in WRITTEN else i18n.ENGLISH):
        text = kit.render("readiness/hotline_lines.j2", national=national(), qualified=qualified)
        if language in WRITTEN:
            return text
        entry = kit.services.catalog.language(language)
        top = kit.render("readiness/hotline_interpretation.j2", own=own_name(kit, language),
                         name=entry.name if entry else own_name(kit, language))
    return f"{top}\n\n{text}"


def notes_text(kit: Kit) -> str:
    """Under the card, for the volunteer in their own language: local lines not to hand out, how to use it."""
    return kit.render("readiness/hotline_notes.j2", conditions=CONDITIONS,
                      unqualified=[h for h in _local_lines(kit) if not h.qualified])


def hotline_text(kit: Kit, language: str | None = None) -> str:
    """The whole card in one language (the one in force by default): the lines, then the notes."""
    with i18n.speaking(language or i18n.current()):
        lines = _local_lines(kit)
        return kit.render("readiness/hotline_card.j2", national=national(),
                          qualified=[h for h in lines if h.qualified],
                          unqualified=[h for h in lines if not h.qualified])


def _paragraphs(text: str) -> list[Block]:
    return [bk.section(part) for part in text.split("\n\n") if part.strip()]


def hotline_blocks(kit: Kit, language: str | None = None) -> list[Block]:
    """The card as blocks, one per paragraph: the lines in `language` (the one in force by default), then the
    notes in the language in force."""
    card = _paragraphs(card_text(kit, language or i18n.current()))
    return [*card, *_paragraphs(notes_text(kit))][: bk.MESSAGE_BLOCKS - 1]


def hotline_view(kit: Kit, language: str | None = None, *, sent: bool = False) -> dict:
    """The card as a modal: the language chooser, the card in the chosen language, and a button to keep it as a
    DM (or the word that it was sent)."""
    language = card_language(kit, language)
    chooser = bk.SectionBlock(
        text=bk.MarkdownTextObject(text=kit.render("readiness/hotline_choose.j2")), block_id="card_language",
        accessory=bk.select(ids.HOTLINE_LANGUAGE, [(x, language_label(kit, x)) for x in card_languages(kit)],
                            initial=language, placeholder=_("Language")))
    keep: Block = (bk.context(kit.render("readiness/hotline_sent.j2")) if sent
                   else bk.actions(bk.button(_("Send to me as a DM"), ids.HOTLINE_DM, language, style="primary"),
                                   block_id="keep"))
    body = hotline_blocks(kit, language)[: bk.VIEW_BLOCKS - 4]
    with i18n.speaking(language if language in WRITTEN else i18n.ENGLISH):  # the title is the card's
        title = pgettext("modal title", "Hotline card")
    return bk.modal(title=title, callback_id=ids.HOTLINE_CARD, close=_("Close"),
                    blocks=[chooser, bk.divider(), *body, keep], metadata={"language": language})


# ---------------------------------------------------------------- Bolt wiring


@subcommand("hotline")
def cmd_hotline(req: CommandRequest) -> None:
    """The hotline card, in a modal with its languages and a button to keep it as a DM."""
    if req.trigger_id:
        req.client.views_open(trigger_id=req.trigger_id, view=hotline_view(req.kit))
        return
    req.reply(hotline_text(req.kit), bk.message(hotline_blocks(req.kit)))


def on_hotline_open(kit: Kit, click: Click) -> None:
    """Hotline card (the App Home, setup): the card in the language of the person who tapped."""
    click.show(hotline_view(kit))


def on_hotline_language(kit: Kit, click: Click) -> None:
    """A language chosen on the card: the same modal shows the card in it."""
    click.update(hotline_view(kit, card_language(kit, click.value)))


def on_hotline_dm(kit: Kit, click: Click) -> None:
    """Send to me as a DM: the card in the language shown, kept in the person's messages with the bot."""
    language = card_language(kit, click.value or click.view_meta().get("language"))
    click.dm(kit.render("readiness/hotline_dm.j2"), bk.message(hotline_blocks(kit, language)))
    if click.where == "modal":
        click.update(hotline_view(kit, language, sent=True))


def register(app: App, kit: Kit) -> None:
    """Wire the card's buttons and its language chooser."""
    kit.wire(app, actions={
        ids.HOTLINE_OPEN: on_hotline_open,
        ids.HOTLINE_LANGUAGE: on_hotline_language,
        ids.HOTLINE_DM: on_hotline_dm,
    })
