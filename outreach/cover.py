"""Cover for a dropped place, and watching a shift one cannot join now.

Find cover: a confirmed member who cannot come asks the bot to offer their place. It offers it by DM
to the people who can take it (the required training valid on the shift's date, not on an overlapping
shift, not on this one), the waitlist first in its order, then the others, those who speak a language
the team would lack first. The first to accept takes the place in one transaction: the leaver's
signup is released, the taker confirmed, the request and every offer closed, and the other offers'
messages updated in place through the outbox. Until then the leaver stays on the shift (Withdraw
still works, and closes the request).

Watch a shift: someone who cannot join a shift now (it is full, or they lack its training) asks to be
told when they can; when a place opens for them (a withdrawal, capacity raised, training recorded)
they are told once by DM. A watch ends when they sign up, are told, stop it, or the shift starts.

Every notice is written to the outbox in the transaction of the change; readiness is re-checked
through the signup events each change emits (outreach/readiness.py `watch`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlite_utils import Database

from outreach import outbox
from outreach.events import Event
from outreach.readiness import Facts
from outreach.shifts import Shift, closed, get_shift, team
from outreach.store import Store, iso
from outreach.trainings import holds, records_by_person, required

MAX_OFFERS = 20  # the most people one cover request asks
WATCH_SWEEP = 200  # active watches looked at per timer tick

OFFER_TEMPLATE = "cover/offer"
COVERED_TEMPLATE = "cover/covered"
DECLINED_TEMPLATE = "cover/all_declined"
PLACE_TEMPLATE = "cover/place_open"


def offer_key(offer_id: int) -> str:
    """The outbox key of an offer's DM (its updates follow it)."""
    return f"cover-offer:{offer_id}"


# ---------------------------------------------------------------- who can take a place


@dataclass(frozen=True)
class Candidate:
    """Someone a place can be offered to."""

    user: str
    waitlisted: bool = False
    speaks: tuple[str, ...] = ()  # languages the team would lack that this person speaks
    watching: bool = False


def lacking_languages(db: Database, shift: Shift, *, without: str | None) -> list[str]:
    """The shift's languages nobody would cover once `without` leaves (team and on-call partners, as
    the readiness checklist counts them)."""
    if not shift.languages:
        return []
    facts = Facts.load(db, [shift.id])
    spoken = {lang for user in facts.teams[shift.id] if user != without for lang in facts.languages.get(user, [])}
    for entry in facts.on_call[shift.id].values():
        partner = facts.partners.get(entry["partner_id"])
        spoken.update(partner.languages if partner else [])
    return [lang for lang in shift.languages if lang not in spoken]


def busy(db: Database, shift: Shift, users: list[str]) -> set[str]:
    """Who of these is confirmed on, or leads, another planned shift that overlaps this one."""
    params = {"id": shift.id, "starts": iso(shift.starts_at), "ends": iso(shift.ends_at), "users": json.dumps(users)}
    rows = db.query(
        "SELECT g.user_id AS user_id FROM signups g JOIN shifts s ON s.id = g.shift_id WHERE g.status = 'confirmed' "
        "AND s.status = 'planned' AND s.id != :id AND s.starts_at < :ends AND s.ends_at > :starts "
        "AND g.user_id IN (SELECT value FROM json_each(:users)) "
        "UNION SELECT s.lead FROM shifts s WHERE s.status = 'planned' AND s.id != :id AND s.starts_at < :ends "
        "AND s.ends_at > :starts AND s.lead IN (SELECT value FROM json_each(:users))",
        params,
    )
    return {r["user_id"] for r in rows}


def trained(db: Database, shift: Shift, users: list[str]) -> set[str]:
    """Who of these holds the shift's required training, valid on its date (everyone when none: a training
    shift requires none, it gives its training)."""
    training = required(shift.kind, shift.training)
    if not training:
        return set(users)
    day = shift.local_start().date()
    records = records_by_person(db, users)
    return {u for u in users if holds(records[u], training, day)}


