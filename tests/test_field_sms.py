"""In the field without data: a watched shift's start by SMS (once, across a restart), IN / OUT / SOS texted back
from a verified alert phone acting exactly as the Slack buttons (with the same refusals), and a duress word
that checks out as usual for anyone watching while the coordinators, and only they, get a duress SOS."""

from __future__ import annotations

import html
import itertools
import re
from datetime import UTC, datetime, timedelta

import test_twilio
from conftest import ADMIN, COORD_CHANNEL, Bot, at, eventually, message_text
from phone import Phone
from test_sos import night
from test_twilio import NUMBER, TAKE_TEXT, verify_phone, webhook

from outreach import duress

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # the test shift: 19:00-23:00 Chicago
MID = START + timedelta(hours=2)
END = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
UA_PHONE, LEAD_PHONE, UB_PHONE = "+13125550177", "+13125550188", "+13125550199"
WORD = "Blue Heron"
SIDS = itertools.count(1)
twilio, tbot = test_twilio.twilio, test_twilio.tbot  # the fake Twilio and a bot serving its webhooks (fixtures)


def sms(bot, number, body, *, sid=None, **kw):
    """Text the bot from `number` through the signed webhook; the answer's words ("" for none)."""
    status, twiml = webhook(bot, "/twilio/sms", {"MessageSid": sid or f"SM{next(SIDS):032x}", "From": number,
                                                 "To": "+15005550006", "Body": body}, **kw)
    if status != 200:
        return status
    found = re.findall(r"<Message>(.*?)</Message>", twiml, re.DOTALL)
    return html.unescape(found[0]) if found else ""


def checkin(bot, number, user):
    return bot.db.execute("SELECT checked_in_at, checked_out_at FROM member_checkins WHERE shift_id = ? AND "
                          "user_id = ?", [number, user]).fetchone()


def team_night(bot, twilio, before=lambda: None):
    """Shift N under way at MID: ULEAD leads, UA is on it; UA and the lead verified their phones, UCO too
    (`before`: what else to plan the day before)."""
    number = night(bot)
    before()
    verify_phone(bot, twilio, "UA", "312 555 0177")
    verify_phone(bot, twilio, "ULEAD", "312 555 0188")
    verify_phone(bot, twilio, "UCO")
    at(bot, MID)
    return number


def set_word(bot, user, word=WORD):
    """Set a duress word the way a member does: App Home, My alert phone, Set a duress word."""
    phone = Phone(bot, user).home().tap("My alert phone").modal()
    form = phone.tap("Change word" if "Change word" in phone.buttons else "Set a duress word").modal()
    assert "Your duress word" in form.inputs and "OUT <your word>" in form.words
    assert form.submit({"Your duress word": "in"}).errors  # an SMS word cannot be one
    assert form.submit({"Your duress word": "12"}).errors  # nor a shift number
    saved = form.submit({"Your duress word": word})
    assert saved.answer == {}  # the form closes, back to My alert phone which says so
    shown = bot.fake.wait_for("views.update", where=lambda c: "duress word is saved" in view_words(c))
    assert "Duress word:* set" in view_words(shown[-1])


def view_words(call) -> str:
    """The words of the modal a views.open / views.update call shows."""
    return message_text(call.params.get("view") or {})


def details_of(bot, user, number) -> str:
    """The words of shift N's Details as `user` sees them."""
    before = len(bot.fake.calls_to("views.open"))
    bot.click(user, "shift_details", str(number))
    eventually(lambda: len(bot.fake.calls_to("views.open")) > before)
    return view_words(bot.fake.calls_to("views.open")[before])


