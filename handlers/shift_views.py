"""A shift's views: the lines that describe it, its buttons, its post, its Details, the shift form and the
cancel form (blocks and words only: the wiring is handlers/shifts.py)."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers import ids, points
from handlers import series_views as hs
from handlers.click import Click, Redraw
from handlers.kit import Kit
from outreach import shifts as sh
from outreach.catalog import KINDS
from outreach.i18n import gettext as _
from outreach.roles import Role
from outreach.shifts import Shift, ShiftDraft
from outreach.trainings import holds_training, required

PAGE_SIZE = 10
NO_TRAINING = "none"


# ---------------------------------------------------------------- words and blocks


def summary(kit: Kit, shift: Shift, ahead: dict | None = None, *, detail: bool = False,
            untrained: bool = False, course: Shift | None = None) -> str:
    """The few lines that describe a shift wherever it is listed (`ahead`: what `kit.read_ahead` read).

    Everyone sees one readiness badge; `detail` (for leads and coordinators) says what is missing.
    `untrained`: the reader lacks the required training, so the lines say who can record it, and which
    training shift gives it (`course`, see `training_course`).
    """
    extra = {"course": course, "sign_up": True} if untrained else {}
    return kit.render("shifts/summary.j2", shift=shift, detail=detail, untrained=untrained,
                      coordinators=kit.services.coordinators()[:3] if untrained else [], **extra, **(ahead or {}))


def training_course(kit: Kit, reader: str, shift: Shift) -> Shift | None:
    """For a reader locked out of a shift: the next training shift that gives its required training and still
    has a place (or that they are already on), read for them; None when none is planned."""
    needed = required(shift.kind, shift.training)
    if not needed:
        return None
    return sh.training_for(kit.services.store, training=needed, user=reader, now=kit.services.now())


def course_button(course: Shift | None, value: str | None = None) -> list[bk.ButtonElement]:
    """Sign up for the training shift that unlocks a shift (none when the reader is already on it)."""
    if course is None or course.my_status is not None or not course.places_left:
        return []
    return [bk.button(_("Sign up for #%(number)s") % {"number": course.id}, ids.SHIFT_SIGNUP, value or str(course.id), style="primary")]


def confirm_dialog(kit: Kit, what: str, shift: Shift) -> bk.ConfirmObject:
    """Slack's "are you sure?" for withdraw, leave waitlist, give back, check out (words in shifts/confirm.j2)."""

    def part(name: str) -> str:
        return kit.render("shifts/confirm.j2", what=what, part=name, shift=shift)

    return bk.confirm(part("title"), part("text"), yes=part("yes"))


def withdraw_button(kit: Kit, shift: Shift, value: str, *, waitlisted: bool,
                    action_id: str = ids.SHIFT_WITHDRAW) -> bk.ButtonElement:
    """Withdraw (or Leave waitlist), asking first."""
    label, what = (_("Leave waitlist"), "leave") if waitlisted else (_("Withdraw"), "withdraw")
    return bk.button(label, action_id, value, confirm=confirm_dialog(kit, what, shift))


def extra_buttons(kit: Kit, reader: str, shift: Shift, value: str | None = None) -> list[bk.ButtonElement]:
    """The buttons other surfaces add beside a shift's own for this reader (see points.SHIFT_BUTTONS)."""
    return [b for fn in points.SHIFT_BUTTONS for b in fn(kit, reader, shift, value or str(shift.id))]


def shift_buttons(kit: Kit, shift: Shift, *, mine: str | None, shared: bool, page: int | None = None,
                  trained: bool = True, extra: list[bk.ButtonElement] | None = None) -> bk.ActionsBlock:
    """Sign up (Join waitlist when full) / Withdraw and Details, as they apply to the reader (both on a
    shared post). A reader without the required training (`trained=False`) gets no Sign up. `extra`
    buttons (other surfaces') go before Details."""
    value = f"{shift.id}:{page}" if page is not None else str(shift.id)
    buttons = []
    if shared:
        buttons.append(bk.button(_("Sign up"), ids.SHIFT_SIGNUP, value, style="primary"))
    elif mine is None and trained:
        label = _("Sign up") if shift.places_left else _("Join waitlist")
        buttons.append(bk.button(label, ids.SHIFT_SIGNUP, value, style="primary" if shift.places_left else None))
    if shared or mine is not None:
        buttons.append(withdraw_button(kit, shift, value, waitlisted=mine == "waitlisted"))
    buttons += extra or []
    buttons.append(bk.button(_("Details"), ids.SHIFT_DETAILS, str(shift.id)))
    return bk.actions(*buttons, block_id=f"shift:{shift.id}")


