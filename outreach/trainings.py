"""Completed trainings and whether they are valid on a given day."""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from outreach import outbox, replays
from outreach.catalog import Entry
from outreach.store import Store, iso


@dataclass(frozen=True)
class TrainingRecord:
    """One completed training of one person."""

    user_id: str
    training: str
    completed_on: date
    expires_on: date | None
    recorded_by: str

    def valid_on(self, day: date) -> bool:
        """True when the training was done by `day` and has not expired before it."""
        return self.completed_on <= day and (self.expires_on is None or self.expires_on >= day)


def required(kind: str, training: str | None) -> str | None:
    """The training a shift requires of its team: none on a training shift, whose training is the one it gives."""
    return None if kind == "training" else training


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


TRAINED_TEMPLATE = "told/trained"


def _insert_record(store: Store, db: Database, *, actor: str, user_id: str, training: Entry, completed_on: date,
                   expires_on: date | None, now: datetime) -> TrainingRecord:
    """Insert one training record, audit it, and tell the person by DM what it lets them sign up for."""
    row_id = db["trainings"].insert(
        {
            "user_id": user_id, "training": training.id, "completed_on": completed_on.isoformat(),
            "expires_on": expires_on.isoformat() if expires_on else None,
            "recorded_by": actor, "recorded_at": iso(now),
        }
    ).last_pk
    store.audit(
        db, actor=actor, action="training.record", subject=f"user:{user_id}",
        detail={"training": training.id, "expires_on": expires_on.isoformat() if expires_on else None},
    )
    tell_trained(db, key=f"trained:{row_id}", user_id=user_id, training=training.id, now=now)
    return TrainingRecord(user_id, training.id, completed_on, expires_on, actor)


def tell_trained(db: Database, *, key: str, user_id: str, training: str, now: datetime) -> bool:
    """Queue the DM telling a person a training was recorded for them (inside the caller's transaction)."""
    return outbox.enqueue(db, key=key, channel=user_id, template=TRAINED_TEMPLATE,
                          context={"user": user_id, "training": training}, due_at=now, now=now)


def record_trainings(
    store: Store, *, actor: str, user_ids: list[str], training: Entry, completed_on: date, expires_on: date | None,
    request_key: str | None = None,
) -> list[TrainingRecord] | None:
    """Record a completed training for each person in one transaction (each told by DM); without an expiry,
    the training's `valid_months` sets one. None when this request (a form sent again) was acted on before."""
    if expires_on is None:
        expires_on = valid_until(training, completed_on)
    now = store.clock()
    with store.write() as db:
        if replays.seen(db, request_key):
            return None
        replays.record(store, db, request_key)
        return [_insert_record(store, db, actor=actor, user_id=user, training=training, completed_on=completed_on,
                               expires_on=expires_on, now=now) for user in dict.fromkeys(user_ids)]


def record_training(
    store: Store, *, actor: str, user_id: str, training: Entry, completed_on: date, expires_on: date | None,
) -> TrainingRecord:
    """Record a completed training for one person (told by DM); without an expiry, `valid_months` sets one."""
    records = record_trainings(store, actor=actor, user_ids=[user_id], training=training, completed_on=completed_on,
                               expires_on=expires_on)
    assert records  # no request key: never a replay
    return records[0]


def _record(row: dict) -> TrainingRecord:
    return TrainingRecord(
        user_id=row["user_id"], training=row["training"],
        completed_on=date.fromisoformat(row["completed_on"]),
        expires_on=date.fromisoformat(row["expires_on"]) if row["expires_on"] else None,
        recorded_by=row["recorded_by"],
    )


def trainings_of(store: Store, user_id: str | None = None) -> list[TrainingRecord]:
    """The latest record of each training per person (one person, or everyone)."""
    sql = (
        "SELECT * FROM trainings t WHERE id = (SELECT id FROM trainings u WHERE u.user_id = t.user_id "
        "AND u.training = t.training ORDER BY completed_on DESC, id DESC LIMIT 1)"
    )
    params: list = []
    if user_id:
        sql += " AND user_id = ?"
        params.append(user_id)
    sql += " ORDER BY user_id, training"
    with store.read() as db:
        return [_record(r) for r in db.query(sql, params)]


