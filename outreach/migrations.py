"""The database's migrations, in the order they run (sqlite-utils' `Migrations`).

Each migration is frozen: it uses only what is written inside it (never a live helper of the app), so
changing the app never changes what an old migration does. A new migration is appended at the end; one
that has run anywhere is never edited. tests/test_schema.py migrates a fresh database and compares its
schema with the checked-in `schema.sql`; after adding a migration, write it again with
`python -m outreach.migrations > schema.sql`.
"""

from __future__ import annotations

import json
import sys

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("outreach")


@migrations()
def m001_foundation(db: Database) -> None:
    """Shifts, signups, trainings, roles, audit and the notification outbox."""
    db["shifts"].create(
        {
            "id": int, "kind": str, "venue": str, "area": str,
            "starts_at": str, "ends_at": str, "tz": str,
            "capacity": int, "min_team": int, "languages": str,
            "lead": str, "training": str, "notes": str,
            "status": str, "cancel_reason": str,
            "channel": str, "message_ts": str,
            "created_by": str, "created_at": str, "updated_at": str,
        },
        pk="id",
        not_null={"kind", "venue", "area", "starts_at", "ends_at", "tz", "capacity", "min_team", "status"},
        defaults={"status": "planned", "languages": "[]", "notes": ""},
    )
    db["shifts"].create_index(["starts_at"])
    db["signups"].create(
        {
            "id": int, "shift_id": int, "user_id": str, "status": str,
            "created_at": str, "updated_at": str,
        },
        pk="id",
        foreign_keys=[("shift_id", "shifts", "id")],
        not_null={"shift_id", "user_id", "status"},
    )
    db.execute(
        "CREATE UNIQUE INDEX signups_active ON signups(shift_id, user_id) "
        "WHERE status IN ('confirmed', 'waitlisted')"
    )
    db["signups"].create_index(["user_id", "status"])
    db["signups"].create_index(["shift_id", "status"])
    db["trainings"].create(
        {
            "id": int, "user_id": str, "training": str, "completed_on": str,
            "expires_on": str, "recorded_by": str, "recorded_at": str,
        },
        pk="id",
        not_null={"user_id", "training", "completed_on"},
    )
    db["trainings"].create_index(["user_id", "training"])
    db["roles"].create(
        {"user_id": str, "role": str, "granted_by": str, "granted_at": str}, pk="user_id"
    )
    db["audit"].create(
        {"id": int, "at": str, "actor": str, "action": str, "subject": str, "detail": str}, pk="id"
    )
    db["notifications"].create(
        {
            "id": int, "key": str, "channel": str, "template": str, "context": str,
            "created_at": str, "due_at": str, "claimed_at": str, "claimed_by": str,
            "sent_at": str, "attempts": int, "error": str, "ts": str,
        },
        pk="id",
        not_null={"key", "channel", "template", "due_at"},
        defaults={"attempts": 0, "context": "{}"},
    )
    db["notifications"].create_index(["key"], unique=True)
    db["notifications"].create_index(["sent_at", "due_at"])


