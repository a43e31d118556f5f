"""Journeys: a lead writes the night's debrief on a phone by taps only, from the DM or the App Home;
the first screen alone is a complete debrief, details come on a pushed second step, words that could
identify someone are refused inline, and the reports count what was written."""

from __future__ import annotations

import json

from conftest import ADMIN, everyone_back
from phone import Phone

LEAD = "ULEAD"


def night(bot) -> int:
    """A direct shift tomorrow 19:00-23:00 Chicago (Spanish), led by ULEAD with UA on it, now over."""
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    bot.clock.advance(days=1, hours=14)  # 23:00 in Chicago: the shift's end
    everyone_back(bot, number, lead=LEAD)  # the lead: everyone back safe
    bot.kit.tick()
    return number


def test_lead_writes_the_debrief_from_the_dm_with_the_first_screen_only(bot):
    number = night(bot)
    lead = Phone(bot, LEAD)
    asked = [dm for dm in lead.dms() if dm.has_button("Write debrief")]
    assert asked and f"#{number}" in asked[-1].words
    form = asked[-1].tap("Write debrief").modal()
    assert len(form.inputs) <= 8, form.inputs
    # What the shift knows is shown, not asked; the languages come from the shift.
    assert f"<@{LEAD}>, <@UA>" in form.words and "Eastside" in form.words
    languages = next(b for b in form.blocks if b.get("block_id") == "db_languages")
    assert [o["text"]["text"] for o in languages["element"]["initial_options"]] == ["Spanish"]
    saved = form.submit({"People reached": 9, "Hotline cards handed out": 30, "Referrals made": ["Medical care"],
                         "Indicators observed": [], "Anything unsafe?": ["The hotline was contacted"],
                         "How are you after tonight?": "2 · fine"})
    assert saved.errors == {}
    thanks = saved.dm(where=lambda s: "saved" in s.text)
    assert "9 people reached" in thanks.words and thanks.has_button("Edit debrief")
    row = bot.db["debriefs"].get(1)
    assert (row["contacts"], row["hotline"], row["load"], json.loads(row["languages"])) == (9, 1, 2, ["es"])
    assert json.loads(row["materials"]) == {"hotline-cards": 30} and json.loads(row["referrals"]) == {"medical-care": 1}
    assert json.loads(row["team"]) == [LEAD, "UA"]
    # Nothing more is owed: the App Home no longer lists it.
    assert "Write debrief" not in lead.home().buttons
    # The reports count it.
    report = bot.command(ADMIN, "report 2026-11").text()
    assert "*People reached*: *9*" in report and "Medical care *1*" in report and "*Hotline contacted*: *1*" in report


def test_lead_adds_details_from_the_app_home(bot):
    number = night(bot)
    lead = Phone(bot, LEAD)
    home = lead.home()
    assert "Debriefs and follow-ups you owe" in home.words
    form = home.tap("Write debrief", near=f"#{number}").modal()
    form.fill({"People reached": 11, "Referrals made": ["Medical care", "Emergency housing"]})
    details = form.tap("Add details").modal()
    assert details.view["callback_id"] == "debrief_more"
    assert "Referrals: Emergency housing" in details.inputs and "Referrals: Medical care" in details.inputs
    assert not [label for label in details.inputs if label.startswith("Referrals: Food")]  # only what was picked
    done = details.submit({"Referrals: Emergency housing": 3, "Follow-up 1: what": "Ask the shelter about beds",
                           "Follow-up 1: due": "2026-11-30", "Notes": "Busy back lot after 22:00.",
                           "Health and hygiene kits handed out": 4})
    assert done.errors == {}
    assert "Details added" in done.modal().words  # back on the first screen, which says so
    saved = form.submit()  # what was typed on the first screen stays
    assert saved.errors == {}
    row = bot.db["debriefs"].get(1)
    assert row["contacts"] == 11 and json.loads(row["referrals"]) == {"housing-emergency": 3, "medical-care": 1}
    assert json.loads(row["materials"]) == {"hygiene-kits": 4} and row["notes"] == "Busy back lot after 22:00."
    task = bot.db["followups"].get(1)
    assert (task["what"], task["owner"], task["due_on"]) == ("Ask the shelter about beds", LEAD, "2026-11-30")
    assert "Ask the shelter about beds" in lead.home().words  # a follow-up the lead owes, with its Done
    report = bot.command(ADMIN, "report 2026-11").text()
    assert "*People reached*: *11*" in report and "Emergency housing *3*" in report and "*Referrals*: *4*" in report