def records_by_person(db: Database, user_ids: list[str]) -> dict[str, list[TrainingRecord]]:
    """Every training record of these people, by person (inside a transaction; one query for all)."""
    out: dict[str, list[TrainingRecord]] = {u: [] for u in user_ids}
    for row in db.query("SELECT * FROM trainings WHERE user_id IN (SELECT value FROM json_each(?))",
                        [json.dumps(user_ids)]):
        out[row["user_id"]].append(_record(row))
    return out


def holds(records: list[TrainingRecord], training: str, on: date) -> bool:
    """True when one of a person's records is of that training and valid on that day."""
    return any(r.training == training and r.valid_on(on) for r in records)


def holds_training(db: Database, *, user_id: str, training: str, on: date) -> bool:
    """True when the person holds the training, valid on that day (inside a transaction)."""
    return holds(records_by_person(db, [user_id])[user_id], training, on)


# ---------------------------------------------------------------- trainings that renew

LEADS = (30, 7)  # days before a training lapses that its holder is told, once at each
NOTICE_HOUR = time(9, 0)  # lapse notices go out from this local hour on their day
LAPSE_TEMPLATE = "trainings/lapse"
TRAINING_KIND = "training"


def valid_until(training: Entry, completed_on: date) -> date | None:
    """When a training done on that day lapses, from its `valid_months` in data/trainings.yml (None: never)."""
    months = training.get("valid_months")
    return add_months(completed_on, int(months)) if months else None  # type: ignore[call-overload]


@dataclass(frozen=True)
class Attendance:
    """What confirming a training shift's attendance did: who got the training, who had it already, and whose
    record waits for a coordinator (the lead's own, when the lead is not a coordinator)."""

    training: str
    completed_on: date
    expires_on: date | None
    recorded: list[str]
    already: list[str]
    repeat: bool = False
    pending: list[str] = field(default_factory=list)
    declined: list[str] = field(default_factory=list)  # the lead's own, declined by a coordinator before
    outcome: str = "done"  # done, or why nothing was recorded: gone, not_training, no_training, forbidden


CLAIM_TEMPLATE = "trainings/claim"
CLAIM_DECIDED_TEMPLATE = "trainings/claim_decided"


def _training_shift(db: Database, shift_id: int) -> dict | None:
    return next(db.query("SELECT id, kind, training, status, lead, starts_at, tz FROM shifts WHERE id = ?",
                         [shift_id]), None)


def _hold_claim(store: Store, db: Database, *, shift_id: int, user: str, actor: str, training: str, values: list,
                coordinators: list[str], channel: str | None, now: datetime) -> str:
    """The lead's own attendance, waiting for a coordinator (asked once, through the outbox): the claim's status."""
    cursor = db.execute(
        "INSERT INTO training_claims (user_id, training, completed_on, expires_on, recorded_by, "
        "recorded_at, shift_id, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending') ON CONFLICT DO NOTHING",
        [user, *values])
    status = db.execute("SELECT status FROM training_claims WHERE shift_id = ? AND user_id = ? "
                        "AND training = ?", [shift_id, user, training]).fetchone()[0]
    if cursor.rowcount == 1:
        store.audit(db, actor=actor, action="training.pending", subject=f"user:{user}",
                    detail={"shift": shift_id, "training": training})
        _ask_coordinators(db, claim=cursor.lastrowid, shift_id=shift_id, user=user, now=now,
                          coordinators=coordinators, channel=channel)
    return status


