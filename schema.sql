CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);

CREATE TABLE "alert_phones" (
   "user_id" TEXT PRIMARY KEY,
   "e164" TEXT NOT NULL,
   "verified_at" TEXT,
   "code_hash" TEXT,
   "code_expires" TEXT,
   "attempts" INTEGER DEFAULT 0,
   "code_nonce" TEXT,
   "created_at" TEXT NOT NULL,
   "rejected_at" TEXT
);

CREATE TABLE "audit" (
   "id" INTEGER PRIMARY KEY,
   "at" TEXT,
   "actor" TEXT,
   "action" TEXT,
   "subject" TEXT,
   "detail" TEXT
);

CREATE TABLE "beats" (
   "name" TEXT PRIMARY KEY,
   "at" TEXT
);

CREATE TABLE "cover_offers" (
   "id" INTEGER PRIMARY KEY,
   "request_id" INTEGER NOT NULL REFERENCES "cover_requests"("id"),
   "user_id" TEXT NOT NULL,
   "position" INTEGER NOT NULL,
   "status" TEXT NOT NULL,
   "created_at" TEXT NOT NULL,
   "answered_at" TEXT
);

CREATE TABLE "cover_requests" (
   "id" INTEGER PRIMARY KEY,
   "shift_id" INTEGER NOT NULL REFERENCES "shifts"("id"),
   "user_id" TEXT NOT NULL,
   "status" TEXT NOT NULL,
   "asked" INTEGER NOT NULL DEFAULT 0,
   "taken_by" TEXT,
   "created_at" TEXT NOT NULL,
   "closed_at" TEXT
);

CREATE TABLE "debrief_audiences" (
   "debrief_id" INTEGER NOT NULL REFERENCES "debriefs"("id"),
   "sector" TEXT NOT NULL,
   "count" INTEGER NOT NULL,
   PRIMARY KEY ("debrief_id", "sector")
);

CREATE TABLE "debrief_drafts" (
   "root" TEXT PRIMARY KEY,
   "shift_id" INTEGER NOT NULL,
   "user_id" TEXT NOT NULL,
   "details" TEXT NOT NULL,
   "created_at" TEXT NOT NULL
);

CREATE TABLE "debriefs" (
   "id" INTEGER PRIMARY KEY,
   "shift_id" INTEGER NOT NULL REFERENCES "shifts"("id"),
   "venue" TEXT,
   "area" TEXT,
   "started_at" TEXT,
   "ended_at" TEXT,
   "team" TEXT,
   "contacts" INTEGER,
   "brief" INTEGER,
   "extended" INTEGER,
   "languages" TEXT,
   "materials" TEXT,
   "indicators" TEXT,
   "referrals" TEXT,
   "hotline" INTEGER,
   "police" INTEGER,
   "police_why" TEXT,
   "incident" INTEGER,
   "incident_what" TEXT,
   "load" INTEGER,
   "checkin" INTEGER,
   "notes" TEXT DEFAULT '',
   "notes_expired_at" TEXT,
   "submitted_by" TEXT,
   "submitted_at" TEXT NOT NULL,
   "updated_by" TEXT,
   "updated_at" TEXT,
   "revision" INTEGER DEFAULT 1
);

CREATE TABLE "drill_people" (
   "drill_id" INTEGER REFERENCES "drills"("id"),
   "user_id" TEXT,
   "taken_at" TEXT,
   "taken_how" TEXT,
   PRIMARY KEY ("drill_id", "user_id")
);

CREATE TABLE "drills" (
   "id" INTEGER PRIMARY KEY,
   "started_by" TEXT NOT NULL,
   "started_at" TEXT NOT NULL,
   "paths" TEXT NOT NULL,
   "request_key" TEXT,
   "ended_at" TEXT
);

CREATE TABLE "duress_words" (
   "user_id" TEXT PRIMARY KEY,
   "salt" TEXT NOT NULL,
   "hash" TEXT NOT NULL,
   "set_at" TEXT NOT NULL
);

