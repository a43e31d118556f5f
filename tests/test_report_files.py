"""The report as files: the PDF (read back with pypdf) and the workbook (openpyxl) uploaded by
/outreach report through the real pipeline, their numbers equal to the CSV's and the chat message's,
audiences by sector, the in-kind value, custom grant periods, and `bot.py report`."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime

import openpyxl
import pytest
from conftest import ADMIN, COORD_CHANNEL, Bot
from pypdf import PdfReader
from test_reports import LEAD, debrief, not_invite, november, uploaded_id  # noqa: F401 (november: a fixture)

import bot as bot_module
from outreach import report_files as rf
from outreach import store as store_module
from outreach.debriefs import audiences_of, check_audiences, load_sectors, record_audiences
from outreach.reports import buckets, read_period

COALITION = "Eastside Coalition Against Trafficking"
PLANTED = ("Secret note", "Routine liaison", "slammed", "quokka")  # debrief text the setup writes
KPI = rf.words()["kpis"]


@pytest.fixture
def bot(fake, tmp_path, clock):
    """The bot of a coalition that set its name and an in-kind rate."""
    instance = Bot(fake, tmp_path, clock, env={"OUTREACH_COALITION_NAME": COALITION, "OUTREACH_INKIND_RATE": "33.49"})
    yield instance
    instance.close()


@pytest.fixture
def audiences(bot, november):  # noqa: F811 (the fixture imported above)
    """The training night (#2) spoke to 12 officers and 8 nurses; a follow-up with planted text on night #1."""
    a, b, _, _ = november
    sectors = load_sectors(bot.settings.data_dir)
    with bot.store.write() as db:
        debrief_id = db.execute("SELECT id FROM debriefs WHERE shift_id = ?", [b]).fetchone()[0]
        assert record_audiences(db, debrief_id, {"law-enforcement": 12, "health-care": 8}, sectors=sectors) == 20
        assert audiences_of(db, debrief_id) == {"health-care": 8, "law-enforcement": 12}
    debrief(bot, a, db_contacts="12", db_brief="9", db_extended="3", db_languages=["es", "en"], **{
                "db_mat_hotline-cards": "40", "db_mat_hygiene-kits": "6", "db_ref_housing-emergency": "2"},
            db_indicators=["debt", "hotel-signs"], db_referrals=["medical-care", "housing-emergency"],
            db_flags=["hotline"],
            db_fu1_what="Restock the quokka kits", db_fu1_owner=LEAD, db_fu1_due="2026-12-05")
    assert bot.db.execute("SELECT count(*) FROM followups WHERE what LIKE '%quokka%'").fetchone()[0] == 1
    bot.kit.tick()
    bot.fake.reset()
    return november


def report_uploads(bot, command="report 2026-11", channel="CGENERAL"):
    """Run /outreach report; return the chat text and the uploaded files by extension."""
    text = bot.command(ADMIN, command, channel=channel).text()
    complete = bot.fake.wait_for("files.completeUploadExternal", where=not_invite)[0]
    files = complete.params["files"]
    files = json.loads(files) if isinstance(files, str) else files
    names = [c.params["filename"] for c in bot.fake.calls_to("files.getUploadURLExternal") if not_invite(c)]
    data = {name.rsplit(".", 1)[1]: bot.fake.uploads[f["id"]] for name, f in zip(names, files, strict=True)}
    return text, data, complete


def pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    return reader, " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def chat_figure(text, label):
    match = re.search(r"\*" + re.escape(label) + r"\*: \*([0-9.]+)\*", text)
    assert match, label
    return float(match.group(1))


def csv_figures(rows):
    """The report's figures added up from the CSV's rows (one per night held)."""
    def total(prefix):
        return sum(int(v) for r in rows for k, v in r.items() if k.startswith(prefix))

    return {"nights": len(rows), "reached": sum(int(r["Contacts"]) for r in rows if r["Kind"] != "Training"),
            "trained": total("Trained: "), "materials": total("Material: "), "referrals": total("Referral: "),
            "hotline": sum(int(r["Hotline contacted"]) for r in rows),
            "hours": round(sum(float(r["Volunteer hours"]) for r in rows), 1)}


def summary_rows(book):
    sheet = book["Summary"]
    return {row[0].value: row for row in sheet.iter_rows(min_row=2) if row[0].value}


def test_report_uploads_a_pdf_holding_the_coalition_and_the_kpis(bot, audiences):
    text, files, complete = report_uploads(bot)
    assert complete.params["channel_id"] == COORD_CHANNEL  # typed in #general: uploaded to coordinators only
    assert set(files) == {"png", "pdf", "xlsx"}
    reader, words = pdf_text(files["pdf"])
    assert 1 <= len(reader.pages) <= 3
    assert COALITION in words and "Outreach report, 2026-11" in words
    assert "1 November 2026 to 30 November 2026" in words
    assert rf.words()["first_period"] in words  # October held no night: nothing to compare with
    assert f"{KPI['nights']} 2 Direct outreach 1 Training 1" in words
    assert f"{KPI['reached']} 12 {KPI['trained']} 20 Law enforcement 12 Health care 8" in words
    assert f"{KPI['materials']} 56 {KPI['referrals']} 3" in words
    assert "Emergency housing 2" in words and f"{KPI['hotline']} 1" in words
    assert f"{KPI['hours']} 10.5" in words
    assert "(USD, at 33.49 an hour) 351.65" in words  # 10.5 h × 33.49
    assert "in-kind value* (USD at 33.49 an hour): *351.6" in text


def test_workbook_cells_equal_the_csv_and_the_chat_message(bot, audiences):
    a, b, _, _ = audiences
    text, files, _ = report_uploads(bot)
    assert "*People trained*: *20*: Law enforcement *12* · Health care *8*" in text
    bot.fake.reset()
    bot.command(ADMIN, "export 2026-11").text()
    complete = bot.fake.wait_for("files.completeUploadExternal", where=not_invite)[0]
    rows = list(csv.DictReader(io.StringIO(bot.fake.uploads[uploaded_id(complete)].decode("utf-8-sig"))))
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    assert book.sheetnames == ["Summary", "Nights", "Referrals", "Trainings and audiences", "Volunteer hours"]
    summary = summary_rows(book)

    def cell(key):
        row = summary[KPI[key]] if key in KPI else summary[key]
        assert isinstance(row[1].value, int | float) and len(row) == 2  # the first period: no comparison
        return row[1].value

    from_csv = csv_figures(rows)
    assert from_csv == {"nights": 2, "reached": 12, "trained": 20, "materials": 56, "referrals": 3, "hotline": 1,
                        "hours": 10.5}
    for key, value in from_csv.items():
        assert cell(key) == value, key
    assert cell("reached") == chat_figure(text, "People reached") and cell("materials") == chat_figure(text, "Materials")
    assert cell("trained") == chat_figure(text, "People trained") and cell("referrals") == chat_figure(text, "Referrals")
    assert cell("hotline") == chat_figure(text, "Hotline contacted")
    assert cell("nights") == chat_figure(text, "Outreach nights held")
    assert cell("hours") == chat_figure(text, "Volunteer hours") == 10.5
    assert summary["  Law enforcement"][1].value == 12 == sum(int(r["Trained: Law enforcement"]) for r in rows)
    assert summary[KPI["inkind"].format(currency="USD", rate="33.49")][1].number_format == "#,##0.00"
    assert summary["First day"][1].value == datetime(2026, 11, 1) and summary["First day"][1].number_format == "yyyy-mm-dd"
    assert summary["Coalition"][1].value == COALITION
    assert rf.words()["first_period"] in summary

    nights = list(book["Nights"].iter_rows(min_row=2, values_only=True))
    assert [n[0] for n in nights] == [a, b]  # every night held (#3 never went out)
    assert nights[0][1] == datetime(2026, 11, 23) and book["Nights"]["B2"].number_format == "yyyy-mm-dd"
    assert (nights[0][2], nights[0][3]) == ("Direct outreach", "Hotels and motels")
    by_shift = {int(r["Shift"]): r for r in rows}
    for night in nights:  # the CSV's row of the same night holds the same numbers
        row = by_shift[night[0]]
        assert (night[5], night[6], night[7], night[8], night[11]) == (
            int(row["Team"]), float(row["Hours out"]), float(row["Volunteer hours"]), int(row["Contacts"]),
            sum(int(v) for k, v in row.items() if k.startswith("Trained: ")))
    assert sum(n[7] for n in nights) == 10.5
    referrals = {r[0]: r[1:] for r in book["Referrals"].iter_rows(min_row=2, values_only=True)}
    assert referrals == {"Emergency housing": (2,), "Medical care": (1,)}  # no previous column in a first period
    trained = list(book["Trainings and audiences"].iter_rows(min_row=2, values_only=True))
    assert trained == [(b, datetime(2026, 11, 25), "Training", "Health care", 8),
                       (b, datetime(2026, 11, 25), "Training", "Law enforcement", 12)]
    hours = list(book["Volunteer hours"].iter_rows(min_row=2, values_only=True))
    assert [h[0] for h in hours] == [datetime(2026, 11, d) for d in (1, 8, 15, 22, 29)]  # weeks of a month
    assert sum(h[5] for h in hours) == 10.5 and hours[3][6] == round(hours[3][5] * 33.49, 2)
    assert sum(h[4] for h in hours) == 20


def test_no_free_text_from_debriefs_in_any_file(bot, audiences):
    _, files, _ = report_uploads(bot)
    bot.fake.reset()
    bot.command(ADMIN, "export 2026-11").text()
    complete = bot.fake.wait_for("files.completeUploadExternal", where=not_invite)[0]
    exported = bot.fake.uploads[uploaded_id(complete)].decode("utf-8-sig")
    _, words = pdf_text(files["pdf"])
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    cells = " ".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row)
    for planted in PLANTED:
        assert planted not in words and planted not in cells and planted not in exported, planted