def record_attendance(
    store: Store, *, actor: str, coordinator: bool, shift_id: int, trainings: list[Entry], attendees: list[str],
    request_key: str | None, coordinators: list[str] | None = None, coordinator_channel: str | None = None,
) -> Attendance:
    """Record the training a training shift gives for each attendee, valid from the shift's day; idempotent
    (a person already recorded from this shift is not recorded again; a form sent twice changes nothing).

    The training is the one the shift names, read here (never one carried by the form); a shift naming none
    (or one not in data/trainings.yml) records nothing. The lead's own attendance, recorded by a lead who is
    not a coordinator, waits in `training_claims` until a coordinator confirms it (`decide_claim`); the
    coordinators are asked through the outbox. Every record is audited, person by person.
    """
    now = store.clock()
    with store.write() as db:
        row = _training_shift(db, shift_id)
        if row is None or row["status"] != "planned":
            return Attendance("", now.date(), None, [], [], outcome="gone")
        if row["kind"] != TRAINING_KIND:
            return Attendance("", now.date(), None, [], [], outcome="not_training")
        if not coordinator and row["lead"] != actor:
            return Attendance("", now.date(), None, [], [], outcome="forbidden")
        training = next((t for t in trainings if t.id == row["training"]), None)
        completed_on = datetime.fromisoformat(row["starts_at"]).astimezone(ZoneInfo(row["tz"])).date()
        if training is None:
            return Attendance(row["training"] or "", completed_on, None, [], [], outcome="no_training")
        expires_on = valid_until(training, completed_on)
        if replays.seen(db, request_key):
            return Attendance(training.id, completed_on, expires_on, [], list(attendees), repeat=True)
        recorded: list[str] = []
        already: list[str] = []
        pending: list[str] = []
        declined: list[str] = []
        values = [training.id, completed_on.isoformat(), expires_on.isoformat() if expires_on else None, actor,
                  iso(now), shift_id]
        for user in dict.fromkeys(attendees):
            if user == actor and not coordinator:  # the lead's own attendance: a coordinator confirms it
                if _recorded(db, shift_id, user, training.id):
                    already.append(user)
                    continue
                status = _hold_claim(store, db, shift_id=shift_id, user=user, actor=actor, training=training.id,
                                values=values, coordinators=coordinators or [], channel=coordinator_channel, now=now)
                (declined if status == "declined" else pending).append(user)
                continue
            cursor = db.execute(
                "INSERT INTO trainings (user_id, training, completed_on, expires_on, recorded_by, recorded_at, "
                "shift_id) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", [user, *values])
            if cursor.rowcount == 1:
                recorded.append(user)
                tell_trained(db, key=f"trained:{cursor.lastrowid}", user_id=user, training=training.id, now=now)
                store.audit(db, actor=actor, action="training.attendance", subject=f"user:{user}",
                            detail={"shift": shift_id, "training": training.id,
                                    "expires_on": expires_on.isoformat() if expires_on else None})
            else:
                already.append(user)
        replays.record(store, db, request_key)
    return Attendance(training.id, completed_on, expires_on, recorded, already, pending=pending, declined=declined)


def _recorded(db: Database, shift_id: int, user: str, training: str) -> bool:
    return db.execute("SELECT 1 FROM trainings WHERE shift_id = ? AND user_id = ? AND training = ?",
                      [shift_id, user, training]).fetchone() is not None


def _ask_coordinators(db: Database, *, claim: int | None, shift_id: int, user: str, now: datetime,
                      coordinators: list[str], channel: str | None) -> None:
    """Ask the coordinator channel (else each coordinator by DM) to confirm a lead's own attendance."""
    for target in [channel] if channel else coordinators:
        outbox.enqueue(db, key=f"training-claim:{claim}:{target}", channel=target, template=CLAIM_TEMPLATE,
                       context={"claim_id": claim, "shift_id": shift_id, "user": user}, due_at=now, now=now)


@dataclass(frozen=True)
class Claim:
    """A training recorded from a shift's attendance for its own lead, waiting for (or decided by) a coordinator."""

    id: int
    shift_id: int
    user_id: str
    training: str
    completed_on: date
    expires_on: date | None
    status: str  # pending, confirmed, declined
    decided_by: str | None


def _claim(row: dict) -> Claim:
    return Claim(row["id"], row["shift_id"], row["user_id"], row["training"], date.fromisoformat(row["completed_on"]),
                 date.fromisoformat(row["expires_on"]) if row["expires_on"] else None, row["status"], row["decided_by"])