@migrations()
def m002_readiness(db: Database) -> None:
    """Readiness checklists per shift, Go records, the partner directory, on-call partners, languages spoken."""
    db["partners"].create(
        {
            "id": int, "name": str, "name_key": str, "categories": str, "languages": str,
            "hours": str, "phone": str, "contact": str, "notes": str, "verified_on": str,
            "created_by": str, "created_at": str, "updated_at": str,
        },
        pk="id",
        not_null={"name", "name_key", "categories", "languages", "hours", "phone"},
        defaults={"categories": "[]", "languages": "[]", "contact": "", "notes": ""},
    )
    db["partners"].create_index(["name_key"], unique=True)
    db["readiness_items"].create(
        {
            "shift_id": int, "item_id": str, "position": int, "section": str, "name": str,
            "required": int, "kinds": str, "check_name": str, "params": str, "evidence_label": str,
            "ticked_by": str, "ticked_at": str, "evidence": str,
        },
        pk=("shift_id", "item_id"),
        foreign_keys=[("shift_id", "shifts", "id")],
        not_null={"shift_id", "item_id", "section", "name", "required", "kinds"},
    )
    db["readiness"].create(
        {
            "shift_id": int, "hotline": str, "go_by": str, "go_at": str,
            "revoked_at": str, "revoked_reason": str,
        },
        pk="shift_id",
        foreign_keys=[("shift_id", "shifts", "id")],
    )
    db["on_call"].create(
        {"shift_id": int, "category": str, "partner_id": int, "confirmed_by": str, "confirmed_at": str},
        pk=("shift_id", "category"),
        foreign_keys=[("shift_id", "shifts", "id")],
    )
    db["on_call"].create_index(["partner_id"])
    db["volunteer_languages"].create(
        {"user_id": str, "language": str, "recorded_at": str}, pk=("user_id", "language")
    )


@migrations()
def m003_time(db: Database) -> None:
    """Calendar invites and feeds, check-in/out, mid-shift check-ins, escalations, the scheduler lease."""
    db["invites"].create(
        {"shift_id": int, "user_id": str, "sequence": int, "method": str, "updated_at": str},
        pk=("shift_id", "user_id"), not_null={"sequence", "method"}, defaults={"sequence": 0},
    )
    db["feeds"].create({"user_id": str, "token": str, "created_at": str}, pk="user_id", not_null={"token"})
    db["feeds"].create_index(["token"], unique=True)
    db["safety"].create(
        {
            "shift_id": int, "checkin_every": int,
            "checked_in_at": str, "checked_in_by": str, "checked_out_at": str, "checked_out_by": str,
        },
        pk="shift_id",
    )
    db["pings"].create(
        {"shift_id": int, "seq": int, "asked_at": str, "answered_at": str, "answered_by": str},
        pk=("shift_id", "seq"),
    )
    db["escalations"].create(
        {"shift_id": int, "reason": str, "started_at": str, "acked_at": str, "acked_by": str},
        pk=("shift_id", "reason"), not_null={"started_at"},
    )
    db["leases"].create(
        {"name": str, "owner": str, "host": str, "pid": int, "expires_at": str}, pk="name", not_null={"expires_at"},
    )


@migrations()
def m004_debriefs(db: Database) -> None:
    """Debriefs (counts and expiring notes), follow-up tasks and team wellbeing notes; nothing about anyone met."""
    db["debriefs"].create(
        {
            "id": int, "shift_id": int, "venue": str, "area": str, "started_at": str, "ended_at": str,
            "team": str, "contacts": int, "brief": int, "extended": int, "languages": str,
            "materials": str, "indicators": str, "referrals": str,
            "hotline": int, "police": int, "police_why": str, "incident": int, "incident_what": str,
            "load": int, "checkin": int, "notes": str, "notes_expired_at": str,
            "submitted_by": str, "submitted_at": str, "updated_by": str, "updated_at": str, "revision": int,
        },
        pk="id",
        foreign_keys=[("shift_id", "shifts", "id")],
        not_null={"shift_id", "submitted_at"},
        defaults={"notes": "", "revision": 1},
    )
    db["debriefs"].create_index(["shift_id"], unique=True)
    db["followups"].create(
        {
            "id": int, "shift_id": int, "what": str, "owner": str, "due_on": str, "status": str,
            "created_by": str, "created_at": str, "done_by": str, "done_at": str,
        },
        pk="id",
        foreign_keys=[("shift_id", "shifts", "id")],
        not_null={"shift_id", "what", "owner", "due_on", "status"},
        defaults={"status": "open"},
    )
    db["followups"].create_index(["status", "owner"])
    db["wellbeing"].create(
        {
            "id": int, "shift_id": int, "user_id": str, "load": int, "checkin": int, "note": str,
            "created_at": str, "updated_at": str,
        },
        pk="id",
        foreign_keys=[("shift_id", "shifts", "id")],
        not_null={"shift_id", "user_id"},
        defaults={"note": ""},
    )
    db["wellbeing"].create_index(["shift_id", "user_id"], unique=True)


