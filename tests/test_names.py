"""Names from Slack (issue 21, section 4) and numbered statements (section 2), through the real pipeline:
the roster workbook, the statement of hours (read back with pypdf), the .ics invite and the Google
Calendar link carry names from `users.info`; a `user_change` event updates a name; without `users:read`
files fall back to member ids, the bot logs it once and `check` says to reinstall; a slow Slack leaves
the id and queues the look-up for the timer; the manifest's scopes are the one list; a statement's
number verifies; a typed name is gone."""

from __future__ import annotations

import io
import logging
import urllib.parse
from datetime import timedelta
from pathlib import Path

import icalendar
import openpyxl
import yaml
from conftest import ADMIN, Bot, at, message_text
from phone import Phone
from test_calendar import invites
from test_hours import LEAD, NAMES, bot, night, pdf_words, uploaded  # noqa: F401 (fixtures)
from test_settings import run_bot

from handlers.directory import LOOKUP_TIMEOUT
from handlers.manifest import BOT_EVENTS, BOT_SCOPES

ROOT = Path(__file__).resolve().parent.parent
MARIA = "UMARIA"


def workbook_names(app: Bot) -> dict[str, str]:
    """The roster workbook a coordinator exports: each row's name by member id."""
    coord = Phone(app, ADMIN)
    mark = coord.mark
    assert "on its way" in coord.command("roster export").reply().words
    _, data = uploaded(coord, mark)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Roster"]
    head = [c.value for c in sheet[1]]
    assert head[:2] == ["Name", "Slack ID"]
    return {row[1]: row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}


def statement(app: Bot, user: str, text: str = "hours statement") -> str:
    """The words of the statement a person asks for by command."""
    you = Phone(app, user)
    mark = you.mark
    assert "on its way to your DMs" in you.command(text).reply().words
    return pdf_words(uploaded(you, mark)[1])[1]


