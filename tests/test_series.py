"""Repeating shifts: the rule across daylight saving, the rolling horizon, this-and-later, signing up for all,
and the one calendar invite of a series, each through the real pipeline."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from conftest import ADMIN, Bot, Clock, eventually, message_text, shift_fields
from dateutil.rrule import rrulestr
from fakeslack import dm_channel
from phone import Phone

from outreach import series as sr
from outreach.store import Store

CHICAGO = ZoneInfo("America/Chicago")
# A Monday in February 2027: daylight saving starts on Sunday 2027-03-14 in Chicago.
START = datetime(2027, 2, 15, 15, 0, tzinfo=UTC)
FIRST_FRIDAY = "2027-02-19"  # the third Friday of February 2027


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


def plan(bot, *, repeats="weekly", end="6", **overrides) -> list[int]:
    """Plan a repeating shift through the real form (its Repeat… step's choice rides in the form's metadata);
    the numbers of the shifts made, by date."""
    fields = shift_fields(bot.clock, start_date=FIRST_FRIDAY, end_date=None, start_time="21:00",
                          end_time="01:00", **overrides)
    sent = bot.submit(ADMIN, "shift_form", fields,
                      metadata={"channel": "CGENERAL", "repeat": {"freq": repeats, "end": end}})
    assert sent.status == 200 and not sent.body, sent.body
    eventually(lambda: bot.db.execute("SELECT message_ts FROM shifts WHERE series_id IS NOT NULL ORDER BY id LIMIT 1"
                                      ).fetchone() not in (None, (None,)))
    return made(bot)


def made(bot) -> list[int]:
    return [r[0] for r in bot.db.execute("SELECT id FROM shifts WHERE series_id IS NOT NULL ORDER BY starts_at, id")]


def shift_row(bot, number: int) -> dict:
    row = bot.db.execute("SELECT status, starts_at, ends_at, occurrence, series_id FROM shifts WHERE id = ?",
                         [number]).fetchone()
    return dict(zip(("status", "starts_at", "ends_at", "occurrence", "series_id"), row, strict=True))


def local(bot, number: int) -> datetime:
    return datetime.fromisoformat(shift_row(bot, number)["starts_at"]).astimezone(CHICAGO)


def signups(bot, user: str) -> dict[int, str]:
    return dict(bot.db.execute("SELECT shift_id, status FROM signups WHERE user_id = ? ORDER BY id", [user]).fetchall())


def dm_texts(bot, user: str) -> list[str]:
    return [message_text(c.params) for c in bot.dms(user)]


def uploads(bot, user: str) -> list[bytes]:
    out = []
    for call in bot.fake.calls_to("files.completeUploadExternal"):
        if call.params.get("channel_id") != dm_channel(user):
            continue
        files = call.params.get("files")
        for f in json.loads(files) if isinstance(files, str) else files:
            out.append(bot.fake.uploads[f["id"]])
    return out


def post_of(bot, number: int, user: str):
    """The shift's channel post as `user` sees it."""
    ts = bot.db.execute("SELECT message_ts FROM shifts WHERE id = ?", [number]).fetchone()[0]
    call = next(c for c in bot.fake.calls_to("chat.postMessage") if (c.answer or {}).get("ts") == ts)
    you = Phone(bot, user)
    return you, you.message_screen(call).now()