@migrations()
def m005_seen_requests(db: Database) -> None:
    """Requests already acted on (view submissions, events), so a replay never acts twice."""
    db["seen_requests"].create({"key": str, "at": str}, pk="key")


@migrations()
def m006_shift_ends(db: Database) -> None:
    """Shifts found by when they end (not ended yet, ended since): no scan of every past shift."""
    db["shifts"].create_index(["ends_at"])


@migrations()
def m007_audit_without_values(db: Database) -> None:
    """Shift audit records keep which fields were set or changed, never their values (notes were copied in)."""

    def fields_set(values: dict) -> list[str]:  # frozen here: the names a record set, as of this migration
        return sorted(k for k, v in values.items() if v not in (None, "", "[]"))

    audited = ("shift.create", "shift.edit", "shift.cancel")
    last: dict[str, dict] = {}
    rows = list(db.query(
        "SELECT id, action, subject, detail FROM audit WHERE action IN (?, ?, ?) ORDER BY id", audited,
    ))
    for row in rows:
        detail = json.loads(row["detail"] or "{}")
        if "fields" in detail:
            continue
        if row["action"] == "shift.create":
            scrubbed = {"fields": fields_set(detail)}
        elif row["action"] == "shift.edit":
            before = last.get(row["subject"])  # the values the create and earlier edits recorded
            changed = fields_set(detail) if before is None else sorted(
                k for k, v in detail.items() if before.get(k) != v)
            scrubbed = {"fields": changed}
        else:
            scrubbed = {"fields": ["reason"]} if detail.get("reason") else {}
        if row["action"] != "shift.cancel":
            last[row["subject"]] = {**last.get(row["subject"], {}), **detail}
        db.execute("UPDATE audit SET detail = ? WHERE id = ?", [json.dumps(scrubbed, sort_keys=True), row["id"]])


@migrations()
def m008_text_to_expire(db: Database) -> None:
    """Find a shift's text and readiness evidence to expire without reading every past shift."""
    db.execute("CREATE INDEX shifts_with_text ON shifts(ends_at) WHERE notes != '' OR cancel_reason != ''")
    db.execute("CREATE INDEX readiness_with_evidence ON readiness_items(shift_id) WHERE evidence IS NOT NULL")


@migrations()
def m009_jobs(db: Database) -> None:
    """Requests acknowledged and not yet done (outreach/jobs.py): nothing acked is lost in a crash."""
    db["jobs"].create(
        {
            "id": int, "kind": str, "mode": str, "body": str, "headers": str, "received": float,
            "claimed_by": str, "claimed_at": float, "attempts": int,
        },
        pk="id",
        not_null={"kind", "mode", "body", "headers", "received", "attempts"},
        defaults={"attempts": 0},
    )
    db["jobs"].create_index(["claimed_by"])


@migrations(transactional=False)
def m010_vacuum_free_pages(db: Database) -> None:
    """Rebuild the file once, so text deleted before secure_delete was on leaves no trace in free pages."""
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@migrations()
def m011_alert_threads(db: Database) -> None:
    """One alert message per shift, updated in place, repeats in its thread (outreach/safety.py).

    A notification may reply in the thread of another (`parent`, `mode` 'reply') or update it in place
    (`mode` 'update'); `sent_channel` keeps where a message went (a DM's D... id), for chat.update.
    Rounds queued in the old one-post-per-repeat form and the debrief request at a shift's very end
    (now the lead's check-out DM turning into Write debrief) are dropped before they are sent.
    """
    db["notifications"].add_column("parent", str)
    db["notifications"].add_column("mode", str)
    db["notifications"].add_column("sent_channel", str)
    db["escalations"].add_column("repeats", int, not_null_default=0)
    db.execute("UPDATE notifications SET sent_at = created_at, error = 'skipped: superseded' WHERE sent_at IS NULL "
               "AND (key LIKE 'escalation:%' OR (template = 'debriefs/request' "
               "AND json_extract(context, '$.nudge') = 0))")


