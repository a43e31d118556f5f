"""Records a funder can trust (issue 21): the debrief team is the shift's roster, training records come from
the shift that gave them, correction reasons expire, a refused form leaves no trace, every form's answer is
acted on, and the monthly post carries its files."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from conftest import ADMIN, COORD_CHANNEL, eventually, submit_debrief
from phone import Phone
from test_journey_coordinator import details_of, newest_shift, stored
from test_reports import not_invite, november  # noqa: F401 (a fixture)
from test_trainings import training_shift

from outreach import hours as hr
from outreach.store import Store, iso

# ---------------------------------------------------------------- forms: one answer per form, never dropped


def test_cancel_then_duplicate_in_one_details_window_creates_the_copy(bot):
    number = bot.create_shift(area="Northside")
    you = Phone(bot, ADMIN)
    details = details_of(you, number)
    cancelled = details.tap("Cancel shift", confirm=True).modal().submit({"Reason (optional)": "Storm warning"})
    after = cancelled.modal()  # the same window, now the Details of the cancelled shift
    assert "CANCELLED" in after.words and stored(bot, number)["status"] == "cancelled"
    form = after.tap("Duplicate").modal()
    assert form.view["id"] == after.view["id"] == details.view["id"]  # Slack keeps the view's id throughout
    sent = form.submit()
    assert not sent.errors
    copy = newest_shift(bot, number)
    assert stored(bot, copy)["area"] == "Northside" and stored(bot, copy)["status"] == "planned"
    again = form.submit()  # the same answer sent again: acted on once, and said so
    assert not again.errors
    eventually(lambda: any("sent twice" in dm.words for dm in you.dms()))
    assert bot.db.execute("SELECT count(*) FROM shifts WHERE id > ?", [number]).fetchone()[0] == 1


# ---------------------------------------------------------------- the monthly post


def test_the_monthly_post_uploads_the_chart_the_pdf_and_the_workbook(bot, november):  # noqa: F811
    bot.clock.advance(hours=1, minutes=30)  # 08:30 in Chicago on the 1st
    bot.kit.tick()
    bot.kit.tick()
    posts = [c for c in bot.fake.calls_to("chat.postMessage") if "Last month" in c.params["text"]]
    assert len(posts) == 1 and posts[0].params["channel"] == COORD_CHANNEL
    complete = bot.fake.wait_for("files.completeUploadExternal", where=not_invite)
    assert len(complete) == 1 and complete[0].params["channel_id"] == COORD_CHANNEL
    files = complete[0].params["files"]
    titles = sorted(f["title"] for f in (json.loads(files) if isinstance(files, str) else files))
    assert titles == ["Outreach report 2026-11", "Outreach report 2026-11 (workbook)", "Outreach, 12 months to 2026-11"]
    names = sorted(str(c.params.get("filename")) for c in bot.fake.calls_to("files.getUploadURLExternal")
                   if "2026-11" in str(c.params.get("filename")))
    assert names == ["outreach-2026-11.png", "outreach-report-2026-11.pdf", "outreach-report-2026-11.xlsx"]
    row = next(bot.db.query("SELECT sent_at, error FROM notifications WHERE key = 'report:monthly:2026-11'"))
    assert row["sent_at"] and row["error"] is None


# ---------------------------------------------------------------- retention: reasons expire, refused forms leave nothing


def file_bytes(path) -> bytes:
    """The database file and its write-ahead log, as a disk image would show them."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


REASON = "Stayed late with the quokka van driver"


def test_a_correction_reason_expires_with_the_notes_and_the_audit_never_holds_it(bot):
    number = bot.create_shift()
    bot.clock.advance(days=2)  # the shift is over
    done = Phone(bot, ADMIN).command(f"hours correct <@UA> {number} 3.5 {REASON}").reply()
    assert "Recorded" in done.words and "kept 90 days" in done.words
    row = next(bot.db.query("SELECT hours, reason FROM hour_corrections"))
    assert row == {"hours": 3.5, "reason": REASON}
    audit = next(bot.db.query("SELECT actor, detail FROM audit WHERE action = 'hours.correct'"))
    assert audit["actor"] == ADMIN
    assert json.loads(audit["detail"]) == {"user": "UA", "before": 0.0, "after": 3.5, "fields": ["hours", "reason"]}
    assert bot.store.checkpoint()
    assert REASON.encode() in file_bytes(bot.settings.db_path)  # the test reads the words where they are
    bot.clock.advance(days=89)
    bot.kit.tick()
    assert bot.db.execute("SELECT reason FROM hour_corrections").fetchone() == (REASON,)  # not yet
    bot.clock.advance(days=2)  # 91 days after the correction
    bot.kit.tick()
    assert next(bot.db.query("SELECT hours, reason FROM hour_corrections")) == {"hours": 3.5, "reason": ""}
    assert REASON.encode() not in file_bytes(bot.settings.db_path)
    assert b"quokka" not in file_bytes(bot.settings.db_path)


