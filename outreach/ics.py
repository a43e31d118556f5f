"""Calendar invites (.ics, METHOD REQUEST/CANCEL) and per-person subscription feeds.

One UID per shift and person; its SEQUENCE is stored in `invites` and raised on every change, so
calendars replace the old version. Feeds are served at an unguessable token per person
(`feeds` table); resetting the token kills the old address.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from icalendar import Alarm, Calendar, Event, vCalAddress, vRecur, vText
from sqlite_utils import Database

from outreach import outbox
from outreach import series as sr
from outreach.events import Event as DomainEvent
from outreach.i18n import gettext as _
from outreach.shifts import Shift, _shift, end_moment, get_shift, team
from outreach.store import Store, iso

PRODID = "-//outreach-bot//Outreach shifts//EN"
UID_DOMAIN = "outreach-bot"
ALARM_BEFORE = timedelta(hours=2)


def uid(shift_id: int, user: str) -> str:
    """The stable UID of one person's invite to one shift."""
    return f"shift-{shift_id}-{user.lower()}@{UID_DOMAIN}"


def bump(db: Database, *, shift_id: int, user: str, method: str, now: datetime) -> int:
    """Raise the invite's SEQUENCE (inside a transaction) and return the new value."""
    row = next(db.query("SELECT sequence FROM invites WHERE shift_id = ? AND user_id = ?", [shift_id, user]), None)
    sequence = 0 if row is None else row["sequence"] + 1
    db["invites"].upsert(
        {"shift_id": shift_id, "user_id": user, "sequence": sequence, "method": method, "updated_at": iso(now)},
        pk=("shift_id", "user_id"),
    )
    return sequence


def invite_state(db: Database, shift_id: int, user: str) -> dict | None:
    """The stored SEQUENCE and last METHOD of one invite, or None."""
    return next(db.query("SELECT * FROM invites WHERE shift_id = ? AND user_id = ?", [shift_id, user]), None)


def send_invite(db: Database, *, shift_id: int, user: str, method: str, now: datetime) -> None:
    """Queue an invite (REQUEST) or a cancellation (CANCEL) with a raised SEQUENCE."""
    sequence = bump(db, shift_id=shift_id, user=user, method=method, now=now)
    outbox.enqueue(
        db, key=f"invite:{shift_id}:{user}:{sequence}", channel=user, template="calendar/invite",
        context={"shift_id": shift_id, "user": user, "sequence": sequence, "method": method}, due_at=now, now=now,
    )


def withdraw_invite(db: Database, *, shift_id: int, user: str, now: datetime) -> None:
    """Cancel a person's invite: METHOD:CANCEL if one reached them, else just drop the unsent one."""
    state = invite_state(db, shift_id, user)
    if state is None or state["method"] == "CANCEL":
        return
    prefix = f"invite:{shift_id}:{user}:"
    delivered = next(db.query(
        "SELECT 1 FROM notifications WHERE key >= ? AND key < ? AND sent_at IS NOT NULL AND error IS NULL",
        [prefix, prefix + "\uffff"]), None)
    if delivered:
        send_invite(db, shift_id=shift_id, user=user, method="CANCEL", now=now)
    else:
        outbox.cancel_pending(db, key_prefix=prefix, now=now)
        bump(db, shift_id=shift_id, user=user, method="CANCEL", now=now)


def install(store: Store) -> None:
    """Send invites on confirmation and moves, and cancellations on withdrawal and cancellation.

    A person signed up for a whole series gets one invite for it (RRULE, EXDATE for the dates they are
    not on), kept in step by `sync_series` on every change to its occurrences, instead of one per shift.
    """

    def per_shift(db: Database, shift_id: int, user: str) -> bool:
        return sr.series_of_member_shift(db, shift_id, user) is None

    def sync_all(db: Database, event: DomainEvent) -> None:
        ids = {sr.series_id_of(db, event.shift_id), event.data.get("series"), event.data.get("series_from")}
        for series_id in sorted(i for i in ids if i):
            for user in sr.everyone(db, series_id):
                sync_series(db, series_id=series_id, user=user, now=event.now)

    @store.events.on("signup.confirmed", "signup.promoted")
    def on_confirmed(db: Database, event: DomainEvent) -> None:
        if not event.user:
            return
        if per_shift(db, event.shift_id, event.user):
            send_invite(db, shift_id=event.shift_id, user=event.user, method="REQUEST", now=event.now)
        else:
            sync_series(db, series_id=sr.series_id_of(db, event.shift_id), user=event.user, now=event.now)

    @store.events.on("shift.edited")
    def on_edited(db: Database, event: DomainEvent) -> None:
        if event.data.get("moved"):
            for user in team(db, event.shift_id)[0]:
                if per_shift(db, event.shift_id, user):
                    send_invite(db, shift_id=event.shift_id, user=user, method="REQUEST", now=event.now)
        sync_all(db, event)

    @store.events.on("signup.withdrawn")
    def on_withdrawn(db: Database, event: DomainEvent) -> None:
        if event.user:
            withdraw_invite(db, shift_id=event.shift_id, user=event.user, now=event.now)
            if series_id := sr.series_id_of(db, event.shift_id):
                sync_series(db, series_id=series_id, user=event.user, now=event.now)

    @store.events.on("shift.cancelled")
    def on_cancelled(db: Database, event: DomainEvent) -> None:
        for user in team(db, event.shift_id)[0]:
            withdraw_invite(db, shift_id=event.shift_id, user=user, now=event.now)
        sync_all(db, event)


