"""Drills in Slack: "Test the net" on a coordinator's App Home, its form, the TEST messages, "I'm on it",
the answers from the phone, and the reminder when no drill has run for 30 days (outreach/drills.py)."""

from __future__ import annotations

import threading
from datetime import timedelta

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from handlers import blocks as bk
from handlers import ids, points
from handlers.click import Click, coordinators
from handlers.kit import Kit
from handlers.notify import gate, notice
from outreach import drills, phones
from outreach.i18n import N_
from outreach.i18n import gettext as _
from outreach.roles import Role
from outreach.shifts import USER_ID
from outreach.store import from_iso

# The paths' names (marked here; `path_names` reads them in the language in force).
PATH_NAMES = {"channel": N_("Coordinators' channel"), "dm": N_("DMs"), "sms": N_("SMS"), "call": N_("Calls")}


def path_names() -> dict[str, str]:
    """The paths' names in the language in force."""
    return {path: _(name) for path, name in PATH_NAMES.items()}


def took(delta: timedelta | None) -> str:
    """How long someone took, as people say it, in the language in force: `40 s`, `1 min 12 s`, `3 min`."""
    if delta is None:
        return ""
    seconds = max(int(delta.total_seconds()), 0)
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return _("%(seconds)s s") % {"seconds": rest}
    if not rest:
        return _("%(minutes)s min") % {"minutes": minutes}
    return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": rest}


def paths_open(kit: Kit) -> list[str]:
    """The paths a drill can take here: the channel when one is set, DMs, SMS and calls when Twilio is."""
    settings = kit.services.settings
    return [p for p in drills.PATHS if (p != "channel" or settings.coordinator_channel)
            and (p != "sms" or settings.twilio) and (p != "call" or (settings.twilio and settings.twilio_from))]


def drill_view(kit: Kit) -> dict:
    """The "Test the net" form: who (the coordinators by default) and which paths (all that work here)."""
    paths = paths_open(kit)
    names = path_names()
    return bk.modal(title=_("Test the net"), callback_id=ids.DRILL_FORM, submit=_("Start the drill"), blocks=[
        bk.section(kit.render("drill/form.j2", part="intro", window=took(drills.WINDOW),
                              twilio=kit.services.settings.twilio)),
        bk.people_input("people", _("Who it goes to"), initial=kit.services.coordinators()[:drills.LIMIT]),
        bk.checkboxes_input("paths", _("Which paths"), [(p, names[p]) for p in paths], initial=paths),
    ])


def _found(kit: Kit, context: dict) -> tuple[drills.Drill, dict] | None:
    """The drill a notice is about, and the words its templates need."""
    drill = drills.load(kit.services.store, int(context["drill_id"]))
    if drill is None:
        return None
    return drill, {"drill": drill, "tz": kit.services.settings.timezone, "took": took,
                   "window": took(drills.WINDOW), "names": path_names()}


def _with_button(text: str, drill: drills.Drill, how: str, *, takes: bool) -> list[dict]:
    """A message's blocks: its words, and "TEST: I'm on it" while it `takes` (`how`: where it is tapped)."""
    button = bk.actions(bk.button(_("TEST: I'm on it"), ids.DRILL_TAKE, f"{drill.id}:{how}", style="primary"),
                        block_id=f"drill_{how}:{drill.id}")
    return bk.message([bk.section(text), *([button] if takes else [])])