def invite_of(app: Bot, user: str) -> tuple[icalendar.Event, dict]:
    """The person's latest invite (its VEVENT) and the query of its Add to Google Calendar link."""
    event = icalendar.Calendar.from_ical(invites(app, user)[-1]).walk("VEVENT")[0]
    dm = [c for c in app.dms(user) if "Calendar invite" in message_text(c.params)
          or "Invitación de calendario" in message_text(c.params)][-1]
    link = next(e["url"] for b in dm.params["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e.get("url"))
    return event, urllib.parse.parse_qs(urllib.parse.urlparse(link).query)


def signed_up(app: Bot, user: str) -> int:
    number = app.create_shift()
    app.train(user)
    answer = app.command(user, f"signup {number}").text().lower()
    assert "signed up" in answer or "te inscribiste" in answer  # in the person's language (a Spanish locale)
    app.kit.tick()
    return number


def test_the_workbook_the_statement_and_the_invite_carry_names_from_slack(bot, night):  # noqa: F811
    assert workbook_names(bot) == NAMES
    words = statement(bot, "UA")
    assert "Ana Example gave 6.25 hours" in words and "UA" not in words.split()

    bot.fake.add_user(MARIA, real_name="María López", display_name="maria", locale="es-ES")
    number = signed_up(bot, MARIA)
    event, google = invite_of(bot, MARIA)
    assert event["ATTENDEE"].params["CN"] == "María López" and str(event["ATTENDEE"]) == f"urn:slack:user:{MARIA}"
    assert event["ORGANIZER"].params["CN"] == "Lee Lead" and str(event["ORGANIZER"]) == f"urn:slack:user:{LEAD}"
    # María's Slack locale is es-ES: her invite's words are Spanish, the names as Slack gives them
    assert "Líder: Lee Lead" in str(event["DESCRIPTION"]) and "Slack member" not in str(event["DESCRIPTION"])
    assert "Líder: Lee Lead" in google["details"][0]
    # Slack messages keep their mentions: the shift's post names the lead as <@ULEAD>, never by name.
    post = next(c for c in bot.fake.calls_to("chat.postMessage") if f"#{number}" in message_text(c.params)
                and c.params.get("channel") == "CGENERAL")
    assert f"<@{LEAD}>" in message_text(post.params) and "Lee Lead" not in message_text(post.params)
    # users.info was asked for the locale too, and the directory keeps it for the Spanish work.
    assert all(c.params.get("include_locale") in ("true", "1", True) for c in bot.fake.calls_to("users.info"))
    row = next(bot.db.query("SELECT * FROM people WHERE user_id = ?", [MARIA]))
    assert (row["real_name"], row["display_name"], row["locale"], row["deleted"]) == ("María López", "maria",
                                                                                     "es-ES", 0)


def test_a_user_change_event_updates_the_name(bot, night):  # noqa: F811
    assert workbook_names(bot)["UA"] == "Ana Example"
    asked = len(bot.fake.calls_to("users.info"))
    changed = {"id": "UA", "name": "ua", "deleted": False, "real_name": "Ana Example-Ruiz",
               "profile": {"real_name": "Ana Example-Ruiz", "display_name": "ana"}}
    assert bot.event({"type": "user_change", "user": changed})[0] == 200
    stranger = {"id": "UZED", "real_name": "Zed Nobody", "profile": {"real_name": "Zed Nobody"}}
    assert bot.event({"type": "user_change", "user": stranger})[0] == 200
    bot.settle()
    assert workbook_names(bot)["UA"] == "Ana Example-Ruiz"
    assert len(bot.fake.calls_to("users.info")) == asked  # the event said it all
    rows = {r["user_id"]: r for r in bot.db.query("SELECT * FROM people")}
    assert "UZED" not in rows  # only members the bot needs are kept
    assert rows["UA"]["locale"] == "en-US"  # an event without the locale keeps the one known


def test_without_users_read_files_show_ids_the_log_says_so_once_and_check_says_to_reinstall(
        fake, tmp_path, clock, caplog):
    fake.missing_scopes.add("users:read")
    for user, name in NAMES.items():
        fake.add_user(user, real_name=name)
    caplog.set_level(logging.WARNING, logger="handlers.directory")
    instance = Bot(fake, tmp_path, clock)
    try:
        signed_up(instance, "UA")
        signed_up(instance, "UB")
        event, google = invite_of(instance, "UA")
        assert event["ATTENDEE"].params["CN"] == "UA" and event["ORGANIZER"].params["CN"] == LEAD
        assert "Lead: Slack member ULEAD" in str(event["DESCRIPTION"]) and "Slack member ULEAD" in google["details"][0]
        assert invite_of(instance, "UB")[0]["ATTENDEE"].params["CN"] == "UB"
        assert len(fake.calls_to("users.info")) == 1  # refused once: no look-up again for a while
        told = [r for r in caplog.records if "missing_scope" in r.getMessage()]
        assert len(told) == 1 and "reinstalled" in told[0].getMessage()

        env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": fake.url,
               "OUTREACH_DB": str(tmp_path / "check.db")}
        check = run_bot("check", env=env, cwd=tmp_path)
        assert check.returncode == 1, check.stdout + check.stderr
        assert "lacks users:read" in check.stdout and "reinstall the app" in check.stdout

        fake.missing_scopes.clear()  # the app reinstalled: within the hour the timer looks the queued names up
        assert run_bot("check", env=env, cwd=tmp_path).returncode == 0
        at(instance, clock() + timedelta(hours=1, minutes=1))
        assert workbook_names(instance) == NAMES
    finally:
        instance.close()


def test_a_slow_slack_leaves_the_id_and_the_timer_looks_the_name_up(bot, night):  # noqa: F811
    bot.kit.tick()  # what the night left due goes out first
    bot.settle()
    slow_until = bot.clock() + timedelta(minutes=1)  # every look-up is slow until then (a notice's one too)
    bot.fake.fail("users.info", delay=LOOKUP_TIMEOUT + 1, during=lambda: bot.clock() < slow_until)
    bot.fake.add_user(MARIA, real_name="María López")
    signed_up(bot, MARIA)
    assert invite_of(bot, MARIA)[0]["ATTENDEE"].params["CN"] == MARIA  # the invite went on time, with the id
    assert next(bot.db.query("SELECT refreshed_at FROM people WHERE user_id = ?", [MARIA]))["refreshed_at"] is None
    at(bot, bot.clock() + timedelta(minutes=2))  # queued: the timer's next look-ups find the name
    assert next(bot.db.query("SELECT real_name FROM people WHERE user_id = ?", [MARIA]))["real_name"] == "María López"


def test_the_manifest_asks_for_the_one_list_of_scopes():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert manifest["oauth_config"]["scopes"]["bot"] == BOT_SCOPES
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == BOT_EVENTS
    assert "users:read" in BOT_SCOPES and "user_change" in BOT_EVENTS
    assert run_bot("manifest").stdout == (ROOT / "manifest.yml").read_text()


def test_a_statements_number_verifies_for_coordinators_only(bot, night):  # noqa: F811
    a, _ = night
    today = bot.clock().astimezone(bot.settings.zone).date()
    words = statement(bot, "UA")
    assert "Statement no. 1" in words and "coordinators can confirm" in words
    rows = list(bot.db.query("SELECT * FROM statements"))
    assert [(r["number"], r["user_id"], r["period"], r["hours"], r["shifts"], r["issued_to"]) for r in rows] == [
        (1, "UA", f"2026-01-01..{today.isoformat()}", 6.25, 2, "Ana Example")]
    coord = Phone(bot, ADMIN)
    shown = coord.command("hours verify 1").reply().words
    assert "Statement no. 1* was issued on <!date^" in shown
    assert (f"to *Ana Example* (<@UA>): *6.25 h* on 2 shifts, 1 January 2026 to {today.day} {today:%B %Y}"
            in shown)
    assert "the same days give the same hours" in shown
    assert "is for coordinators" in Phone(bot, "UA").command("hours verify 1").reply().words
    assert "No statement no. 99 was issued" in coord.command("hours verify #99").reply().words
    assert "/outreach hours verify NUMBER" in coord.command("hours verify").reply().words
    coord.command(f"hours correct <@UA> {a} 3.5 Left early to catch the last bus").reply()
    assert "the same days give 5.5 h: hours were corrected since" in coord.command("hours verify 1").reply().words


def test_a_typed_name_is_gone(bot, night):  # noqa: F811
    lead = Phone(bot, LEAD)
    mark = lead.mark
    answer = lead.command("hours statement Judge Approved Person").reply().words
    assert "is not used" in answer and "Slack profile" in answer
    words = pdf_words(uploaded(lead, mark)[1])[1]
    assert "Lee Lead gave 6.25 hours" in words and "Judge" not in words
    # A forged My hours form with a name field: the field is not read.
    you = Phone(bot, "UA")
    mark = you.mark
    forged = bot.submit("UA", "hours_mine", {"statement_name": "Judge Approved Person"})
    assert forged.status == 200
    words = pdf_words(uploaded(you, mark)[1])[1]
    assert "Ana Example gave" in words and "Judge" not in words
    assert [r["issued_to"] for r in bot.db.query("SELECT issued_to FROM statements ORDER BY number")] == [
        "Lee Lead", "Ana Example"]
    help_text = Phone(bot, "UA").command("help commands").reply().words
    assert "YOUR NAME" not in help_text and "as Slack knows it" in help_text
    assert "hours verify" not in help_text  # a volunteer's help lists what they may use
    assert "/outreach hours verify NUMBER" in Phone(bot, ADMIN).command("help commands").reply().words