CREATE TABLE "escalations" (
   "shift_id" INTEGER,
   "reason" TEXT,
   "started_at" TEXT NOT NULL,
   "acked_at" TEXT,
   "acked_by" TEXT, "repeats" INTEGER NOT NULL DEFAULT 0, "level" INTEGER NOT NULL DEFAULT 0, "expired_at" TEXT,
   PRIMARY KEY ("shift_id", "reason")
);

CREATE TABLE "fallbacks" (
   "key" TEXT,
   "dm_key" TEXT,
   "user_id" TEXT,
   PRIMARY KEY ("key", "dm_key")
);

CREATE TABLE "feeds" (
   "user_id" TEXT PRIMARY KEY,
   "token" TEXT NOT NULL,
   "created_at" TEXT
);

CREATE TABLE "followups" (
   "id" INTEGER PRIMARY KEY,
   "shift_id" INTEGER NOT NULL REFERENCES "shifts"("id"),
   "what" TEXT NOT NULL,
   "owner" TEXT NOT NULL,
   "due_on" TEXT NOT NULL,
   "status" TEXT NOT NULL DEFAULT 'open',
   "created_by" TEXT,
   "created_at" TEXT,
   "done_by" TEXT,
   "done_at" TEXT
);

CREATE TABLE "hour_corrections" (
   "id" INTEGER PRIMARY KEY,
   "shift_id" INTEGER NOT NULL REFERENCES "shifts"("id"),
   "user_id" TEXT NOT NULL,
   "hours" REAL NOT NULL,
   "reason" TEXT NOT NULL,
   "corrected_by" TEXT NOT NULL,
   "corrected_at" TEXT NOT NULL
);

CREATE TABLE "incidents" (
   "id" INTEGER PRIMARY KEY,
   "shift_id" INTEGER NOT NULL REFERENCES "shifts"("id"),
   "opened_at" TEXT NOT NULL,
   "handler" TEXT,
   "taken_at" TEXT,
   "resolved_at" TEXT,
   "resolved_by" TEXT,
   "rechecks" INTEGER DEFAULT 0
);

CREATE TABLE "invites" (
   "shift_id" INTEGER,
   "user_id" TEXT,
   "sequence" INTEGER NOT NULL DEFAULT 0,
   "method" TEXT NOT NULL,
   "updated_at" TEXT,
   PRIMARY KEY ("shift_id", "user_id")
);

CREATE TABLE "jobs" (
   "id" INTEGER PRIMARY KEY,
   "kind" TEXT NOT NULL,
   "mode" TEXT NOT NULL,
   "body" TEXT NOT NULL,
   "headers" TEXT NOT NULL,
   "received" REAL NOT NULL,
   "claimed_by" TEXT,
   "claimed_at" REAL,
   "attempts" INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE "language_choices" (
   "user_id" TEXT PRIMARY KEY,
   "language" TEXT NOT NULL,
   "chosen_at" TEXT NOT NULL
);

CREATE TABLE "leases" (
   "name" TEXT PRIMARY KEY,
   "owner" TEXT,
   "host" TEXT,
   "pid" INTEGER,
   "expires_at" TEXT NOT NULL
);

CREATE TABLE "member_checkins" (
   "shift_id" INTEGER NOT NULL,
   "user_id" TEXT NOT NULL,
   "checked_in_at" TEXT,
   "checked_in_by" TEXT,
   "checked_out_at" TEXT,
   "checked_out_by" TEXT,
   "absent" INTEGER DEFAULT 0,
   "marked_by" TEXT,
   "marked_at" TEXT,
   PRIMARY KEY ("shift_id", "user_id")
);

CREATE TABLE "notifications" (
   "id" INTEGER PRIMARY KEY,
   "key" TEXT NOT NULL,
   "channel" TEXT NOT NULL,
   "template" TEXT NOT NULL,
   "context" TEXT DEFAULT '{}',
   "created_at" TEXT,
   "due_at" TEXT NOT NULL,
   "claimed_at" TEXT,
   "claimed_by" TEXT,
   "sent_at" TEXT,
   "attempts" INTEGER DEFAULT 0,
   "error" TEXT,
   "ts" TEXT
, "parent" TEXT, "mode" TEXT, "sent_channel" TEXT, "priority" INTEGER NOT NULL DEFAULT 1, "collapse" TEXT, "first_due" TEXT);

CREATE TABLE "on_call" (
   "shift_id" INTEGER REFERENCES "shifts"("id"),
   "category" TEXT,
   "partner_id" INTEGER,
   "confirmed_by" TEXT,
   "confirmed_at" TEXT,
   PRIMARY KEY ("shift_id", "category")
);

CREATE TABLE "partners" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT NOT NULL,
   "name_key" TEXT NOT NULL,
   "categories" TEXT NOT NULL DEFAULT '[]',
   "languages" TEXT NOT NULL DEFAULT '[]',
   "hours" TEXT NOT NULL,
   "phone" TEXT NOT NULL,
   "contact" TEXT DEFAULT '',
   "notes" TEXT DEFAULT '',
   "verified_on" TEXT,
   "created_by" TEXT,
   "created_at" TEXT,
   "updated_at" TEXT
);