@migrations()
def m012_debrief_steps(db: Database) -> None:
    """A debrief's optional second step, kept under its first screen's view id until that is saved."""
    db["debrief_drafts"].create(
        {"root": str, "shift_id": int, "user_id": str, "details": str, "created_at": str},
        pk="root", not_null={"shift_id", "user_id", "details", "created_at"},
    )
    db["debrief_drafts"].create_index(["created_at"])


@migrations()
def m013_audiences(db: Database) -> None:
    """The audience of a community outreach or training shift, counted by sector (data/sectors.yml)."""
    db["debrief_audiences"].create(
        {"debrief_id": int, "sector": str, "count": int},
        pk=("debrief_id", "sector"),
        foreign_keys=[("debrief_id", "debriefs", "id")],
        not_null={"debrief_id", "sector", "count"},
    )


@migrations()
def m014_training_renewal(db: Database) -> None:
    """Messages to a shift's team (who sent one, when, to how many; its words expire) and trainings
    recorded from a training shift's attendance, once per shift and person."""
    db["team_messages"].create(
        {
            "id": int, "shift_id": int, "sender": str, "sent_at": str, "recipients": int, "waitlist": int,
            "text": str, "text_expired_at": str, "request_key": str,
        },
        pk="id",
        foreign_keys=[("shift_id", "shifts", "id")],
        not_null={"shift_id", "sender", "sent_at", "recipients", "waitlist"},
        defaults={"text": "", "waitlist": 0},
    )
    db["team_messages"].create_index(["shift_id"])
    db["team_messages"].create_index(["request_key"], unique=True)
    db.execute("CREATE INDEX team_messages_with_text ON team_messages(sent_at) WHERE text != ''")
    db["trainings"].add_column("shift_id", int)
    db.execute("CREATE UNIQUE INDEX trainings_from_shift ON trainings(shift_id, user_id, training) "
               "WHERE shift_id IS NOT NULL")
    db["trainings"].create_index(["expires_on"])


@migrations()
def m015_sos(db: Database) -> None:
    """SOS presses (outreach/sos.py): who pressed, when, who took it on; one row per request (`request_key`)."""
    db["sos"].create(
        {"id": int, "shift_id": int, "pressed_by": str, "pressed_at": str, "request_key": str,
         "acked_by": str, "acked_at": str, "repeats": int},
        pk="id", foreign_keys=[("shift_id", "shifts", "id")],
        not_null={"shift_id", "pressed_by", "pressed_at", "request_key", "repeats"}, defaults={"repeats": 0},
    )
    db.execute("CREATE UNIQUE INDEX sos_request ON sos(request_key)")
    db["sos"].create_index(["shift_id"])
    db.execute("CREATE INDEX sos_open ON sos(pressed_at) WHERE acked_at IS NULL")


