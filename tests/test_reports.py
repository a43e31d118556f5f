"""Impact reports: figures against known debriefs and the period before, the PNG chart, the CSV export
(by command and by `bot.py export`), and the monthly post on the first."""

from __future__ import annotations

import csv
import io
import json
import struct
from datetime import UTC, datetime

import pytest
from conftest import ADMIN, COORD_CHANNEL, everyone_back, submit_debrief

import bot as bot_module
from outreach import store as store_module
from outreach.reports import parse_period

LEAD = "ULEAD"


def debrief(bot, number, **fields):
    """A debrief in its two steps (the place, times and team come from the shift and its check-in and out)."""
    base = {"db_contacts": "0", "db_languages": [], "db_notes": "Secret note that must never be exported."}
    base.update(fields)
    sent = submit_debrief(bot, ADMIN, number, base)
    assert sent.status == 200 and sent.body == b"", sent.body


def plan(bot, day, **overrides):
    return bot.create_shift(start_date=day, end_date=day, **overrides)


@pytest.fixture
def november(bot):
    """Three November shifts (two debriefed) and one on December 1st, debriefed."""
    bot.train("UA")
    a = plan(bot, "2026-11-23")
    b = plan(bot, "2026-11-25", kind="training", training="none", min_team="1", start_time="18:00", end_time="20:00",
             languages=["en"], venue="community-venue")
    c = plan(bot, "2026-11-27")
    d = plan(bot, "2026-12-01")
    bot.command("UA", f"signup {a}").reply()
    bot.command("UA", f"signup {c}").reply()
    bot.clock.advance(days=1, hours=10, minutes=15)  # shift a's team checks in at 19:15 and out at 23:30 Chicago
    bot.command(LEAD, f"checkin {a}").reply()
    bot.command("UA", f"checkin {a}").reply()
    bot.clock.advance(hours=4, minutes=15)
    everyone_back(bot, a, lead=LEAD)  # the lead: everyone back safe
    out = next(bot.db.query("SELECT checked_in_at, checked_out_at FROM safety WHERE shift_id = ?", [a]))
    assert out == {"checked_in_at": "2026-11-24T01:15:00+00:00", "checked_out_at": "2026-11-24T05:30:00+00:00"}
    bot.clock.advance(days=7, hours=7, minutes=30)  # 2026-12-01 13:00 UTC, 07:00 in Chicago
    debrief(bot, a, db_contacts="12", db_brief="9", db_extended="3", db_languages=["es", "en"], **{
                "db_mat_hotline-cards": "40", "db_mat_hygiene-kits": "6", "db_ref_housing-emergency": "2"},
            db_indicators=["debt", "hotel-signs"], db_referrals=["medical-care", "housing-emergency"],
            db_flags=["hotline"])
    debrief(bot, b, db_contacts="25", db_languages=["en"], **{"db_mat_hotline-cards": "10"},
            db_flags=["police", "incident"], db_what="Routine liaison after a door was slammed")
    bot.kit.tick()  # what the setup queued (calendar invites, debrief requests) goes out now...
    bot.fake.reset()  # ...so the tests see only what the reports send
    return a, b, c, d


def not_invite(call):
    """Uploads of reports, not the calendar invites the setup's signups send beside them."""
    return ".ics" not in json.dumps(call.params) and "(invite)" not in json.dumps(call.params)


def uploaded_id(complete):
    files = complete.params["files"]
    return (json.loads(files) if isinstance(files, str) else files)[0]["id"]


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_periods_parse_and_default_to_last_full_month():
    today = datetime(2026, 12, 2).date()
    assert parse_period("", today=today).label == "2026-11"
    assert parse_period("2026-10", today=today).previous().label == "2026-09"
    q3 = parse_period("2026-Q3", today=today)
    assert (q3.first.isoformat(), q3.end.isoformat(), q3.previous().label) == ("2026-07-01", "2026-10-01", "2026-Q2")
    assert parse_period("2026", today=today).previous().label == "2025"
    assert parse_period("2026-01", today=today).previous().label == "2025-12"
    for bad in ("2026-13", "26-10", "2026-Q5", "last month", "2026/10"):
        assert parse_period(bad, today=today) is None


