"""A coordinator plans by taps: Details -> Duplicate (a week later) or Cancel shift (confirm, then a reason),
the shift form whose end follows the start and whose lead is the planner, and Find a partner."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from conftest import ADMIN, eventually
from phone import Phone
from test_readiness import add_partner

CHICAGO = ZoneInfo("America/Chicago")
FORBIDDEN = ("trafficking", "victim", "escalation", "safety alert")


def stored(bot, number: int) -> dict:
    return bot.db["shifts"].get(number)


def local(iso_text: str) -> datetime:
    return datetime.fromisoformat(iso_text).astimezone(CHICAGO)


def details_of(you: Phone, number: int):
    """Open a shift's Details from the App Home: This week, then the shift's Details (pushed on top)."""
    week = you.home().tap("This week").modal()
    return week.tap("Details", near=f"*#{number}*").modal()


def details_from_post(bot, you: Phone, number: int):
    """Open a shift's Details from its post in the channel (a shift beyond the list's 30 days)."""
    call = bot.fake.wait_for("chat.postMessage", where=lambda c: f"#{number}:" in str(c.params.get("blocks")))[0]
    return you.message_screen(call).tap("Details").modal()


def newest_shift(bot, after: int) -> int:
    found: list[int] = []

    def created() -> bool:
        found[:] = [r["id"] for r in bot.db.query("SELECT id FROM shifts WHERE id > ? AND message_ts IS NOT NULL",
                                                   [after])]
        return bool(found)

    eventually(created)
    return found[0]


def test_duplicate_opens_the_form_a_week_later_and_creates_a_new_shift(bot):
    number = bot.create_shift(area="Northside", notes="Meet at the library.", capacity="5")
    you = Phone(bot, ADMIN)
    details = details_of(you, number)
    assert details.buttons == ["Edit", "Duplicate", "Cancel shift", "Check-ins: set an interval", "Message the team"]

    form = details.tap("Duplicate").modal()
    assert form.view["callback_id"] == "shift_form" and form.view["submit"]["text"] == "Create"
    assert f"A copy of shift #{number}" in form.words and "Mon 30 Nov" in form.words
    assert "End date" not in form.inputs and len(form.inputs) <= 13
    inputs = {b["block_id"]: b["element"] for b in form.blocks if b["type"] == "input"}
    assert inputs["start_date"]["initial_date"] == "2026-11-30"  # a week after Mon 23 Nov
    assert inputs["start_time"]["initial_time"] == "19:00" and inputs["end_time"]["initial_time"] == "23:00"
    assert inputs["area"]["initial_value"] == "Northside" and inputs["lead"]["initial_user"] == "ULEAD"

    submitted = form.submit()
    assert not submitted.errors
    post = submitted.posted("CGENERAL")  # where the original was posted
    copy = newest_shift(bot, number)
    assert f"New shift #{copy}" in post.words
    before, after = stored(bot, number), stored(bot, copy)
    assert local(after["starts_at"]) == local(before["starts_at"]) + timedelta(days=7)
    assert local(after["ends_at"]) == local(before["ends_at"]) + timedelta(days=7)
    for key in ("area", "venue", "kind", "capacity", "min_team", "lead", "training", "notes", "languages"):
        assert after[key] == before[key], key
    assert before["status"] == "planned" and bot.db["shifts"].count == 2  # a new shift, not an edit


def test_duplicate_keeps_the_local_time_across_a_clock_change(bot):
    """Wed 10 Mar 2027 is standard time in Chicago, Wed 17 Mar daylight time: 19:00 stays 19:00."""
    number = bot.create_shift(start_date="2027-03-10", end_date="2027-03-11", start_time="19:00", end_time="01:00")
    form = details_from_post(bot, Phone(bot, ADMIN), number).tap("Duplicate").modal()
    submitted = form.submit()
    assert not submitted.errors
    copy = newest_shift(bot, number)
    assert stored(bot, number)["starts_at"] == "2027-03-11T01:00:00+00:00"
    assert stored(bot, copy)["starts_at"] == "2027-03-18T00:00:00+00:00"  # 19:00 CDT
    assert stored(bot, copy)["ends_at"] == "2027-03-18T06:00:00+00:00"  # 01:00 CDT on Thursday


def test_the_end_follows_the_start_and_the_lead_is_the_planner(bot):
    you = Phone(bot, ADMIN)
    form = you.home().tap("Plan a shift", near="Find a partner").modal()  # the entry row (setup has one too)
    assert "End date" not in form.inputs and "End time" in form.inputs
    fields = {"Kind": "Direct outreach", "Venue type": "Hotels and motels", "Area": "Eastside",
              "Start date": "2026-11-24", "Start time": "19:00", "Required training": "Direct outreach training"}

    same_day = form.submit(dict(fields, **{"End time": "23:00"}))
    assert not same_day.errors
    first = newest_shift(bot, 0)
    row = stored(bot, first)
    assert row["lead"] == ADMIN  # nobody picked a lead: the planner leads
    assert (local(row["starts_at"]).isoformat(), local(row["ends_at"]).isoformat()) == (
        "2026-11-24T19:00:00-06:00", "2026-11-24T23:00:00-06:00")

    night = you.command("new").modal().submit(dict(fields, **{"End time": "02:30"}))
    assert not night.errors
    second = newest_shift(bot, first)
    assert local(stored(bot, second)["ends_at"]).isoformat() == "2026-11-25T02:30:00-06:00"  # the next day

    again = you.command("new").modal()
    assert "after the start" in again.submit(dict(fields, **{"End time": "19:00"})).errors["end_time"]
    assert "at most 16 hours" in again.submit(dict(fields, **{"Start time": "08:00", "End time": "07:00"})
                                              ).errors["end_time"]
    assert bot.db["shifts"].count == 2


def test_cancel_shift_asks_then_takes_a_reason_and_tells_how_many_were_told(bot):
    bot.train("UA")
    taken = bot.create_shift(area="Northside")
    assert "You're signed up" in bot.command("UA", f"signup {taken}").text()
    empty = bot.create_shift(area="Southside")
    you = Phone(bot, ADMIN)

    details = details_of(you, taken)
    assert "The 1 person on it" in details.button("Cancel shift")["confirm"]["text"]["text"]
    form = details.tap("Cancel shift", confirm=True).modal()
    assert "I'll tell the 1 person" in form.words and stored(bot, taken)["status"] == "planned"
    refused = form.submit({"Reason (optional)": "the girl in room 12 called 312-555-0142"})
    assert refused.errors["reason"] and stored(bot, taken)["status"] == "planned"  # screened like the notes
    done = form.submit({"Reason (optional)": "Storm warning"})
    assert not done.errors
    after = done.modal()  # the modal turns into the Details of the cancelled shift
    assert "CANCELLED" in after.words and "told the 1 person who was" in after.words
    assert after.buttons == ["Duplicate"]
    again = form.submit({"Reason (optional)": "Storm warning"})  # Slack sends the same form again
    assert not again.errors and "told the 1 person who was" in again.modal().words
    assert f"*#{taken}*" not in you.home().tap("This week").modal().words  # gone from the week
    row = stored(bot, taken)
    assert row["status"] == "cancelled" and row["cancel_reason"] == "Storm warning"
    told = Phone(bot, "UA")
    eventually(lambda: any("cancelled: Storm warning" in dm.words for dm in told.dms()))

    nobody = details_of(you, empty).tap("Cancel shift", confirm=True).modal().submit()
    assert "I told nobody" in nobody.modal().words and stored(bot, empty)["status"] == "cancelled"
    assert "told nobody" in bot.command(ADMIN, f"cancel {bot.create_shift()}").text()


def test_volunteers_get_no_planning_buttons_and_a_forged_cancel_is_refused(bot):
    number = bot.create_shift()
    found = Phone(bot, "UV").home().tap("Find a shift").modal()
    details = found.tap("Details", near=f"#{number}").modal()
    assert "Eastside" in details.words and details.buttons == []
    forged = bot.submit("UV", "shift_cancel_form", {"reason": "x"}, metadata={"shift_id": number})
    assert "coordinators" in forged.json()["errors"]["reason"] and stored(bot, number)["status"] == "planned"
    bot.click("UV", "shift_duplicate", str(number))
    bot.click("UV", "shift_cancel", str(number))
    eventually(lambda: bot.db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0)  # both clicks were done
    assert not bot.fake.calls_to("views.update") and len(bot.fake.calls_to("views.open")) == 1  # Find a shift only


def test_find_a_partner_by_button_and_by_bare_refer_and_keep_it_by_dm(bot):
    add_partner(bot, "Casa Segura", ["housing-emergency", "food"], languages=["es"], hours="24/7", phone="555 0101")
    add_partner(bot, "Hope House", ["housing-emergency"], hours="Mon-Fri 9-17", phone="555 0102")
    add_partner(bot, "Clinic", ["medical-care"], phone="555 0103")

    you = Phone(bot, "UV")
    by_button = you.home().tap("Find a partner").modal()
    modal = you.command("refer").modal()
    assert by_button.view["callback_id"] == modal.view["callback_id"] == "partner_find"
    assert "Find a partner" in modal.words and modal.buttons == []
    picked = modal.choose("Emergency housing").modal()
    words = picked.words
    assert "Casa Segura" in words and "555 0101" in words and "Hope House" in words and "Clinic" not in words
    assert words.index("Casa Segura") < words.index("Hope House")  # 24/7 first
    assert "Emergency housing, Food" in words  # what each does
    spanish = picked.choose("Spanish").modal()
    assert "in Spanish" in spanish.words
    kept = spanish.tap("Send to me as a DM")
    dm = kept.dm()
    assert "Casa Segura" in dm.words and "555 0101" in dm.words
    assert not any(word in dm.text.lower() for word in FORBIDDEN)
    assert "in your messages" in kept.modal().words

    typed = you.command("refer shelter").reply()
    assert "Hope House" in typed.words
    assert "Hope House" in typed.tap("Send to me as a DM").dm().words


def test_no_template_asks_to_type_in_the_bots_read_only_messages_tab():
    manifest = (Path(__file__).resolve().parent.parent / "manifest.yml").read_text()
    assert "messages_tab_read_only_enabled: true" in manifest
    for template in (Path(__file__).resolve().parent.parent / "templates").rglob("*.j2"):
        text = template.read_text().lower()
        assert "direct message with the bot" not in text and "dm with the bot" not in text, template