def test_an_audit_that_held_a_reason_before_the_upgrade_keeps_field_names_only(tmp_path, clock):
    path = tmp_path / "old.db"
    store = Store(path, clock=clock)
    with store.write() as db:
        db["audit"].insert({"at": iso(clock()), "actor": ADMIN, "action": "hours.correct", "subject": "shift:1",
                            "detail": json.dumps({"user": "UA", "before": 4.0, "after": 3.5, "reason": REASON})})
        db["audit"].insert({"at": iso(clock()), "actor": ADMIN, "action": "role.coordinator", "subject": "user:U1",
                            "detail": "{}"})
        db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm023_audit_records'")
        db.execute("DROP TABLE training_claims")
        db.execute("DROP INDEX hour_corrections_with_reason")
    assert store.checkpoint()
    store.close()
    assert REASON.encode() in file_bytes(path)
    store = Store(path, clock=clock)  # the upgrade
    details = [json.loads(r["detail"]) for r in store.db.query("SELECT detail FROM audit ORDER BY id")]
    assert details == [{"user": "UA", "before": 4.0, "after": 3.5, "fields": ["hours", "reason"]}, {}]
    assert store.checkpoint()
    store.close()
    assert REASON.encode() not in file_bytes(path)


NUMBER = "555-201-3344"


def test_a_refused_forms_words_are_gone_from_the_file_and_the_log(bot):
    number = bot.create_shift(lead=ADMIN)
    bot.clock.advance(days=2)
    assert bot.store.checkpoint()
    refused = submit_debrief(bot, ADMIN, number, {"db_contacts": "2", "db_notes": f"her cell is {NUMBER}"})
    assert refused.json()["response_action"] == "errors" and "db_notes" in refused.json()["errors"]
    eventually(lambda: bot.db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0)
    eventually(lambda: NUMBER.encode() not in file_bytes(bot.settings.db_path))
    assert bot.db["debriefs"].count == 0 and bot.db["debrief_drafts"].count == 0


def test_the_log_is_emptied_every_ten_minutes_at_least(bot):
    bot.kit.tick()
    with bot.store.write() as db:  # words deleted by hand: only the log still holds them
        db["jobs"].insert({"kind": "test", "mode": "http", "body": f"payload={NUMBER}", "headers": "{}",
                           "received": 0.0, "attempts": 0})
    with bot.store.write() as db:
        db.execute("DELETE FROM jobs WHERE kind = 'test'")
    bot.clock.advance(minutes=5)
    bot.kit.tick()
    assert NUMBER.encode() in file_bytes(bot.settings.db_path)  # what the test looks for is there
    bot.clock.advance(minutes=5)
    bot.kit.tick()
    assert NUMBER.encode() not in file_bytes(bot.settings.db_path)


# ---------------------------------------------------------------- the debrief team is the shift's roster


LEAD = "ULEAD"


def audit_rows(bot, action: str) -> list[dict]:
    return [dict(r, detail=json.loads(r["detail"])) for r in bot.db.query(
        "SELECT actor, subject, detail FROM audit WHERE action = ? ORDER BY id", [action])]


def test_a_stranger_on_the_debrief_team_is_refused_and_each_change_to_who_was_out_is_audited(bot):
    bot.train("UA")
    number = bot.create_shift()
    assert "signed up" in bot.command("UA", f"signup {number}").text().lower()
    bot.clock.advance(days=2)  # over; nobody checked in
    refused = submit_debrief(bot, LEAD, number, {"db_contacts": "3", "db_team": [LEAD, "UA", "USTRANGER"]})
    error = refused.json()["errors"]["db_team"]
    assert "<@USTRANGER>" in error and "<@UA>" not in error and "ask a coordinator to correct the hours" in error
    assert bot.db["debriefs"].count == 0 and bot.db["debrief_drafts"].count == 0
    saved = submit_debrief(bot, LEAD, number, {"db_contacts": "3", "db_team": [LEAD]})  # UA did not come after all
    assert saved.body == b""
    assert json.loads(bot.db["debriefs"].get(1)["team"]) == [LEAD]
    assert [(r["actor"], r["subject"], r["detail"]) for r in audit_rows(bot, "debrief.team")] == [
        (LEAD, f"shift:{number}", {"user": "UA", "before": "out", "after": "not out"})]
    submitted = audit_rows(bot, "debrief.submit")[0]["detail"]
    assert submitted["revision"] == 1 and {"contacts", "team", "venue"} <= set(submitted["fields"])
    assert "3" not in json.dumps(submitted)  # names of fields, never their values
    assert "USTRANGER" not in hr.everyone_hours(bot.store, year=2026, zone=bot.settings.zone, now=bot.clock())
    assert bot.db.execute("SELECT count(*) FROM audit WHERE detail LIKE '%USTRANGER%'").fetchone()[0] == 0

    # A coordinator refused the same way is told how to credit the stranger; a correction does it, audited.
    by_coordinator = submit_debrief(bot, ADMIN, number, {"db_contacts": "3", "db_team": [LEAD, "USTRANGER"]})
    assert "/outreach hours correct @person" in by_coordinator.json()["errors"]["db_team"]
    done = Phone(bot, ADMIN).command(f"hours correct <@USTRANGER> {number} 2 Drove the team, forgot to sign up")
    assert "Recorded" in done.reply().words
    assert audit_rows(bot, "hours.correct")[0]["detail"]["user"] == "USTRANGER"
    edited = submit_debrief(bot, LEAD, number, {"db_contacts": "3", "db_team": [LEAD, "USTRANGER"]})
    assert edited.body == b""  # credited by a coordinator: on the roster now
    assert [r["detail"] for r in audit_rows(bot, "debrief.team")][1:] == [
        {"user": "USTRANGER", "before": "not out", "after": "out"}]
    assert audit_rows(bot, "debrief.update")[0]["detail"]["fields"] == ["team"]


