"""A series' views: the shift form's Repeats line and step, the series buttons on a shift's post and in its
Details, and the Cancel this and later form (blocks only: the wiring is handlers/series.py)."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers import ids
from handlers.kit import Kit
from outreach import series as sr
from outreach import shifts as sh
from outreach.i18n import N_, pgettext
from outreach.i18n import gettext as _
from outreach.shifts import Shift

# How often a series repeats, as the templates put it in a sentence (the words of series/_every.j2).
EVERY = {"weekly": N_("every week"), "biweekly": N_("every 2 weeks"), "monthly": N_("every month")}
# Sign up for every occurrence: one whole label per frequency (a label is never built from fragments).
SIGNUP_LABELS = {"weekly": N_("Sign up for every week"), "biweekly": N_("Sign up for every 2 weeks"),
                 "monthly": N_("Sign up for every month")}


def every(freq: str | None) -> str | None:
    """How often a series repeats, in the language in force ("every week"); None for an unknown frequency."""
    return _(EVERY[freq]) if freq in EVERY else None


# ---------------------------------------------------------------- form inputs and buttons


def repeat_inputs(freq: str | None, end: str | None) -> list[Block]:
    """The Repeat… step's two inputs: Repeats (a select) and an optional Until (or number of times)."""
    choices = [(sr.NO_REPEAT, _("Does not repeat"))] + [(key, _(label)) for key, label in sr.FREQUENCIES.items()]
    return [
        bk.select_input("repeats", _("Repeats"), choices, initial=freq or sr.NO_REPEAT,
                        hint=_("Monthly keeps the weekday: the 3rd Friday stays the 3rd Friday.")),
        bk.text_input("repeat_end", _("Until (or number of times)"), initial=end or None, max_length=20,
                      optional=True, placeholder=_("2027-06-30, or 10"),
                      hint=_("Empty: it goes on until cancelled. The next %(weeks)s weeks are planned now, more as "
                             "time goes on (at most %(times)s times).")
                      % {"weeks": sr.HORIZON.days // 7, "times": sr.MAX_TIMES}),
    ]


def repeat_from_form(form: dict) -> tuple[str | None, str | None]:
    """The Repeats choice and the typed end, from the flattened Repeat… form."""
    freq, end = form.get("repeats"), form.get("repeat_end")
    return (freq if isinstance(freq, str) else None), (end if isinstance(end, str) else None)


def _as_text(repeat: sr.Repeat | None) -> tuple[str, str]:
    if repeat is None:
        return sr.NO_REPEAT, ""
    return repeat.freq, str(repeat.count) if repeat.count else (repeat.until.isoformat() if repeat.until else "")


def chosen_repeat(kit: Kit, meta: dict, *, shift: Shift | None) -> tuple[str, str]:
    """The repeat a shift form carries (chosen on its Repeat… step), else the series' own for an Edit this
    and later form of `shift`, else none."""
    chosen = meta.get("repeat")
    if isinstance(chosen, dict):
        return str(chosen.get("freq") or sr.NO_REPEAT), str(chosen.get("end") or "")
    return _as_text(later_form_repeat(kit, shift) if shift else None)


def repeat_section(kit: Kit, *, shift: Shift | None, chosen: dict | None) -> Block:
    """The shift form's line saying how it repeats, with its Repeat… button."""
    freq, end = chosen_repeat(kit, {"repeat": chosen} if chosen else {}, shift=shift)
    text = kit.render("series/form_line.j2", every=every(freq), end=end)
    return bk.section(text, block_id="repeat", accessory=bk.button(_("Repeat…"), ids.SERIES_REPEAT, "repeat"))


def repeat_view(freq: str, end: str, *, parent: str, parent_meta: dict) -> dict:
    """The pushed Repeat… step of the shift form."""
    return bk.modal(title=_("Repeat"), blocks=repeat_inputs(freq, end), callback_id=ids.SERIES_REPEAT,
                    submit=_("Done"), close=_("Back"), metadata={"parent": parent, "meta": parent_meta})


def signup_label(series: sr.Series) -> str:
    """"Sign up for every week" (or every 2 weeks, every month)."""
    return _(SIGNUP_LABELS.get(series.freq, N_("Sign up for every one")))


def leave_button(kit: Kit, shift: Shift, series: sr.Series) -> bk.ButtonElement:
    """Withdraw from all, behind a confirm dialog."""
    return bk.button(_("Withdraw from all"), ids.SERIES_WITHDRAW, str(shift.id), confirm=bk.confirm(
        _("Withdraw from all?"), kit.render("series/leave_confirm.j2", every=every(series.freq), shift=shift),
        yes=_("Withdraw from all"), no=_("Stay on")))


def reader_buttons(kit: Kit, shift: Shift, membership: sr.Membership, *,
                   shared: bool) -> list[bk.ButtonElement]:
    """Sign up for every week and/or Withdraw from all, as they apply to the reader (both on a shared post)."""
    if shift.cancelled:
        return []
    buttons = []
    if shared or not membership.member:
        buttons.append(bk.button(signup_label(membership.series), ids.SERIES_SIGNUP, str(shift.id)))
    if shared or membership.member:
        buttons.append(leave_button(kit, shift, membership.series))
    return buttons


def details_parts(kit: Kit, shift: Shift, *, reader: str | None) -> list[Block]:
    """What Details adds for a shift of a series: how it repeats, and the reader's series buttons."""
    membership = sr.membership(kit.services.store, shift.id, user=reader)
    if membership is None:
        return []
    parts: list[Block] = [bk.context(kit.render("series/details_line.j2", series=membership.series,
                                                member=membership.member, every=every(membership.series.freq)))]
    if buttons := reader_buttons(kit, shift, membership, shared=reader is None):
        parts.append(bk.actions(*buttons, block_id="series_actions"))
    return parts


def coordinator_buttons(kit: Kit, shift: Shift) -> list[bk.ButtonElement]:
    """Edit this and later, Cancel this and later (confirmed first) for a shift of a series."""
    if shift.cancelled or sr.membership(kit.services.store, shift.id) is None:
        return []
    return [
        bk.button(_("Edit this and later"), ids.SERIES_EDIT_LATER, str(shift.id)),
        bk.button(_("Cancel this and later"), ids.SERIES_CANCEL_LATER, str(shift.id), style="danger",
                  confirm=bk.confirm(_("Cancel this and later?"), kit.render("series/cancel_confirm.j2", shift=shift),
                                     yes=_("Cancel them"), no=_("Keep them"))),
    ]


def in_series(kit: Kit, shift: Shift) -> bool:
    """True for a shift made by a series."""
    return sr.membership(kit.services.store, shift.id) is not None


def post_buttons(kit: Kit, shift: Shift) -> list[bk.ButtonElement]:
    """The series buttons on a shift's shared post (none for a shift that does not repeat)."""
    membership = sr.membership(kit.services.store, shift.id)
    return reader_buttons(kit, shift, membership, shared=True) if membership else []


def later_form_repeat(kit: Kit, shift: Shift) -> sr.Repeat | None:
    """The repeat an Edit this and later form starts from: the series' own, from this occurrence on."""
    membership = sr.membership(kit.services.store, shift.id)
    return sr.repeat_of(membership.series, after=shift.starts_at) if membership else None


def cancel_later_form(kit: Kit, shift: Shift) -> dict:
    """After Cancel this and later's confirm: an optional reason, then they are cancelled."""
    with kit.services.store.read() as db:
        numbers = sr.this_and_later(db, shift.id)
    parts: list[Block] = [
        bk.section(kit.render("series/form_cancel.j2", shift=shift, count=len(numbers))),
        bk.text_input("reason", _("Reason (optional)"), max_length=sh.MAX_CANCEL_REASON, optional=True,
                      placeholder=_("Like: the route ends for the season"),
                      hint=_("Everyone on them reads it. Nothing about the people you meet.")),
    ]
    return bk.modal(title=pgettext("modal title", "Cancel this and later"), blocks=parts, callback_id=ids.SERIES_CANCEL_FORM,
                    submit=_("Cancel them"), close=_("Keep them"), metadata={"shift_id": shift.id})


# ---------------------------------------------------------------- actions shared by commands and buttons