@migrations()
def m016_cover(db: Database) -> None:
    """Cover for a dropped place (a request, the offers it made by DM) and watches of shifts one cannot join yet."""
    db["cover_requests"].create(
        {
            "id": int, "shift_id": int, "user_id": str, "status": str, "asked": int, "taken_by": str,
            "created_at": str, "closed_at": str,
        },
        pk="id", foreign_keys=[("shift_id", "shifts", "id")],
        not_null={"shift_id", "user_id", "status", "asked", "created_at"}, defaults={"asked": 0},
    )
    db.execute("CREATE UNIQUE INDEX cover_requests_open ON cover_requests(shift_id, user_id) WHERE status = 'open'")
    db["cover_requests"].create_index(["status", "shift_id"])
    db["cover_offers"].create(
        {
            "id": int, "request_id": int, "user_id": str, "position": int, "status": str,
            "created_at": str, "answered_at": str,
        },
        pk="id", foreign_keys=[("request_id", "cover_requests", "id")],
        not_null={"request_id", "user_id", "position", "status", "created_at"},
    )
    db["cover_offers"].create_index(["request_id", "user_id"], unique=True)
    db["shift_watches"].create(
        {
            "id": int, "shift_id": int, "user_id": str, "status": str, "created_at": str,
            "told_at": str, "ended_at": str,
        },
        pk="id", foreign_keys=[("shift_id", "shifts", "id")],
        not_null={"shift_id", "user_id", "status", "created_at"},
    )
    db.execute("CREATE UNIQUE INDEX shift_watches_active ON shift_watches(shift_id, user_id) WHERE status = 'active'")
    db["shift_watches"].create_index(["status", "shift_id"])
    db["shift_watches"].create_index(["user_id", "status"])


@migrations()
def m017_member_checkins(db: Database) -> None:
    """Each member's own check-in and check-out (or absence), the climb of an escalation, and its steps.

    A shift's row in `safety` stays the shift-level summary: checked in at the first member's check-in,
    checked out once every member who checked in has checked out (outreach/safety.py).
    """
    db["member_checkins"].create(
        {"shift_id": int, "user_id": str, "checked_in_at": str, "checked_in_by": str,
         "checked_out_at": str, "checked_out_by": str, "absent": int, "marked_by": str, "marked_at": str},
        pk=("shift_id", "user_id"), not_null={"shift_id", "user_id"}, defaults={"absent": 0},
    )
    db["escalations"].add_column("level", int, not_null_default=0)
    db["safety_steps"].create(
        {"id": int, "shift_id": int, "reason": str, "step": str, "level": int, "at": str, "people": str,
         "by": str},
        pk="id", not_null={"shift_id", "reason", "step", "level", "at", "people"},
    )
    db.execute("CREATE UNIQUE INDEX safety_steps_once ON safety_steps(shift_id, reason, step)")


@migrations()
def m018_series(db: Database) -> None:
    """Repeating shifts (outreach/series.py): the series with its RRULE and shift template, its occurrences
    (shifts with a unique series_id and occurrence start), the people signed up for all, and their one invite."""
    db["series"].create(
        {
            "id": int, "rule": str, "dtstart": str, "tz": str, "end_time": str, "freq": str,
            "kind": str, "venue": str, "area": str, "capacity": int, "min_team": int, "languages": str,
            "lead": str, "training": str, "notes": str, "channel": str, "status": str, "parent_id": int,
            "created_by": str, "created_at": str, "updated_at": str,
        },
        pk="id",
        not_null={"rule", "dtstart", "tz", "end_time", "freq", "kind", "venue", "area", "capacity", "min_team",
                  "status"},
        defaults={"status": "active", "languages": "[]", "notes": ""},
    )
    db["shifts"].add_column("series_id", int)
    db["shifts"].add_column("occurrence", str)
    db.execute("CREATE UNIQUE INDEX shifts_occurrence ON shifts(series_id, occurrence) WHERE series_id IS NOT NULL")
    db["series_members"].create(
        {"series_id": int, "user_id": str, "status": str, "created_at": str, "updated_at": str},
        pk=("series_id", "user_id"), not_null={"status"},
    )
    db["series_invites"].create(
        {"series_id": int, "user_id": str, "sequence": int, "method": str, "state": str, "updated_at": str},
        pk=("series_id", "user_id"),
    )


