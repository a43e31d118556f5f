"""Volunteer hours from attendance, through the real pipeline: hours follow the team's real check-in and
check-out, a confirmed member missing from the debrief's team is a no-show, My hours and the statement
of service hours (a one-page PDF read back with pypdf), a coordinator's correction (audited with who and
why), and the report's volunteer hours equal to the sum of everyone's statements."""

from __future__ import annotations

import io
import json
import re

import pytest
from conftest import ADMIN, Bot, everyone_back, submit_debrief
from fakeslack import dm_channel
from phone import Phone
from pypdf import PdfReader

from outreach import hours as hr
from outreach.attendance import ABSENT, PRESENT, attendance

LEAD = "ULEAD"
COALITION = "Eastside Coalition Against Trafficking"
ISSUER = "Dana Reyes, Volunteer Coordinator"
PLANTED = ("quokka", "Secret note", "slammed")  # debrief text the setup writes; never in a statement or roster
NAMES = {LEAD: "Lee Lead", "UA": "Ana Example", "UB": "Bo Example"}


@pytest.fixture
def bot(fake, tmp_path, clock):
    """A coalition with its name and the coordinator who issues statements."""
    for user, name in NAMES.items():  # as Slack knows them (users.info)
        fake.add_user(user, real_name=name)
    instance = Bot(fake, tmp_path, clock, env={"OUTREACH_COALITION_NAME": COALITION,
                                                "OUTREACH_STATEMENT_ISSUER": ISSUER})
    yield instance
    instance.close()


def debrief(bot, number, **fields):
    """The lead's debrief through the real form, with planted free text that must never travel."""
    base = {"db_contacts": "3", "db_languages": [], "db_notes": "Secret note about the quokka van.",
            "db_fu1_what": "Restock the quokka kits", "db_fu1_owner": LEAD, "db_fu1_due": "2026-12-05"}
    base.update(fields)
    sent = submit_debrief(bot, ADMIN, number, base)
    assert sent.status == 200 and sent.body == b"", sent.body


def confirm_team(bot, number, team):
    """The attendee list the lead confirms in the debrief (the debrief's `team`): who really came."""
    with bot.store.write() as db:
        db.execute("UPDATE debriefs SET team = ? WHERE shift_id = ?", [json.dumps(team), number])


@pytest.fixture
def night(bot):
    """Shift #1 (Mon 23 Nov, 19:00-23:00 Chicago): the lead, UA and UB confirmed; the team checks in at
    19:40 and out at 23:55 (4.25 h, not the 4 planned); the debrief's team is the lead and UA (UB did not
    come). Shift #2 (a training, Wed 25 Nov 18:00-20:00): the lead and UA, no check-in (the plan, 2 h)."""
    for user in ("UA", "UB"):
        bot.train(user)
    a = bot.create_shift()
    b = bot.create_shift(start_date="2026-11-25", end_date="2026-11-25", kind="training", training="none",
                         min_team="1", start_time="18:00", end_time="20:00", languages=["en"],
                         venue="community-venue")
    for user in ("UA", "UB"):
        assert "signed up" in bot.command(user, f"signup {a}").text().lower()
    assert "signed up" in bot.command("UA", f"signup {b}").text().lower()
    bot.clock.advance(days=1, hours=10, minutes=40)  # 2026-11-24 01:40 UTC: 19:40 in Chicago
    bot.command(LEAD, f"checkin {a}").reply()
    bot.command("UA", f"checkin {a}").reply()
    bot.clock.advance(hours=4, minutes=15)  # 23:55 in Chicago: everyone back safe, UB wasn't out tonight
    everyone_back(bot, a, back=[LEAD, "UA"], absent=["UB"])
    bot.clock.advance(days=2)  # both shifts are over
    debrief(bot, a)
    confirm_team(bot, a, [LEAD, "UA"])
    debrief(bot, b, db_contacts="12", db_flags=["incident"], db_what="A door was slammed")
    bot.kit.tick()
    bot.fake.reset()
    return a, b


def _file_name(phone: Phone, call) -> str:
    files = call.params["files"]
    file_id = (json.loads(files) if isinstance(files, str) else files)[0]["id"]
    return next((c.params["filename"] for c in phone.bot.fake.calls_to("files.getUploadURLExternal")
                 if c.answer and c.answer.get("file_id") == file_id), "")