def test_without_a_rate_no_inkind_value_is_shown(fake, tmp_path, clock):
    instance = Bot(fake, tmp_path, clock)
    try:
        text = instance.command(ADMIN, "report 2026-11").text()
        complete = fake.wait_for("files.completeUploadExternal", where=not_invite)[0]
        files = complete.params["files"]
        files = json.loads(files) if isinstance(files, str) else files
        pdf = next(fake.uploads[f["id"]] for f in files if fake.uploads[f["id"]][:4] == b"%PDF")
        xlsx = next(fake.uploads[f["id"]] for f in files if fake.uploads[f["id"]][:2] == b"PK")
    finally:
        instance.close()
    _, words = pdf_text(pdf)
    assert "in-kind" not in text and "In-kind" not in words and "Outreach report" in words
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert not [r for r in summary_rows(book) if "In-kind" in r]
    assert "In-kind" not in " ".join(str(c.value) for c in book["Volunteer hours"][1])


def test_a_custom_grant_period_is_compared_with_the_same_number_of_days(bot, audiences):
    today = date(2026, 12, 2)
    grant, _ = read_period("2026-07-01..2027-06-30", today=today)
    assert (grant.first, grant.last, grant.days) == (date(2026, 7, 1), date(2027, 6, 30), 365)
    assert grant.previous().label == "2025-07-01..2026-06-30" and grant.previous().days == 365
    assert [s.label for s in buckets(grant)][:2] == ["2026-07", "2026-08"] and len(buckets(grant)) == 12
    mid, _ = read_period("2026-07-15 .. 2027-07-14", today=today)
    assert buckets(mid)[0].label == "2026-07-15..2026-07-31" and buckets(mid)[-1].label == "2027-07-01..2027-07-14"
    # A week from the 26th: night #3 (the 27th) never went out, so the week held none; the week before
    # holds nights #1 and #2.
    text, files, _ = report_uploads(bot, "report 2026-11-26..2026-12-02")
    assert "Outreach impact, 2026-11-26..2026-12-02* (compared with 2026-11-19..2026-11-25, the 7 days before)" in text
    assert "*Outreach nights held*: *0* (-2 vs 2)" in text and "*People reached*: *0* (-12 vs 12)" in text
    assert "*Volunteer hours*: *0.0* (-10.5 vs 10.5)" in text
    summary = summary_rows(openpyxl.load_workbook(io.BytesIO(files["xlsx"])))
    assert (summary["Previous period from"][1].value, summary["Previous period to"][1].value) == (
        datetime(2026, 11, 19), datetime(2026, 11, 25))
    assert summary[KPI["hours"]][1].value == 0.0 and summary[KPI["hours"]][2].value == 10.5
    _, words = pdf_text(files["pdf"])
    assert "26 November 2026 to 2 December 2026" in words and "the 7 days before: 19 November 2026 to 25 November 2026" in words