def post_blocks(kit: Kit, shift: Shift) -> list[dict]:
    """The shared announcement of a shift, as posted in a channel."""
    parts: list[Block] = [bk.section(kit.render("shifts/post.j2", shift=shift))]
    if shift.cancelled:
        parts.append(bk.context(kit.render("shifts/cancelled_note.j2", shift=shift)))
    else:
        parts.append(shift_buttons(kit, shift, mine=None, shared=True))
        if series_buttons := hs.post_buttons(kit, shift):  # a shift of a series: sign up for all, withdraw from all
            parts.append(bk.actions(*series_buttons, block_id=f"series:{shift.id}"))
    return bk.message(parts)


def listed_shift(kit: Kit, reader: str, shift: Shift, ahead: dict, *, coordinator: bool, trained: set[int],
                 page: int | None = None) -> list[Block]:
    """One shift of a list the reader sees: its lines, then its own buttons."""
    untrained = shift.my_status is None and shift.id not in trained and not shift.cancelled
    course = training_course(kit, reader, shift) if untrained else None
    text = summary(kit, shift, ahead, detail=coordinator or shift.lead == reader, untrained=untrained, course=course)
    extra = course_button(course, f"{course.id}:{page}" if course and page is not None else None)
    extra += extra_buttons(kit, reader, shift, f"{shift.id}:{page}" if page is not None else None)
    return [bk.section(text, block_id=f"listed:{shift.id}"),
            shift_buttons(kit, shift, mine=shift.my_status, shared=False, page=page, trained=not untrained, extra=extra)]


def list_message(kit: Kit, reader: str, *, page: int, note: str | None = None) -> tuple[str, list[dict]]:
    """One page of the shift list of the next 30 days, with buttons for the reader."""
    total, page, chunk = sh.upcoming_page(kit.services.store, now=kit.services.now(), page=page, size=PAGE_SIZE,
                                          user=reader)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    text = kit.render("shifts/list_header.j2", count=total, page=page + 1, pages=pages)
    parts: list[Block] = []
    if note:
        parts.append(bk.section(note))
    parts.append(bk.section(text))
    ahead = kit.read_ahead(chunk)
    coordinator = kit.services.role(reader) >= Role.COORDINATOR
    trained = sh.may_sign_up(kit.services.store, user=reader, shifts=chunk)
    for shift in chunk:
        parts.append(bk.divider())
        parts += listed_shift(kit, reader, shift, ahead, coordinator=coordinator, trained=trained, page=page)
    nav = []
    if page > 0:
        nav.append(bk.button(_("◀ Earlier"), ids.SHIFTS_PAGE, str(page - 1)))
    if page < pages - 1:
        nav.append(bk.button(_("Later ▶"), ids.SHIFTS_PAGE, str(page + 1)))
    if nav:
        parts.append(bk.actions(*nav, block_id="shifts_nav"))
    return (note + "\n" if note else "") + text, bk.message(parts)


def cancel_button(kit: Kit, shift: Shift, *, people: int, label: str | None = None) -> bk.ButtonElement:
    """Cancel shift (or `label`), behind Slack's confirm dialog (`people`: how many are on it or its waitlist)."""
    return bk.button(label or _("Cancel shift"), ids.SHIFT_CANCEL, str(shift.id), style="danger", confirm=bk.confirm(
        _("Cancel shift #%(number)s?") % {"number": shift.id},
        kit.render("shifts/cancel_confirm.j2", shift=shift, people=people), yes=_("Cancel shift"), no=_("Keep it"),
    ))