@notice("drill/post")
def notice_post(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """The drill's post in the coordinators' channel: TEST, who it goes to, "I'm on it" while it runs."""
    if (found := _found(kit, context)) is None:
        return None
    drill, words = found
    takes = not drill.over and any(p.taken_at is None for p in drill.people)
    return (kit.render("drill/post.j2", part="headline", **words),
            _with_button(kit.render("drill/post.j2", part="body", **words), drill, "channel", takes=takes))


@notice("drill/list")
def notice_list(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """Who was reached, by which path, how long each took to take it (in the thread, and to the starter)."""
    if (found := _found(kit, context)) is None:
        return None
    words = found[1]
    lines = [kit.render("drill/list.j2", part="head", **words)] + [
        kit.render("drill/list.j2", part="person", person=p, **words) for p in found[0].people]
    return lines[0], bk.message([bk.section(line) for line in lines])


@notice("drill/dm")
def notice_dm(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """A person's DM: TEST, and "I'm on it" until they took it or the drill is over."""
    found = _found(kit, context)
    person = found[0].person(str(context["user"])) if found else None
    if found is None or person is None:
        return None
    drill, words = found
    text = kit.render("drill/dm.j2", person=person, **words)
    return text, _with_button(text, drill, "dm", takes=person.taken_at is None and not drill.over)


def _still_open(kit: Kit, context: dict) -> bool:
    with kit.services.store.read() as db:
        return drills.is_open(db, int(context["drill_id"]), str(context["user"]))


gate("drill/sms")(_still_open)
gate("drill/call")(_still_open)


@notice("drill/sms")
def notice_sms(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """The drill's SMS: TEST first, reply 1."""
    return kit.render("drill/phone.j2", part="sms"), []


@notice("drill/call")
def notice_call(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """What the drill's call says: TEST first, press 1."""
    return kit.render("drill/phone.j2", part="call"), []


@notice("drill/remind")
def notice_remind(kit: Kit, context: dict) -> tuple[str, list[dict]]:
    """To the coordinators: no drill has run for 30 days."""
    last = from_iso(context["last"]) if context.get("last") else None
    text = kit.render("drill/remind.j2", last=last, days=int(context.get("days") or 0),
                      tz=kit.services.settings.timezone)
    return text, bk.message([bk.section(text)])


def home_blocks(kit: Kit, user: str) -> list[Block]:
    """A coordinator's App Home: the last drill in a line, and Test the net."""
    if kit.services.role(user) < Role.COORDINATOR:
        return []
    last = drills.latest(kit.services.store)
    return [bk.divider(), bk.section(kit.render("drill/home.j2", drill=last, tz=kit.services.settings.timezone),
                                     accessory=bk.button(_("Test the net"), ids.DRILL_OPEN), block_id="drill_home")]


# ---------------------------------------------------------------- taking it from the phone


def _flush(kit: Kit) -> None:
    threading.Thread(target=kit.notifier.flush, name="drill-take", daemon=True).start()


def sms_reply(kit: Kit, user: str, body: str, choices: list[int]) -> str | None:
    """A reply "1" from a phone texted or called for a drill takes it (a real alarm open for that phone
    comes first: then the drill is left to Slack); None when this is no answer to a drill."""
    if choices or not phones.TAKE.match(body or ""):
        return None
    with kit.services.store.read() as db:
        drill_id = drills.open_for_phone(db, user)
    if drill_id is None:
        return None
    outcome, drill = drills.take(kit.services.store, drill_id=drill_id, user=user, how="sms")
    _flush(kit)
    person = drill.person(user) if drill else None
    return kit.render("drill/phone.j2", part="answer", outcome=outcome,
                      took=took(person.after(drill.started_at)) if person and drill else "")


def voice_reply(kit: Kit, call_sid: str, digits: str) -> str | None:
    """A digit pressed in a drill's call: 1 takes it; None when the call was no drill's."""
    with kit.services.store.read() as db:
        found = drills.call_of(db, call_sid)
    if found is None:
        return None
    drill_id, user = found
    if digits.strip() != "1":
        return kit.render("drill/phone.j2", part="voice", outcome="not_taken", took="")
    outcome, drill = drills.take(kit.services.store, drill_id=drill_id, user=user, how="call")
    _flush(kit)
    person = drill.person(user) if drill else None
    return kit.render("drill/phone.j2", part="voice", outcome=outcome,
                      took=took(person.after(drill.started_at)) if person and drill else "")


# ---------------------------------------------------------------- wiring


def on_open(kit: Kit, click: Click) -> None:
    click.show(drill_view(kit))


def on_submit(kit: Kit, ack: Ack, body: dict, context: BoltContext, client: WebClient) -> None:
    services = kit.services
    form = context.get("form") or {}
    people = [u for u in form.get("people") or [] if isinstance(u, str) and USER_ID.match(u)]  # no channel
    paths = [p for p in form.get("paths") or [] if p in paths_open(kit)]
    if not people or len(people) > drills.LIMIT:
        ack(response_action="errors", errors={"people": kit.render("drill/form.j2", part="people",
                                                                   limit=drills.LIMIT)})
        return
    if not paths:
        ack(response_action="errors", errors={"paths": kit.render("drill/form.j2", part="paths")})
        return
    ack()
    settings = services.settings
    drills.start(services.store, by=context["actor"], people=people, paths=paths,
                 channel=settings.coordinator_channel, request_key=bk.submission_key(body),
                 texts=settings.twilio, call_after=settings.call_after if settings.twilio_from else None)
    kit.notifier.flush(prefix="drill:")
    points.publish_home(kit, client, context["actor"])


def on_take(kit: Kit, click: Click) -> None:
    services = kit.services
    drill_id, how, actor = click.number, click.value.partition(":")[2], click.actor
    if drill_id is None:
        return
    outcome, drill = drills.take(services.store, drill_id=drill_id, user=actor,
                                 how=how if how in ("channel", "dm") else "dm")
    kit.notifier.flush(prefix="update:drill:")
    if outcome != "taken":
        person = drill.person(actor) if drill else None
        click.tell(kit.render(
            "drill/answer.j2", outcome=outcome, took=took(person.after(drill.started_at)) if person and drill else ""))


def register(app: App, kit: Kit) -> None:
    """The App Home button, the form, "I'm on it", the phone's answers, and the periodic jobs."""

    services = kit.services
    points.add(points.HOME_SECTIONS, home_blocks)
    points.add(points.SMS_REPLIES, sms_reply)
    points.add(points.VOICE_REPLIES, voice_reply)

    def periodic() -> None:
        ended = drills.close_due(services.store)
        reminded = drills.remind_due(services.store, channel=services.settings.coordinator_channel,
                                     coordinators=services.coordinators())
        if ended or reminded:  # what they queued goes now, not at the next tick
            kit.notifier.flush(background=True)

    kit.periodic.append(periodic)
    kit.wire(app, actions={
        ids.DRILL_OPEN: coordinators(on_open, N_("Test the net")),
        ids.DRILL_TAKE: on_take,
    }, forms={
        ids.DRILL_FORM: coordinators(on_submit, N_("Test the net"), refusal=("drill/form.j2", {"part": "not_allowed"}),
                                     field="people"),
    })
