"""Trainings that renew: a training shift's attendance records the training, lapse notices at 30 and 7 days
with a Sign up, coordinators' home, the not-ready alert naming whose training lapses."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import ADMIN, COORD_CHANNEL, Bot, eventually, message_text
from phone import Phone

LAPSE = "One of your trainings needs renewing"


def training_shift(bot: Bot, day: str, *, training: str = "direct-outreach", lead: str = "ULEAD") -> int:
    """A training shift on that day, 18:00-20:00 in Chicago, giving `training` ("none": it names none)."""
    return bot.create_shift(kind="training", venue="community-venue", area="Library hall", start_date=day,
                            end_date=day, start_time="18:00", end_time="20:00", capacity="10", min_team="1",
                            languages=[], training=training, lead=lead, notes="")


def records(bot: Bot) -> list[tuple]:
    return [(r["user_id"], r["training"], r["completed_on"], r["expires_on"], r["shift_id"]) for r in
            bot.db.query("SELECT * FROM trainings WHERE shift_id IS NOT NULL ORDER BY user_id, id")]


def lapse_dms(bot: Bot, user: str) -> list:
    return [c for c in bot.dms(user) if LAPSE in str(c.params.get("text")) and not c.failed]


def test_attendance_records_the_training_with_its_validity_for_the_picked_people_only(bot):
    number = training_shift(bot, "2026-11-23", training="safety")  # valid_months: 12
    for user in ("UA", "UB", "UC"):  # nobody needs the training a training shift gives to sign up for it
        assert "signed up" in bot.command(user, f"signup {number}").text()
    lead = Phone(bot, "ULEAD")
    early = lead.command("shifts").reply().tap("Details", near=f"#{number}").modal()
    assert "Message the team" in early.buttons and "Confirm attendance" not in early.buttons  # not started yet
    bot.clock.now = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)  # 19:30 in Chicago: under way
    details = lead.home().tap("Details", near=f"#{number}").modal()
    form = details.tap("Confirm attendance").modal()
    assert form.inputs == ["Who attended"]
    picker = next(b for b in form.blocks if b.get("type") == "input")["element"]
    assert picker["initial_users"] == ["UA", "UB", "UC"]  # the confirmed team, picked already
    done = form.submit({"Who attended": ["UA", "UC"]})  # UB did not come
    words = done.modal().words
    assert "Recorded *Field safety and de-escalation* for <@UA>, <@UC>" in words and "valid until 2027-11-23" in words
    assert records(bot) == [("UA", "safety", "2026-11-23", "2027-11-23", number),
                            ("UC", "safety", "2026-11-23", "2027-11-23", number)]
    form.submit()  # Slack sends the form again
    again = details.tap("Confirm attendance").modal().submit({"Who attended": ["UA", "UC"]})
    assert "Already recorded from shift" in again.modal().words
    assert len(records(bot)) == 2  # idempotent
    assert "Field safety and de-escalation" in bot.command("UA", "trainings").text()
    assert "no recorded trainings" in bot.command("UB", "trainings").text()


def test_a_training_shift_naming_no_training_records_none_and_only_its_lead_or_a_coordinator_confirms(bot):
    number = training_shift(bot, "2026-11-23", training="none")
    bot.command("UA", f"signup {number}").reply()
    bot.clock.now = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)  # under way
    volunteer = Phone(bot, "UA").command("shifts").reply()
    assert "Confirm attendance" not in volunteer.tap("Details", near=f"#{number}").modal().buttons
    forged = bot.submit("UA", "training_attendance_form", {"attended": ["UA"]}, metadata={"shift_id": number})
    assert "Only the lead of shift" in forged.json()["errors"]["attended"]
    details = Phone(bot, ADMIN).command("shifts").reply().tap("Details", near=f"#{number}").modal()
    told = details.tap("Confirm attendance")
    eventually(lambda: any("names no training it gives" in dm.words for dm in Phone(bot, ADMIN).dms()))
    told.no_modal()
    chosen = bot.submit(ADMIN, "training_attendance_form", {"attended": ["UA"], "training": "community-educator"},
                        metadata={"shift_id": number})
    assert "names no training it gives" in chosen.json()["errors"]["attended"]
    assert records(bot) == []


def test_lapse_notice_once_at_30_and_at_7_days_with_the_next_training_shift_and_a_sign_up(bot):
    assert "valid until 2026-12-31" in bot.command(ADMIN, "train <@UA> direct-outreach expires 2026-12-31").text()
    soon = training_shift(bot, "2026-12-10")
    later = training_shift(bot, "2026-12-28")
    bot.kit.tick()
    bot.clock.now = datetime(2026, 12, 1, 14, 59, tzinfo=UTC)  # 08:59 in Chicago, 30 days before: not yet
    bot.kit.tick()
    assert lapse_dms(bot, "UA") == []
    bot.clock.now = datetime(2026, 12, 1, 15, 1, tzinfo=UTC)
    bot.kit.tick()
    bot.kit.tick()
    assert len(lapse_dms(bot, "UA")) == 1
    you = Phone(bot, "UA")
    first = you.last_dm()
    assert first.text == "One of your trainings needs renewing: tap to see"
    assert "*Direct outreach training* is valid until 2026-12-31 (30 days from now)" in first.words
    assert f"#{soon}" in first.words and f"#{later}" in first.words
    assert "signed up" in first.tap("Sign up", near=f"#{soon}").reply().words
    assert bot.db["signups"].count_where("shift_id = ? AND user_id = 'UA' AND status = 'confirmed'", [soon]) == 1
    bot.clock.now = datetime(2026, 12, 20, 15, 0, tzinfo=UTC)
    bot.kit.tick()
    assert len(lapse_dms(bot, "UA")) == 1  # nothing between the two lead times
    bot.clock.now = datetime(2026, 12, 24, 15, 1, tzinfo=UTC)  # 7 days before, 09:01 in Chicago
    bot.kit.tick()
    bot.kit.tick()
    assert len(lapse_dms(bot, "UA")) == 2
    second = message_text(lapse_dms(bot, "UA")[-1].params)
    assert "(7 days from now)" in second and f"#{later}" in second and f"#{soon}" not in second
    bot.clock.now = datetime(2026, 12, 30, 15, 0, tzinfo=UTC)
    bot.kit.tick()
    assert len(lapse_dms(bot, "UA")) == 2
    keys = [r["key"] for r in bot.db.query("SELECT key FROM notifications WHERE key LIKE 'lapse:%' ORDER BY id")]
    assert keys == ["lapse:UA:direct-outreach:2026-12-31:30d", "lapse:UA:direct-outreach:2026-12-31:7d"]


def test_a_renewal_stops_the_lapse_notices(bot):
    bot.command(ADMIN, "train <@UA> safety expires 2026-12-31").text()
    bot.clock.now = datetime(2026, 12, 1, 15, 1, tzinfo=UTC)
    bot.kit.tick()
    eventually(lambda: len(lapse_dms(bot, "UA")) == 1)
    bot.command(ADMIN, "train <@UA> safety").text()  # renewed: valid a year from today
    bot.clock.now = datetime(2026, 12, 24, 15, 1, tzinfo=UTC)
    bot.kit.tick()
    assert len(lapse_dms(bot, "UA")) == 1


def test_coordinators_see_lapsing_trainings_on_the_home(bot):
    bot.command(ADMIN, "train <@UA> direct-outreach expires 2026-12-15").text()
    bot.command(ADMIN, "train <@UB> direct-outreach expires 2027-06-15").text()  # not within 30 days
    home = Phone(bot, ADMIN).home()
    assert "Trainings lapsing in the next 30 days* (1)" in home.words
    assert "<@UA>: Direct outreach training, valid until 2026-12-15" in home.words and "<@UB>" not in home.words
    assert "Trainings lapsing" not in Phone(bot, "UA").home().words  # volunteers do not see it


def test_the_not_ready_alert_names_the_person_whose_training_lapses_before_the_shift(bot):
    number = bot.create_shift()  # direct outreach tomorrow 19:00 in Chicago, requires direct-outreach
    for user in ("UA", "UB"):
        bot.train(user)
        bot.command(user, f"signup {number}").reply()
    # a coordinator corrects UA's record: it ends today, before the shift
    assert "valid until 2026-11-22" in bot.command(ADMIN, "train <@UA> direct-outreach expires 2026-11-22").text()
    bot.clock.now = datetime(2026, 11, 23, 1, 0, 5, tzinfo=UTC)  # the not-ready alert is due (24h before)
    bot.kit.tick()
    alert = next(c for c in bot.fake.calls_to("chat.postMessage")
                 if c.params.get("channel") == COORD_CHANNEL and "is not ready" in message_text(c.params))
    words = message_text(alert.params)
    assert "<@UA>: Direct outreach training is valid only until 2026-11-22, before this shift" in words
    assert "<@UB>:" not in words


def test_the_leads_end_of_shift_dm_offers_confirm_attendance_after_check_out(bot):
    number = training_shift(bot, "2026-11-23", training="safety")
    bot.command("UA", f"signup {number}").reply()
    bot.clock.now = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # 18:00 in Chicago
    bot.kit.tick()
    bot.command("ULEAD", f"checkin {number}").reply()
    bot.clock.now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # its end
    bot.kit.tick()
    lead = Phone(bot, "ULEAD")
    dm = lead.last_dm()
    assert dm.has_button("Confirm attendance")  # a training has no safety net: attendance at once
    form = dm.now().tap("Confirm attendance").modal()
    assert "Recorded *Field safety and de-escalation* for <@UA>" in form.submit().modal().words
    assert records(bot) == [("UA", "safety", "2026-11-23", "2027-11-23", number)]