def candidates(db: Database, shift: Shift, *, leaver: str) -> list[Candidate]:
    """Everyone who can take the leaver's place, best first: the waitlist in its order, then the people
    known to the bot (signed up for anything, holding a training, watching this shift), those who speak a
    language the team would lack first, then watchers, then the most recently active."""
    confirmed, waiting = team(db, shift.id)
    excluded = set(confirmed) | {leaver, shift.lead}
    declined = {r["user_id"] for r in db.query(
        "SELECT o.user_id FROM cover_offers o JOIN cover_requests r ON r.id = o.request_id "
        "WHERE r.shift_id = ? AND r.user_id = ? AND o.status = 'declined'", [shift.id, leaver])}
    watchers = {r["user_id"] for r in db.query(
        "SELECT user_id FROM shift_watches WHERE shift_id = ? AND status = 'active'", [shift.id])}
    known = [r["user_id"] for r in db.query(
        "SELECT user_id, max(at) AS last FROM (SELECT user_id, created_at AS at FROM signups "
        "UNION ALL SELECT user_id, recorded_at AS at FROM trainings "
        "UNION ALL SELECT user_id, created_at AS at FROM shift_watches WHERE shift_id = ?) "
        "GROUP BY user_id ORDER BY last DESC, user_id", [shift.id])]
    pool = [u for u in dict.fromkeys(waiting + known) if u and u not in excluded and u not in declined]
    able = trained(db, shift, pool) - busy(db, shift, pool)
    lacking = lacking_languages(db, shift, without=leaver)
    speaks: dict[str, tuple[str, ...]] = {}
    if lacking:
        rows = db.query("SELECT user_id, language FROM volunteer_languages WHERE language IN "
                        "(SELECT value FROM json_each(?)) ORDER BY language", [json.dumps(lacking)])
        for row in rows:
            speaks[row["user_id"]] = (*speaks.get(row["user_id"], ()), row["language"])
    line = [Candidate(u, waitlisted=True, speaks=speaks.get(u, ()), watching=u in watchers)
            for u in waiting if u in able and u not in declined]
    others = [Candidate(u, speaks=speaks.get(u, ()), watching=u in watchers)
              for u in pool if u in able and u not in waiting]
    others.sort(key=lambda c: (-len(c.speaks), not c.watching))  # stable: most recently active within each
    return line + others


# ---------------------------------------------------------------- asking for cover


AskOutcome = Literal["asked", "nobody", "already", "not_on_shift", "not_found", "cancelled", "started"]


@dataclass(frozen=True)
class Ask:
    """What a Find cover did: how many people were asked (or why nobody was)."""

    outcome: AskOutcome
    shift: Shift | None
    asked: int = 0
    waitlisted: int = 0  # of those asked, how many from the waitlist
    able: int = 0  # everyone who could have been asked


def open_request(db: Database, shift_id: int, user: str) -> dict | None:
    """The person's open cover request for a shift, or None."""
    return next(db.query("SELECT * FROM cover_requests WHERE shift_id = ? AND user_id = ? AND status = 'open'",
                         [shift_id, user]), None)


def open_requests(store: Store, user: str, shift_ids: list[int]) -> dict[int, int]:
    """Of these shifts, those the person is looking for cover on, with how many were asked."""
    with store.read() as db:
        rows = db.query("SELECT shift_id, asked FROM cover_requests WHERE user_id = ? AND status = 'open' "
                        "AND shift_id IN (SELECT value FROM json_each(?))", [user, json.dumps(shift_ids)])
        return {r["shift_id"]: r["asked"] for r in rows}


def ask_cover(store: Store, *, shift_id: int, user: str, limit: int = MAX_OFFERS) -> Ask:
    """Offer a confirmed member's place to the people who can take it, by DM (at most `limit`)."""
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id, user=user)
        if why := closed(shift, now):
            return Ask(why, shift)
        if shift.my_status != "confirmed":
            return Ask("not_on_shift", shift)
        if (existing := open_request(db, shift_id, user)) is not None:
            return Ask("already", shift, asked=existing["asked"])
        everyone = candidates(db, shift, leaver=user)
        if not everyone:
            return Ask("nobody", shift)
        chosen = everyone[:limit]
        request_id = db["cover_requests"].insert({
            "shift_id": shift_id, "user_id": user, "status": "open", "asked": len(chosen), "created_at": iso(now),
        }).last_pk
        for position, person in enumerate(chosen, start=1):
            offer_id = db["cover_offers"].insert({
                "request_id": request_id, "user_id": person.user, "position": position, "status": "open",
                "created_at": iso(now),
            }).last_pk
            outbox.enqueue(db, key=offer_key(offer_id), channel=person.user, template=OFFER_TEMPLATE,
                           context={"shift_id": shift_id, "offer_id": offer_id, "user": person.user},
                           due_at=now, now=now)
        store.audit(db, actor=user, action="cover.ask", subject=f"shift:{shift_id}",
                    detail={"request": request_id, "asked": len(chosen)})
    return Ask("asked", shift, asked=len(chosen), waitlisted=sum(c.waitlisted for c in chosen), able=len(everyone))


