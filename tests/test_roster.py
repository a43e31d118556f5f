"""The coordinators' roster, through the real pipeline: each volunteer's trainings and expiry, languages,
hours (90 days, this year), last shift and no-shows; the .xlsx by DM with numbers as numbers and dates as
dates; a correction from the roster; no debrief text anywhere in it; volunteers cannot open it."""

from __future__ import annotations

import io
import json
from datetime import datetime

import openpyxl
from conftest import ADMIN
from phone import Phone
from test_hours import LEAD, NAMES, PLANTED, bot, night, uploaded  # noqa: F401 (fixtures)


def block_words(screen, block_id):
    """The text of one block of a screen, by its block id."""
    return next(b for b in screen.blocks if b.get("block_id") == block_id)["text"]["text"]


def test_the_roster_shows_hours_trainings_languages_and_a_no_show(bot, night):  # noqa: F811
    assert "Saved" in Phone(bot, "UA").command("profile languages Spanish").reply().words
    coord = Phone(bot, ADMIN)
    home = coord.home()
    assert "My hours" in home.buttons and "Roster" in home.buttons
    roster = home.tap("Roster").modal()
    assert "Roster* (3 volunteers)" in roster.words
    ua, ub, lead = (block_words(roster, f"roster:{user}") for user in ("UA", "UB", LEAD))
    assert "*6.25 h* this year" in ua and "6.25 h in 90 days" in ua and "last shift 2026-11-25" in ua
    assert "Direct outreach training (until 2027-11-22)" in ua and "Spanish" in ua and "no-show" not in ua
    assert "*0 h* this year" in ub and "last shift none" in ub and "1 no-show" in ub
    assert "*6.25 h* this year" in lead and "No training recorded" in lead
    assert not any(planted in roster.words for planted in PLANTED)
    typed = coord.command("roster").modal()
    assert block_words(typed, "roster:UB") == ub


def test_the_roster_workbook_has_numbers_as_numbers_and_no_debrief_text(bot, night):  # noqa: F811
    coord = Phone(bot, ADMIN)
    roster = coord.command("roster").modal()
    mark = coord.mark
    after = roster.tap("Export .xlsx")
    assert "on its way to your DMs" in after.modal().words
    name, data = uploaded(coord, mark)
    assert name.startswith("roster-") and name.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Roster", "Trainings"]
    sheet = book["Roster"]
    head = [c.value for c in sheet[1]]
    assert head[:3] == ["Name", "Slack ID", "Trainings"] and "Hours this year" in head
    rows = {r[1]: dict(zip(head, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"UA", "UB", LEAD}
    assert {user: row["Name"] for user, row in rows.items()} == NAMES  # as Slack knows them
    assert rows["UA"]["Hours this year"] == 6.25 and isinstance(rows["UA"]["Hours this year"], float)
    assert rows["UA"]["Hours, last 90 days"] == 6.25
    assert rows["UA"]["Last shift"] == datetime(2026, 11, 25)
    assert rows["UB"]["No-shows, last 12 months"] == 1 and isinstance(rows["UB"]["No-shows, last 12 months"], int)
    assert rows["UB"]["Hours this year"] == 0 and rows["UB"]["Last shift"] is None
    assert isinstance(rows["UA"]["Next expiry"], datetime) or rows["UA"]["Next expiry"] is None
    trainings = list(book["Trainings"].iter_rows(min_row=2, values_only=True))
    assert {(t[0], t[1], t[2]) for t in trainings} == {("Ana Example", "UA", "Direct outreach training"),
                                                      ("Bo Example", "UB", "Direct outreach training")}
    assert all(isinstance(t[3], datetime) for t in trainings)
    cells = " ".join(str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row)
    assert not any(planted in cells for planted in PLANTED)


def test_a_correction_from_the_roster(bot, night):  # noqa: F811
    a, _ = night
    coord = Phone(bot, ADMIN)
    roster = coord.command("roster").modal()
    form = roster.tap("Correct hours").modal()
    assert form.inputs == ["Person", "Shift number", "Hours", "Why"]
    bad = form.submit({"Person": "UA", "Shift number": "x", "Hours": "30", "Why": "Stayed late"})
    assert set(bad.errors) == {"shift", "hours"}
    private = form.submit({"Person": "UA", "Shift number": str(a), "Hours": "5",
                           "Why": "Walked jane.doe@example.org home"})
    assert "Please remove" in private.errors["reason"]
    done = form.submit({"Person": "UA", "Shift number": str(a), "Hours": "5", "Why": "Stayed to close up"})
    assert "4.25 h → 5 h" in done.modal().words
    again = form.submit({"Person": "UA", "Shift number": str(a), "Hours": "5", "Why": "Stayed to close up"})
    assert "Recorded" in again.modal().words  # the same form sent twice is recorded once
    with bot.store.read() as db:
        audits = [json.loads(r["detail"]) for r in db.query(
            "SELECT detail FROM audit WHERE action = 'hours.correct' AND actor = ?", [ADMIN])]
    assert audits == [{"user": "UA", "before": 4.25, "after": 5.0, "fields": ["hours", "reason"]}]  # never its words
    assert bot.db.execute("SELECT reason FROM hour_corrections").fetchall() == [("Stayed to close up",)]
    assert "*7 h* this year" in block_words(coord.command("roster").modal(), "roster:UA")


def test_volunteers_have_no_roster(bot, night):  # noqa: F811
    you = Phone(bot, "UA")
    assert "Roster" not in you.home().buttons
    assert "is for coordinators" in you.command("roster").reply().words