def details_view(kit: Kit, shift: Shift, *, role: Role, note: str | None = None,
                 actor: str | None = None) -> dict:
    """A modal with everything about one shift; coordinators get Edit, Duplicate and Cancel shift; the lead
    (`actor`) and coordinators get Message the team, and on a training shift that started, Confirm attendance;
    the `actor` gets the buttons other surfaces add for them (see points.SHIFT_BUTTONS). A shift of a series says
    how it repeats, with Sign up for every week or Withdraw from all (for the `actor`; both when unknown),
    and coordinators also get Edit and Cancel this and later."""
    with kit.services.store.read() as db:
        confirmed, waiting = sh.team(db, shift.id)
    parts: list[Block] = [bk.section(note)] if note else []
    # A live SOS is for the team and the coordinators only.
    on_team = actor is not None and (actor == shift.lead or actor in confirmed)
    parts.append(bk.section(kit.render("shifts/details.j2", shift=shift, team=confirmed, waitlist=waiting,
                                       show_sos=role >= Role.COORDINATOR or on_team)))
    if actor is not None and not on_team and not shift.cancelled and not shift.started(kit.services.now()):
        parts += locked_parts(kit, actor, shift)
    for extra in points.DETAILS_EXTRAS:  # the reader may be on the team unless known not to be (a duress SOS hides from it)
        parts += extra(kit, shift, role, on_team or actor is None)
    parts += hs.details_parts(kit, shift, reader=actor)
    if role >= Role.COORDINATOR:
        value = str(shift.id)
        later = hs.coordinator_buttons(kit, shift)
        buttons = [] if shift.cancelled else [bk.button(_("Edit this one") if later else _("Edit"), ids.SHIFT_EDIT,
                                                        value)]
        buttons.append(bk.button(_("Duplicate"), ids.SHIFT_DUPLICATE, value))
        if not shift.cancelled:
            buttons.append(cancel_button(kit, shift, people=len(confirmed) + len(waiting),
                                         label=_("Cancel this one") if later else _("Cancel shift")))
        buttons += later + [b for fn in points.DETAILS_COORDINATOR_BUTTONS for b in fn(kit, shift)]
        parts.append(bk.actions(*buttons, block_id="details_actions"))
    if not shift.cancelled and (role >= Role.COORDINATOR or (actor is not None and actor == shift.lead)):
        team_buttons = [bk.button(_("Message the team"), ids.TEAM_MESSAGE_OPEN, str(shift.id))]
        if shift.kind == "training" and shift.started(kit.services.now()):
            team_buttons.append(bk.button(_("Confirm attendance"), ids.TRAINING_ATTENDANCE, str(shift.id)))
        parts.append(bk.actions(*team_buttons, block_id="details_team"))
    mine = sh.load_shift(kit.services.store, shift.id, user=actor) if actor else None
    if mine is not None and (extra := extra_buttons(kit, actor or "", mine)):
        parts.append(bk.actions(*extra, block_id="details_reader"))
    return bk.modal(title=_("Shift #%(number)s") % {"number": shift.id}, blocks=parts, callback_id=ids.SHIFT_DETAILS)


def locked_parts(kit: Kit, reader: str, shift: Shift) -> list[Block]:
    """For a reader without the training a shift requires: the next training shift that gives it, with Sign up."""
    needed = required(shift.kind, shift.training)
    with kit.services.store.read() as db:
        if not needed or holds_training(db, user_id=reader, training=needed, on=shift.local_start().date()):
            return []
    course = training_course(kit, reader, shift)
    buttons = course_button(course)
    text = kit.render("shifts/course.j2", shift=shift, course=course, sign_up=bool(buttons))
    return [bk.section(text, block_id="details_course"), *([bk.actions(*buttons, block_id="details_course_actions")]
                                                         if buttons else [])]


def _form_inputs(kit: Kit, source: Shift | None, *, start: datetime | None, end: datetime | None,
                 planner: str | None) -> list[Block]:
    """The shift form's inputs, prefilled from `source` (the shift edited or copied) when there is one."""
    cat, zone = kit.services.catalog, kit.services.settings.zone
    today = kit.services.now().astimezone(zone).date().isoformat()
    trainings = [(NO_TRAINING, _("No training required"))] + [(t.id, t.name) for t in cat.trainings]
    return [
        bk.select_input("kind", _("Kind"), list(KINDS.items()), initial=source.kind if source else None),
        bk.select_input("venue", _("Venue type"), [(v.id, v.name) for v in cat.venues],
                        initial=source.venue if source else None),
        bk.text_input(
            "area", _("Area"), initial=source.area if source else None, max_length=sh.MAX_AREA,
            placeholder=_("Neighbourhood, town or corridor"), hint=_("Coarse only: no street address is needed."),
        ),
        bk.date_input("start_date", _("Start date"), initial=start.date().isoformat() if start else today),
        bk.time_input(
            "start_time", _("Start time"), initial=start.strftime("%H:%M") if start else None,
            hint=_("Times are in %(zone)s.") % {"zone": zone.key},
        ),
        bk.time_input(
            "end_time", _("End time"), initial=end.strftime("%H:%M") if end else None,
            hint=_("Before the start time: the shift ends the next day."),
        ),
        bk.user_input("lead", _("Lead"), initial=source.lead if source else planner),
        bk.number_input("capacity", _("Capacity"), initial=source.capacity if source else 4, minimum=1,
                        maximum=sh.MAX_CAPACITY),
        bk.number_input(
            "min_team", _("Minimum team size"), initial=source.min_team if source else 2, minimum=1,
            maximum=sh.MAX_CAPACITY, hint=_("Direct outreach never goes alone: at least 2."),
        ),
        bk.select_input(
            "training", _("Required training"), trainings,
            initial=(source.training or NO_TRAINING) if source else None,
            hint=_("Direct outreach must require a training."),
        ),
        bk.multi_select_input(
            "languages", _("Languages needed"), [(lang.id, lang.name) for lang in cat.languages],
            initial=source.languages if source else None,
        ),
        bk.select_input(
            "safety_net", _("Safety net"), [(key, _(label)) for key, label in sh.SAFETY_NET.items()],
            initial=("on" if source.safety_net else "off") if source else "auto",
            hint=_("Check-ins, SOS and alerts if the team goes silent. Off for a classroom or a library."),
        ),
        bk.text_input(
            "notes", _("Notes for the team"), initial=source.notes if source else None, multiline=True,
            max_length=sh.MAX_NOTES, optional=True,
            hint=_("Never write anything about the people you may meet."),
        ),
    ]


