"""Retention: every free text tied to an outreach night expires with the debrief notes, edits after
the expiry expire again, the audit never holds free text, and nothing is left in the file."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import ADMIN, Bot, eventually, message_text, shift_fields, submit_typed
from test_debriefs import LEAD, ended_shift, submit

from outreach import readiness as rd
from outreach.store import Store, iso

FOLLOW_UP = "Check on the woman in the blue hoodie at the Shell station"
MARKER = "words were deleted after the retention period"


def texts(bot: Bot, number: int) -> dict:
    """Every free text stored about shift `number`, by where it is stored."""
    debrief = bot.db["debriefs"].get(1)
    shift = bot.db["shifts"].get(number)
    return {
        "notes": debrief["notes"], "incident_what": debrief["incident_what"],
        "followup": next(bot.db.query("SELECT what FROM followups WHERE shift_id = ?", [number]))["what"],
        "wellbeing": next(bot.db.query("SELECT note FROM wellbeing WHERE shift_id = ?", [number]))["note"],
        "shift_notes": shift["notes"], "cancel_reason": shift["cancel_reason"] or "",
        "evidence": bot.db["readiness_items"].get((number, "meeting-point"))["evidence"] or "",
    }


def night_with_every_text(bot: Bot) -> int:
    """An ended shift with shift notes and readiness evidence, a debrief with notes, an incident, a
    follow-up, and a team member's wellbeing note, all written when the shift ended."""
    number = ended_shift(bot, notes="Meet behind the library.")
    assert rd.tick(bot.store, rd.load_protocol(bot.settings.data_dir), shift_id=number, actor=LEAD,
                   item_id="meeting-point", ticked=True, evidence="Library steps, 18:45")
    sent = submit(bot, LEAD, number, db_flags=["incident"], db_what="A dog chased us",
                  db_fu1_what=FOLLOW_UP, db_fu1_owner="UOWN", db_fu1_due="2026-11-30")
    assert sent.body == b"", sent.body
    note = submit_typed(bot, "UA", "wellbeing_form", {"wb_load": "2", "wb_note": "Tired but fine"},
                        metadata={"shift_id": number})
    assert note.body == b""
    return number


def retention_bot(fake, tmp_path, clock, days: int) -> Bot:
    return Bot(fake, tmp_path, clock, env={"OUTREACH_NOTES_RETENTION_DAYS": str(days)})


def test_400_days_on_a_follow_up_keeps_its_row_but_not_its_words(bot):
    number = night_with_every_text(bot)
    assert texts(bot, number)["followup"] == FOLLOW_UP
    bot.clock.advance(days=400)
    bot.kit.tick()
    row = next(bot.db.query("SELECT * FROM followups WHERE shift_id = ?", [number]))
    assert row["what"] == "" and row["owner"] == "UOWN" and row["due_on"] == "2026-11-30" and row["status"] == "open"
    debrief = bot.db["debriefs"].get(1)
    assert debrief["contacts"] == 12 and debrief["incident"] == 1 and debrief["notes"] == ""
    # The lists still read well: the follow-up is there, its words are not.
    listed = bot.command("UOWN", "followups").text()
    assert f"shift #{number}" in listed and MARKER in listed and "hoodie" not in listed
    reminder = [c for c in bot.dms("UOWN") if "Reminder" in message_text(c.params)][-1]
    assert MARKER in message_text(reminder.params) and "hoodie" not in message_text(reminder.params)
    bot.click(ADMIN, "debrief_view", str(number))
    details = bot.fake.wait_for("views.open", where=lambda c: c.params["view"]["callback_id"] == "debrief_details")[0]
    words = message_text({"blocks": details.params["view"]["blocks"]})
    assert "deleted after the retention period" in words and "hoodie" not in words and "<@UOWN>" in words
    done = bot.click("UOWN", "followup_done", str(row["id"]), container={"type": "message", "channel_id": "DOWN"})
    assert f"Done: the follow-up from shift #{number}" in done.reply()["text"]