@migrations()
def m019_hours(db: Database) -> None:
    """Corrections of a person's hours on a shift (outreach/hours.py): the newest one per shift and person wins."""
    db["hour_corrections"].create(
        {
            "id": int, "shift_id": int, "user_id": str, "hours": float, "reason": str,
            "corrected_by": str, "corrected_at": str,
        },
        pk="id", foreign_keys=[("shift_id", "shifts", "id")],
        not_null={"shift_id", "user_id", "hours", "reason", "corrected_by", "corrected_at"},
    )
    db["hour_corrections"].create_index(["shift_id", "user_id"])
    db["hour_corrections"].create_index(["user_id"])


@migrations()
def m020_night_status(db: Database) -> None:
    """The night's status (outreach/night.py) and one incident per shift (outreach/incidents.py).

    `shifts.safety_net` (and the series template's): watched shifts get check-ins, SOS and alerts;
    direct outreach on, trainings and community events off. On `safety`: when the night went out and
    how, the first Go recorded before the start (kept when a re-check takes Go back), "It didn't go
    out". `incidents`: a shift's SOS and alerts taken on, rechecked and resolved as one.
    """
    db["shifts"].add_column("safety_net", int, not_null_default=0)
    db.execute("UPDATE shifts SET safety_net = CASE WHEN kind = 'direct' THEN 1 ELSE 0 END")
    db["series"].add_column("safety_net", int, not_null_default=0)
    db.execute("UPDATE series SET safety_net = CASE WHEN kind = 'direct' THEN 1 ELSE 0 END")
    for column in ("went_out_at", "went_out_by", "went_out_how", "go_at", "go_by", "not_held_at", "not_held_by"):
        db["safety"].add_column(column, str)
    db["escalations"].add_column("expired_at", str)
    db["incidents"].create(
        {
            "id": int, "shift_id": int, "opened_at": str, "handler": str, "taken_at": str,
            "resolved_at": str, "resolved_by": str, "rechecks": int,
        },
        pk="id", foreign_keys=[("shift_id", "shifts", "id")], not_null={"shift_id", "opened_at"},
        defaults={"rechecks": 0},
    )
    db.execute("CREATE UNIQUE INDEX incidents_open ON incidents(shift_id) WHERE resolved_at IS NULL")


@migrations()
def m024_people(db: Database) -> None:
    """The directory of people as Slack knows them (outreach/people.py), and the statements of hours issued."""
    db["people"].create(
        {
            "user_id": str, "real_name": str, "display_name": str, "locale": str, "deleted": int,
            "refreshed_at": str, "tried_at": str,
        },
        pk="user_id", defaults={"deleted": 0},
    )
    db["people"].create_index(["refreshed_at"])
    db["statements"].create(
        {
            "number": int, "user_id": str, "period": str, "hours": float, "shifts": int,
            "issued_at": str, "issued_to": str,
        },
        pk="number", not_null={"user_id", "period", "hours", "shifts", "issued_at", "issued_to"},
    )
    db["statements"].create_index(["user_id"])


@migrations()
def m022_le_contact(db: Database) -> None:
    """The night's law enforcement contact is an agency picked from the partner directory, never typed text.

    Each shift's typed `le-contact` item becomes a `contact` check of the law-enforcement category: it
    fails until an agency is picked. What was typed is erased (unscreened, it may name someone met);
    that something was typed is kept, so the SOS post says "see the checklist" rather than nothing.
    """
    for typed in (True, False):
        db.execute(
            "UPDATE readiness_items SET check_name = 'contact', params = ?, evidence_label = NULL, evidence = NULL, "
            "ticked_by = NULL, ticked_at = NULL WHERE item_id = 'le-contact' AND check_name IS NULL "
            f"AND evidence IS {'NOT ' if typed else ''}NULL",
            [json.dumps({"category": "law-enforcement", **({"typed": True} if typed else {})}, sort_keys=True)],
        )