# ---------------------------------------------------------------- training records from attendance


def training_rows(bot) -> list[tuple]:
    return [(r["user_id"], r["training"], r["shift_id"], r["recorded_by"]) for r in
            bot.db.query("SELECT * FROM trainings ORDER BY id")]


def test_a_forged_attendance_form_records_only_the_training_the_shift_gives(bot):
    none = training_shift(bot, "2026-11-23", training="none", lead="UV")
    gives = training_shift(bot, "2026-11-23", training="safety", lead="UV")
    bot.command("UF", f"signup {gives}").reply()
    bot.clock.now = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)  # both under way
    forged = bot.submit("UV", "training_attendance_form", {"attended": ["UV", "UF"], "training": "direct-outreach"},
                        metadata={"shift_id": none})
    assert "names no training it gives" in forged.json()["errors"]["attended"]
    assert training_rows(bot) == [] and bot.db["training_claims"].count == 0
    carried = bot.submit("UV", "training_attendance_form", {"attended": ["UF"], "training": "direct-outreach"},
                         metadata={"shift_id": gives})
    assert "Recorded *Field safety and de-escalation* for <@UF>" in json.dumps(carried.json())
    assert training_rows(bot) == [("UF", "safety", gives, "UV")]  # the shift's training, never the payload's
    assert [(r["actor"], r["subject"], r["detail"]) for r in audit_rows(bot, "training.attendance")] == [
        ("UV", "user:UF", {"shift": gives, "training": "safety", "expires_on": "2027-11-23"})]
    assert "direct-outreach" not in json.dumps(list(bot.db.query("SELECT * FROM audit")))


def test_the_leads_own_attendance_waits_until_a_coordinator_confirms_it(bot):
    number = training_shift(bot, "2026-11-23", training="safety")
    bot.command("UA", f"signup {number}").reply()
    bot.clock.now = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
    lead = Phone(bot, LEAD)
    form = lead.home().tap("Details", near=f"#{number}").modal().tap("Confirm attendance").modal()
    assert "Your own attendance, if you keep yourself, waits for a coordinator" in form.words
    submitted = form.submit({"Who attended": [LEAD, "UA"]})
    done = submitted.modal().words
    assert "Recorded *Field safety and de-escalation* for <@UA>:" in done and "<@ULEAD>" not in done.split(":")[1]
    assert "Your own attendance waits for a coordinator to confirm it" in done
    assert training_rows(bot) == [("UA", "safety", number, LEAD)]  # not the lead's own, yet
    assert "Waiting for a coordinator to confirm" in bot.command(LEAD, "trainings").text()
    assert [r["subject"] for r in audit_rows(bot, "training.pending")] == [f"user:{LEAD}"]
    asked = submitted.posted(COORD_CHANNEL, where=lambda s: "recorded their own attendance" in s.words)
    assert f"<@{LEAD}> led training shift #{number}" in asked.words

    claim = bot.db.execute("SELECT id FROM training_claims").fetchone()[0]
    own = bot.click(LEAD, "training_claim_confirm", str(claim))  # a lead never confirms their own
    assert "Only a coordinator" in own.text()
    assert training_rows(bot) == [("UA", "safety", number, LEAD)]
    coordinator = Phone(bot, ADMIN)
    call = next(c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("ts") == asked.ts
                or (c.answer or {}).get("ts") == asked.ts)
    confirmed = coordinator.message_screen(call).tap("Confirm")
    eventually(lambda: len(training_rows(bot)) == 2)
    assert training_rows(bot)[1] == (LEAD, "safety", number, ADMIN)
    assert f"was confirmed by <@{ADMIN}>: recorded" in confirmed.reply().words
    assert [(r["actor"], r["subject"]) for r in audit_rows(bot, "training.confirm")] == [(ADMIN, f"user:{LEAD}")]
    eventually(lambda: any("confirmed your attendance" in dm.words for dm in lead.dms()))
    assert "Waiting for a coordinator" not in bot.command(LEAD, "trainings").text()
    assert "Field safety and de-escalation" in bot.command(LEAD, "trainings").text()
