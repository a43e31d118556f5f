"""A third walk by phone, at 11 pm, of the rewritten safety net: a direct night where one member never came,
a night nobody answered, an SOS taken on and then no check-out, and a training in a library. Each screen is
read as the volunteer, the lead or the coordinator would: what to do next, by the buttons' own names, and
nothing that is not true yet."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from conftest import COORD_CHANNEL, at, eventually, message_text
from phone import Phone, Screen

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)   # the default test shift: 19:00 to 23:00 in Chicago
ASKED = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
PRESS = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
END = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
GRACE = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)

TAP = re.compile(r"\b[Tt]ap \*([^*]+)\*")
BARE_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")


def team_of(bot, *members, **overrides) -> int:
    number = bot.create_shift(**overrides)
    for user in members:
        bot.train(user)
        assert "signed up" in bot.command(user, f"signup {number}").text()
    return number


def reads_well(screen: Screen, *, elsewhere: tuple[str, ...] = ()) -> Screen:
    """A sentence that says "tap *X*" names a button on this screen (or one the sentence says is elsewhere),
    every time is a Slack date token (the reader's own zone), and the lock-screen line says nothing of the night."""
    for named in TAP.findall(screen.words):
        assert named in screen.buttons or named in elsewhere, f"{named!r} is not a button here: {screen.buttons}"
    assert not BARE_TIME.search(re.sub(r"<!date\^[^>]*>", "", screen.words)), screen.words
    assert not re.search(r"trafficking|victim|escalat|safety alert|SOS", screen.text, re.IGNORECASE), screen.text
    return screen


def dm_with(phone: Phone, words: str) -> Screen:
    eventually(lambda: any(words in d.words for d in phone.dms()))
    return [d for d in phone.dms() if words in d.words][-1]


def nobody_tapped(bot) -> tuple[int, Phone, Screen]:
    """A night of the lead and UA where nobody tapped anything by 19:30: the lead's "Did shift #N go out?"."""
    number = team_of(bot, "UA")
    bot.make_coordinator("UCO")
    lead = Phone(bot, "ULEAD")
    at(bot, START)
    at(bot, ASKED)
    return number, lead, dm_with(lead, f"Did shift #{number} go out?")


def channel_posts(bot, words: str) -> list[str]:
    return [message_text(c.params) for c in bot.fake.calls_to("chat.postMessage")
            if c.params.get("channel") == COORD_CHANNEL and words in message_text(c.params) and not c.failed]


def alerts(bot) -> list:
    return [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == COORD_CHANNEL
            and not c.params.get("thread_ts") and "Safety alert" in str(c.params.get("text")) and not c.failed]


def test_a_direct_night_where_one_member_never_came_ends_with_everyone_accounted_for(bot):
    number = team_of(bot, "UA", "UB")
    bot.make_coordinator("UCO")
    lead, ua, ub = Phone(bot, "ULEAD"), Phone(bot, "UA"), Phone(bot, "UB")
    at(bot, START)

    # 19:00, the volunteer: the team counts as out from the start, said once, and SOS by its own name.
    home = reads_well(ua.home())
    assert "counted as out, nobody checked in yet: <@ULEAD>, <@UA>, <@UB>" in home.words
    assert "· out:" not in home.words  # it read "out, nobody checked in · out: ..."
    assert "Tap *SOS: I need help now*" in home.words and "SOS: I need help now" in home.buttons
    checked = reads_well(home.tap("Check in", near=f"#{number}").dm(), elsewhere=("Check out",))
    assert checked.words.startswith(":white_check_mark: Checked in for shift #1.") and "you are out" not in checked.words
    assert "tap *Check out* on the App Home" in checked.words and "Check out" in ua.home().buttons

    # The lead, from the start DM: the words name its buttons.
    prompt = reads_well(lead.last_dm())
    assert prompt.text == f"Shift #{number} starts now: tap to check in"
    assert "Tap *Check in (me)*" in prompt.words and "*Who is out tonight?*" in prompt.words
    prompt.tap("Check in (me)").reply()
    confirm = lead.home().button("Check out (me)", near=f"#{number}")["confirm"]["text"]["text"]
    assert "or the lead taps *Everyone back safe*" in confirm and "does it for them" not in confirm

    # 23:00, the lead: who is not back yet, and the form that accounts for everyone.
    at(bot, END)
    bot.settle()
    ends = reads_well(dm_with(lead, "ends now"))
    assert "Not back yet: <@ULEAD>, <@UA>, <@UB>." in ends.words and "everyone is back" not in ends.words
    assert ends.buttons == ["Check out (me)", "Everyone back safe"]
    form = ends.tap("Everyone back safe").modal()
    assert "Not back yet: <@ULEAD>, <@UA>, <@UB>. Take anyone who never came off *Back safe*." in form.words
    assert form.inputs == ["Back safe", "Wasn't out tonight"]
    both = form.submit({"Back safe": ["ULEAD", "UA", "UB"], "Wasn't out tonight": ["UB"]})
    assert "<@UB>: each person goes in one list only" in str(both.errors)
    done = form.submit({"Back safe": ["ULEAD", "UA"], "Wasn't out tonight": ["UB"]}).dm(
        where=lambda s: "night is over" in s.words)
    assert "checked out <@ULEAD>, <@UA>. Marked as not out tonight: <@UB>. Everyone is accounted for" in done.words

    # Each reads the truth: the lead's end DM names who was not out; UB is not told "you checked out".
    end = reads_well(dm_with(lead, "Thank you for leading"))
    assert "*Shift #1: everyone is back* at <!date^" in end.words and "not out tonight: <@UB>" in end.words
    assert end.buttons == ["Write debrief"] and end.words.count("Thank you") == 1
    mine = reads_well(dm_with(ub, "Shift #1 is over"))
    assert "You were marked as not out tonight. If you were out, tell your lead <@ULEAD>." in mine.words
    assert not any("you checked out" in d.words for d in ub.dms())
    assert "(<@ULEAD> checked you out)" in dm_with(ua, "you checked out").words
    at(bot, GRACE)
    assert alerts(bot) == []


def test_a_night_nobody_answered_is_asked_once_and_it_didnt_go_out_closes_it(bot):
    number, lead, asked = nobody_tapped(bot)
    reads_well(asked)
    assert asked.text == f"Shift #{number}: did it go out? Tap to answer"
    assert "Tap *We're out* if the team is out, or *It didn't go out*." in asked.words
    assert len(channel_posts(bot, "Did shift #1 go out?")) == 1
    sure = asked.button("It didn't go out")["confirm"]["text"]["text"]
    assert sure.startswith(f"Only if nobody on shift #{number} went out tonight.")  # it read as done already
    said = asked.tap("It didn't go out", confirm=True).reply()
    assert said.words == (f":white_check_mark: Shift #{number} didn't go out: recorded. No check-ins, alerts or "
                          "debrief for it, and the report leaves it out.")
    eventually(lambda: "didn't go out* (<@ULEAD>): nothing more to do." in asked.now().words)
    assert asked.now().buttons == ["We're out after all"]  # until the planned end, a mistake is taken back
    assert ":white_circle: didn't go out (<@ULEAD>)" in Phone(bot, "UA").home().words
    typed = Phone(bot, "UA").command(f"checkin {number}").reply()
    assert typed.words == f"Shift #{number} didn't go out (that's recorded), so there is nothing to check in or out."
    for moment in (END, GRACE):
        at(bot, moment)
    assert alerts(bot) == [] and not any("ends now" in d.words or "everyone is back" in d.words for d in lead.dms())


def test_an_sos_taken_on_then_no_check_out_goes_to_its_handler_and_resolved_posts_the_timeline(bot):
    number = team_of(bot, "UA")
    bot.make_coordinator("UCO")
    ua, coordinator = Phone(bot, "UA"), Phone(bot, "UCO")
    at(bot, START)
    ua.home().tap("Check in", near=f"#{number}").dm()
    at(bot, PRESS)

    told = reads_well(ua.home().tap("SOS: I need help now", confirm=True).dm(
        where=lambda s: "Coordinators alerted" in s.words))
    assert told.text == "Your alert: tap to see"
    asked = reads_well(dm_with(coordinator, "SOS from shift #1"))
    assert "then tap *I'm on it* so the others know" in asked.words
    asked.tap("I'm on it")
    eventually(lambda: "<@UCO> is on it" in told.now().words)
    assert reads_well(dm_with(Phone(bot, "ULEAD"), "is on it")).text == "A coordinator is on it: tap to see"

    at(bot, datetime(2026, 11, 24, 3, 30, tzinfo=UTC))  # taken on at 21:00, not resolved by 21:30
    again = reads_well(dm_with(coordinator, "still open"))
    assert "You took it on at <!date^" in again.words and "Tap *Resolved* once you know the team is safe." in again.words

    at(bot, END)
    at(bot, GRACE)  # nobody checked out: told to the handler, not a new alert
    handling = reads_well(dm_with(coordinator, "which you are handling"))
    assert "not everyone is back (<@ULEAD>, <@UA>)" in handling.words and alerts(bot) == []
    bot.settle()
    others = [d for d in Phone(bot, "UADMIN").dms() if "still open" in d.words]
    assert others
    for screen in others:  # the other coordinators are not told to "reach them" about themselves
        reads_well(screen)
        assert "Taken on by <@UCO> at <!date^" in screen.words and "Reach <@UCO> or the team" in screen.words

    sure = handling.button("Resolved")["confirm"]["text"]["text"]
    assert "only once you know the team is safe" in sure
    assert handling.tap("Resolved", confirm=True).reply().words == ":white_check_mark: Shift #1's alert is resolved."
    eventually(lambda: channel_posts(bot, "Safety timeline"))
    timeline = channel_posts(bot, "Safety timeline")[-1]
    assert "resolved* by <@UCO>" in timeline and "Not checked out yet: <@ULEAD>, <@UA>." in timeline
    assert "everyone is back" not in timeline
    assert timeline.count("taken on by <@UCO>") == 1  # it said "SOS taken on by" and "taken on by" at 21:00


def test_a_training_in_a_library_shows_nothing_of_the_safety_net(bot):
    bot.train("UA")
    number = bot.create_shift(kind="training", venue="community-venue", training="", min_team="1")
    bot.command("UA", f"signup {number}").reply()
    ua, lead = Phone(bot, "UA"), Phone(bot, "ULEAD")
    at(bot, START)
    for phone in (ua, lead):
        home = phone.home()
        for word in ("SOS", "Safety:", "Check in", "Check out", "Everyone back safe", "go out?"):
            assert word not in home.words, (phone.user, word)
    at(bot, END)
    bot.settle()
    ended = reads_well(dm_with(lead, "has ended"))
    assert ended.text == f"Shift #{number}: tap to see"
    assert ended.buttons == ["Write debrief", "Confirm attendance"] and "everyone is back" not in ended.words
    at(bot, GRACE)
    for phone in (ua, lead):
        for dm in phone.dms():
            assert not re.search(r"starts now|ends now|check in|check out|all right|SOS", dm.words, re.I), dm.words
    assert alerts(bot) == []


def test_a_lead_checking_the_team_in_and_answering_all_ok_reads_the_buttons_names(bot):
    number = team_of(bot, "UA", "UB")
    bot.make_coordinator("UCO")
    assert "every 60 minutes" in Phone(bot, "UCO").command(f"checkevery {number} 60").reply().words
    lead = Phone(bot, "ULEAD")
    at(bot, START)
    form = dm_with(lead, "starts now").tap("Who is out tonight?").modal()
    reads_well(form, elsewhere=(form.view["submit"]["text"],))
    assert "Pick everyone who is out tonight, then tap *Check in*." in form.words and form.view["submit"]["text"] == "Check in"
    went = reads_well(form.submit({"Out tonight": ["ULEAD", "UA"]}).dm(), elsewhere=("Everyone back safe",))
    assert "Marked absent (not there): <@UB>. When the team is back, tap *Everyone back safe* on the App Home." in went.words
    assert "Everyone back safe" in lead.home().buttons

    at(bot, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))  # 20:00: "All OK?"
    ping = reads_well(dm_with(lead, "all OK?"))
    assert ping.text == f"Shift #{number}: all OK? Tap to answer" and "Tap *All OK* within 10 minutes" in ping.words
    at(bot, datetime(2026, 11, 24, 2, 10, tzinfo=UTC))  # unanswered: passed on to the member out
    passed = reads_well(dm_with(Phone(bot, "UA"), "has not answered yet"))
    assert "Tap *All OK* within 10 minutes if the team is fine" in passed.words and passed.buttons == ["All OK"]
    passed.tap("All OK").reply()

    at(bot, datetime(2026, 11, 24, 2, 15, tzinfo=UTC))  # 20:15: back early, before the planned end at 23:00
    done = reads_well(lead.home().tap("Everyone back safe", near=f"#{number}").modal().submit({}).dm(
        where=lambda s: "night is over" in s.words))
    assert "so a note goes to the coordinators." in done.words and "I've let" not in done.words
    eventually(lambda: channel_posts(bot, "checked out early"))


def test_were_out_says_what_it_means_and_the_alert_says_the_team_is_being_asked(bot):
    number, lead, asked = nobody_tapped(bot)
    said = reads_well(asked.tap("We're out").reply(), elsewhere=("Everyone back safe",))
    assert "When the team is back, tap *Everyone back safe* on the App Home." in said.words
    eventually(lambda: "Everyone on the team counts as out until they check out." in asked.now().words)
    assert "the net" not in asked.now().words and asked.now().buttons == []
    at(bot, END)
    at(bot, GRACE)  # nobody checked out: the lead and UA are asked, the coordinators alerted
    alert = reads_well(dm_with(Phone(bot, "UCO"), "Safety alert"))
    assert alert.text == "A team needs a coordinator: tap to see"
    assert "The team is being asked by DM." in alert.words and "was asked" not in alert.words
    assert "Not checked out: <@ULEAD>, <@UA>" in alert.words