@migrations()
def m023_audit_records(db: Database) -> None:
    """Records a funder can trust: hours-correction audits keep field names, not the reason's words (the
    reason expires with the notes, outreach/retention.py); a training lead's own attendance waits in
    `training_claims` until a coordinator confirms it (outreach/trainings.py)."""
    db.execute("UPDATE audit SET detail = json_set(json_remove(detail, '$.reason'), '$.fields', json('[\"hours\", "
               "\"reason\"]')) WHERE action = 'hours.correct' AND json_valid(detail) "
               "AND json_type(detail, '$.reason') IS NOT NULL")
    db.execute("CREATE INDEX hour_corrections_with_reason ON hour_corrections(corrected_at) WHERE reason != ''")
    db["training_claims"].create(
        {
            "id": int, "shift_id": int, "user_id": str, "training": str, "completed_on": str, "expires_on": str,
            "recorded_by": str, "recorded_at": str, "status": str, "decided_by": str, "decided_at": str,
        },
        pk="id", foreign_keys=[("shift_id", "shifts", "id")],
        not_null={"shift_id", "user_id", "training", "completed_on", "recorded_by", "recorded_at", "status"},
        defaults={"status": "pending"},
    )
    db.execute("CREATE UNIQUE INDEX training_claims_once ON training_claims(shift_id, user_id, training)")
    db["training_claims"].create_index(["status"])


@migrations()
def m021_delivery(db: Database) -> None:
    """Safety messages first and never given up (outreach/outbox.py), and where the bot cannot post (outreach/reach.py).

    `priority` 0 (safety: sos/, safety/, health/, reach/ templates) is claimed before 1 (everything else);
    `collapse` groups rows of which only the newest due one is worth sending (a thread's repeats, a
    message's rewrites); `first_due` keeps when a row first fell due, however often a retry moved
    `due_at`. `fallbacks` records where a message that could not go to its channel went instead;
    `reach` the channels the bot could not post in (one row per episode); `beats` when the timer last ran.
    Safety rows given up after 5 attempts are tried again (when under a day old); other rows given up
    are marked skipped, so the replies waiting on them are dropped rather than waiting for ever.
    """
    db["notifications"].add_column("priority", int, not_null_default=1)
    db["notifications"].add_column("collapse", str)
    db["notifications"].add_column("first_due", str)
    db.execute("UPDATE notifications SET priority = 0 WHERE template LIKE 'sos/%' OR template LIKE 'safety/%' "
               "OR template LIKE 'health/%' OR template LIKE 'reach/%'")
    db.execute("UPDATE notifications SET first_due = due_at WHERE sent_at IS NULL")
    db.execute("UPDATE notifications SET sent_at = due_at, error = 'skipped: gave up' WHERE sent_at IS NULL "
               "AND attempts >= 5 AND (priority = 1 OR due_at < strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-1 day'))")
    db["notifications"].create_index(["sent_at", "priority", "due_at"])
    db["notifications"].create_index(["collapse", "sent_at"])
    db["fallbacks"].create({"key": str, "dm_key": str, "user_id": str}, pk=("key", "dm_key"))
    db["reach"].create({"id": int, "channel": str, "error": str, "since": str, "ended_at": str}, pk="id",
                       not_null={"channel", "error", "since"})
    db["reach"].create_index(["channel", "ended_at"])
    db["beats"].create({"name": str, "at": str}, pk="name")


@migrations()
def m025_alert_phones(db: Database) -> None:
    """Each person's own alert phone (outreach/phones.py): the number in E.164 once verified by a code sent to
    it, the code only as a hash with its expiry and attempts; and an index to find a Twilio call by its sid
    (an SMS or call is an outbox row on a `sms:` or `call:` channel; its Twilio sid is kept as its `ts`)."""
    db["alert_phones"].create(
        {"user_id": str, "e164": str, "verified_at": str, "code_hash": str, "code_expires": str, "attempts": int,
         "code_nonce": str, "created_at": str, "rejected_at": str},
        pk="user_id", not_null={"e164", "created_at"}, defaults={"attempts": 0},
    )
    db.execute("CREATE UNIQUE INDEX alert_phones_number ON alert_phones(e164) WHERE verified_at IS NOT NULL")
    db.execute("CREATE INDEX notifications_phone_sid ON notifications(ts) WHERE channel LIKE 'call:%'")