def uploaded(phone: Phone, mark: int) -> tuple[str, bytes]:
    """The file uploaded into this person's DM after `mark` (not a calendar invite): its name and bytes."""
    complete = phone.wait(mark, lambda c: c.method == "files.completeUploadExternal"
                          and c.params.get("channel_id") == dm_channel(phone.user)
                          and not _file_name(phone, c).endswith(".ics"), "a file in their DM")
    files = complete.params["files"]
    file_id = (json.loads(files) if isinstance(files, str) else files)[0]["id"]
    return _file_name(phone, complete), phone.bot.fake.uploads[file_id]


def pdf_words(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def statement_total(words: str) -> float:
    match = re.search(r"gave ([0-9.,]+) hours of volunteer service", words)
    assert match, words
    return float(match.group(1).replace(",", ""))


def test_hours_follow_the_real_check_in_and_check_out(bot, night):
    a, b = night
    with bot.store.read() as db:
        found = attendance(db, [a, b])
    present = {p.user: p for p in found[a]}
    assert present[LEAD].status == present["UA"].status == PRESENT
    assert present[LEAD].hours == present["UA"].hours == 4.25  # 19:40 to 23:55, not the planned 4 h
    assert present["UB"].status == ABSENT and present["UB"].hours == 0.0
    assert sorted((p.user, p.hours, p.status) for p in found[b]) == [("UA", 2.0, PRESENT), (LEAD, 2.0, PRESENT)]

    you = Phone(bot, "UA")
    home = you.home()
    assert "My hours" in home.buttons and "Roster" not in home.buttons
    mine = home.tap("My hours").modal()
    assert "Your hours in 2026: 6.25 h" in mine.words and "on 2 shifts" in mine.words
    assert "Nov 6.25 h" in mine.words and "Direct outreach 4.25 h" in mine.words and "Training 2 h" in mine.words
    assert mine.inputs == [] and "your name as Slack knows it" in mine.words  # never typed

    ub = Phone(bot, "UB").command("hours").modal()  # confirmed, but not among those who came
    assert "Your hours in 2026: 0 h" in ub.words and "Send statement" not in json.dumps(ub.view.get("submit"))


def test_statement_pdf_carries_the_total_coalition_and_issuer(bot, night):
    you = Phone(bot, "UA")
    mine = you.home().tap("My hours").modal()
    mark = you.mark
    done = mine.submit({})
    assert "on its way to your DMs" in done.modal().words
    dm = done.dm(where=lambda screen: "statement" in screen.text.lower())
    assert "statement of service hours" in dm.text.lower() and "(no. 1)" in dm.text
    name, data = uploaded(you, mark)
    assert name == "service-hours-2026.pdf"
    reader, words = pdf_words(data)
    assert len(reader.pages) == 1
    assert COALITION in words and "Statement of service hours" in words and "Ana Example" in words
    assert statement_total(words) == 6.25
    assert "23 November 2026 Direct outreach 4.25" in words and "25 November 2026 Training 2" in words
    assert f"by {ISSUER}" in words
    assert not any(planted in words for planted in PLANTED)
    assert "Statement no. 1" in words

    typed = Phone(bot, LEAD)
    mark = typed.mark
    assert "on its way to your DMs" in typed.command("hours statement").reply().words
    _, lead_pdf = uploaded(typed, mark)
    assert statement_total(pdf_words(lead_pdf)[1]) == 6.25 and "Lee Lead gave" in pdf_words(lead_pdf)[1]


def test_statement_without_an_issuer_names_the_coalitions_coordinators(fake, tmp_path, clock):
    instance = Bot(fake, tmp_path, clock, env={"OUTREACH_COALITION_NAME": COALITION})
    try:
        a = instance.create_shift()
        instance.clock.advance(days=2)
        debrief(instance, a)
        you = Phone(instance, LEAD)
        mark = you.mark
        you.command("hours statement").reply()
        _, data = uploaded(you, mark)
        words = pdf_words(data)[1]
        assert f"by the coordinators of {COALITION}" in words and statement_total(words) == 4.0
    finally:
        instance.close()


def test_a_correction_changes_the_hours_and_is_audited_with_who_and_why(bot, night):
    a, _ = night
    coord = Phone(bot, ADMIN)
    refused = coord.command(f"hours correct <@UA> {a} 3.5 Call her at 312-555-0199 about it").reply()
    assert "Please remove" in refused.words
    assert "is for coordinators" in Phone(bot, "UA").command(f"hours correct <@UA> {a} 9 more").reply().words
    assert "I need a bit more" in coord.command(f"hours correct <@UA> {a} lots").reply().words
    done = coord.command(f"hours correct <@UA> {a} 3.5 Left early to catch the last bus").reply()
    assert "Recorded" in done.words and "4.25 h → 3.5 h" in done.words
    with bot.store.read() as db:
        row = next(db.query("SELECT actor, action, subject, detail FROM audit WHERE action = 'hours.correct'"))
    assert (row["actor"], row["subject"]) == (ADMIN, f"shift:{a}")
    assert json.loads(row["detail"]) == {"user": "UA", "before": 4.25, "after": 3.5, "fields": ["hours", "reason"]}
    mine = Phone(bot, "UA").command("hours").modal()
    assert "Your hours in 2026: 5.5 h" in mine.words
    # UB came after all (the lead forgot them): a correction credits them, and they are no longer a no-show.
    coord.command(f"hours correct <@UB> {a} 4 Came straight from work, forgot to check in").reply()
    assert "Your hours in 2026: 4 h" in Phone(bot, "UB").command("hours").modal().words
    rows = {r.user: r for r in hr.roster(bot.store, zone=bot.settings.zone, now=bot.clock())}
    assert rows["UB"].no_shows == 0 and rows["UB"].hours_year == 4.0
    person = coord.command("hours <@UA>").reply()
    assert "5.5 h" in person.words and "(corrected)" in person.words


def test_the_reports_hours_equal_the_sum_of_the_statements(bot, night):
    report = Phone(bot, ADMIN).command("report 2026").reply().text
    figure = float(re.search(r"\*Volunteer hours\*: \*([0-9.]+)\*", report).group(1))
    totals = []
    for user in (LEAD, "UA", "UB"):
        you = Phone(bot, user)
        mark = you.mark
        answer = you.command("hours statement").reply().words
        if user == "UB":  # a no-show has no hours and no statement
            assert "No hours are recorded for you in 2026" in answer
            continue
        totals.append(statement_total(pdf_words(uploaded(you, mark)[1])[1]))
    assert totals == [6.25, 6.25] and figure == sum(totals) == 12.5
    assert hr.everyone_hours(bot.store, year=2026, zone=bot.settings.zone, now=bot.clock()) == {LEAD: 6.25, "UA": 6.25}


def test_per_member_check_ins_win_over_the_debriefs_team(bot, night):
    """Where the team checked in one by one (issue 13's per-member rows), each person's own times count;
    someone marked absent, or confirmed and never checked in, is missing."""
    a, _ = night
    with bot.store.write() as db:
        if not db["member_checkins"].exists():  # the safety net's table, as issue 13 adds it
            db["member_checkins"].create({"shift_id": int, "user_id": str, "checked_in_at": str, "checked_in_by": str,
                                          "checked_out_at": str, "checked_out_by": str, "absent": int})
        db.execute("DELETE FROM member_checkins WHERE shift_id = ?", [a])  # the night's own rows, written again here
        db["member_checkins"].insert_all([
            {"shift_id": a, "user_id": LEAD, "checked_in_at": "2026-11-24T01:40:00+00:00", "checked_in_by": LEAD,
             "checked_out_at": "2026-11-24T05:55:00+00:00", "checked_out_by": LEAD, "absent": 0},
            {"shift_id": a, "user_id": "UA", "checked_in_at": "2026-11-24T02:10:00+00:00", "checked_in_by": LEAD,
             "checked_out_at": None, "checked_out_by": None, "absent": 0},  # out until the team's check-out
            {"shift_id": a, "user_id": "UB", "checked_in_at": None, "checked_in_by": LEAD,
             "checked_out_at": None, "checked_out_by": None, "absent": 1},
        ])
    with bot.store.read() as db:
        found = {p.user: p for p in attendance(db, [a])[a]}
        assert (found[LEAD].hours, found["UA"].hours, found["UB"].status) == (4.25, 3.75, "absent")
        assert hr.shift_hours(db, [a]) == {a: 8.0}
    rows = {r.user: r for r in hr.roster(bot.store, zone=bot.settings.zone, now=bot.clock())}
    assert rows["UB"].no_shows == 1 and rows["UA"].hours_year == 5.75
