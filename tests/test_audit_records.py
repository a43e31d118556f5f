"""Records a funder can trust (issue 21): the debrief team is the shift's roster, training records come from
the shift that gave them, correction reasons expire, a refused form leaves no trace, every form's answer is
acted on, and the monthly post carries its files."""

from __future__ import annotations

import json

from conftest import ADMIN, COORD_CHANNEL, eventually
from phone import Phone
from test_journey_coordinator import details_of, newest_shift, stored
from test_reports import not_invite, november  # noqa: F401 (a fixture)

# ---------------------------------------------------------------- forms: one answer per form, never dropped


def test_cancel_then_duplicate_in_one_details_window_creates_the_copy(bot):
    number = bot.create_shift(area="Northside")
    you = Phone(bot, ADMIN)
    details = details_of(you, number)
    cancelled = details.tap("Cancel shift", confirm=True).modal().submit({"Reason (optional)": "Storm warning"})
    after = cancelled.modal()  # the same window, now the Details of the cancelled shift
    assert "CANCELLED" in after.words and stored(bot, number)["status"] == "cancelled"
    form = after.tap("Duplicate").modal()
    assert form.view["id"] == after.view["id"] == details.view["id"]  # Slack keeps the view's id throughout
    sent = form.submit()
    assert not sent.errors
    copy = newest_shift(bot, number)
    assert stored(bot, copy)["area"] == "Northside" and stored(bot, copy)["status"] == "planned"
    again = form.submit()  # the same answer sent again: acted on once, and said so
    assert not again.errors
    eventually(lambda: any("sent twice" in dm.words for dm in you.dms()))
    assert bot.db.execute("SELECT count(*) FROM shifts WHERE id > ?", [number]).fetchone()[0] == 1


# ---------------------------------------------------------------- the monthly post


def test_the_monthly_post_uploads_the_chart_the_pdf_and_the_workbook(bot, november):  # noqa: F811
    bot.clock.advance(hours=1, minutes=30)  # 08:30 in Chicago on the 1st
    bot.kit.tick()
    bot.kit.tick()
    posts = [c for c in bot.fake.calls_to("chat.postMessage") if "Last month" in c.params["text"]]
    assert len(posts) == 1 and posts[0].params["channel"] == COORD_CHANNEL
    complete = bot.fake.wait_for("files.completeUploadExternal", where=not_invite)
    assert len(complete) == 1 and complete[0].params["channel_id"] == COORD_CHANNEL
    files = complete[0].params["files"]
    titles = sorted(f["title"] for f in (json.loads(files) if isinstance(files, str) else files))
    assert titles == ["Outreach report 2026-11", "Outreach report 2026-11 (workbook)", "Outreach, 12 months to 2026-11"]
    names = sorted(str(c.params.get("filename")) for c in bot.fake.calls_to("files.getUploadURLExternal")
                   if "2026-11" in str(c.params.get("filename")))
    assert names == ["outreach-2026-11.png", "outreach-report-2026-11.pdf", "outreach-report-2026-11.xlsx"]
    row = next(bot.db.query("SELECT sent_at, error FROM notifications WHERE key = 'report:monthly:2026-11'"))
    assert row["sent_at"] and row["error"] is None
