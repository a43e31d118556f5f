"""Review of issues 12-15: retention of a series' words, SOS first on a coordinator's home, forged payloads
refused with a reason, user text escaped in what is sent, and Block Kit limits on views that grow."""

from __future__ import annotations

import json

import pytest
from conftest import ADMIN, Clock, eventually, message_text
from phone import Phone
from test_series import START, plan


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


# ---------------------------------------------------------------- retention


def test_an_ended_series_loses_its_template_notes_after_the_retention_period(bot):
    numbers = plan(bot, end="2", notes="Meet at the side door of the library.")
    assert len(numbers) == 2
    row = bot.db.execute("SELECT status, notes FROM series").fetchone()
    assert row == ("ended", "Meet at the side door of the library.")
    bot.clock.advance(days=30)
    bot.kit.tick()
    assert bot.db.execute("SELECT notes FROM series").fetchone()[0].startswith("Meet")  # still within the period
    bot.clock.advance(days=100)
    bot.kit.tick()
    assert bot.db.execute("SELECT notes FROM series").fetchone()[0] == ""
    assert {r[0] for r in bot.db.execute("SELECT notes FROM shifts")} == {""}


def test_an_active_series_keeps_its_notes_for_the_shifts_it_still_makes(bot):
    plan(bot, end="", notes="Meet at the side door of the library.")
    bot.clock.advance(days=200)
    bot.kit.tick()
    assert bot.db.execute("SELECT status, notes FROM series").fetchone() == (
        "active", "Meet at the side door of the library.")
    newest = bot.db.execute("SELECT notes FROM shifts ORDER BY starts_at DESC LIMIT 1").fetchone()[0]
    assert newest.startswith("Meet at the side door")


def test_a_cancel_this_and_later_reason_is_not_kept_in_the_outbox(bot):
    numbers = plan(bot, end="4")
    bot.train("UA")
    bot.command("UA", f"series {numbers[0]}").reply()
    sent = bot.submit(ADMIN, "series_cancel_form", {"reason": "The church hall closes for repairs"},
                      metadata={"shift_id": numbers[1]})
    assert sent.status == 200
    eventually(lambda: any("closes for repairs" in message_text(c.params) for c in bot.dms("UA")))
    contexts = [json.loads(r[0]) for r in bot.db.execute(
        "SELECT context FROM notifications WHERE template = 'series/cancelled'")]
    assert contexts and not any("reason" in c for c in contexts)
    # a row written before this change, with the reason in its context, loses it after the period
    bot.db.execute("UPDATE notifications SET context = json_set(context, '$.reason', 'The church hall closes') "
                   "WHERE template = 'series/cancelled'")
    bot.db.conn.commit()
    bot.clock.advance(days=120)
    bot.kit.tick()
    contexts = [json.loads(r[0]) for r in bot.db.execute(
        "SELECT context FROM notifications WHERE template = 'series/cancelled'")]
    assert contexts and not any(c.get("reason") for c in contexts)
    assert {r[0] for r in bot.db.execute("SELECT cancel_reason FROM shifts WHERE status = 'cancelled'")} == {""}


# ---------------------------------------------------------------- an open SOS first on a coordinator's home


def test_an_open_sos_comes_first_of_all_on_a_coordinators_home_and_is_taken_on_there(fake, tmp_path):
    from datetime import UTC, datetime

    from conftest import Bot

    bot = Bot(fake, tmp_path, Clock())
    try:
        number = bot.create_shift()
        bot.make_coordinator("UCO")
        bot.train("UA")
        volunteer, coordinator = Phone(bot, "UA"), Phone(bot, "UCO")
        assert "signed up" in volunteer.command(f"signup {number}").reply().words
        bot.clock.now = datetime(2026, 11, 24, 3, 12, tzinfo=UTC)  # 21:12 in Chicago, the shift under way
        bot.kit.tick()
        assert "Coordinators alerted" in volunteer.command("sos").reply().words
        bot.clock.now = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
        bot.kit.tick()  # an escalation is open too: the SOS still comes first

        home = coordinator.home()
        first = home.blocks[1]  # under the header
        assert first["block_id"].startswith("sos_open:") and f"SOS from shift #{number}" in home.words
        assert home.buttons[:2] == ["I'm on it", "Details"]
        assert f"Shift #{number}" in home.tap("Details", near="SOS from shift").modal().words
        after = home.tap("I'm on it", near="SOS from shift").home()
        assert "nobody is on it yet" not in after.words and "I'm on it" not in after.buttons
        assert bot.db.execute("SELECT acked_by FROM sos").fetchone()[0] == "UCO"
        assert "SOS from shift" not in Phone(bot, ADMIN).home().words  # every coordinator's home is clear now
        assert "nobody is on it yet" not in volunteer.home().words  # a volunteer never sees the list
    finally:
        bot.close()