CREATE TABLE "people" (
   "user_id" TEXT PRIMARY KEY,
   "real_name" TEXT,
   "display_name" TEXT,
   "locale" TEXT,
   "deleted" INTEGER DEFAULT 0,
   "refreshed_at" TEXT,
   "tried_at" TEXT
);

CREATE TABLE "pings" (
   "shift_id" INTEGER,
   "seq" INTEGER,
   "asked_at" TEXT,
   "answered_at" TEXT,
   "answered_by" TEXT,
   PRIMARY KEY ("shift_id", "seq")
);

CREATE TABLE "reach" (
   "id" INTEGER PRIMARY KEY,
   "channel" TEXT NOT NULL,
   "error" TEXT NOT NULL,
   "since" TEXT NOT NULL,
   "ended_at" TEXT
);

CREATE TABLE "readiness" (
   "shift_id" INTEGER PRIMARY KEY REFERENCES "shifts"("id"),
   "hotline" TEXT,
   "go_by" TEXT,
   "go_at" TEXT,
   "revoked_at" TEXT,
   "revoked_reason" TEXT
);

CREATE TABLE "readiness_items" (
   "shift_id" INTEGER NOT NULL REFERENCES "shifts"("id"),
   "item_id" TEXT NOT NULL,
   "position" INTEGER,
   "section" TEXT NOT NULL,
   "name" TEXT NOT NULL,
   "required" INTEGER NOT NULL,
   "kinds" TEXT NOT NULL,
   "check_name" TEXT,
   "params" TEXT,
   "evidence_label" TEXT,
   "ticked_by" TEXT,
   "ticked_at" TEXT,
   "evidence" TEXT,
   PRIMARY KEY ("shift_id", "item_id")
);

CREATE TABLE "roles" (
   "user_id" TEXT PRIMARY KEY,
   "role" TEXT,
   "granted_by" TEXT,
   "granted_at" TEXT
);

CREATE TABLE "rota" (
   "id" INTEGER PRIMARY KEY,
   "people" TEXT NOT NULL,
   "starts_on" TEXT NOT NULL,
   "set_by" TEXT,
   "set_at" TEXT
);

CREATE TABLE "rota_handovers" (
   "id" INTEGER PRIMARY KEY,
   "started_at" TEXT NOT NULL,
   "user_id" TEXT,
   "previous" TEXT,
   "at" TEXT NOT NULL
);

CREATE TABLE "rota_overrides" (
   "night" TEXT PRIMARY KEY,
   "user_id" TEXT NOT NULL,
   "set_by" TEXT,
   "set_at" TEXT
);

CREATE TABLE "safety" (
   "shift_id" INTEGER PRIMARY KEY,
   "checkin_every" INTEGER,
   "checked_in_at" TEXT,
   "checked_in_by" TEXT,
   "checked_out_at" TEXT,
   "checked_out_by" TEXT
, "went_out_at" TEXT, "went_out_by" TEXT, "went_out_how" TEXT, "go_at" TEXT, "go_by" TEXT, "not_held_at" TEXT, "not_held_by" TEXT);