def test_monthly_report_is_posted_once_on_the_first(bot, november):
    bot.kit.tick()
    assert not [c for c in bot.fake.calls_to("chat.postMessage") if "Last month" in c.params["text"]]
    bot.clock.advance(hours=1, minutes=30)  # 08:30 in Chicago on the 1st
    bot.kit.tick()
    bot.kit.tick()
    posts = [c for c in bot.fake.calls_to("chat.postMessage") if "Last month" in c.params["text"]]
    assert len(posts) == 1 and posts[0].params["channel"] == COORD_CHANNEL
    assert "2026-11" in posts[0].params["text"] and "People reached*: *12*" in posts[0].params["text"]
    complete = bot.fake.wait_for("files.completeUploadExternal", where=not_invite)
    assert len(complete) == 1 and complete[0].params["channel_id"] == COORD_CHANNEL


def test_report_figures_against_known_debriefs_and_previous_period(bot, november):
    text = bot.command(ADMIN, "report").text()
    # October holds no night: the first period on record, so no "+N vs 0" on any line.
    assert "Outreach impact, 2026-11* (first period on record: nothing to compare with)" in text
    assert " vs " not in text
    # Night #3 (the 27th) never went out and has no debrief: it was not held, so it counts nowhere.
    assert "*Outreach nights held*: *2* · Direct outreach *1* · Training *1*" in text
    # Each person's own hours (outreach/attendance.py): the lead and UA from check-in to check-out (2 × 4.25 h),
    # the training's lead 2 h.
    assert "*Volunteer hours*: *10.5*" in text
    assert "*Volunteers out*: *2* · new *2* · returning *0*" in text
    assert "*People reached*: *12*" in text
    # The training recorded no sector and no attendance: its head count (25) is trained, sector not recorded.
    assert "*People trained*: *25*: Sector not recorded (training head count) *25*" in text
    assert "*Materials*: *56*: Hotline cards *50* · Health and hygiene kits *6*" in text
    assert "Emergency housing *2*" in text and "Medical care *1*" in text and "*Referrals*: *3*" in text
    assert "Debt to employer or recruiter *1*" in text and "English *2*" in text and "Spanish *1*" in text
    assert "*Hotline contacted*: *1*" in text and "*law enforcement contacted*: *1*" in text
    assert "*safety incidents*: *1*" in text and "*Debriefs missing*: *0* of 2" in text
    assert "*1 direct night went out without Go*" in text  # night #1 had no Go before its start
    assert "Secret note" not in text
    bot.fake.wait_for("files.completeUploadExternal", where=not_invite)
    bot.clock.advance(hours=17)  # shift #4 (December 1st) has ended
    debrief(bot, november[3], db_contacts="5")
    december = bot.command(ADMIN, "report 2026-12").text()
    assert "(compared with 2026-11)" in december
    assert "*People reached*: *5* (-7 vs 12)" in december and "*Outreach nights held*: *1* (-1 vs 2)" in december
    assert "*Volunteers out*: *1* (-1 vs 2)" in december  # the debrief's team: the lead, out in November too
    assert "returning *1* (+1 vs 0)" in december and "new *0* (-2 vs 2)" in december
    bot.fake.wait_for("files.completeUploadExternal", where=lambda c: "2026-12" in json.dumps(c.params) and not_invite(c))


def test_report_uploads_a_real_png_of_the_right_size(bot, november):
    sent = bot.command(ADMIN, "report 2026-11")
    assert "PDF, the workbook and the 12-month chart of 2026-11 are being uploaded" in sent.text()
    get_url = bot.fake.wait_for("files.getUploadURLExternal", where=not_invite)[0]
    assert get_url.params["filename"] == "outreach-2026-11.png"
    complete = bot.fake.wait_for("files.completeUploadExternal", where=not_invite)[0]
    assert complete.params["channel_id"] == COORD_CHANNEL  # typed in #general: not posted there
    data = bot.fake.uploads[uploaded_id(complete)]
    assert png_size(data) == (1200, 600)
    import matplotlib.image

    assert matplotlib.image.imread(io.BytesIO(data), format="png").shape[:2] == (600, 1200)


def test_volunteers_cannot_get_reports(bot, november):
    assert "is for coordinators" in bot.command("UA", "report").text()
    assert "is for coordinators" in bot.command("UA", "export").text()
    assert "2026-Q3" in bot.command(ADMIN, "report lastyear").text()
    assert not [c for c in bot.fake.calls_to("files.getUploadURLExternal") if not_invite(c)]


