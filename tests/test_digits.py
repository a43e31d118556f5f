"""Every number a person types, clicks or submits is read by one parser: ASCII digits only."""

from __future__ import annotations

import pytest
from conftest import ADMIN, shift_fields

from outreach.digits import parse_number
from outreach.settings import SettingsError, load_settings

NOT_NUMBERS = ["²", "١٢", "12abc", "9" * 50, "１２", "-3", "1.5", "", " ", "0x10", "1_000", "+4"]


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_parser_takes_ascii_digits_only(text):
    assert parse_number(text) is None


def test_parser_reads_plain_numbers_within_the_cap():
    assert parse_number("12") == 12 and parse_number(" 007 ") == 7 and parse_number("0") == 0
    assert parse_number("9" * 9) == 999_999_999 and parse_number("1" * 10) is None
    assert parse_number("123456", max_digits=5) is None
    assert parse_number(12) == 12 and parse_number(True) is None and parse_number(-1) is None
    assert parse_number(None) is None


@pytest.mark.parametrize("typed", ["²", "١٢", "12abc", "9" * 50])
def test_checkevery_with_a_strange_number_gets_the_usage(bot, typed):
    number = bot.create_shift()
    minutes = bot.command(ADMIN, f"checkevery {number} {typed}").text()
    assert "I need a bit more" in minutes and "checkevery N MINUTES" in minutes, minutes
    shift = bot.command(ADMIN, f"checkevery {typed} 60").text()
    assert "I need a bit more" in shift and "checkevery N MINUTES" in shift, shift
    assert bot.db["safety"].count == 0


@pytest.mark.parametrize("typed", ["١", "²", "1abc", "1" * 50])
def test_shift_numbers_in_commands_are_ascii_only(bot, typed):
    bot.create_shift()  # shift 1: "١" (Arabic-Indic one) must not reach it
    bot.train("UVOL")
    for command in ("signup", "withdraw", "checkin", "checkout", "debrief", "edit", "cancel", "checklist", "go"):
        text = bot.command(ADMIN if command in ("edit", "cancel") else "UVOL", f"{command} {typed}").text()
        assert "I need a bit more" in text, (command, text)
    assert bot.db["signups"].count == 0 and bot.db["shifts"].get(1)["status"] == "planned"


@pytest.mark.parametrize("typed", ["١٢", "²", "3abc", "9" * 50])
def test_shift_form_refuses_strange_numbers_inline(bot, typed):
    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, capacity=typed), metadata={"channel": "CGENERAL"})
    assert sent.status == 200
    assert sent.json()["response_action"] == "errors" and "capacity" in sent.json()["errors"]
    assert bot.db["shifts"].count == 0


def test_strange_button_values_change_nothing(bot):
    """Today "١" would act on shift 1 and "²" would crash ("Something went wrong on my side")."""
    from datetime import datetime

    number = bot.create_shift()
    bot.clock.now = datetime.fromisoformat(bot.db["shifts"].get(number)["starts_at"])
    bot.train("UVOL")
    silent = [bot.click(user, action_id, value)
              for user, action_id in [("ULEAD", "safety_checkin"), ("ULEAD", "safety_checkout"),
                                      ("UVOL", "shift_signup"), ("ULEAD", "reminder_checklist"), ("ULEAD", "ready_go")]
              for value in ("²", "١", "1" * 50)]
    debrief = [bot.click("ULEAD", "debrief_open", value) for value in ("²", "١", "1" * 50)]
    assert all(sent.status == 200 for sent in silent + debrief)
    bot.kit.runner.executor.shutdown(wait=True)  # every click's work has finished
    answered = {c.path for c in bot.fake.calls_to("response_url")}
    assert not answered & {f"/response_url/{sent.response_name}" for sent in silent}
    assert all("no such shift" in sent.reply()["text"] for sent in debrief)
    assert bot.fake.calls_to("views.open") == []
    assert bot.db["safety"].count == 0 and bot.db["signups"].count == 0


@pytest.mark.parametrize("name", ["PORT", "OUTREACH_FEED_PORT", "OUTREACH_NOTES_RETENTION_DAYS"])
@pytest.mark.parametrize("typed", ["²", "８０８０", "9" * 50])
def test_settings_with_strange_numbers_name_the_setting(name, typed):
    with pytest.raises(SettingsError) as raised:
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", name: typed})
    assert name in str(raised.value)


@pytest.mark.parametrize("period", ["２０２６-10", "2026-１０", "٢٠٢٦"])
def test_report_periods_are_ascii_only(bot, period):
    text = bot.command(ADMIN, f"report {period}").text()
    assert "I need a bit more" in text and "/outreach report" in text, text