# ---------------------------------------------------------------- one invite for a series


def series_uid(series_id: int, user: str) -> str:
    """The stable UID of one person's invite to a whole series."""
    return f"series-{series_id}-{user.lower()}@{UID_DOMAIN}"


def series_invite_row(db: Database, series_id: int, user: str) -> dict | None:
    """The stored SEQUENCE, METHOD and shown state of a person's series invite, or None."""
    return next(db.query("SELECT * FROM series_invites WHERE series_id = ? AND user_id = ?", [series_id, user]), None)


def sync_series(db: Database, *, series_id: int | None, user: str, now: datetime) -> None:
    """Queue a series invite (raised SEQUENCE) when what it shows changed, or its cancellation when the person
    left or nothing is left of it (inside the caller's transaction)."""
    if not series_id:
        return
    state = sr.invite_state(db, series_id, user, now=now)
    row = series_invite_row(db, series_id, user)
    if state is not None:
        shown = state.fingerprint()
        if row and row["method"] == "REQUEST" and row["state"] == shown:
            return
        method, first = "REQUEST", state.first.id if state.first else None
    else:
        if row is None or row["method"] == "CANCEL":
            return
        method, shown, first = "CANCEL", "", None
    if row is not None and row["method"] == method and _unsent(db, f"series-invite:{series_id}:{user}:{row['sequence']}"):
        # the last version has not gone out yet: it is worded when sent, so it goes as it stands then
        db["series_invites"].update((series_id, user), {"state": shown, "updated_at": iso(now)})
        return
    sequence = 0 if row is None else row["sequence"] + 1
    db["series_invites"].upsert({"series_id": series_id, "user_id": user, "sequence": sequence, "method": method,
                                 "state": shown, "updated_at": iso(now)}, pk=("series_id", "user_id"))
    context = {"series_id": series_id, "user": user, "sequence": sequence, "method": method}
    if first:
        context["shift_id"] = first
    outbox.enqueue(db, key=f"series-invite:{series_id}:{user}:{sequence}", channel=user,
                   template="calendar/series_invite", context=context, due_at=now, now=now)


def _unsent(db: Database, key: str) -> bool:
    return next(db.query("SELECT 1 FROM notifications WHERE key = ? AND sent_at IS NULL", [key]), None) is not None