def get_claim(db: Database, claim_id: int) -> Claim | None:
    """One claim, or None."""
    row = next(db.query("SELECT * FROM training_claims WHERE id = ?", [claim_id]), None)
    return _claim(row) if row else None


def pending_claims(store: Store, user_id: str | None = None) -> list[Claim]:
    """Claims waiting for a coordinator (one person's, or everyone's), oldest first."""
    with store.read() as db:
        return [_claim(r) for r in db.query(
            "SELECT * FROM training_claims WHERE status = 'pending' AND (:user IS NULL OR user_id = :user) "
            "ORDER BY id", {"user": user_id})]


def decide_claim(store: Store, *, claim_id: int, actor: str, coordinator: bool,
                 confirm: bool) -> tuple[str, Claim | None]:
    """A coordinator confirms (the training is recorded) or declines a lead's own attendance: done, already,
    forbidden (not a coordinator, or their own) or not_found. Audited; the lead is told by DM."""
    now = store.clock()
    with store.write() as db:
        claim = get_claim(db, claim_id)
        if claim is None:
            return "not_found", None
        if not coordinator or actor == claim.user_id:
            return "forbidden", claim
        if claim.status != "pending":
            return "already", claim
        status = "confirmed" if confirm else "declined"
        db.execute("UPDATE training_claims SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?",
                   [status, actor, iso(now), claim_id])
        if confirm:
            db.execute(
                "INSERT INTO trainings (user_id, training, completed_on, expires_on, recorded_by, recorded_at, "
                "shift_id) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [claim.user_id, claim.training, claim.completed_on.isoformat(),
                 claim.expires_on.isoformat() if claim.expires_on else None, actor, iso(now), claim.shift_id])
        store.audit(db, actor=actor, action=f"training.{'confirm' if confirm else 'decline'}",
                    subject=f"user:{claim.user_id}", detail={"shift": claim.shift_id, "training": claim.training})
        outbox.cancel_pending(db, key_prefix=f"training-claim:{claim_id}:", now=now)
        outbox.enqueue(db, key=f"training-claim-decided:{claim_id}", channel=claim.user_id,
                       template=CLAIM_DECIDED_TEMPLATE, context={"claim_id": claim_id, "shift_id": claim.shift_id},
                       due_at=now, now=now)
        return "done", get_claim(db, claim_id)


LATEST = (
    "SELECT * FROM trainings t WHERE t.id = (SELECT u.id FROM trainings u WHERE u.user_id = t.user_id "
    "AND u.training = t.training ORDER BY u.completed_on DESC, u.id DESC LIMIT 1)"
)


def lapsing(store: Store, *, today: date, days: int = 30, limit: int = 10) -> tuple[int, list[TrainingRecord]]:
    """Trainings whose latest record lapses within `days` of today, soonest first: how many, and the first ones."""
    sql = f"{LATEST} AND t.expires_on >= ? AND t.expires_on <= ? ORDER BY t.expires_on, t.user_id, t.training"
    with store.read() as db:
        rows = [_record(r) for r in db.query(sql, [today.isoformat(), (today + timedelta(days=days)).isoformat()])]
    return len(rows), rows[:limit]


def lead_due(expires_on: date, *, now: datetime, zone: ZoneInfo) -> int | None:
    """The lead time (days) whose lapse notice is due now for a training lapsing on that day, or None.

    The notice of a lead is due from NOTICE_HOUR on the day `lead` days before the lapse; once a nearer
    lead is due, only that one is (a training recorded a week before it lapses gets the 7-day notice only).
    """
    local = now.astimezone(zone)
    if expires_on < local.date():
        return None
    due = [lead for lead in LEADS
           if local >= datetime.combine(expires_on - timedelta(days=lead), NOTICE_HOUR, tzinfo=zone)]
    return min(due) if due else None