@migrations()
def m026_rota(db: Database) -> None:
    """The on-call rota (outreach/rota.py): the coordinators taking weekly turns in order from a start date
    (a leaver's place kept empty), the nights one of them took instead ("I'll take Friday"), and each hand-over
    made, so a turn is handed over once."""
    db["rota"].create({"id": int, "people": str, "starts_on": str, "set_by": str, "set_at": str}, pk="id",
                      not_null={"people", "starts_on"})
    db["rota_overrides"].create({"night": str, "user_id": str, "set_by": str, "set_at": str}, pk="night",
                                not_null={"user_id"})
    db["rota_handovers"].create({"id": int, "started_at": str, "user_id": str, "previous": str, "at": str}, pk="id",
                                not_null={"started_at", "at"})


@migrations()
def m027_duress(db: Database) -> None:
    """A person's duress word (outreach/duress.py), only as a salted hash; and an SOS marked duress (raised by a
    check-out with that word: its coordinators are told, its team never)."""
    db["duress_words"].create({"user_id": str, "salt": str, "hash": str, "set_at": str}, pk="user_id",
                              not_null={"salt", "hash", "set_at"})
    db["sos"].add_column("duress", int, not_null_default=0)


@migrations()
def m028_drills(db: Database) -> None:
    """Drills of the safety net (outreach/drills.py): who started one, when, by which paths (`drills`), and
    each person it went to, when and how they took it (`drill_people`); and the episodes when Slack messages
    were not going out (`slack_outages`, one open at a time), so the admins are texted once per episode."""
    db["drills"].create(
        {"id": int, "started_by": str, "started_at": str, "paths": str, "request_key": str, "ended_at": str},
        pk="id", not_null={"started_by", "started_at", "paths"},
    )
    db.execute("CREATE UNIQUE INDEX drills_request ON drills(request_key) WHERE request_key IS NOT NULL")
    db["drill_people"].create(
        {"drill_id": int, "user_id": str, "taken_at": str, "taken_how": str},
        pk=("drill_id", "user_id"), foreign_keys=[("drill_id", "drills", "id")],
    )
    db["slack_outages"].create({"id": int, "since": str, "noticed_at": str, "ended_at": str}, pk="id",
                               not_null={"since", "noticed_at"})
    db.execute("CREATE UNIQUE INDEX slack_outages_open ON slack_outages((ended_at IS NULL)) WHERE ended_at IS NULL")



@migrations()
def m029_setup(db: Database) -> None:
    """The first run's setup checklist (outreach/setup.py): the items an admin confirms by hand (the
    trainings reviewed, the hotline card reviewed), with who confirmed each and when."""
    db["setup_confirmations"].create({"item": str, "confirmed_by": str, "confirmed_at": str}, pk="item",
                                     not_null={"confirmed_by", "confirmed_at"})


@migrations()
def m030_language(db: Database) -> None:
    """Each person's chosen language for the bot's words (outreach/languages.py); without a row, the locale
    Slack gives (people.locale) is followed."""
    db["language_choices"].create({"user_id": str, "language": str, "chosen_at": str}, pk="user_id",
                                  not_null={"language", "chosen_at"})


def schema(db: Database) -> str:
    """The schema of a migrated database, as SQL: each table, index and trigger in name order."""
    rows = db.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
        "ORDER BY type DESC, name").fetchall()
    return "".join(f"{sql.strip()};\n\n" for _, _, sql in rows)


if __name__ == "__main__":  # python -m outreach.migrations > schema.sql
    fresh = Database(memory=True)
    migrations.apply(fresh)
    sys.stdout.write(schema(fresh))