@pytest.mark.parametrize("days", [1, 5, 90])
def test_every_free_text_of_a_night_lasts_exactly_the_retention_period(fake, tmp_path, clock, days):
    bot = retention_bot(fake, tmp_path, clock, days)
    try:
        number = night_with_every_text(bot)
        written = texts(bot, number)
        assert all(v for k, v in written.items() if k != "cancel_reason"), written
        bot.clock.advance(days=days, minutes=-1)
        bot.kit.tick()
        assert texts(bot, number) == written
        bot.clock.advance(minutes=2)
        bot.kit.tick()
        assert set(texts(bot, number).values()) == {""}
        debrief = bot.db["debriefs"].get(1)
        assert debrief["notes_expired_at"] == iso(bot.clock())
        assert debrief["contacts"] == 12 and json.loads(debrief["materials"])["hotline-cards"] == 40
        assert bot.db["followups"].count == 1 and bot.db["wellbeing"].get(1)["load"] == 2
    finally:
        bot.close()


def test_a_cancelled_nights_reason_expires_too(bot):
    number = bot.create_shift()
    assert "cancelled" in bot.command(ADMIN, f"cancel {number} The motel manager threatened the team").text()
    assert bot.db["shifts"].get(number)["cancel_reason"].startswith("The motel manager")
    bot.clock.advance(days=92)
    bot.kit.tick()
    assert bot.db["shifts"].get(number)["cancel_reason"] == ""
    assert bot.db["shifts"].get(number)["status"] == "cancelled"


def test_text_written_after_its_expiry_expires_again(fake, tmp_path, clock):
    """With a retention shorter than the 7-day edit window, an edit can bring notes back after they expired."""
    bot = retention_bot(fake, tmp_path, clock, 3)
    try:
        number = night_with_every_text(bot)
        bot.clock.advance(days=3, minutes=1)
        bot.kit.tick()
        assert bot.db["debriefs"].get(1)["notes"] == "" and bot.db["debriefs"].get(1)["notes_expired_at"]
        # Day 4: the lead edits the debrief (still editable), a member rewrites their note, a coordinator the shift's.
        assert submit(bot, LEAD, number, db_notes="Second thoughts: the back lot is busier after 22:00.").body == b""
        assert submit_typed(bot, "UA", "wellbeing_form", {"wb_note": "Slept badly"},
                            metadata={"shift_id": number}).body == b""
        day = "2026-11-23"
        edit = shift_fields(bot.clock, start_date=day, end_date=day, notes="Bring the Vietnamese cards next time.")
        assert bot.submit(ADMIN, "shift_form", edit, metadata={"shift_id": number}).body == b""
        eventually(lambda: bot.db["shifts"].get(number)["notes"].startswith("Bring"))  # saved after the answer
        row = bot.db["debriefs"].get(1)
        assert row["notes"].startswith("Second thoughts") and row["notes_expired_at"] is None
        assert bot.db["shifts"].get(number)["notes"].startswith("Bring the Vietnamese")
        bot.kit.tick()
        assert bot.db["debriefs"].get(1)["notes"].startswith("Second thoughts")  # kept its own period
        assert bot.db["wellbeing"].get(1)["note"] == "Slept badly"
        assert bot.db["shifts"].get(number)["notes"] == ""  # the shift itself is long past its period
        bot.clock.advance(days=3, minutes=1)
        bot.kit.tick()
        row = bot.db["debriefs"].get(1)
        assert row["notes"] == "" and row["notes_expired_at"] == iso(bot.clock()) and row["revision"] == 2
        assert bot.db["wellbeing"].get(1)["note"] == ""
    finally:
        bot.close()


def test_the_audit_records_which_fields_changed_never_their_values(bot):
    number = bot.create_shift(notes="Meet at the library side door.")
    day = (bot.clock().date()).replace(day=23).isoformat()
    edit = shift_fields(bot.clock, start_date=day, end_date=day, capacity="4", notes="Meet at the church instead.")
    assert bot.submit(ADMIN, "shift_form", edit, metadata={"shift_id": number}).body == b""
    eventually(lambda: bot.db["shifts"].get(number)["capacity"] == 4)  # saved after the answer
    bot.command(ADMIN, f"cancel {number} Storm warning for the whole county").reply()
    rows = {r["action"]: json.loads(r["detail"]) for r in bot.db.query(
        "SELECT action, detail FROM audit WHERE subject = ?", [f"shift:{number}"])}
    assert "notes" in rows["shift.create"]["fields"] and "area" in rows["shift.create"]["fields"]
    assert rows["shift.edit"] == {"fields": ["capacity", "notes"]}
    assert rows["shift.cancel"] == {"fields": ["reason"]}
    everything = json.dumps(list(bot.db.query("SELECT * FROM audit")))
    for text in ("library", "church", "Storm", "Eastside"):
        assert text not in everything, text