@pytest.mark.parametrize(("typed", "said"), [
    ("2026-07-01..2026-06-30", "ends before it starts"),
    ("2026-02-30..2026-03-31", "does not exist"),
    ("2020-01-01..2026-01-01", "at most five years"),
    ("July", "July is not a period"),
])
def test_a_period_that_cannot_be_read_says_what_to_type(bot, typed, said):
    text = bot.command(ADMIN, f"report {typed}").text()
    assert said in text and "2026-07-01..2027-06-30" in text and "2026-Q3" in text
    assert not [c for c in bot.fake.calls_to("files.getUploadURLExternal") if not_invite(c)]


def test_audiences_are_checked_against_the_sectors_file(bot, november):  # noqa: F811
    a, b, _, _ = november
    sectors = load_sectors(bot.settings.data_dir)
    assert [s.id for s in sectors][:2] == ["law-enforcement", "health-care"] and len(sectors) == 8
    with bot.store.write() as db:
        on_training = db.execute("SELECT id FROM debriefs WHERE shift_id = ?", [b]).fetchone()[0]
        on_direct = db.execute("SELECT id FROM debriefs WHERE shift_id = ?", [a]).fetchone()[0]
        for counts, problem in (({"police": 3}, "unknown sector"), ({"legal": -1}, "whole number"),
                                ({"legal": 1001}, "whole number")):
            with pytest.raises(ValueError, match=problem):
                record_audiences(db, on_training, counts, sectors=sectors)
        with pytest.raises(ValueError, match="only community outreach and training"):
            record_audiences(db, on_direct, {"legal": 3}, sectors=sectors)
        record_audiences(db, on_training, {"legal": 3, "education": 4}, sectors=sectors)
        record_audiences(db, on_training, {"education": 5}, sectors=sectors)  # an edit replaces the audience
    assert bot.db.execute("SELECT sector, count FROM debrief_audiences").fetchall() == [("education", 5)]
    assert "*People trained*: *5*: Education *5*" in bot.command(ADMIN, "report").text()