CREATE TABLE "safety_steps" (
   "id" INTEGER PRIMARY KEY,
   "shift_id" INTEGER NOT NULL,
   "reason" TEXT NOT NULL,
   "step" TEXT NOT NULL,
   "level" INTEGER NOT NULL,
   "at" TEXT NOT NULL,
   "people" TEXT NOT NULL,
   "by" TEXT
);

CREATE TABLE "seen_requests" (
   "key" TEXT PRIMARY KEY,
   "at" TEXT
);

CREATE TABLE "series" (
   "id" INTEGER PRIMARY KEY,
   "rule" TEXT NOT NULL,
   "dtstart" TEXT NOT NULL,
   "tz" TEXT NOT NULL,
   "end_time" TEXT NOT NULL,
   "freq" TEXT NOT NULL,
   "kind" TEXT NOT NULL,
   "venue" TEXT NOT NULL,
   "area" TEXT NOT NULL,
   "capacity" INTEGER NOT NULL,
   "min_team" INTEGER NOT NULL,
   "languages" TEXT DEFAULT '[]',
   "lead" TEXT,
   "training" TEXT,
   "notes" TEXT DEFAULT '',
   "channel" TEXT,
   "status" TEXT NOT NULL DEFAULT 'active',
   "parent_id" INTEGER,
   "created_by" TEXT,
   "created_at" TEXT,
   "updated_at" TEXT
, "safety_net" INTEGER NOT NULL DEFAULT 0);

CREATE TABLE "series_invites" (
   "series_id" INTEGER,
   "user_id" TEXT,
   "sequence" INTEGER,
   "method" TEXT,
   "state" TEXT,
   "updated_at" TEXT,
   PRIMARY KEY ("series_id", "user_id")
);

CREATE TABLE "series_members" (
   "series_id" INTEGER,
   "user_id" TEXT,
   "status" TEXT NOT NULL,
   "created_at" TEXT,
   "updated_at" TEXT,
   PRIMARY KEY ("series_id", "user_id")
);

CREATE TABLE "setup_confirmations" (
   "item" TEXT PRIMARY KEY,
   "confirmed_by" TEXT NOT NULL,
   "confirmed_at" TEXT NOT NULL
);

CREATE TABLE "shift_watches" (
   "id" INTEGER PRIMARY KEY,
   "shift_id" INTEGER NOT NULL REFERENCES "shifts"("id"),
   "user_id" TEXT NOT NULL,
   "status" TEXT NOT NULL,
   "created_at" TEXT NOT NULL,
   "told_at" TEXT,
   "ended_at" TEXT
);

CREATE TABLE "shifts" (
   "id" INTEGER PRIMARY KEY,
   "kind" TEXT NOT NULL,
   "venue" TEXT NOT NULL,
   "area" TEXT NOT NULL,
   "starts_at" TEXT NOT NULL,
   "ends_at" TEXT NOT NULL,
   "tz" TEXT NOT NULL,
   "capacity" INTEGER NOT NULL,
   "min_team" INTEGER NOT NULL,
   "languages" TEXT DEFAULT '[]',
   "lead" TEXT,
   "training" TEXT,
   "notes" TEXT DEFAULT '',
   "status" TEXT NOT NULL DEFAULT 'planned',
   "cancel_reason" TEXT,
   "channel" TEXT,
   "message_ts" TEXT,
   "created_by" TEXT,
   "created_at" TEXT,
   "updated_at" TEXT
, "series_id" INTEGER, "occurrence" TEXT, "safety_net" INTEGER NOT NULL DEFAULT 0);

CREATE TABLE "signups" (
   "id" INTEGER PRIMARY KEY,
   "shift_id" INTEGER NOT NULL REFERENCES "shifts"("id"),
   "user_id" TEXT NOT NULL,
   "status" TEXT NOT NULL,
   "created_at" TEXT,
   "updated_at" TEXT
);

CREATE TABLE "slack_outages" (
   "id" INTEGER PRIMARY KEY,
   "since" TEXT NOT NULL,
   "noticed_at" TEXT NOT NULL,
   "ended_at" TEXT
);