def _close_offers(db: Database, request_id: int, *, now: datetime, keep: int | None = None) -> int:
    """Close a request's open offers (all but `keep`) and queue an update of each offer message sent or
    queued, so every DM says how it ended; return how many were closed."""
    rows = list(db.query("SELECT id, status FROM cover_offers WHERE request_id = ? AND id IS NOT ?",
                         [request_id, keep]))
    db.execute("UPDATE cover_offers SET status = 'closed', answered_at = ? WHERE request_id = ? AND id IS NOT ? "
               "AND status = 'open'", [iso(now), request_id, keep])
    for row in rows:
        if row["status"] == "open":
            outbox.enqueue_update(db, parent=offer_key(row["id"]), key=f"{offer_key(row['id'])}:closed", now=now)
    return sum(1 for r in rows if r["status"] == "open")


def _end_request(db: Database, request_id: int, status: str, *, now: datetime) -> None:
    db.execute("UPDATE cover_requests SET status = ?, closed_at = ? WHERE id = ? AND status = 'open'",
               [status, iso(now), request_id])
    _close_offers(db, request_id, now=now)


StopOutcome = Literal["stopped", "none"]


def stop_cover(store: Store, *, shift_id: int, user: str) -> tuple[StopOutcome, Shift | None]:
    """The leaver can come after all: close their open request; every offer says it is no longer needed."""
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id, user=user)
        request = open_request(db, shift_id, user)
        if request is None:
            return "none", shift
        _end_request(db, request["id"], "stopped", now=now)
        store.audit(db, actor=user, action="cover.stop", subject=f"shift:{shift_id}", detail={"request": request["id"]})
    return "stopped", shift


# ---------------------------------------------------------------- answering an offer


@dataclass(frozen=True)
class Offer:
    """One offer with its request, as it stands."""

    id: int
    user: str
    status: str
    request_id: int
    shift_id: int
    leaver: str
    request_status: str
    taken_by: str | None


def get_offer(db: Database, offer_id: int) -> Offer | None:
    """An offer and its request, or None."""
    row = next(db.query(
        "SELECT o.id, o.user_id, o.status, o.request_id, r.shift_id, r.user_id AS leaver, r.status AS request_status, "
        "r.taken_by FROM cover_offers o JOIN cover_requests r ON r.id = o.request_id WHERE o.id = ?", [offer_id]), None)
    if row is None:
        return None
    return Offer(id=row["id"], user=row["user_id"], status=row["status"], request_id=row["request_id"],
                 shift_id=row["shift_id"], leaver=row["leaver"], request_status=row["request_status"],
                 taken_by=row["taken_by"])


def load_offer(store: Store, offer_id: int) -> Offer | None:
    """An offer, read through the store."""
    with store.read() as db:
        return get_offer(db, offer_id)


TakeOutcome = Literal[
    "taken", "yours_already", "gone", "declined", "on_shift", "missing_training", "busy",
    "started", "cancelled", "not_found",
]


@dataclass(frozen=True)
class Take:
    """What a Take this place did, and the offer and shift as they stand after it."""

    outcome: TakeOutcome
    offer: Offer | None
    shift: Shift | None