def test_a_phone_number_in_the_notes_is_refused_inline_and_nothing_is_kept(bot):
    number = night(bot)
    lead = Phone(bot, LEAD)
    form = lead.home().tap("Write debrief", near=f"#{number}").modal()
    form.fill({"People reached": 3})
    details = form.tap("Add details").modal()
    refused = details.submit({"Notes": "She asked us to call her at 773-555-0142 tomorrow"})
    assert "a phone number" in refused.errors["db_notes"] and "773-555-0142" not in refused.errors["db_notes"]
    assert bot.db["debrief_drafts"].count == 0
    assert details.submit({"Notes": "Quiet; one card taken."}).errors == {}
    assert form.submit().errors == {}
    assert bot.db["debriefs"].get(1)["notes"] == "Quiet; one card taken."
    # The same modal from the command.
    again = lead.command(f"debrief {number}").modal()
    assert again.view["callback_id"] == "debrief_form" and len(again.inputs) <= 8


def test_a_training_night_records_who_came_by_sector_and_the_report_counts_them(bot):
    number = bot.create_shift(kind="training", venue="community-venue", training="none", min_team="1", lead=LEAD)
    bot.clock.advance(days=1, hours=14)  # a training has no safety net: no check-out, the debrief at once
    bot.kit.tick()
    form = Phone(bot, LEAD).home().tap("Write debrief", near=f"#{number}").modal()
    form.fill({"People reached": 20})
    details = form.tap("Add details").modal()
    assert "Audience: Law enforcement" in details.inputs and "Audience: Health care" in details.inputs
    refused = details.submit({"Audience: Law enforcement": -3})
    assert "db_aud_law-enforcement" in refused.errors  # a count out of range says what to change
    done = details.submit({"Audience: Law enforcement": 12, "Audience: Health care": 8})
    assert done.errors == {}
    assert form.submit().errors == {}
    with bot.store.read() as db:
        rows = {r["sector"]: r["count"] for r in db.query("SELECT sector, count FROM debrief_audiences")}
    assert rows == {"law-enforcement": 12, "health-care": 8}
    report = bot.command(ADMIN, "report 2026-11").text()
    assert "*People trained*: *20*" in report and "Law enforcement *12*" in report
    # An edit shows what was recorded in the details, and keeps it when they are not opened again.
    again = Phone(bot, LEAD).command(f"debrief {number}").modal()
    shown = again.tap("Add details").modal()
    field = next(b for b in shown.blocks if b.get("block_id") == "db_aud_law-enforcement")
    assert field["element"]["initial_value"] == "12"
    assert again.submit().errors == {}
    with bot.store.read() as db:
        assert db.execute("SELECT sum(count) FROM debrief_audiences").fetchone()[0] == 20


def test_the_lead_confirms_who_was_out_and_a_missing_member_is_a_no_show_on_the_roster(bot):
    number = night(bot)
    lead = Phone(bot, LEAD)
    form = lead.home().tap("Write debrief", near=f"#{number}").modal()
    form.fill({"People reached": 5})
    details = form.tap("Add details").modal()
    out = next(b for b in details.blocks if b.get("block_id") == "db_team")
    assert out["element"]["initial_users"] == [LEAD, "UA"]  # prefilled with the team the shift knows
    assert details.submit({"Who was out tonight": []}).errors["db_team"]  # nobody: says what to do
    assert details.submit({"Who was out tonight": [LEAD]}).errors == {}  # UA did not come
    assert form.submit().errors == {}
    assert json.loads(bot.db["debriefs"].get(1)["team"]) == [LEAD]
    roster = Phone(bot, ADMIN).command("roster").modal()
    ua = "\n".join(str(b) for b in roster.blocks if b.get("block_id") == "roster:UA")
    assert "1 no-show" in ua