def shift_form(
    kit: Kit, *, shift: Shift | None = None, channel: str | None = None, planner: str | None = None,
    copy_of: Shift | None = None, later: bool = False, repeat: dict | None = None,
) -> dict:
    """The modal to plan a shift: empty (the lead defaults to the `planner`), prefilled for an edit of
    `shift`, or prefilled from `copy_of` one week later as a new shift. A new shift may repeat (its
    Repeat… step, chosen there as `repeat`); `later` edits `shift` of a series and all later ones."""
    zone = kit.services.settings.zone
    source = shift or copy_of
    start = end = None
    if shift:
        start, end = shift.starts_at.astimezone(zone), shift.ends_at.astimezone(zone)
    elif copy_of:
        start, end = (moment.astimezone(zone) for moment in sh.weeks_later(copy_of, now=kit.services.now()))
    parts: list[Block] = []
    if copy_of and start:
        parts.append(bk.context(kit.render("shifts/form_copy.j2", shift=copy_of, start=start)))
    parts += _form_inputs(kit, source, start=start, end=end, planner=planner)
    if later or not shift:  # how it repeats: a line and a Repeat… button (a pushed step), not more inputs
        parts.append(hs.repeat_section(kit, shift=shift if later else None, chosen=repeat))
    if shift:
        meta: dict = {"shift_id": shift.id, **({"later": True} if later else {})}
        title = (_("Edit #%(number)s and later") if later else _("Edit shift #%(number)s")) % {"number": shift.id}
    else:
        meta = {"channel": channel, **({"copy_of": copy_of.id} if copy_of else {})}
        title = _("Copy of shift #%(number)s") % {"number": copy_of.id} if copy_of else _("Plan a shift")
    if repeat:
        meta["repeat"] = repeat
    return bk.modal(
        title=title, blocks=parts, callback_id=ids.SHIFT_FORM,
        submit=_("Save") if shift else _("Create"), close=_("Cancel"), metadata=meta,
    )


def draft_from_form(form: dict) -> ShiftDraft:
    """The shift draft typed into the modal."""

    def text(key: str) -> str | None:
        value = form.get(key)
        return value if isinstance(value, str) else None

    languages = form.get("languages")
    training = text("training")
    return ShiftDraft(
        kind=text("kind"), venue=text("venue"), area=text("area"),
        start_date=text("start_date"), start_time=text("start_time"),
        end_date=text("end_date"), end_time=text("end_time"),
        capacity=text("capacity"), min_team=text("min_team"),
        languages=[x for x in languages if isinstance(x, str)] if isinstance(languages, list) else [],
        lead=text("lead"), training=None if training in (None, NO_TRAINING) else training, notes=text("notes"),
        safety_net=text("safety_net"),
    )


def cancel_form(kit: Kit, shift: Shift) -> dict:
    """The short modal after Cancel shift's confirm: an optional reason, then the shift is cancelled
    and the modal shows its Details with what was done."""
    with kit.services.store.read() as db:
        confirmed, waiting = sh.team(db, shift.id)
    parts: list[Block] = [
        bk.section(kit.render("shifts/form_cancel.j2", shift=shift, people=len(confirmed) + len(waiting))),
        bk.text_input("reason", _("Reason (optional)"), max_length=sh.MAX_CANCEL_REASON, optional=True,
                      placeholder=_("Like: not enough people, or the weather"),
                      hint=_("Everyone on the shift reads it. Nothing about the people you meet.")),
    ]
    return bk.modal(title=_("Cancel shift #%(number)s") % {"number": shift.id}, blocks=parts,
                    callback_id=ids.SHIFT_CANCEL_FORM, submit=_("Cancel shift"), close=_("Keep it"),
                    metadata={"shift_id": shift.id})


def list_again(kit: Kit, click: Click) -> Redraw | None:
    """The list page a button was tapped on, drawn again with a note on top (None off a list)."""
    page = click.page
    return None if page is None else (lambda note: list_message(kit, click.actor, page=page, note=note))
