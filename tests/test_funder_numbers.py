"""Nights a funder can audit (issue 21, section 1): only nights that happened count, people trained is one
figure everywhere, volunteers are counted, the funder's files hold no to-do lines, no comparison with an
empty period, names instead of ids, and the CSV adds up to the PDF, through the real pipeline."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from conftest import ADMIN, Clock, at, everyone_back, submit_debrief
from phone import Phone
from test_checklist_truth import go, without_lead_training
from test_readiness import make_ready
from test_report_files import csv_figures, pdf_text, report_uploads, summary_rows
from test_reports import not_invite, uploaded_id
from test_series import START
from test_series import plan as plan_series
from test_trainings import training_shift

from outreach import report_files as rf
from outreach import shifts as sh
from outreach.debriefs import Lists
from outreach.held import HELD_SQL, is_held
from outreach.night import night

LEAD = "ULEAD"
KPI = rf.words()["kpis"]
TO_DO = ("without Go", "without a debrief", "Debriefs missing", "debriefs owed")
# Shifts made by conftest's shift form are "tomorrow" from START: 2027-02-16, 19:00-23:00 in Chicago.
TOMORROW = datetime(2027, 2, 17, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)  # Monday 2027-02-15: the series' first Friday is 2027-02-19


def starts(bot, number):
    row = bot.db.execute("SELECT starts_at, ends_at FROM shifts WHERE id = ?", [number]).fetchone()
    return datetime.fromisoformat(row[0]), datetime.fromisoformat(row[1])


def went_out(bot, number, team=("UA",)):
    """The lead and the team check in after the start, and the lead says everyone is back before the end."""
    start, end = starts(bot, number)
    at(bot, start + timedelta(minutes=10))
    for user in (LEAD, *team):
        bot.command(user, f"checkin {number}").reply()
    at(bot, end - timedelta(minutes=5))
    everyone_back(bot, number, lead=LEAD)


def export(bot, period):
    """The CSV /outreach export uploads, as rows."""
    bot.fake.reset()
    bot.command(ADMIN, f"export {period}").text()
    complete = bot.fake.wait_for("files.completeUploadExternal", where=not_invite)[0]
    data = bot.fake.uploads[uploaded_id(complete)]
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def everything(bot, period):
    """The chat message, the PDF (reader, words), the workbook and the CSV rows of a period."""
    bot.fake.reset()
    text, files, _ = report_uploads(bot, f"report {period}")
    reader, words = pdf_text(files["pdf"])
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    return text, reader, words, book, export(bot, period)


def book_cells(book):
    return [c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c is not None]


def held_by_sql(bot):
    now = bot.clock().isoformat()
    return {r[0] for r in bot.db.execute(f"SELECT s.id FROM shifts s WHERE {HELD_SQL}", {"now": now})}


def held_by_python(bot, numbers):
    out = set()
    with bot.store.read() as db:
        for number in numbers:
            shift = sh.load_shift(bot.store, number)
            debriefed = db.execute("SELECT 1 FROM debriefs WHERE shift_id = ?", [number]).fetchone() is not None
            attended = db.execute("SELECT 1 FROM trainings WHERE shift_id = ?", [number]).fetchone() is not None
            if is_held(night(db, shift), kind=shift.kind, ends_at=shift.ends_at, now=bot.clock(),
                       debriefed=debriefed, attended=attended):
                out.add(number)
    return out


def test_a_series_counts_only_the_occurrences_that_went_out(bot):
    numbers = plan_series(bot)  # six Fridays, 21:00-01:00 in Chicago, all in 2027-Q1
    assert len(numbers) == 6
    bot.train("UA")
    for number in numbers:  # one volunteer on each
        assert "signed up" in bot.command("UA", f"signup {number}").text()
    out = [numbers[0], numbers[3]]
    for number in out:  # two went out (no Go recorded); the other four: no Go, no check-in, nobody said a word
        went_out(bot, number)
    at(bot, datetime(2027, 4, 1, 14, 0, tzinfo=UTC))
    submit_debrief(bot, ADMIN, numbers[0], {"db_contacts": "7", "db_languages": ["es"]})
    assert held_by_sql(bot) == held_by_python(bot, numbers) == set(out)

    text, reader, words, book, rows = everything(bot, "2027-Q1")
    assert "*Outreach nights held*: *2* · Direct outreach *2*" in text  # not 6
    assert "*People reached*: *7*" in text and "*Volunteers out*: *2* · new *2* · returning *0*" in text
    assert "*Debriefs missing*: *1* of 2 · *2 direct nights went out without Go*" in text  # coordinators only
    assert f"{KPI['nights']} 2 Direct outreach 2" in words
    for line in TO_DO:
        assert line not in words and not [c for c in book_cells(book) if line in str(c)], line
    assert [int(r["Shift"]) for r in rows] == out
    assert [n[0] for n in book["Nights"].iter_rows(min_row=2, values_only=True)] == out
    weeks = list(book["Volunteer hours"].iter_rows(min_row=2, values_only=True))
    assert sum(w[2] for w in weeks) == 2 and len([w for w in weeks if w[2]]) == 2  # the chart's bars: 2 nights
    hours = sum(float(r["Volunteer hours"]) for r in rows)
    assert hours > 0 and summary_rows(book)[KPI["hours"]][1].value == round(hours, 1)


def test_didnt_go_out_is_not_held_and_go_taken_back_after_going_out_still_is(bot):
    kept = bot.create_shift()
    stayed = bot.create_shift(start_time="20:00", end_time="22:00")  # the same evening, an hour later
    make_ready(bot, kept)
    go(bot, kept)  # Go recorded before the start
    at(bot, TOMORROW + timedelta(minutes=5))
    bot.command(LEAD, f"checkin {kept}").reply()
    without_lead_training(bot)  # the re-check takes Go back once the team is out
    bot.clock.advance(minutes=1)
    bot.kit.tick()
    assert bot.db["readiness"].get(kept)["go_by"] is None
    everyone_back(bot, kept, lead=LEAD)
    bot.train("ULEAD")
    at(bot, TOMORROW + timedelta(hours=1, minutes=20))
    bot.click(LEAD, "night_not_held", str(stayed))  # "It didn't go out"
    bot.settle()
    assert bot.db.execute("SELECT not_held_by FROM safety WHERE shift_id = ?", [stayed]).fetchone() == (LEAD,)
    at(bot, datetime(2027, 2, 18, 14, 0, tzinfo=UTC))
    assert held_by_sql(bot) == held_by_python(bot, [kept, stayed]) == {kept}

    text = bot.command(ADMIN, "report 2027-02").text()
    assert "*Outreach nights held*: *1* · Direct outreach *1*" in text
    assert "without Go" not in text  # its Go was recorded before the start, and is kept
    assert "*Debriefs missing*: *1* of 1" in text


def test_a_training_counts_by_its_confirmed_attendance(bot):
    attended = training_shift(bot, "2027-02-16", training="safety")
    forgotten = training_shift(bot, "2027-02-16", training="safety", lead="UB")  # no debrief, no attendance
    for user in ("UA", "UC"):
        assert "signed up" in bot.command(user, f"signup {attended}").text()
    bot.clock.now = datetime(2027, 2, 17, 1, 30, tzinfo=UTC)  # 19:30 in Chicago: under way
    lead = Phone(bot, LEAD)
    form = lead.home().tap("Details", near=f"#{attended}").modal().tap("Confirm attendance").modal()
    assert "Recorded" in form.submit({"Who attended": ["UA", "UC"]}).modal().words
    at(bot, datetime(2027, 2, 18, 14, 0, tzinfo=UTC))
    assert held_by_sql(bot) == held_by_python(bot, [attended, forgotten]) == {attended}

    text, _, words, book, rows = everything(bot, "2027-02")
    assert "*Outreach nights held*: *1* · Training *1*" in text
    assert "*People trained*: *2*: Coalition volunteers (training attendance) *2*" in text
    assert f"{KPI['trained']} 2 {KPI['attended']} 2" in words
    assert summary_rows(book)[KPI["trained"]][1].value == 2
    assert [(int(r["Shift"]), r["Debriefed"], r[f"Trained: {KPI['attended']}"]) for r in rows] == [
        (attended, "no", "2")]


def test_the_figures_are_equal_in_chat_csv_pdf_and_workbook_with_names_and_no_empty_comparison(bot):
    lists = Lists.load(bot.settings.data_dir)
    bot.train("UA")
    direct = bot.create_shift(venue="farm", languages=["es"])
    assert "signed up" in bot.command("UA", f"signup {direct}").text()
    training = bot.create_shift(kind="training", venue="community-venue", start_time="10:00", end_time="12:00",
                                min_team="1", languages=["en"], training="none")
    went_out(bot, direct)
    at(bot, datetime(2027, 2, 18, 14, 0, tzinfo=UTC))
    every = [c.id for c in lists.categories]
    submit_debrief(bot, ADMIN, direct, {"db_contacts": "9", "db_languages": ["es"], "db_referrals": every,
                                        "db_ref_housing-emergency": "2", "db_mat_hotline-cards": "30"})
    # The reproduction: a training whose lead counted 12 officers by sector and left "People reached" at 0.
    submit_debrief(bot, ADMIN, training, {"db_contacts": "0", "db_aud_law-enforcement": "12"})

    text, reader, words, book, rows = everything(bot, "2027-02")
    summary = summary_rows(book)
    from_csv = csv_figures(rows)
    assert from_csv["trained"] == 12 and from_csv["nights"] == 2 and from_csv["referrals"] == len(every) + 1
    chat = {"nights": "Outreach nights held", "reached": "People reached", "trained": "People trained",
            "materials": "Materials", "referrals": "Referrals", "hours": "Volunteer hours",
            "hotline": "Hotline contacted"}
    for key, value in from_csv.items():
        assert summary[KPI[key]][1].value == value, key
        found = re.search(r"\*" + re.escape(chat[key]) + r"\*: \*([0-9.]+)\*", text)
        assert found and float(found.group(1)) == value, key
        assert f"{KPI[key]} {rf.number(value)}" in words, key
    assert "*People trained*: *12*: Law enforcement *12*" in text
    by_kind = {r["Kind"]: r for r in rows}
    assert [int(r["Shift"]) for r in rows] == [training, direct]  # in order: 10:00, then 19:00
    assert summary["  Law enforcement"][1].value == 12 == int(by_kind["Training"]["Trained: Law enforcement"])
    assert by_kind["Direct outreach"]["Trained: Law enforcement"] == "0"

    # Names, never ids, in the files people read.
    ids = {"direct", "training", "farm", "community-venue", "es", "en", "housing-emergency", "law-enforcement"}
    cells = [str(c) for c in book_cells(book)] + [v for r in rows for v in r.values()] + list(rows[0])
    assert not [c for c in cells if c in ids or ":" in c and c.split(":")[-1].strip() in ids]
    assert by_kind["Direct outreach"]["Venue type"] == "Farms and migrant camps"
    assert by_kind["Direct outreach"]["Languages"] == "Spanish"
    assert by_kind["Direct outreach"]["Referral: Emergency housing"] == "2"

    # The first period on record: no "+N vs 0", no previous column, and said so.
    assert " vs " not in text and "first period on record" in text
    assert rf.words()["first_period"] in words and "Previous period" not in words
    assert len(summary[KPI["nights"]]) == 2 and rf.words()["first_period"] in summary
    # Every page holds more than the footer (a long table of referrals runs onto a second page).
    footer = rf.words()["generated"].split("{")[0]
    assert len(reader.pages) >= 2
    for number, page in enumerate(reader.pages, start=1):
        rest = " ".join((page.extract_text() or "").split())
        rest = re.sub(r"Counts from the outreach bot's records.*?shown\.", "", rest).replace(f"Page {number}", "")
        assert footer in " ".join((page.extract_text() or "").split()) and rest.strip(), number

    # March, with February to compare with: the comparison is shown.
    march = bot.create_shift(start_date="2027-03-02", end_date="2027-03-02")
    assert "signed up" in bot.command("UA", f"signup {march}").text()
    went_out(bot, march)
    at(bot, datetime(2027, 3, 4, 14, 0, tzinfo=UTC))
    text, _, words, book, _ = everything(bot, "2027-03")
    assert "(compared with 2027-02)" in text and "*Outreach nights held*: *1* (-1 vs 2)" in text
    assert "*Volunteers out*: *2* (same) · new *0* (-2 vs 2) · returning *2* (+2 vs 0)" in text
    assert f"{KPI['nights']} 1 2 -1" in words and len(summary_rows(book)[KPI["nights"]]) == 4
    # A period after one that held nothing, with nights on record before: nothing to compare with, said so.
    at(bot, datetime(2027, 6, 2, 14, 0, tzinfo=UTC))
    may = bot.command(ADMIN, "report 2027-05").text()
    assert "(no nights held in 2027-04: nothing to compare with)" in may and " vs " not in may