def lapse_key(record: TrainingRecord, lead: int) -> str:
    """The outbox key of one lapse notice: per person, training, expiry and lead time."""
    return f"lapse:{record.user_id}:{record.training}:{record.expires_on}:{lead}d"


def queue_lapse_notices(store: Store, *, now: datetime, zone: ZoneInfo) -> int:
    """Queue each lapse notice that came due (once per person, training, expiry and lead); return how many."""
    today = now.astimezone(zone).date()
    sql = f"{LATEST} AND t.expires_on >= ? AND t.expires_on <= ?"
    with store.read() as db:  # most ticks find nothing new: no write lock for them
        rows = [_record(r) for r in db.query(sql, [today.isoformat(), (today + timedelta(days=max(LEADS))).isoformat()])]
        due = {lapse_key(r, lead): (r, lead) for r in rows
               if (lead := lead_due(r.expires_on, now=now, zone=zone)) is not None}  # type: ignore[arg-type]
        known = {k["key"] for k in db.query("SELECT key FROM notifications WHERE key IN (SELECT value FROM json_each(?))",
                                            [json.dumps(sorted(due))])} if due else set()
    fresh = {k: v for k, v in due.items() if k not in known}
    if not fresh:
        return 0
    queued = 0
    with store.write() as db:
        for key, (record, lead) in fresh.items():
            queued += outbox.enqueue(
                db, key=key, channel=record.user_id, template=LAPSE_TEMPLATE,
                context={"user": record.user_id, "training": record.training,
                         "expires_on": record.expires_on.isoformat(), "lead": lead},  # type: ignore[union-attr]
                due_at=now, now=now,
            )
    return queued


def still_lapsing(db: Database, *, user_id: str, training: str, expires_on: date) -> bool:
    """True while that record is still the person's latest of the training (no renewal recorded since)."""
    latest = next(db.query(f"{LATEST} AND t.user_id = ? AND t.training = ?", [user_id, training]), None)
    return latest is not None and latest["expires_on"] == expires_on.isoformat()


def next_training_shifts(db: Database, *, training: str, now: datetime, limit: int = 3) -> list[int]:
    """The next planned training shifts that give this training, soonest first (their numbers)."""
    return [r["id"] for r in db.query(
        "SELECT id FROM shifts WHERE status = 'planned' AND kind = ? AND training = ? AND starts_at > ? "
        "ORDER BY starts_at, id LIMIT ?", [TRAINING_KIND, training, iso(now), limit])]


@dataclass(frozen=True)
class Lapse:
    """A team member whose training lapses before the shift they are on."""

    user_id: str
    training: str
    expires_on: date


def lapses_before(db: Database, *, shift_id: int, training: str | None, day: date) -> list[Lapse]:
    """Confirmed members of a shift whose latest record of its required training lapses before its day."""
    if not training:
        return []
    rows = db.query(
        f"{LATEST} AND t.training = ? AND t.expires_on < ? AND t.user_id IN "
        "(SELECT user_id FROM signups WHERE shift_id = ? AND status = 'confirmed') ORDER BY t.user_id",
        [training, day.isoformat(), shift_id],
    )
    return [Lapse(r["user_id"], r["training"], date.fromisoformat(r["expires_on"])) for r in rows]


def next_shifts_needing(db: Database, *, training: str, user_id: str, now: datetime, limit: int = 3) -> list[int]:
    """The next planned shifts that require this training of their team and that the person is not on yet,
    soonest first (their numbers): what a training just recorded lets them sign up for."""
    return [r["id"] for r in db.query(
        "SELECT s.id FROM shifts s WHERE s.status = 'planned' AND s.kind != ? AND s.training = ? AND s.starts_at > ? "
        "AND (s.lead IS NULL OR s.lead != ?) AND NOT EXISTS (SELECT 1 FROM signups g WHERE g.shift_id = s.id "
        "AND g.user_id = ? AND g.status IN ('confirmed', 'waitlisted')) ORDER BY s.starts_at, s.id LIMIT ?",
        [TRAINING_KIND, training, iso(now), user_id, user_id, limit])]