def read_csv(data):
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so spreadsheets read UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def check_rows(rows, november):
    a, b, _, _ = november
    assert [int(r["Shift"]) for r in rows] == [a, b]  # one row per night held (#3 never went out)
    first, second = rows
    assert first["Kind"] == "Direct outreach" and first["Venue type"] == "Hotels and motels"
    assert first["Date"] == "2026-11-23" and first["Debriefed"] == "yes"
    assert (first["Hours out"], first["Team"], first["Volunteer hours"]) == ("4.25", "2", "8.5")
    assert (first["Contacts"], first["Brief contacts"], first["Extended contacts"]) == ("12", "9", "3")
    assert first["Languages"] == "Spanish; English" and first["Hotline contacted"] == "1"
    assert first["Law enforcement contacted"] == "0"
    assert first["Material: Hotline cards"] == "40" and first["Material: Posters"] == "0"
    assert first["Referral: Emergency housing"] == "2" and first["Referral: Medical care"] == "1"
    assert first["Indicator: Debt to employer or recruiter"] == "1"
    assert first["Indicator: A minor in commercial sex or hazardous work"] == "0"
    assert second["Kind"] == "Training" and second["Contacts"] == "25" and second["Safety incident"] == "1"
    assert second["Trained: Sector not recorded (training head count)"] == "25"
    header = list(rows[0].keys())
    assert header[:6] == ["Shift", "Date", "Kind", "Venue type", "Area", "Started"]
    assert not [h for h in header if "note" in h.lower() or "why" in h.lower() or "what" in h.lower()]
    ids = ("direct", "motel", "housing-emergency", "hotline-cards", "law-enforcement")
    assert not [c for r in rows for c in list(r) + list(r.values()) for i in ids if i == c or f":{i}" in c]


def test_export_uploads_a_csv_of_counts_only(bot, november):
    assert "CSV of 2026-11" in bot.command(ADMIN, "export 2026-11", channel="DADMIN").text()
    get_url = bot.fake.wait_for("files.getUploadURLExternal", where=not_invite)[0]
    assert get_url.params["filename"] == "outreach-2026-11.csv"
    complete = bot.fake.wait_for("files.completeUploadExternal", where=not_invite)[0]
    assert complete.params["channel_id"] == "DADMIN"  # typed in a DM with the bot: uploaded there
    data = bot.fake.uploads[uploaded_id(complete)]
    assert b"Secret note" not in data and b"Routine liaison" not in data and b"slammed" not in data
    check_rows(read_csv(data), november)


def test_admin_cli_export_writes_the_same_csv(bot, november, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for key, value in {"SLACK_BOT_TOKEN": "xoxb-1", "OUTREACH_DB": str(bot.settings.db_path),
                       "OUTREACH_TIMEZONE": "America/Chicago"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.setattr(store_module, "utcnow", lambda: datetime(2026, 12, 2, tzinfo=UTC))
    out = tmp_path / "nov.csv"
    assert bot_module.main(["export", "--period", "2026-11", "--out", str(out)]) == 0
    check_rows(read_csv(out.read_bytes()), november)
    assert bot_module.main(["export", "--period", "November", "--out", str(out)]) == 2


def test_any_run_of_days_is_a_period_compared_with_as_many_days_before():
    today = datetime(2026, 12, 2).date()
    grant = parse_period("2026-07-01..2027-06-30", today=today)
    assert (grant.label, grant.days, grant.months) == ("2026-07-01..2027-06-30", 365, 0)
    before = grant.previous()
    assert (before.label, before.days, before.end) == ("2025-07-01..2026-06-30", 365, grant.first)
    leap = parse_period("2027-07-01 .. 2028-06-30", today=today)  # spaces around the dots are fine
    assert leap.days == 366 and leap.previous().label == "2026-06-30..2027-06-30"
    assert parse_period("2026-11-26..2026-11-26", today=today).previous().label == "2026-11-25..2026-11-25"
    assert parse_period("2026-10", today=today).previous().label == "2026-09"  # months stay months
    for bad in ("2026-07-01..", "2026-07-01..2026-06-30", "2026-02-29..2026-03-31", "1999-01-01..2000-01-01",
                "2020-01-01..2026-01-01", "2026-07-01...2027-06-30", "2026-07-01 to 2027-06-30"):
        assert parse_period(bad, today=today) is None, bad