def test_admin_cli_writes_the_pdf_and_the_workbook(bot, audiences, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for key, value in {"SLACK_BOT_TOKEN": "xoxb-1", "OUTREACH_DB": str(bot.settings.db_path),
                       "OUTREACH_TIMEZONE": "America/Chicago", "OUTREACH_COALITION_NAME": COALITION}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.delenv("OUTREACH_INKIND_RATE", raising=False)
    monkeypatch.setattr(store_module, "utcnow", lambda: datetime(2026, 12, 2, tzinfo=UTC))
    pdf, xlsx = tmp_path / "grant.pdf", tmp_path / "grant.xlsx"
    assert bot_module.main(["report", "--period", "2026-11-01..2026-11-30", "--pdf", str(pdf), "--xlsx", str(xlsx)]) == 0
    assert "report: 2026-11-01..2026-11-30 (2 night(s)" in capsys.readouterr().out
    reader, words = pdf_text(pdf.read_bytes())
    assert COALITION in words and f"{KPI['reached']} 12 {KPI['trained']}" in words and "In-kind" not in words
    summary = summary_rows(openpyxl.load_workbook(xlsx))
    assert summary[KPI["reached"]][1].value == 12 and summary[KPI["hours"]][1].value == 10.5
    assert bot_module.main(["report", "--period", "2026-11-31..2026-12-01", "--pdf", str(pdf)]) == 2
    assert "--period: 2026-11-31..2026-12-01 holds a date that does not exist" in capsys.readouterr().err
    assert bot_module.main(["report", "--period", "2026-11"]) == 2
    assert "give --pdf FILE, --xlsx FILE or both" in capsys.readouterr().err


def test_the_debrief_form_audience_fields_are_read_and_checked(bot):
    sectors = load_sectors(bot.settings.data_dir)
    counts, errors = check_audiences({"db_aud_law-enforcement": "12", "db_aud_legal": " ", "db_aud_faith": "0"},
                                     sectors)
    assert (counts, errors) == ({"law-enforcement": 12}, {})
    counts, errors = check_audiences({"db_aud_health-care": "lots", "db_aud_business": "1001"}, sectors)
    assert set(errors) == {"db_aud_health-care", "db_aud_business"} and "0 to 1000" in errors["db_aud_business"]