def series_invite_ics(series: sr.Series, *, exdates: list[datetime], user: str, sequence: int, method: str,
                      words: Words, now: datetime, names: dict[str, str] | None = None) -> bytes:
    """One person's invite to a series (or its cancellation): one VEVENT with the RRULE and an EXDATE for
    each date they are not on; `names` gives the lead's and the person's names by member id."""
    cal = _calendar(method)
    event = Event()
    event.add("uid", series_uid(series.id, user))
    event.add("sequence", sequence)
    event.add("dtstamp", now)
    event.add("dtstart", series.dtstart)
    event.add("dtend", shift_end(series))
    event.add("rrule", vRecur.from_ical(series.rule))
    if exdates:
        event.add("exdate", sorted(exdates))
    event.add("summary", words.summary)
    event.add("location", words.location)
    event.add("description", words.description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    _people(event, organizer=series.template.get("lead"), user=user, names=names or {})
    if method != "CANCEL":
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", words.summary)
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def shift_end(series: sr.Series) -> datetime:
    """The end of a series' first occurrence, in its zone."""
    end = end_moment(series.dtstart, series.end_time, series.zone)
    assert end is not None
    return end


def load_for_series_invite(store: Store, series_id: int, user: str, *, now: datetime
                           ) -> tuple[sr.Series | None, sr.InviteState | None, dict | None]:
    """The series, the member's invite as it should stand now, and the invite's stored state."""
    with store.read() as db:
        return (sr.get_series(db, series_id), sr.invite_state(db, series_id, user, now=now),
                series_invite_row(db, series_id, user))


@dataclass(frozen=True)
class Words:
    """The plain-text words of one calendar event."""

    summary: str
    description: str
    location: str


def _calendar(method: str | None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def _people(event: Event, *, organizer: str | None, user: str, names: dict[str, str]) -> None:
    """ORGANIZER (the lead, else the coordinators) and ATTENDEE (the person), each named as Slack knows them
    (else by member id); their addresses are Slack member ids: the bot knows no e-mail addresses."""
    organizer_address = vCalAddress(f"urn:slack:user:{organizer or 'outreach-bot'}")
    organizer_address.params["cn"] = vText(names.get(organizer, organizer) if organizer else _("Outreach coordinators"))
    event.add("organizer", organizer_address)
    attendee = vCalAddress(f"urn:slack:user:{user}")
    attendee.params["cn"] = vText(names.get(user, user))
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", attendee)


def _event(shift: Shift, *, user: str, sequence: int, method: str, words: Words, now: datetime,
           organizer: str | None, names: dict[str, str]) -> Event:
    event = Event()
    event.add("uid", uid(shift.id, user))
    event.add("sequence", sequence)
    event.add("dtstamp", now)
    event.add("dtstart", shift.local_start())
    event.add("dtend", shift.local_end())
    event.add("summary", words.summary)
    event.add("location", words.location)
    event.add("description", words.description)
    cancelled = method == "CANCEL" or shift.cancelled
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    _people(event, organizer=organizer, user=user, names=names)
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", words.summary)
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
    return event


def invite_ics(shift: Shift, *, user: str, sequence: int, method: str, words: Words, now: datetime,
               organizer: str | None = None, names: dict[str, str] | None = None) -> bytes:
    """One person's invite (or its cancellation) as an .ics file; `names` by member id (else the ids)."""
    cal = _calendar(method)
    cal.add_component(_event(shift, user=user, sequence=sequence, method=method, words=words, now=now,
                             organizer=organizer, names=names or {}))
    cal.add_missing_timezones()
    return cal.to_ical()


def feed_ics(items: list[tuple[Shift, int]], *, user: str, words: dict[int, Words], now: datetime,
             name: str, names: dict[str, str] | None = None) -> bytes:
    """A person's subscription feed: every confirmed shift, with its current SEQUENCE; `names` by member id."""
    cal = _calendar("PUBLISH")
    cal.add("x-wr-calname", name)
    for shift, sequence in items:
        cal.add_component(_event(shift, user=user, sequence=sequence, method="PUBLISH", words=words[shift.id],
                                 now=now, organizer=shift.lead, names=names or {}))
    cal.add_missing_timezones()
    return cal.to_ical()


def google_link(shift: Shift, words: Words) -> str:
    """An "Add to Google Calendar" address for one shift."""
    fmt = "%Y%m%dT%H%M%SZ"
    from datetime import UTC

    dates = f"{shift.starts_at.astimezone(UTC).strftime(fmt)}/{shift.ends_at.astimezone(UTC).strftime(fmt)}"
    query = urlencode({
        "action": "TEMPLATE", "text": words.summary, "dates": dates, "ctz": shift.tz,
        "details": words.description, "location": words.location,
    })
    return f"https://calendar.google.com/calendar/render?{query}"


# ---------------------------------------------------------------- feeds


def feed_token(store: Store, user: str) -> str:
    """The person's feed token, made on first use."""
    with store.write() as db:
        row = next(db.query("SELECT token FROM feeds WHERE user_id = ?", [user]), None)
        if row:
            return row["token"]
        token = secrets.token_urlsafe(24)
        db["feeds"].insert({"user_id": user, "token": token, "created_at": iso(store.clock())})
        return token


def reset_token(store: Store, user: str) -> str:
    """Replace the person's feed token: the old address stops working at once."""
    token = secrets.token_urlsafe(24)
    with store.write() as db:
        db["feeds"].upsert({"user_id": user, "token": token, "created_at": iso(store.clock())}, pk="user_id")
    return token


def user_for_token(store: Store, token: str) -> str | None:
    """Whose feed a token opens, or None."""
    if not token or len(token) > 100:
        return None
    with store.read() as db:
        row = next(db.query("SELECT user_id FROM feeds WHERE token = ?", [token]), None)
    return row["user_id"] if row else None


def feed_items(store: Store, user: str, *, now: datetime, past_days: int = 30) -> list[tuple[Shift, int]]:
    """A person's confirmed shifts from a month ago on, with each invite's SEQUENCE."""
    with store.read() as db:
        rows = list(db.query(
            "SELECT s.*, coalesce(i.sequence, 0) AS sequence FROM signups g JOIN shifts s ON s.id = g.shift_id "
            "LEFT JOIN invites i ON i.shift_id = s.id AND i.user_id = g.user_id "
            "WHERE g.user_id = ? AND g.status = 'confirmed' AND s.status = 'planned' AND s.ends_at > ? "
            "ORDER BY s.starts_at",
            [user, iso(now - timedelta(days=past_days))],
        ))
    return [(_shift(r), r["sequence"]) for r in rows]


def load_for_invite(store: Store, shift_id: int, user: str) -> tuple[Shift | None, dict | None]:
    """The shift (with the person's status) and the invite's stored state."""
    with store.read() as db:
        return get_shift(db, shift_id, user=user), invite_state(db, shift_id, user)