CREATE TABLE "sos" (
   "id" INTEGER PRIMARY KEY,
   "shift_id" INTEGER NOT NULL REFERENCES "shifts"("id"),
   "pressed_by" TEXT NOT NULL,
   "pressed_at" TEXT NOT NULL,
   "request_key" TEXT NOT NULL,
   "acked_by" TEXT,
   "acked_at" TEXT,
   "repeats" INTEGER NOT NULL DEFAULT 0
, "duress" INTEGER NOT NULL DEFAULT 0);

CREATE TABLE "statements" (
   "number" INTEGER PRIMARY KEY,
   "user_id" TEXT NOT NULL,
   "period" TEXT NOT NULL,
   "hours" REAL NOT NULL,
   "shifts" INTEGER NOT NULL,
   "issued_at" TEXT NOT NULL,
   "issued_to" TEXT NOT NULL
);

CREATE TABLE "team_messages" (
   "id" INTEGER PRIMARY KEY,
   "shift_id" INTEGER NOT NULL REFERENCES "shifts"("id"),
   "sender" TEXT NOT NULL,
   "sent_at" TEXT NOT NULL,
   "recipients" INTEGER NOT NULL,
   "waitlist" INTEGER NOT NULL DEFAULT 0,
   "text" TEXT DEFAULT '',
   "text_expired_at" TEXT,
   "request_key" TEXT
);

CREATE TABLE "training_claims" (
   "id" INTEGER PRIMARY KEY,
   "shift_id" INTEGER NOT NULL REFERENCES "shifts"("id"),
   "user_id" TEXT NOT NULL,
   "training" TEXT NOT NULL,
   "completed_on" TEXT NOT NULL,
   "expires_on" TEXT,
   "recorded_by" TEXT NOT NULL,
   "recorded_at" TEXT NOT NULL,
   "status" TEXT NOT NULL DEFAULT 'pending',
   "decided_by" TEXT,
   "decided_at" TEXT
);

CREATE TABLE "trainings" (
   "id" INTEGER PRIMARY KEY,
   "user_id" TEXT NOT NULL,
   "training" TEXT NOT NULL,
   "completed_on" TEXT NOT NULL,
   "expires_on" TEXT,
   "recorded_by" TEXT,
   "recorded_at" TEXT
, "shift_id" INTEGER);

CREATE TABLE "volunteer_languages" (
   "user_id" TEXT,
   "language" TEXT,
   "recorded_at" TEXT,
   PRIMARY KEY ("user_id", "language")
);

CREATE TABLE "wellbeing" (
   "id" INTEGER PRIMARY KEY,
   "shift_id" INTEGER NOT NULL REFERENCES "shifts"("id"),
   "user_id" TEXT NOT NULL,
   "load" INTEGER,
   "checkin" INTEGER,
   "note" TEXT DEFAULT '',
   "created_at" TEXT,
   "updated_at" TEXT
);

CREATE UNIQUE INDEX alert_phones_number ON alert_phones(e164) WHERE verified_at IS NOT NULL;

CREATE UNIQUE INDEX cover_requests_open ON cover_requests(shift_id, user_id) WHERE status = 'open';

CREATE UNIQUE INDEX drills_request ON drills(request_key) WHERE request_key IS NOT NULL;

CREATE INDEX hour_corrections_with_reason ON hour_corrections(corrected_at) WHERE reason != '';

CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");

CREATE UNIQUE INDEX "idx_cover_offers_request_id_user_id"
    ON "cover_offers" ("request_id", "user_id");

CREATE INDEX "idx_cover_requests_status_shift_id"
    ON "cover_requests" ("status", "shift_id");

CREATE INDEX "idx_debrief_drafts_created_at"
    ON "debrief_drafts" ("created_at");

CREATE UNIQUE INDEX "idx_debriefs_shift_id"
    ON "debriefs" ("shift_id");

CREATE UNIQUE INDEX "idx_feeds_token"
    ON "feeds" ("token");

CREATE INDEX "idx_followups_status_owner"
    ON "followups" ("status", "owner");

CREATE INDEX "idx_hour_corrections_shift_id_user_id"
    ON "hour_corrections" ("shift_id", "user_id");

