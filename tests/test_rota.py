"""Who is on call tonight: the rota set from the App Home, turns handing over at 12:00 (Chicago), a night taken
instead, the hand-over DM and channel line once across a restart, SMS and level 3 reaching the rota's person
and not the fallback list, someone leaving the workspace, and a volunteer's forged tap and submission refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import COORD_CHANNEL, Bot, at, eventually, message_text, submit_typed
from faketwilio import FakeTwilio
from phone import Phone
from test_sos import PRESS, night
from test_twilio import TAKE_TEXT, verify_phone

from outreach import people, phones, rota
from outreach.settings import SettingsError, load_settings

NOON = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)  # Sunday 12:00 in Chicago: the hand-over
ANA, BEN = "+13125550151", "+13125550152"
FALLBACK = "+13125550153"


@pytest.fixture
def twilio():
    with FakeTwilio() as server:
        yield server


def set_rota(bot, user, people_, start):
    """Edit rota from the App Home: the modal, filled and saved."""
    modal = Phone(bot, user).home().tap("Edit rota").modal()
    assert "hands over at 12:00" in modal.words
    return modal.submit({"Coordinators, in turn order": people_, "First turn starts on": start})


def take_night(bot, user, day):
    modal = Phone(bot, user).home().tap("I'll take a night").modal()
    return modal.submit({"The night of": day})


def on_call(bot, moment):
    with bot.store.read() as db:
        return rota.on_call(db, bot.settings, at=moment)


def posts(bot, words, channel=COORD_CHANNEL):
    return [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == channel
            and words in message_text(c.params)]


def turn_dms(bot, user):
    return [s for s in Phone(bot, user).dms() if "You are on call" in s.words]


def test_the_setting_is_validated():
    base = {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_SIGNING_SECRET": "s"}
    assert load_settings(base).oncall_handover.strftime("%H:%M") == "12:00"
    assert load_settings(dict(base, OUTREACH_ONCALL_HANDOVER="9:30")).oncall_handover.strftime("%H:%M") == "09:30"
    for bad in ("noon", "24:00", "12:60", "12"):
        with pytest.raises(SettingsError, match="OUTREACH_ONCALL_HANDOVER"):
            load_settings(dict(base, OUTREACH_ONCALL_HANDOVER=bad))


def test_a_rota_set_by_modal_hands_over_at_noon_once_across_a_restart(fake, tmp_path, clock):
    bot = Bot(fake, tmp_path, clock)
    try:
        for user in ("UANA", "UBEN"):
            bot.make_coordinator(user)
        shift = bot.create_shift()  # direct outreach, watched: Monday 19:00 Chicago
        bad = set_rota(bot, "UANA", ["UBEN", "UVOL"], "2026-11-15")
        assert "Only coordinators can be on the rota" in bad.errors["rota_people"] and "<@UVOL>" in bad.errors["rota_people"]
        assert rota.load(bot.store) is None
        saved = set_rota(bot, "UANA", ["UBEN", "UANA"], "2026-11-15")
        assert saved.errors == {}
        eventually(lambda: rota.load(bot.store) is not None)
        assert rota.load(bot.store).people == ("UBEN", "UANA")
        eventually(lambda: any("On-call rota saved" in s.words for s in Phone(bot, "UANA").dms()))
        # Sunday 09:00: the second week's turn starts only at noon
        assert on_call(bot, clock()) == "UBEN" and on_call(bot, NOON) == "UANA"
        home = Phone(bot, "UANA").home().words
        assert "*Tonight:* <@UBEN>" in home and "*Next:* <@UANA>" in home and "for 7 nights" in home
        at(bot, clock())  # the first hand-over: to the person on call now
        bot.settle()
        assert len(turn_dms(bot, "UBEN")) == 1 and len(posts(bot, "On call from")) == 1
        at(bot, NOON - timedelta(minutes=1))
        bot.settle()
        assert turn_dms(bot, "UANA") == []
        at(bot, NOON)
        bot.settle()
        dm = turn_dms(bot, "UANA")
        assert len(dm) == 1 and f"#{shift}" in dm[0].words and "Watched shifts in your turn" in dm[0].words
        assert dm[0].text == "You are on call: tap to see"  # the lock screen
        line = posts(bot, "<@UANA> (was <@UBEN>)")
        assert len(line) == 1 and "On call from" in message_text(line[0].params)
        volunteer = Phone(bot, "UVOL").home()
        assert "On call tonight: <@UANA>" in volunteer.words and "Edit rota" not in volunteer.buttons
    finally:
        bot.close()
    again = Bot(fake, tmp_path, clock)  # a restart: the turn was handed over already
    try:
        at(again, NOON + timedelta(minutes=5))
        at(again, NOON + timedelta(hours=3))
        again.settle()
        assert len(turn_dms(again, "UANA")) == 1 and len(posts(again, "<@UANA> (was <@UBEN>)")) == 1
        assert again.db.execute("SELECT count(*) FROM rota_handovers").fetchone()[0] == 2
        typed = Phone(again, "UVOL").command("oncall").reply().words
        assert "Tonight: <@UANA>" in typed
    finally:
        again.close()


def test_a_night_taken_hands_over_for_that_night_only(bot, clock):
    for user in ("UANA", "UBEN"):
        bot.make_coordinator(user)
    set_rota(bot, "UANA", ["UANA", "UBEN"], "2026-11-15")  # UANA Nov 15-21, UBEN Nov 22-28
    eventually(lambda: rota.load(bot.store) is not None)
    assert take_night(bot, "UBEN", "2026-11-20").errors == {"rota_night": "That night is over: pick tonight or a later one."}
    assert "already on call" in take_night(bot, "UBEN", "2026-11-24").errors["rota_night"]
    assert take_night(bot, "UANA", "2026-11-24").errors == {}
    eventually(lambda: on_call(bot, datetime(2026, 11, 24, 20, 0, tzinfo=UTC)) == "UANA")
    tuesday_noon = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
    assert on_call(bot, tuesday_noon - timedelta(minutes=1)) == "UBEN"
    assert on_call(bot, tuesday_noon + timedelta(days=1)) == "UBEN"
    assert "Tue 24 Nov: <@UANA> (took the night)" in Phone(bot, "UBEN").command("oncall").reply().words
    at(bot, NOON)
    at(bot, tuesday_noon)
    bot.settle()
    assert len(posts(bot, "<@UANA> (was <@UBEN>)")) == 1
    at(bot, tuesday_noon + timedelta(days=1))
    bot.settle()
    assert len(posts(bot, "<@UBEN> (was <@UANA>)")) == 1


def rota_bot(fake, tmp_path, clock, twilio):
    """Twilio set up, OUTREACH_ONCALL_COORDINATORS=UFALL (with a verified phone), and a rota of UANA alone."""
    bot = Bot(fake, tmp_path, clock, env=dict(twilio.env(), OUTREACH_ONCALL_COORDINATORS="UFALL"))
    number = night(bot)  # UCO a coordinator; the shift Monday 19:00-23:00 Chicago
    bot.make_coordinator("UANA")
    verify_phone(bot, twilio, "UANA", "312 555 0151")
    verify_phone(bot, twilio, "UFALL", "312 555 0153")
    set_rota(bot, "UCO", ["UANA"], "2026-11-22")
    eventually(lambda: rota.load(bot.store) is not None)
    return bot, number


def test_an_sos_texts_the_rotas_person_and_not_the_fallback(fake, tmp_path, clock, twilio):
    bot, _ = rota_bot(fake, tmp_path, clock, twilio)
    try:
        with bot.store.read() as db:
            assert phones.people_on_call(db, bot.settings, now=PRESS) == ["UANA"]
            assert phones.people_on_call(db, bot.settings, now=datetime(2026, 11, 20, tzinfo=UTC)) == ["UFALL"]
        at(bot, PRESS)
        Phone(bot, "UA").command("sos").reply()
        twilio.wait_for("Messages", where=lambda m: m["to"] == ANA and m["body"] == TAKE_TEXT)
        bot.settle()
        assert TAKE_TEXT not in twilio.sms_to(FALLBACK)
    finally:
        bot.close()


def test_an_escalation_texts_the_rotas_person_at_once_and_reaches_them_at_level_3(fake, tmp_path, clock, twilio):
    bot, number = rota_bot(fake, tmp_path, clock, twilio)
    try:
        at(bot, PRESS)
        assert "Checked in" in bot.command("ULEAD", f"checkin {number}").text()
        end = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 23:00 Chicago, still Monday's night
        at(bot, end + timedelta(minutes=31))  # nobody checked out: level 2, the person on call texted at once
        twilio.wait_for("Messages", where=lambda m: m["to"] == ANA and m["body"] == TAKE_TEXT)
        at(bot, end + timedelta(minutes=62))  # two repeats unanswered: level 3
        bot.settle()
        contacts = [r[0] for r in bot.db.execute("SELECT people FROM safety_steps WHERE step = 'contacts'")]
        assert contacts and "UANA" in contacts[0] and "UFALL" not in contacts[0]
        assert TAKE_TEXT not in twilio.sms_to(FALLBACK)
        assert bot.db.execute("SELECT count(*) FROM notifications WHERE channel IN ('UFALL', 'sms:UFALL') "
                              "AND template != 'phone/code'").fetchone()[0] == 0
    finally:
        bot.close()


def test_someone_leaving_the_workspace_leaves_the_rota_and_the_coordinators_are_told_once(fake, tmp_path, clock,
                                                                                         twilio):
    bot = Bot(fake, tmp_path, clock, env=twilio.env())
    try:
        for user in ("UANA", "UBEN"):
            bot.make_coordinator(user)
        verify_phone(bot, twilio, "UBEN", "312 555 0152")
        led = bot.create_shift(lead="UBEN")
        set_rota(bot, "UANA", ["UANA", "UBEN"], "2026-11-22")  # UANA Nov 22-28, UBEN Nov 29-Dec 5
        eventually(lambda: rota.load(bot.store) is not None)
        assert take_night(bot, "UBEN", "2026-11-25").errors == {}
        eventually(lambda: on_call(bot, datetime(2026, 11, 25, 20, 0, tzinfo=UTC)) == "UBEN")
        bot.settle()
        gone = {"id": "UBEN", "name": "uben", "deleted": True, "profile": {"real_name": "Ben Example"}}
        assert bot.event({"type": "user_change", "user": gone})[0] == 200
        eventually(lambda: len(posts(bot, "left the workspace")) == 1)
        words = message_text(posts(bot, "left the workspace")[0].params)
        assert "<@UBEN> left the workspace" in words
        assert "Nights with nobody on call (next 4 weeks): Sun 29 Nov – Sat 05 Dec" in words
        assert f"Shift *#{led}*" in words and "no lead" in words
        assert "no longer a coordinator" in words and "their alert phone deleted" in words
        assert rota.load(bot.store).people == ("UANA", None)
        assert on_call(bot, datetime(2026, 11, 25, 20, 0, tzinfo=UTC)) == "UANA"  # the night taken is given back
        assert phones.load(bot.store, "UBEN") is None
        assert bot.db.execute("SELECT count(*) FROM roles WHERE user_id = 'UBEN'").fetchone()[0] == 0
        assert bot.db.execute("SELECT lead FROM shifts WHERE id = ?", [led]).fetchone()[0] is None
        home = Phone(bot, "UANA").home().words
        assert "Nights with nobody on call in the next 4 weeks: Sun 29 Nov – Sat 05 Dec" in home
        # said again by another event and by the directory's daily look-up: nothing more is done or said
        assert bot.event({"type": "user_change", "user": gone})[0] == 200
        fake.add_user("UBEN", real_name="Ben Example", deleted=True)
        people.queue(bot.store, ["UBEN"])
        at(bot, clock() + timedelta(minutes=1))
        eventually(lambda: bot.db.execute("SELECT deleted FROM people WHERE user_id = 'UBEN'").fetchone()[0] == 1)
        bot.settle()
        assert len(posts(bot, "left the workspace")) == 1
    finally:
        bot.close()


def test_the_directory_seeing_a_member_deleted_takes_them_off_the_rota(bot, clock):
    bot.fake.add_user("UCAR", real_name="Car Example")  # a member Slack knows (asked for their language)
    bot.make_coordinator("UCAR")
    set_rota(bot, "UCAR", ["UCAR"], "2026-11-22")
    eventually(lambda: rota.load(bot.store) is not None)
    assert "*Tonight:* nobody on the rota" in Phone(bot, "UCAR").home().words  # Saturday's night, before the start
    at(bot, NOON)
    assert "*Tonight:* <@UCAR>, with no hand-over in the next 8 weeks" in Phone(bot, "UCAR").home().words
    bot.fake.add_user("UCAR", real_name="Car Example", deleted=True)
    people.queue(bot.store, ["UCAR"])
    at(bot, clock() + people.REFRESH_AFTER + timedelta(minutes=1))  # the daily look-up of a member it knows
    eventually(lambda: len(posts(bot, "<@UCAR> left the workspace")) == 1)
    assert rota.load(bot.store).people == (None,)
    assert bot.db.execute("SELECT count(*) FROM roles WHERE user_id = 'UCAR'").fetchone()[0] == 0


def test_a_volunteers_forged_tap_and_submission_are_refused(bot):
    bot.click("UVOL", "rota_edit", "", container={"type": "view", "view_id": "VHOME"})
    eventually(lambda: any("Only coordinators can change the on-call rota" in message_text(c.params)
                           for c in bot.dms("UVOL")))
    bot.click("UVOL", "rota_take", "", container={"type": "view", "view_id": "VHOME"})
    eventually(lambda: sum("Only coordinators can change" in message_text(c.params) for c in bot.dms("UVOL")) == 2)
    bot.settle()
    assert bot.fake.calls_to("views.open") == []
    sent = submit_typed(bot, "UVOL", "rota_edit", {"rota_people": ["UVOL"], "rota_start": "2026-11-22"})
    assert "Only coordinators" in sent.json()["errors"]["rota_people"]
    taken = submit_typed(bot, "UVOL", "rota_take", {"rota_night": "2026-11-23"})
    assert "Only coordinators" in taken.json()["errors"]["rota_night"]
    assert rota.load(bot.store) is None
    assert bot.db.execute("SELECT count(*) FROM rota_overrides").fetchone()[0] == 0