def take(store: Store, *, offer_id: int, user: str) -> Take:
    """Take an offered place: the first accept wins, in one transaction (the leaver released, the taker
    confirmed, the request and every other offer closed and their messages updated, the leaver told)."""
    now = store.clock()
    with store.write() as db:
        offer = get_offer(db, offer_id)
        if offer is None or offer.user != user:
            return Take("not_found", None, None)
        shift = get_shift(db, offer.shift_id, user=user)
        assert shift is not None  # a request's shift is never deleted
        if offer.status == "taken":
            return Take("yours_already", offer, shift)
        if offer.request_status != "open" or offer.status == "closed":
            return Take("gone", offer, shift)
        if offer.status == "declined":
            return Take("declined", offer, shift)
        if shift.cancelled:
            return Take("cancelled", offer, shift)
        if shift.started(now):
            return Take("started", offer, shift)
        if shift.my_status == "confirmed" or shift.lead == user:
            return Take("on_shift", offer, shift)
        if user not in trained(db, shift, [user]):
            return Take("missing_training", offer, shift)
        if busy(db, shift, [user]):
            return Take("busy", offer, shift)
        released = db.execute(
            "UPDATE signups SET status = 'withdrawn', updated_at = ? WHERE shift_id = ? AND user_id = ? "
            "AND status = 'confirmed'", [iso(now), shift.id, offer.leaver]).rowcount
        if not released:  # the leaver left some other way meanwhile (its listener closes the request)
            _end_request(db, offer.request_id, "withdrawn", now=now)
            return Take("gone", get_offer(db, offer_id), shift)
        if shift.my_status == "waitlisted":
            db.execute("UPDATE signups SET status = 'confirmed', updated_at = ? WHERE shift_id = ? AND user_id = ? "
                       "AND status = 'waitlisted'", [iso(now), shift.id, user])
        else:
            db["signups"].insert({"shift_id": shift.id, "user_id": user, "status": "confirmed",
                                  "created_at": iso(now), "updated_at": iso(now)})
        db.execute("UPDATE cover_requests SET status = 'covered', taken_by = ?, closed_at = ? WHERE id = ?",
                   [user, iso(now), offer.request_id])
        db.execute("UPDATE cover_offers SET status = 'taken', answered_at = ? WHERE id = ?", [iso(now), offer_id])
        _close_offers(db, offer.request_id, now=now, keep=offer_id)
        outbox.enqueue_update(db, parent=offer_key(offer_id), key=f"{offer_key(offer_id)}:taken", now=now)
        outbox.enqueue(db, key=f"cover-covered:{offer.request_id}", channel=offer.leaver, template=COVERED_TEMPLATE,
                       context={"shift_id": shift.id, "request_id": offer.request_id, "user": offer.leaver},
                       due_at=now, now=now)
        store.audit(db, actor=user, action="cover.take", subject=f"shift:{shift.id}",
                    detail={"request": offer.request_id, "leaver": offer.leaver})
        # The signup events re-check readiness, move calendar invites and reminders, and end a watch.
        store.events.emit(db, Event("signup.withdrawn", shift.id, now, user=offer.leaver, actor=user,
                                    data={"was": "confirmed", "covered_by": user}))
        store.events.emit(db, Event("signup.promoted", shift.id, now, user=user, actor=user, data={"cover": True}))
        return Take("taken", get_offer(db, offer_id), get_shift(db, shift.id, user=user))


DeclineOutcome = Literal["declined", "already", "gone", "not_found"]


def decline(store: Store, *, offer_id: int, user: str) -> tuple[DeclineOutcome, Offer | None]:
    """No thanks: the offer is closed for this person; when everyone asked said no, the leaver is told
    and the request ends (they can ask again, or withdraw)."""
    now = store.clock()
    with store.write() as db:
        offer = get_offer(db, offer_id)
        if offer is None or offer.user != user:
            return "not_found", None
        if offer.status == "declined":
            return "already", offer
        if offer.status != "open" or offer.request_status != "open":
            return "gone", offer
        db.execute("UPDATE cover_offers SET status = 'declined', answered_at = ? WHERE id = ?", [iso(now), offer_id])
        still = db.execute("SELECT count(*) FROM cover_offers WHERE request_id = ? AND status = 'open'",
                           [offer.request_id]).fetchone()[0]
        if not still:
            db.execute("UPDATE cover_requests SET status = 'declined', closed_at = ? WHERE id = ?",
                       [iso(now), offer.request_id])
            outbox.enqueue(db, key=f"cover-declined:{offer.request_id}", channel=offer.leaver,
                           template=DECLINED_TEMPLATE,
                           context={"shift_id": offer.shift_id, "request_id": offer.request_id, "user": offer.leaver},
                           due_at=now, now=now)
        return "declined", get_offer(db, offer_id)