def everything(bot) -> str:
    """Every row of every table, as text."""
    tables = [r[0] for r in bot.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return " ".join(str(bot.db.execute(f"SELECT * FROM [{t}]").fetchall()) for t in tables)


def shows_duress(words: str) -> bool:
    """Whether words tell of a duress or of an alarm raised (an SOS button or "SOS if you need help" does not)."""
    return bool(re.search(r"duress|SOS from|SOS by|SOS pressed|pressed SOS|coordinators alerted|your alert|is on it|"
                          r"needs a coordinator", words, re.IGNORECASE))


# -- the start by SMS


def test_the_start_is_texted_once_to_those_expected_out_even_across_a_restart(fake, tmp_path, clock, twilio):
    first = Bot(fake, tmp_path, clock, env=twilio.env())
    try:
        number = night(first)
        for user, typed in (("UA", "312 555 0177"), ("ULEAD", "312 555 0188"), ("UCO", "312 555 0142")):
            verify_phone(first, twilio, user, typed)
        twilio.fail(status=500, times=50, resource="Messages")  # Twilio down at the start: nothing is sent yet
        at(first, START)
        first.settle()
    finally:
        first.close()
    start = f"Shift #{number} starts. Reply IN when you are out, OUT when you are back, SOS if you need help now."
    assert not any(start in m for m in twilio.sms_to(UA_PHONE))
    twilio._failures.clear()
    second = Bot(fake, tmp_path, clock, env=twilio.env())
    try:
        at(second, START + timedelta(minutes=1))
        twilio.wait_for("Messages", where=lambda m: m["to"] == UA_PHONE and start in m["body"])
        twilio.wait_for("Messages", where=lambda m: m["to"] == LEAD_PHONE and start in m["body"])
        for minute in (2, 3, 30):
            at(second, START + timedelta(minutes=minute))
        second.settle()
        assert [m for m in twilio.sms_to(UA_PHONE) if start in m] == [f"Outreach: {start}"]
        assert len([m for m in twilio.sms_to(LEAD_PHONE) if start in m]) == 1
        assert not any(start in m for m in twilio.sms_to(NUMBER))  # a coordinator not on the team: not texted
        keys = [k for (k,) in second.db.execute("SELECT key FROM notifications WHERE template = 'safety/start_sms'")]
        assert sorted(keys) == [f"start:{number}:sms:UA", f"start:{number}:sms:ULEAD"]
    finally:
        second.close()


# -- IN, OUT, SOS by SMS


def test_in_and_out_by_sms_act_as_the_buttons_for_that_member_only(tbot, twilio):
    bot = tbot
    number = team_night(bot, twilio)
    assert sms(bot, UA_PHONE, "in") == (f"Outreach: checked in for #{number}. Reply OUT when you are back, "
                                        "SOS if you need help now.")
    assert checkin(bot, number, "UA")[0] and checkin(bot, number, "ULEAD") is None  # that member only
    assert sms(bot, UA_PHONE, f"IN {number}") == f"Outreach: you are already checked in for #{number} (or everyone is back)."
    lead = Phone(bot, "ULEAD")
    assert "checked in at" in lead.home().words  # the App Home shows it as a Slack check-in would
    assert sms(bot, UA_PHONE, f"Out #{number}") == f"Outreach: checked out of #{number}. Thank you, get home safe."
    assert checkin(bot, number, "UA")[1]
    steps = [s for (s,) in bot.db.execute("SELECT step FROM safety_steps WHERE shift_id = ?", [number])]
    assert "out:UA" in steps
    assert sms(bot, UA_PHONE, "OUT") == f"Outreach: you are already checked out of #{number}."
    # the lead is the last one out: the night is over, as with the button
    assert sms(bot, LEAD_PHONE, "out") == (f"Outreach: checked out of #{number}. Thank you, get home safe. "
                                           "Everyone is back.")
    assert bot.db.execute("SELECT checked_out_at FROM safety WHERE shift_id = ?", [number]).fetchone()[0]


def test_refusals_by_sms_say_why_and_change_nothing(tbot, twilio):
    bot = tbot
    number = team_night(bot, twilio)
    verify_phone(bot, twilio, "UB", "312 555 0199")  # verified, not on the shift
    before = bot.db.execute("SELECT count(*) FROM member_checkins").fetchone()[0]
    assert sms(bot, UB_PHONE, f"in {number}") == f"Outreach: you are not on #{number}'s team, so nothing was done."
    assert sms(bot, UB_PHONE, "IN").startswith("Outreach: you are on no shift under way now. Reply IN 12")
    assert sms(bot, UA_PHONE, "in 999") == "Outreach: there is no shift #999."
    assert sms(bot, UA_PHONE, "hello?") == ("Outreach: reply IN when you are out, OUT when you are back, SOS if you "
                                            "need help now (IN 12 for shift #12).")
    # a number being verified (code not typed back yet) is told so; an unknown one gets no answer
    Phone(bot, "UC").home()
    bot.click("UC", "phone_open", "", container={"type": "view", "view_id": "VHOME"})
    assert bot.submit("UC", "phone_number", {"phone": "312 555 0111"}).json()["response_action"] == "update"
    assert "not verified yet" in sms(bot, "+13125550111", "IN")
    assert sms(bot, "+13125550122", f"IN {number}") == ""
    # a forged webhook is refused before it acts
    assert sms(bot, UA_PHONE, "IN", token="not-the-token") == 403
    assert bot.db.execute("SELECT count(*) FROM member_checkins").fetchone()[0] == before
    assert checkin(bot, number, "UA") is None


def test_several_live_shifts_a_bare_word_is_answered_with_which_reply_does_which(tbot, twilio):
    bot = tbot
    planned = []

    def second_shift():
        planned.append(bot.create_shift(lead="ULEAD2"))
        assert "signed up" in bot.command("UA", f"signup {planned[0]}").text()

    first = team_night(bot, twilio, before=second_shift)
    second = planned[0]
    assert sms(bot, UA_PHONE, "In") == f"Outreach: you are on #{first} and #{second}. Reply IN {first} or IN {second}."
    assert checkin(bot, first, "UA") is None and checkin(bot, second, "UA") is None
    assert sms(bot, UA_PHONE, f"in {second}").startswith(f"Outreach: checked in for #{second}.")
    assert checkin(bot, second, "UA")[0] and checkin(bot, first, "UA") is None


def test_sos_by_sms_alerts_the_coordinators_once_per_message(tbot, twilio):
    bot = tbot
    number = team_night(bot, twilio)
    sid = "SM" + "5" * 32
    answer = sms(bot, UA_PHONE, "sos", sid=sid)
    assert answer.startswith(f"Outreach: SOS for #{number}") and "call the local emergency number now" in answer
    row = bot.db.execute("SELECT shift_id, pressed_by, duress FROM sos").fetchall()
    assert row == [(number, "UA", 0)]
    post = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == COORD_CHANNEL
                             and "SOS from shift" in str(c.params.get("text")))[0]
    assert "<@UA> pressed SOS" in message_text(post.params)
    twilio.wait_for("Messages", where=lambda m: m["to"] == NUMBER and m["body"] == TAKE_TEXT)  # the coordinator
    assert sms(bot, UA_PHONE, "sos", sid=sid) == ""  # the same MessageSid again: acted on once
    assert bot.db.execute("SELECT count(*) FROM sos").fetchone()[0] == 1