def test_weekly_series_of_six_keeps_its_local_time_across_daylight_saving(bot):
    numbers = plan(bot, end="6")
    assert len(numbers) == 6
    starts = [local(bot, n) for n in numbers]
    assert [s.date() for s in starts] == [date(2027, 2, 19), date(2027, 2, 26), date(2027, 3, 5),
                                         date(2027, 3, 12), date(2027, 3, 19), date(2027, 3, 26)]
    assert {(s.hour, s.minute) for s in starts} == {(21, 0)}
    utc_hours = [datetime.fromisoformat(shift_row(bot, n)["starts_at"]).astimezone(UTC).hour for n in numbers]
    assert utc_hours == [3, 3, 3, 3, 2, 2]  # CST then CDT: the same 21:00 on the wall
    ends = [datetime.fromisoformat(shift_row(bot, n)["ends_at"]).astimezone(CHICAGO) for n in numbers]
    assert {(e.hour, e.weekday()) for e in ends} == {(1, 5)}  # 01:00 on the Saturday
    rule = bot.db.execute("SELECT rule, tz FROM series").fetchone()
    assert rule == ("FREQ=WEEKLY;COUNT=6", "America/Chicago")
    [call] = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == ADMIN)
    planner = message_text(call.params)
    assert "repeats every week, 6 times" in planner and f"#{numbers[-1]}" in planner