def request_state(db: Database, request_id: int) -> dict | None:
    """A cover request as stored (for the words of its notices)."""
    return next(db.query("SELECT * FROM cover_requests WHERE id = ?", [request_id]), None)


# ---------------------------------------------------------------- watching a shift


WatchOutcome = Literal["watching", "already", "on_shift", "can_join", "not_found", "cancelled", "started"]


@dataclass(frozen=True)
class WatchResult:
    """What a Tell me if a place opens did."""

    outcome: WatchOutcome
    shift: Shift | None


def _free_for_watchers(db: Database, shift: Shift) -> int:
    """Places no one on the waitlist will get: the capacity less the confirmed and the trained waitlisted."""
    waiting = team(db, shift.id)[1]
    return shift.capacity - shift.confirmed - len(trained(db, shift, waiting))


def watch(store: Store, *, shift_id: int, user: str) -> WatchResult:
    """Ask to be told when one can join a shift (it is full, or one lacks its training)."""
    now = store.clock()
    with store.write() as db:
        shift = get_shift(db, shift_id, user=user)
        if why := closed(shift, now):
            return WatchResult(why, shift)
        if shift.my_status is not None or shift.lead == user:
            return WatchResult("on_shift", shift)
        if shift.places_left and user in trained(db, shift, [user]):
            return WatchResult("can_join", shift)
        cursor = db.execute("INSERT OR IGNORE INTO shift_watches (shift_id, user_id, status, created_at) "
                            "VALUES (?, ?, 'active', ?)", [shift_id, user, iso(now)])
        return WatchResult("watching" if cursor.rowcount == 1 else "already", shift)


def unwatch(store: Store, *, shift_id: int, user: str) -> bool:
    """Stop watching a shift; False when the person was not watching it."""
    with store.write() as db:
        return db.execute("UPDATE shift_watches SET status = 'stopped', ended_at = ? WHERE shift_id = ? AND user_id = ? "
                          "AND status = 'active'", [iso(store.clock()), shift_id, user]).rowcount == 1


def watched(store: Store, user: str, shift_ids: list[int]) -> set[int]:
    """Which of these shifts the person watches."""
    with store.read() as db:
        return {r["shift_id"] for r in db.query(
            "SELECT shift_id FROM shift_watches WHERE user_id = ? AND status = 'active' "
            "AND shift_id IN (SELECT value FROM json_each(?))", [user, json.dumps(shift_ids)])}


def watching(store: Store, *, user: str, now: datetime, limit: int = 10) -> tuple[int, list[Shift]]:
    """The planned shifts not started yet that a person watches, soonest first: the total and the first ones."""
    where = ("w.user_id = :user AND w.status = 'active' AND s.status = 'planned' AND s.starts_at > :now")
    with store.read() as db:
        total = db.execute(f"SELECT count(*) FROM shift_watches w JOIN shifts s ON s.id = w.shift_id WHERE {where}",
                           {"user": user, "now": iso(now)}).fetchone()[0]
        ids = [r["shift_id"] for r in db.query(
            f"SELECT w.shift_id FROM shift_watches w JOIN shifts s ON s.id = w.shift_id WHERE {where} "
            "ORDER BY s.starts_at, s.id LIMIT :limit", {"user": user, "now": iso(now), "limit": limit})]
        return total, [s for s in (get_shift(db, i, user=user) for i in ids) if s]


def tell_watchers(db: Database, shift_id: int, *, now: datetime) -> list[str]:
    """Tell each active watcher who can join now (a free place nobody in line gets, the training held)
    once, by DM, and end their watch; return who was told."""
    shift = get_shift(db, shift_id)
    if shift is None or shift.cancelled or shift.started(now) or _free_for_watchers(db, shift) <= 0:
        return []
    rows = list(db.query("SELECT id, user_id FROM shift_watches WHERE shift_id = ? AND status = 'active' ORDER BY id",
                         [shift_id]))
    if not rows:
        return []
    confirmed, waiting = team(db, shift_id)
    on_it = set(confirmed) | set(waiting) | {shift.lead}
    able = trained(db, shift, [r["user_id"] for r in rows])
    told = []
    for row in rows:
        if row["user_id"] in on_it:
            db.execute("UPDATE shift_watches SET status = 'signed_up', ended_at = ? WHERE id = ?", [iso(now), row["id"]])
            continue
        if row["user_id"] not in able:
            continue
        db.execute("UPDATE shift_watches SET status = 'told', told_at = ?, ended_at = ? WHERE id = ?",
                   [iso(now), iso(now), row["id"]])
        outbox.enqueue(db, key=f"watch-open:{row['id']}", channel=row["user_id"], template=PLACE_TEMPLATE,
                       context={"shift_id": shift_id, "user": row["user_id"]}, due_at=now, now=now)
        told.append(row["user_id"])
    return told