# -- duress


def assert_nobody_on_the_team_sees_it(bot, number, phone_words=()):
    """The member, the lead and the team's Details show a normal check-out; no post the team can see says SOS."""
    for user in ("UA", "ULEAD"):
        person = Phone(bot, user)
        for dm in person.dms():
            assert not shows_duress(dm.text + dm.words), (user, dm.words)
        assert not re.search(r"duress", person.home().words, re.IGNORECASE)
    posts = [c for c in bot.fake.calls_to("chat.postMessage") + bot.fake.calls_to("chat.update")
             if c.params.get("channel") == COORD_CHANNEL]
    assert not any(shows_duress(message_text(c.params)) for c in posts)
    details = details_of(bot, "ULEAD", number)
    assert "checked out" in details and not shows_duress(details)
    for words in phone_words:
        assert not shows_duress(words)


def coordinator_was_told(bot, number):
    """Each coordinator's DM says duress (and the coordinator's Details); return UCO's DM."""
    for person in ("UCO", ADMIN):
        eventually(lambda p=person: any("DURESS SOS" in d.words for d in Phone(bot, p).dms()))
    dm = next(d for d in Phone(bot, "UCO").dms() if "DURESS SOS" in d.words)
    assert dm.text == "A team needs a coordinator now: tap to see"  # the lock screen stays neutral
    assert "<@UA> checked out with their duress word" in dm.words and dm.buttons == ["I'm on it", "Details"]
    assert "<@UA> checked out with their duress word" in details_of(bot, "UCO", number)
    return dm


def test_out_with_the_duress_word_by_sms_reads_as_a_check_out_and_alerts_only_the_coordinators(tbot, twilio, caplog):
    bot = tbot
    number = team_night(bot, twilio)
    set_word(bot, "UA")
    assert sms(bot, UA_PHONE, "in") .startswith("Outreach: checked in")
    assert "Checked out" in bot.command("ULEAD", f"checkout {number}").text()
    answer = sms(bot, UA_PHONE, f"OUT {WORD.lower()}")
    assert answer == f"Outreach: checked out of #{number}. Thank you, get home safe. Everyone is back."  # as plain OUT
    assert checkin(bot, number, "UA")[1]
    assert bot.db.execute("SELECT pressed_by, duress FROM sos").fetchall() == [("UA", 1)]
    dm = coordinator_was_told(bot, number)
    twilio.wait_for("Messages", where=lambda m: m["to"] == NUMBER and m["body"] == TAKE_TEXT)  # by SMS too
    assert TAKE_TEXT not in twilio.sms_to(LEAD_PHONE)  # never to anyone on the team
    # the coordinator takes it on from their phone ("1", as for any alarm): the team is not told
    assert sms(bot, NUMBER, "1") == f"Outreach: #{number} is yours. Duress: the team was not told. Open Slack for the details."
    assert bot.db.execute("SELECT acked_by FROM sos").fetchone()[0] == "UCO"
    eventually(lambda: "is on it" in dm.now().words)
    bot.settle()
    assert not any(c.params.get("channel") in ("ULEAD", "UA") and "on it" in message_text(c.params)
                   for c in bot.fake.calls_to("chat.postMessage"))
    assert_nobody_on_the_team_sees_it(bot, number, phone_words=twilio.sms_to(UA_PHONE) + twilio.sms_to(LEAD_PHONE))
    # the word is nowhere: not stored, not logged
    text = everything(bot)
    assert WORD.lower() not in text.lower() and "heron" not in text.lower()
    assert not any("heron" in r.getMessage().lower() for r in caplog.records)