def test_horizon_makes_eight_weeks_and_the_timer_tops_up_once_across_processes_and_a_restart(fake, tmp_path, clock):
    bot = Bot(fake, tmp_path, clock)
    try:
        numbers = plan(bot, end="")
        assert len(numbers) == 8 and local(bot, numbers[-1]).date() == date(2027, 4, 9)
        bot.kit.tick()
        assert made(bot) == numbers
        clock.advance(days=7)
        bot.kit.tick()
        bot.kit.tick()
        assert len(made(bot)) == 9 and local(bot, made(bot)[-1]).date() == date(2027, 4, 16)
        # a second process topping up at the same moment makes nothing twice
        clock.advance(days=7)
        other = Store(bot.settings.db_path, clock=clock)
        results: list = []
        threads = [threading.Thread(target=lambda s=s: results.append(sr.top_up(s))) for s in (bot.store, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        other.close()
        assert sorted(len(r.get(1, [])) for r in results) == [0, 1]
        assert len(made(bot)) == 10
    finally:
        bot.close()
    clock.advance(days=7)
    again = Bot(fake, tmp_path, clock)  # a restart on the same database
    try:
        again.kit.tick()
        again.kit.tick()
        rows = made(again)
        assert len(rows) == 11
        occurrences = [shift_row(again, n)["occurrence"] for n in rows]
        assert len(set(occurrences)) == 11
        assert local(again, rows[-1]).date() == date(2027, 4, 30)
        posts = [c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == "CGENERAL"]
        # the first when planned, each one the timer made, once, and at the restart the one sr.top_up made
        # alone (as a process stopped before posting it would have left it)
        assert len(posts) == 4
        assert {n for n in rows if again.db["shifts"].get(n)["message_ts"] is None} == set(numbers[1:])
    finally:
        again.close()


def test_monthly_on_the_same_weekday_lands_on_the_third_friday(bot):
    numbers = plan(bot, repeats="monthly", end="4")
    assert [local(bot, n).date() for n in numbers] == [date(2027, 2, 19), date(2027, 3, 19)]
    bot.clock.advance(days=45)
    bot.kit.tick()
    numbers = made(bot)
    days = [local(bot, n) for n in numbers]
    assert [d.date() for d in days] == [date(2027, 2, 19), date(2027, 3, 19), date(2027, 4, 16), date(2027, 5, 21)]
    assert all(d.weekday() == 4 and (d.day - 1) // 7 == 2 and d.hour == 21 for d in days)
    assert bot.db.execute("SELECT rule, status FROM series").fetchone() == ("FREQ=MONTHLY;COUNT=4;BYDAY=+3FR", "ended")
    assert sr.nth_weekday(date(2027, 1, 29)) == "-1FR"  # a fifth Friday repeats on the last one


def test_sign_up_for_every_week_then_withdraw_from_one(bot):
    numbers = plan(bot, end="6", capacity="2")
    for user in ("UA", "UB", "UC"):
        bot.train(user)
    for user in ("UB", "UC"):  # the fourth is full already
        bot.command(user, f"signup {numbers[3]}").reply()
    you, post = post_of(bot, numbers[0], "UA")
    assert "Sign up for every week" in post.buttons
    answer = post.tap("Sign up for every week").reply()
    assert "signed up for every week" in answer.words and f"waitlist of #{numbers[3]}" in answer.words
    mine = signups(bot, "UA")
    assert mine == {n: ("waitlisted" if n == numbers[3] else "confirmed") for n in numbers}
    bot.kit.tick()
    [ics] = uploads(bot, "UA")  # one invite for the whole series, not six
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(event["UID"]).startswith("series-") and event["RRULE"]["FREQ"] == ["WEEKLY"]
    assert [d.dt.date() for d in event["EXDATE"].dts] == [date(2027, 3, 12)]  # full: on its waitlist only

    answer = you.command(f"withdraw {numbers[1]}").reply()
    assert "withdrawn" in answer.words.lower() or "no longer" in answer.words.lower()
    mine = signups(bot, "UA")
    assert mine[numbers[1]] == "withdrawn"
    assert [mine[n] for n in numbers if n not in (numbers[1], numbers[3])] == ["confirmed"] * 4
    bot.kit.tick()
    latest = icalendar.Calendar.from_ical(uploads(bot, "UA")[-1]).walk("VEVENT")[0]
    assert sorted(d.dt.date() for e in [latest["EXDATE"]] for d in e.dts) == [date(2027, 2, 26), date(2027, 3, 12)]
    # still signed up for the series: the next shift the horizon makes includes them
    bot.clock.advance(days=7)
    bot.kit.tick()
    details = you.command(f"series {numbers[0]}").reply()
    assert "already signed up" in details.words

    # Withdraw from all asks first, from the shift's Details
    s = you.command("shifts").reply()
    d = s.tap("Details", near=f"#{numbers[2]}").modal()
    assert "Sign up for every week" not in d.buttons
    d.tap("Withdraw from all", confirm=True).modal()
    assert all(status == "withdrawn" for n, status in signups(bot, "UA").items() if n != numbers[0])


def test_cancel_this_and_later_keeps_the_earlier_ones_and_tells_each_person_once(bot):
    numbers = plan(bot, end="6")
    bot.train("UA")
    bot.train("UB")
    bot.command("UA", f"series {numbers[0]}").reply()
    for n in numbers[3:5]:
        bot.command("UB", f"signup {n}").reply()
    bot.kit.tick()
    before_a, before_b = len(bot.dms("UA")), len(bot.dms("UB"))

    coordinator = Phone(bot, ADMIN)
    details = coordinator.command("shifts").reply().tap("Details", near=f"#{numbers[2]}").modal()
    assert {"Edit this one", "Cancel this one", "Edit this and later", "Cancel this and later"} <= set(details.buttons)
    form = details.tap("Cancel this and later", confirm=True).modal()
    done = form.submit({"Reason (optional)": "The route ends for the season"}).modal()
    assert "Cancelled" in done.words and "2 people were told" in done.words
    again = form.submit({"Reason (optional)": "The route ends for the season"})  # Slack sends it again
    assert again.errors == {} and again.modal().words == done.words  # the same answer, nothing done twice
    eventually(lambda: all(any("are cancelled" in t for t in dm_texts(bot, u)) for u in ("UA", "UB")))
    bot.kit.tick()

    status = {n: shift_row(bot, n)["status"] for n in numbers}
    assert [status[n] for n in numbers] == ["planned", "planned"] + ["cancelled"] * 4
    new_a = dm_texts(bot, "UA")[before_a:]
    new_b = dm_texts(bot, "UB")[before_b:]
    told_a = [t for t in new_a if "are cancelled" in t]
    told_b = [t for t in new_b if "are cancelled" in t]
    assert len(told_a) == 1 and len(told_b) == 1
    assert all(f"#{n}" in told_a[0] for n in numbers[2:]) and f"#{numbers[1]}" not in told_a[0]
    assert f"#{numbers[3]}" in told_b[0] and f"#{numbers[4]}" in told_b[0] and f"#{numbers[5]}" not in told_b[0]
    assert not any("has been cancelled" in t for t in new_a + new_b)  # no message per shift
    # the rule ends before the cancelled one, and the timer makes no more
    bot.clock.advance(days=60)
    bot.kit.tick()
    assert made(bot) == numbers
    assert "UNTIL=" in bot.db.execute("SELECT rule FROM series").fetchone()[0]


def test_series_invite_has_the_rule_and_an_exdate_for_a_cancelled_date(bot):
    numbers = plan(bot, end="6")
    bot.train("UA")
    bot.command("UA", f"series {numbers[0]}").reply()
    bot.kit.tick()
    assert f"#{numbers[2]}" in bot.command(ADMIN, f"cancel {numbers[2]} rain").text()
    bot.kit.tick()
    data = uploads(bot, "UA")
    assert len(data) == 2
    cal = icalendar.Calendar.from_ical(data[-1])
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == "series-1-ua@outreach-bot" and int(event["SEQUENCE"]) == 1
    assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event["RRULE"]["COUNT"] == [6]
    start = event["DTSTART"].dt
    assert (str(start.tzinfo), start.hour, start.date()) == ("America/Chicago", 21, date(2027, 2, 19))
    assert [d.dt for d in event["EXDATE"].dts] == [datetime(2027, 3, 5, 21, 0, tzinfo=CHICAGO)]
    vevent = vobject.readOne(data[-1].decode()).vevent
    assert len(list(vevent.getrruleset())) == 5  # a second parser reads the same rule and exception
    expanded = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
    dates = [d for d in expanded if d not in [x.dt for x in event["EXDATE"].dts]]
    assert len(dates) == 5 and date(2027, 3, 5) not in [d.date() for d in dates]
    assert {(d.hour, d.minute) for d in dates} == {(21, 0)}
    # the feed still lists each occurrence the person is on
    from outreach import ics as cal_domain

    items = cal_domain.feed_items(bot.store, "UA", now=bot.clock())
    assert [s.id for s, _ in items] == [n for n in numbers if n != numbers[2]]


def test_edit_this_and_later_moves_them_and_tells_each_person_once(bot):
    numbers = plan(bot, end="6")
    bot.train("UA")
    bot.command("UA", f"series {numbers[0]}").reply()
    bot.kit.tick()
    before = len(bot.dms("UA"))
    coordinator = Phone(bot, ADMIN)
    details = coordinator.command("shifts").reply().tap("Details", near=f"#{numbers[3]}").modal()
    form = details.tap("Edit this and later").modal()
    assert "Repeats every week*, 3 times" in form.words  # what is left of the six, from this one on
    assert form.tap("Repeat…").modal().inputs == ["Repeats", "Until (or number of times)"]
    result = form.submit({"Start time": "20:00", "End time": "23:30"})
    assert not result.errors, result.errors
    result.dm()
    bot.kit.tick()
    hours = [local(bot, n).hour for n in numbers]
    assert hours == [21, 21, 21, 20, 20, 20]
    told = [t for t in dm_texts(bot, "UA")[before:] if "have changed" in t]
    assert len(told) == 1 and all(f"#{n}" in told[0] for n in numbers[3:])
    assert bot.db.execute("SELECT count(*) FROM series").fetchone()[0] == 2
    assert {shift_row(bot, n)["series_id"] for n in numbers[3:]} == {2}
    assert signups(bot, "UA") == {n: "confirmed" for n in numbers}
    # nothing more is made beyond the six
    bot.clock.advance(days=70)
    bot.kit.tick()
    assert len(made(bot)) == 6


def test_the_repeat_step_says_what_to_fix(bot):
    for end, words in (("soon", "last date like"), ("99", "from 2 to 52")):
        sent = bot.submit(ADMIN, "series_repeat", {"repeats": "weekly", "repeat_end": end}, metadata={"parent": "V1"})
        assert words in json.loads(sent.body)["errors"]["repeat_end"]
    sent = bot.submit(ADMIN, "series_repeat", {"repeats": "none", "repeat_end": "5"}, metadata={"parent": "V1"})
    assert "repeats" in json.loads(sent.body)["errors"]
    fields = shift_fields(bot.clock, start_date=FIRST_FRIDAY, end_date=None)
    sent = bot.submit(ADMIN, "shift_form", fields, metadata={"repeat": {"freq": "weekly", "end": "2026-01-01"}})
    assert "after the first" in json.loads(sent.body)["errors"]["start_date"]
    assert bot.db.execute("SELECT count(*) FROM shifts").fetchone()[0] == 0
    # a shift that does not repeat is planned as before, and its post has no series buttons
    number = bot.create_shift(start_date=FIRST_FRIDAY, end_date=FIRST_FRIDAY)
    assert shift_row(bot, number)["series_id"] is None and bot.db.execute("SELECT count(*) FROM series").fetchone()[0] == 0
    _, post = post_of(bot, number, "UA")
    assert "Sign up for every week" not in post.buttons


def test_a_coordinator_plans_a_series_by_tapping(bot):
    coordinator = Phone(bot, ADMIN)
    form = coordinator.command("new").modal()
    assert len(form.inputs) == 13 and "Does not repeat" in form.words
    step = form.tap("Repeat…").modal()
    assert step.inputs == ["Repeats", "Until (or number of times)"]
    form = step.submit({"Repeats": "Every 2 weeks", "Until (or number of times)": "3"}).modal()
    assert "Repeats every 2 weeks*, 3 times" in form.words
    form.submit({"Kind": "direct", "Venue type": "motel", "Area": "Eastside", "Start date": FIRST_FRIDAY,
                 "Start time": "21:00", "End time": "01:00", "Lead": "ULEAD", "Capacity": "3",
                 "Minimum team size": "2", "Required training": "direct-outreach"})
    eventually(lambda: len(made(bot)) == 3)
    assert [local(bot, n).date() for n in made(bot)] == [date(2027, 2, 19), date(2027, 3, 5), date(2027, 3, 19)]


def test_the_training_gate_holds_for_a_whole_series(bot):
    numbers = plan(bot, end="3")
    answer = bot.command("UZ", f"series {numbers[0]}").text()
    assert "These shifts require" in answer
    assert bot.db.execute("SELECT count(*) FROM series_members").fetchone()[0] == 0
    assert signups(bot, "UZ") == {}
    # the first valid only until the second's date: signed up where it holds, told where it does not
    bot.train("UZ", expires="2027-02-27")
    answer = bot.command("UZ", f"series {numbers[0]}").text()
    assert f"#{numbers[0]}" in answer and f"Not #{numbers[2]}" in answer
    assert signups(bot, "UZ") == {numbers[0]: "confirmed", numbers[1]: "confirmed"}


def test_edit_this_and_later_cannot_stop_watching_a_team_that_is_out(bot):
    """As for one shift: turning a series' night into a training while its team is out is refused."""
    from conftest import at

    numbers = plan(bot, end="3")
    bot.train("UA")
    assert "signed up" in bot.command("UA", f"signup {numbers[0]}").text()
    at(bot, datetime(2027, 2, 20, 3, 0, tzinfo=UTC))  # 21:00 in Chicago: the first night has started
    bot.command("UA", f"checkin {numbers[0]}").reply()
    fields = shift_fields(bot.clock, kind="training", training="", min_team="1", start_date=FIRST_FRIDAY,
                          end_date=None, start_time="21:00", end_time="01:00")
    refused = bot.submit(ADMIN, "shift_form", fields, metadata={"shift_id": numbers[0], "later": True})
    assert b"safety net stays on" in refused.body
    row = bot.db["shifts"].get(numbers[0])
    assert row["safety_net"] == 1 and row["kind"] == "direct"
    assert bot.db.execute("SELECT count(*) FROM series").fetchone()[0] == 1  # no new series was made