def file_bytes(path) -> bytes:
    data = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def test_expired_text_is_gone_from_the_database_file(bot):
    number = night_with_every_text(bot)
    long_notes = "Quiet motel tonight; the manager let us leave cards at the front desk again. " * 12
    assert submit(bot, LEAD, number, db_notes=long_notes, db_flags=["incident"], db_what="A dog chased us",
                  db_fu1_what=FOLLOW_UP + " again", db_fu1_owner="UOWN", db_fu1_due="2026-11-30").body == b""
    secrets = [FOLLOW_UP, "A dog chased us", "Tired but fine", "Meet behind the library", "Library steps",
               "let us leave cards at the front desk"]
    assert bot.store.checkpoint()
    before = file_bytes(bot.settings.db_path)
    assert [s for s in secrets if s.encode() not in before] == []  # the test reads the text where it is
    bot.clock.advance(days=91)
    bot.kit.tick()
    assert set(texts(bot, number).values()) == {""}
    assert {r["what"] for r in bot.db.query("SELECT what FROM followups")} == {""}
    after = file_bytes(bot.settings.db_path)
    assert [s for s in secrets if s.encode() in after] == []


def test_secure_delete_is_on_for_the_writer_and_every_reader(bot):
    assert bot.store.db.execute("PRAGMA secure_delete").fetchone() == (1,)
    with bot.store.read() as db:
        assert db.execute("PRAGMA secure_delete").fetchone() == (1,)


def test_audit_values_recorded_before_the_upgrade_are_scrubbed_and_leave_no_trace(tmp_path, clock):
    path = tmp_path / "old.db"
    store = Store(path, clock=clock)
    created = {"area": "Eastside", "notes": "Meet at the old library", "capacity": 3, "lead": "ULEAD", "training": None}
    edited = dict(created, notes="Meet at the old church", capacity=4)
    with store.write() as db:
        for action, detail in [("shift.create", created), ("shift.edit", edited), ("shift.edit", edited),
                               ("shift.cancel", {"reason": "Storm over the old town"}), ("shift.cancel", {"reason": ""})]:
            db["audit"].insert({"at": iso(clock()), "actor": ADMIN, "action": action, "subject": "shift:1",
                                "detail": json.dumps(detail)})
        db["audit"].insert({"at": iso(clock()), "actor": ADMIN, "action": "role.coordinator", "subject": "user:U1",
                            "detail": "{}"})
        db.execute("DELETE FROM _sqlite_migrations WHERE name IN "
                   "('m007_audit_without_values', 'm008_text_to_expire', 'm010_vacuum_free_pages')")
        db.execute("DROP INDEX shifts_with_text")
        db.execute("DROP INDEX readiness_with_evidence")
    store.close()
    # An old version's expiry blanked a note without secure_delete: its words stay in the page's free space.
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete = OFF")
    conn.execute("INSERT INTO shifts (kind, venue, area, starts_at, ends_at, tz, capacity, min_team, notes) VALUES "
                 "('direct', 'motel', 'Eastside', '2025-01-01T01:00:00+00:00', '2025-01-01T05:00:00+00:00', 'UTC', 2, 2, ?)",
                 ["Old shift notes about the back lot of the motel, kept too long. " * 10])
    conn.commit()
    conn.execute("UPDATE shifts SET notes = ''")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert b"old library" in file_bytes(path) and b"back lot of the motel" in file_bytes(path)

    store = Store(path, clock=clock)
    details = [json.loads(r["detail"]) for r in store.db.query("SELECT detail FROM audit ORDER BY id")]
    store.close()
    assert details == [
        {"fields": ["area", "capacity", "lead", "notes"]}, {"fields": ["capacity", "notes"]}, {"fields": []},
        {"fields": ["reason"]}, {}, {},
    ]
    raw = file_bytes(path)
    for text in (b"old library", b"old church", b"old town", b"back lot of the motel"):
        assert text not in raw, text