def test_check_out_opens_a_form_for_someone_with_a_word_anything_else_typed_is_a_check_out(tbot, twilio):
    bot = tbot
    number = night(bot)
    bot.train("UB")
    assert "signed up" in bot.command("UB", f"signup {number}").text()
    set_word(bot, "UA")
    at(bot, START)
    for user in ("UA", "UB", "ULEAD"):
        assert "Checked in" in bot.command(user, f"checkin {number}").text()
    ub = Phone(bot, "UB").home()
    assert ub.button("Check out", near=f"#{number}").get("confirm")  # no word: the confirm dialog, as before
    normal = ub.tap("Check out", near=f"#{number}", confirm=True).dm()
    home = Phone(bot, "UA").home()
    assert not home.button("Check out", near=f"#{number}").get("confirm")
    form = home.tap("Check out", near=f"#{number}").modal()
    assert form.inputs == ["Word"] and "back and safe" in form.words
    assert form.submit({"Word": "hello"}).answer == {}  # not the word: a check-out, never an error
    eventually(lambda: checkin(bot, number, "UA")[1] is not None)
    eventually(lambda: any("Checked out of shift" in d.text for d in Phone(bot, "UA").dms()))
    mine = next(d for d in Phone(bot, "UA").dms() if "Checked out of shift" in d.text)
    def said(text):  # the same answer, but for who is still out
        return re.sub(r" Still out: [^.]*\.", "", text).split(" They check")[0]

    assert said(mine.text) == said(normal.text) and "Checked out of shift" in mine.text
    assert bot.db.execute("SELECT count(*) FROM sos").fetchone()[0] == 0


def test_the_duress_word_typed_in_the_check_out_form(tbot, twilio):
    bot = tbot
    number = night(bot)
    verify_phone(bot, twilio, "UCO")
    set_word(bot, "UA")
    at(bot, START)
    assert "Checked in" in bot.command("UA", f"checkin {number}").text()
    assert "Checked in" in bot.command("ULEAD", f"checkin {number}").text()
    at(bot, END)  # the end-of-shift DM: Check out opens the form
    ua = Phone(bot, "UA")
    end = next(d for d in ua.dms() if "Check out" in d.buttons)
    assert not end.button("Check out").get("confirm")
    form = end.tap("Check out").modal()
    assert form.submit({"Word": f"  {WORD.upper()} "}).answer == {}  # the modal just closes, as for any word
    eventually(lambda: checkin(bot, number, "UA")[1] is not None)
    eventually(lambda: "you checked out" in end.now().words)  # the DM rewritten in place, as a normal check-out
    assert end.now().buttons == [] and not shows_duress(end.now().words)
    assert bot.db.execute("SELECT pressed_by, duress FROM sos").fetchall() == [("UA", 1)]
    coordinator_was_told(bot, number)
    twilio.wait_for("Messages", where=lambda m: m["to"] == NUMBER and m["body"] == TAKE_TEXT)
    assert_nobody_on_the_team_sees_it(bot, number)
    # the lead checks out: "everyone back" as usual, and the duress SOS stays open for the coordinators
    assert "Everyone is back" in bot.command("ULEAD", f"checkout {number}").text()
    assert bot.db.execute("SELECT acked_at FROM sos").fetchone()[0] is None
    assert bot.db.execute("SELECT resolved_at FROM incidents WHERE shift_id = ?", [number]).fetchone()[0] is None


def test_the_word_is_kept_hashed_and_can_be_changed_or_removed(tbot, twilio):
    bot = tbot
    set_word(bot, "UA")
    row = bot.db.execute("SELECT salt, hash FROM duress_words WHERE user_id = 'UA'").fetchone()
    assert row[0] and row[1] and WORD.lower() not in row[1]
    with bot.store.read() as db:
        assert duress.matches(db, "UA", "blue   heron") and not duress.matches(db, "UA", "blue")
        assert not duress.matches(db, "UB", WORD)
    set_word(bot, "UA", "Red Fox")  # changed: a new salt, the old word no longer counts
    with bot.store.read() as db:
        assert duress.matches(db, "UA", "red fox") and not duress.matches(db, "UA", WORD)
    assert bot.db.execute("SELECT salt FROM duress_words").fetchone()[0] != row[0]
    phone = Phone(bot, "UA").home().tap("My alert phone").modal()
    phone.tap("Remove word", confirm=True)
    eventually(lambda: not duress.load(bot.store, "UA"))
    assert "duress word was removed" in view_words(bot.fake.wait_for(
        "views.update", where=lambda c: "removed" in view_words(c))[-1])