def sweep(store: Store) -> int:
    """On the timer: end the watches and close the cover requests of shifts that started or were
    cancelled, and tell watchers who can join now (a training recorded since); return rows changed."""
    now = store.clock()
    with store.read() as db:
        stale_requests = [r["id"] for r in db.query(
            "SELECT r.id FROM cover_requests r JOIN shifts s ON s.id = r.shift_id WHERE r.status = 'open' "
            "AND (s.starts_at <= ? OR s.status != 'planned')", [iso(now)])]
        stale_watches = db.execute(
            "SELECT count(*) FROM shift_watches w JOIN shifts s ON s.id = w.shift_id WHERE w.status = 'active' "
            "AND (s.starts_at <= ? OR s.status != 'planned')", [iso(now)]).fetchone()[0]
        watched_shifts = [r["shift_id"] for r in db.query(
            "SELECT DISTINCT w.shift_id FROM shift_watches w JOIN shifts s ON s.id = w.shift_id "
            "WHERE w.status = 'active' AND s.status = 'planned' AND s.starts_at > ? LIMIT ?", [iso(now), WATCH_SWEEP])]
        ready = [i for i in watched_shifts if (s := get_shift(db, i)) is not None and _free_for_watchers(db, s) > 0]
    if not (stale_requests or stale_watches or ready):
        return 0
    changed = 0
    with store.write() as db:
        for request_id in stale_requests:
            _end_request(db, request_id, "expired", now=now)
            changed += 1
        changed += db.execute(
            "UPDATE shift_watches SET status = 'ended', ended_at = ? WHERE status = 'active' AND shift_id IN "
            "(SELECT id FROM shifts WHERE starts_at <= ? OR status != 'planned')", [iso(now), iso(now)]).rowcount
        for shift_id in ready:
            changed += len(tell_watchers(db, shift_id, now=now))
    return changed


# ---------------------------------------------------------------- keeping in step with signups


def install(store: Store) -> None:
    """Close cover requests when the leaver withdraws or the shift is cancelled, end watches on signup,
    and tell watchers when a place opens (a withdrawal, capacity raised)."""

    @store.events.on("signup.withdrawn")
    def on_withdrawn(db: Database, event: Event) -> None:
        if event.user:
            for row in list(db.query("SELECT id FROM cover_requests WHERE shift_id = ? AND user_id = ? "
                                     "AND status = 'open'", [event.shift_id, event.user])):
                _end_request(db, row["id"], "withdrawn", now=event.now)
        if event.data.get("was") == "confirmed" and not event.data.get("covered_by"):
            tell_watchers(db, event.shift_id, now=event.now)

    @store.events.on("shift.edited")
    def on_edited(db: Database, event: Event) -> None:
        tell_watchers(db, event.shift_id, now=event.now)

    @store.events.on("shift.cancelled")
    def on_cancelled(db: Database, event: Event) -> None:
        for row in list(db.query("SELECT id FROM cover_requests WHERE shift_id = ? AND status = 'open'",
                                 [event.shift_id])):
            _end_request(db, row["id"], "cancelled", now=event.now)
        db.execute("UPDATE shift_watches SET status = 'ended', ended_at = ? WHERE shift_id = ? AND status = 'active'",
                   [iso(event.now), event.shift_id])

    @store.events.on("signup.confirmed", "signup.waitlisted", "signup.promoted")
    def on_signed_up(db: Database, event: Event) -> None:
        if event.user:
            db.execute("UPDATE shift_watches SET status = 'signed_up', ended_at = ? WHERE shift_id = ? "
                       "AND user_id = ? AND status = 'active'", [iso(event.now), event.shift_id, event.user])