CREATE INDEX "idx_hour_corrections_user_id"
    ON "hour_corrections" ("user_id");

CREATE INDEX "idx_jobs_claimed_by"
    ON "jobs" ("claimed_by");

CREATE INDEX "idx_notifications_collapse_sent_at"
    ON "notifications" ("collapse", "sent_at");

CREATE UNIQUE INDEX "idx_notifications_key"
    ON "notifications" ("key");

CREATE INDEX "idx_notifications_sent_at_due_at"
    ON "notifications" ("sent_at", "due_at");

CREATE INDEX "idx_notifications_sent_at_priority_due_at"
    ON "notifications" ("sent_at", "priority", "due_at");

CREATE INDEX "idx_on_call_partner_id"
    ON "on_call" ("partner_id");

CREATE UNIQUE INDEX "idx_partners_name_key"
    ON "partners" ("name_key");

CREATE INDEX "idx_people_refreshed_at"
    ON "people" ("refreshed_at");

CREATE INDEX "idx_reach_channel_ended_at"
    ON "reach" ("channel", "ended_at");

CREATE INDEX "idx_shift_watches_status_shift_id"
    ON "shift_watches" ("status", "shift_id");

CREATE INDEX "idx_shift_watches_user_id_status"
    ON "shift_watches" ("user_id", "status");

CREATE INDEX "idx_shifts_ends_at"
    ON "shifts" ("ends_at");

CREATE INDEX "idx_shifts_starts_at"
    ON "shifts" ("starts_at");

CREATE INDEX "idx_signups_shift_id_status"
    ON "signups" ("shift_id", "status");

CREATE INDEX "idx_signups_user_id_status"
    ON "signups" ("user_id", "status");

CREATE INDEX "idx_sos_shift_id"
    ON "sos" ("shift_id");

CREATE INDEX "idx_statements_user_id"
    ON "statements" ("user_id");

CREATE UNIQUE INDEX "idx_team_messages_request_key"
    ON "team_messages" ("request_key");

CREATE INDEX "idx_team_messages_shift_id"
    ON "team_messages" ("shift_id");

CREATE INDEX "idx_training_claims_status"
    ON "training_claims" ("status");

CREATE INDEX "idx_trainings_expires_on"
    ON "trainings" ("expires_on");

CREATE INDEX "idx_trainings_user_id_training"
    ON "trainings" ("user_id", "training");

CREATE UNIQUE INDEX "idx_wellbeing_shift_id_user_id"
    ON "wellbeing" ("shift_id", "user_id");

CREATE UNIQUE INDEX incidents_open ON incidents(shift_id) WHERE resolved_at IS NULL;

CREATE INDEX notifications_phone_sid ON notifications(ts) WHERE channel LIKE 'call:%';

CREATE INDEX readiness_with_evidence ON readiness_items(shift_id) WHERE evidence IS NOT NULL;

CREATE UNIQUE INDEX safety_steps_once ON safety_steps(shift_id, reason, step);

CREATE UNIQUE INDEX shift_watches_active ON shift_watches(shift_id, user_id) WHERE status = 'active';

CREATE UNIQUE INDEX shifts_occurrence ON shifts(series_id, occurrence) WHERE series_id IS NOT NULL;

CREATE INDEX shifts_with_text ON shifts(ends_at) WHERE notes != '' OR cancel_reason != '';

CREATE UNIQUE INDEX signups_active ON signups(shift_id, user_id) WHERE status IN ('confirmed', 'waitlisted');

CREATE UNIQUE INDEX slack_outages_open ON slack_outages((ended_at IS NULL)) WHERE ended_at IS NULL;

CREATE INDEX sos_open ON sos(pressed_at) WHERE acked_at IS NULL;

CREATE UNIQUE INDEX sos_request ON sos(request_key);

CREATE INDEX team_messages_with_text ON team_messages(sent_at) WHERE text != '';

CREATE UNIQUE INDEX training_claims_once ON training_claims(shift_id, user_id, training);

CREATE UNIQUE INDEX trainings_from_shift ON trainings(shift_id, user_id, training) WHERE shift_id IS NOT NULL;

