"""A second walk of issue 12, by button words, as a new volunteer, a new lead and a coordinator would
read their phone at 11 pm: each test asserts on something a person saw that fell short."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from conftest import ADMIN, COORD_CHANNEL, at, eventually
from phone import Phone, Screen
from test_readiness import make_ready, whole

DATE_TOKEN = re.compile(r"<!date\^(\d+)\^")
PLAIN_TIME = re.compile(r"\b\d{2}:\d{2} [A-Z]{3,4}\b")  # a time written out, outside a date token



def outside_tokens(words: str) -> str:
    """The words with every Slack date token (and its fallback) taken out."""
    return re.sub(r"<!date\^[^>]*>", "", words)


def primary(screen: Screen, near: str) -> list[str]:
    """The primary buttons of the first action row at or after the block that mentions `near`."""
    blocks = screen._candidates(near)
    row = next(b for b in blocks if b.get("type") == "actions")
    return [e["text"]["text"] for e in row["elements"] if e.get("style") == "primary"]


def test_a_volunteer_reads_each_time_once_and_keeps_the_calendar_feed_by_a_tap(bot):
    number = bot.create_shift(notes="Meet at the library, side door.")
    bot.train("UA")
    you = Phone(bot, "UA")
    find = you.home().tap("Find a shift").modal()
    home = find.tap("Sign up", near=f"#{number}").home()
    details = home.tap("Details", near=f"#{number}").modal()
    when = next(line for line in details.words.splitlines() if line.startswith("*When:*"))
    # It said "Mon 23 Nov 19:00 – Mon 23 Nov 23:00 (Mon 23 Nov 2026, 19:00 CST)": the start twice, the day twice.
    assert not PLAIN_TIME.search(outside_tokens(when)), when
    assert len(DATE_TOKEN.findall(when)) == 2 and "^{time}|" in when.split(" – ")[1]

    # The invite DM offered `/outreach calendar` as code: now a button that DMs the feed, to keep.
    bot.kit.tick()
    invite = next(dm for dm in you.dms() if "Calendar invite" in dm.words)
    assert "`" not in invite.words and "Calendar feed" in invite.buttons
    feed = invite.tap("Calendar feed").dm(where=lambda s: "calendar feed" in s.words)
    assert feed.text == "Your shift calendar feed: tap to see" and "webcal://" in feed.words
    reset = feed.button("Reset address")
    assert reset["confirm"]["confirm"]["text"] == "Reset" and reset["style"] == "danger"


def test_a_lead_reads_one_primary_action_and_the_not_ready_notice_opens_the_checklist(bot):
    number = bot.create_shift()
    lead = Phone(bot, "ULEAD")

    # The not-ready notice (two hours before) listed twelve items with only Details: it now opens the checklist.
    at(bot, datetime(2026, 11, 23, 23, 0, 5, tzinfo=UTC))
    notice = lead.last_dm()
    assert notice.text == f"Shift #{number} checklist: tap to see" and "Still missing" in notice.words
    assert notice.buttons == ["Open checklist", "Details"]
    checklist = notice.tap("Open checklist").modal()
    assert checklist.view["callback_id"] == "ready_checklist"
    words = whole(checklist)  # the summary, then each section opened in turn
    # No partner in the directory: said once per need, without a command printed as code.
    assert "partner add" not in words and "`" not in outside_tokens(
        "\n".join(line for line in words.splitlines() if "directory" in line))
    assert "a coordinator adds one, then tap Refresh" in words

    # Ready: Record Go is the one primary button of the shift's row (there were two).
    make_ready(bot, number)
    home = lead.home()
    assert primary(home, f"#{number}") == ["Record Go"]
    # It read "Go recorded by @lead 17:00".
    assert "*Go* recorded by <@ULEAD> at <!date^" in home.tap("Record Go", near=f"#{number}").home().words


def test_the_safety_line_says_at_and_a_cancelled_post_is_no_new_shift(bot):
    number = bot.create_shift()
    bot.make_coordinator("UCO")
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    Phone(bot, ADMIN).command(f"checkevery {number} 60").reply()
    at(bot, datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    Phone(bot, "ULEAD").last_dm().tap("Check in (me)").reply()
    at(bot, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    at(bot, datetime(2026, 11, 24, 2, 10, tzinfo=UTC))  # passed on to UA, who counts as out too
    at(bot, datetime(2026, 11, 24, 2, 20, tzinfo=UTC))  # then the coordinators
    coordinator = Phone(bot, "UCO")
    alert = coordinator.last_dm()
    alert.tap("Acknowledge")
    eventually(lambda: "Acknowledged by <@UCO>" in alert.now().words)
    # It read "checked in 19:00 by @lead · acknowledged by @coordinator 20:10".
    words = Phone(bot, "UA").home().words
    assert "checked in at <!date^" in words and "acknowledged by <@UCO> at <!date^" in words

    later = bot.create_shift(area="Northside")
    details = Phone(bot, ADMIN).home().tap("This week").modal().tap("Details", near=f"*#{later}*").modal()
    details.tap("Cancel shift", confirm=True).modal().submit({"Reason (optional)": "Storm warning"}).modal()
    post = Phone(bot, ADMIN).message_screen(bot.fake.wait_for(
        "chat.update", where=lambda c: "Cancelled" in str(c.params.get("blocks")) and f"#{later}" in str(c.params))[0])
    assert f"*Shift #{later}:" in post.words and "New shift" not in post.words
    assert not [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == COORD_CHANNEL
                and "0 people" in str(c.params)]


def test_an_empty_partner_list_offers_a_button_to_coordinators_only(bot):
    coordinator = Phone(bot, ADMIN)
    empty = coordinator.command("partners").reply()
    assert "no partners yet" in empty.words and "/outreach partner add" not in empty.words
    form = empty.tap("Add a partner").modal()
    assert form.view["callback_id"] == "partner_form"
    volunteer = Phone(bot, "UV").command("partners").reply()
    assert volunteer.buttons == [] and volunteer.text == "*The referral network*: no partners yet."
    # A forged tap by a volunteer opens nothing and says who may.
    refused = bot.click("UV", "partner_add", "")
    assert "coordinator" in refused.text()
    assert len(bot.fake.calls_to("views.open")) == 1


def test_a_long_debrief_view_is_cut_between_lines_never_inside_a_word_or_a_date_token():
    """The debrief's View cut its text every 2,900 characters, wherever that fell (inside a word or a
    `<!date^…>` token, which Slack then shows raw)."""
    from handlers import blocks as bk

    line = "Follow-up: call the clinic back before <!date^1795482000^{date_short_pretty} {time}|Mon 23 Nov 2026, 19:00 CST>"
    text = "\n".join([line] * 60 + ["word " * 900])
    parts = bk.sections(text)
    shown = [p.text.text for p in parts]
    assert len(parts) > 2 and all(len(s) <= bk.TEXT_LIMIT for s in shown)
    assert all(s.count("<!date^") == s.count("CST>") for s in shown)
    assert " ".join(" ".join(shown).split()) == " ".join(text.split())  # nothing lost, nothing cut mid-word
