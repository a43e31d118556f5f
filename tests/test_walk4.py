"""A fourth walk by phone over this session's new surfaces: a new admin from an empty database to the first
shift at Go, a coordinator's week (rota, a night taken, a training, last quarter's report, a drill), a
volunteer at 11 pm by buttons only, and a lead from the checklist's summary to Go and the debrief. Every
screen is read for Slack's limits and every DM's lock-screen line for what it must never say."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

import test_twilio
from conftest import ADMIN, COORD_CHANNEL, at, eventually
from phone import Phone, Screen
from test_field_sms import set_word
from test_journey_lead import answered, go_to, settled
from test_twilio import verify_phone

twilio, tbot = test_twilio.twilio, test_twilio.tbot  # the fake Twilio and a bot serving its webhooks (fixtures)
FORBIDDEN = re.compile(r"trafficking|victim|escalat|safety alert|duress", re.IGNORECASE)


def look(screen: Screen) -> Screen:
    """Slack's limits: a title of 24, a button of 75, an option of 75, 100 blocks a modal, 50 a message,
    3000 characters a section; a DM's lock-screen line never names what the night is about."""
    title = (screen.view.get("title") or {}).get("text", "") if screen.view else ""
    assert len(title) <= 24, title
    assert all(len(b) <= 75 for b in screen.buttons), screen.buttons
    for block in screen.blocks:
        for element in [block.get("accessory"), block.get("element"), *(block.get("elements") or [])]:
            for option in (element or {}).get("options") or [] if isinstance(element, dict) else []:
                assert len(option["text"]["text"]) <= 75, option
        if block.get("type") == "section":
            assert len((block.get("text") or {}).get("text", "")) <= 3000
    assert len(screen.blocks) <= (100 if screen.kind in ("modal", "home") else 50), (screen.kind, len(screen.blocks))
    if screen.kind == "message":
        assert not FORBIDDEN.search(screen.text), screen.text
    return screen



def home_showing(phone: Phone, words: str, timeout: float = 10.0) -> Screen:
    """The App Home once it shows `words`: a tap's work republishes it after its answer, and an earlier tap's
    publish may land after a later one, so the home is opened again until it shows what the tap did."""
    seen: list[Screen] = []

    def shows() -> bool:
        seen[:] = [phone.home()]
        return words in seen[0].words

    eventually(shows, timeout)
    return look(seen[0])


class Count:
    """Taps (a button or a submitted form) and typed commands, per person, as the bot received them."""

    def __init__(self, bot) -> None:
        self.taps: Counter[str] = Counter()
        self.typed: Counter[str] = Counter()
        interactive, command = bot.interactive, bot.command

        def tapped(payload, *a, **kw):
            self.taps[payload["user"]["id"]] += 1
            return interactive(payload, *a, **kw)

        def typed(user, *a, **kw):
            self.typed[user] += 1
            return command(user, *a, **kw)

        bot.interactive, bot.command = tapped, typed



def test_a_new_admin_from_an_empty_database_to_the_first_shift_at_go(bot):
    count = Count(bot)
    admin = Phone(bot, ADMIN)
    home = look(admin.home())
    assert "*Set up Outreach*: 6 of 6 things to do" in home.words
    assert home.buttons[:6] == ["How to fix", "Make coordinator", "Review trainings", "Add partners",
                                "Review hotline card", "Plan a shift"]
    fix = look(home.tap("How to fix").modal())
    assert "invite me with `/invite @outreach` there" in fix.words
    bot.fake.add_channel(COORD_CHANNEL, is_member=True)  # the admin typed /invite @outreach in the channel
    assert "I'm a member of <#CCOORD>" in look(fix.tap("Check again").modal()).words

    # Make coordinator: the checklist's button opens the App Home's modal (one modal, one name).
    home = home_showing(admin, "*Set up Outreach*: 5 of 6 things to do")
    assert home.buttons.count("Make coordinator") == 2
    role = look(home.tap("Make coordinator", near="*Coordinators*").modal())
    assert role.view["callback_id"] == "coord_role" and role.inputs == ["Person", "Role"]
    sure = look(role.submit({"Person": "UCO"}).modal())
    assert "Make <@UCO> a coordinator?" in sure.words
    sure.submit().home()  # the admin's own home: the item ticks
    home = home_showing(admin, ":white_check_mark: *Coordinators*: 1 besides the admins.")

    look(look(home.tap("Review trainings").modal()).submit().home())
    home = home_showing(admin, ":white_check_mark: *Trainings*")
    partners = look(home.tap("Add partners").modal())
    csv = ("name,categories,languages,hours,phone,contact,notes,verified_on\n"
           "Night Line,crisis-intervention;housing-emergency;medical-care;legal-immigration;translation,es,24/7,"
           "+1 555 010 0101,,,\n"
           "County Vice Unit,law-enforcement,,24/7,+1 555 010 0199,,,\n")
    imported = look(partners.submit({"CSV file": [bot.fake.add_file("partners.csv", csv.encode())]}).modal())
    assert "Imported partners.csv: 2 added" in imported.words
    look(look(admin.home().tap("Review hotline card").modal()).submit().home())
    home = home_showing(admin, "*Set up Outreach*: 1 of 6 things to do")  # it read "1 of 6 thing to do"
    form = look(home.tap("Plan a shift", near="*First shift*").modal())
    planned = form.submit({"Kind": "direct", "Venue type": "motel", "Area": "Eastside", "Start date": "2026-11-23",
                           "Start time": "19:00", "End time": "23:00", "Lead": "ULEAD",
                           "Required training": "direct-outreach"})
    assert planned.errors == {}
    eventually(lambda: bot.db["shifts"].count == 1)
    home = look(admin.home())  # (the home tab is not republished when the form closes: see it again)
    assert ":white_check_mark: *Setup complete.*" in home.words and "*#1* Direct outreach · Eastside" in home.words
    assert (count.taps[ADMIN], sum(count.typed.values())) == (13, 0)  # and /invite typed in the channel

    # The coordinator records the team's training; each volunteer signs up from the DM that says so.
    coordinator = Phone(bot, "UCO")
    for people, training in ((["UA", "UB", "ULEAD"], "direct-outreach"), (["UA"], "outreach-lead")):
        record = look(coordinator.home().tap("Record training").modal())
        assert "Recorded *" in look(record.submit({"Who completed it": people, "Training": training}).modal()).words
    for user in ("UA", "UB"):
        told = Phone(bot, user)
        eventually(lambda: any("Sign up" in d.buttons for d in told.dms()))  # noqa: B023
        dm = look(next(d for d in told.dms() if "Sign up" in d.buttons))
        assert "The next one:" in dm.words  # it read "The next 1:"
        assert "You're signed up for shift #1" in look(dm.tap("Sign up").reply()).words

    # The lead: the checklist from the App Home, section by section, to Record Go.
    lead = Phone(bot, "ULEAD")
    assert all(look(d) for d in lead.dms())
    screen = look(lead.home().tap("Open checklist").modal())
    assert "5 of 14 ready" in screen.words and screen.buttons == ["Open"] * 5 + ["Refresh"]
    for part, name in (("Law enforcement", "A law enforcement liaison was notified"),
                       ("Law enforcement", "The response protocol with law enforcement"),
                       ("Team and safety", "Buddy pairs are set"), ("Materials", "Hotline cards and materials are ready")):
        if name not in screen.words:
            screen = look(go_to(screen, part))
        screen = look(settled(screen.choose("Done", near=name)))
    screen = go_to(screen, "Law enforcement")
    screen = look(settled(screen.choose("County Vice Unit (24/7)", near="The law enforcement contact for the night")))
    screen = look(go_to(screen, "Team and safety"))
    for name, label, answer in (
        ("The meeting point is set", "Where does the team meet?", "Library steps"),
        ("Check-in times are set", "When does the team check in?", "30"),
        ("Someone is named to call if the team goes silent", "Who is called if the team goes silent?", "UCO"),
    ):
        tapped = screen.choose("Done", near=name)
        asked = look(tapped.modal())
        tapped.home()
        screen = look(answered(asked, {label: answer}, screen.view["id"]))
    screen = look(go_to(screen, "Service readiness"))
    for category in ("Crisis intervention", "Emergency housing", "Medical care", "Legal representation (immigration)",
                     "Translation and interpretation"):
        screen = look(settled(screen.choose("Night Line (24/7)", near=f"*{category}*")))
    assert "14 of 14 ready" in screen.words and screen.buttons[0] == "Record Go"
    done = look(screen.tap("Record Go").modal())
    assert "*Go recorded* by <@ULEAD>" in done.words
    assert bot.db["readiness"].get(1)["go_by"] == "ULEAD"
    assert dict(count.taps) == {ADMIN: 13, "UCO": 4, "UA": 1, "UB": 1, "ULEAD": 29}
    assert sum(count.typed.values()) == 0


def test_a_coordinators_week_by_buttons(bot):
    for user in ("UCO", "UBEN"):
        bot.make_coordinator(user)
    count = Count(bot)
    coordinator = Phone(bot, "UCO")
    rota_form = look(coordinator.home().tap("Edit rota").modal())
    assert rota_form.inputs == ["Coordinators, in turn order", "First turn starts on"]
    saved = rota_form.submit({"Coordinators, in turn order": ["UCO", "UBEN"], "First turn starts on": "2026-11-22"})
    home = look(saved.home())
    on_call = next(b["text"]["text"] for b in home.blocks if "*Tonight:*" in str(b.get("text")))
    assert re.search(r"until <!date\^[^>]+>\n\*Next:\* <@UCO> from", on_call), on_call  # it ran on: "...CST>*Next:*"
    assert "On-call rota saved: <@UCO>, <@UBEN>, a week each" in look(coordinator.last_dm()).words

    # A night in Ben's week, taken; a night already his own is refused inline.
    night = look(home.tap("I'll take a night").modal())
    assert night.submit({"The night of": "2026-11-23"}).errors == {"rota_night": "You are already on call that night."}
    assert night.submit({"The night of": "2026-11-30"}).errors == {}
    eventually(lambda: bot.db.execute("SELECT night, user_id FROM rota_overrides").fetchall() == [("2026-11-30", "UCO")])

    record = look(coordinator.home().tap("Record training").modal())
    done = look(record.submit({"Who completed it": ["UA"], "Training": "direct-outreach"}).modal())
    assert "Recorded *Direct outreach training* for <@UA>" in done.words

    report = look(coordinator.home().tap("Report").modal())
    assert "Q3 2026" in str(report.blocks)
    sent = look(report.submit({"Period": "2026-Q3"}).modal())
    eventually(lambda: any("The report of 2026-Q3: the PDF with its chart and the workbook sent to <#CCOORD>."
                           in str(c.params.get("view")) for c in bot.fake.calls_to("views.update")))
    assert sent.words.endswith("The report of 2026-Q3: the PDF with its chart and the workbook are being prepared "
                               "for <#CCOORD>.")  # it read "the PDF and its chart, the workbook are"

    drill = look(coordinator.home().tap("Test the net").modal())
    assert drill.inputs == ["Who it goes to", "Which paths"] and "this drill stays inside Slack" in drill.words
    assert drill.submit({"Who it goes to": ["UBEN"]}).errors == {}
    ben = Phone(bot, "UBEN")
    eventually(lambda: any("TEST: I'm on it" in d.buttons for d in ben.dms()))
    paged = look(next(d for d in ben.dms() if "TEST: I'm on it" in d.buttons))
    assert paged.text == "TEST: a drill, nothing is wrong. Tap to see"
    paged.tap("TEST: I'm on it")
    eventually(lambda: "*took it" in look(coordinator.last_dm()).words)
    listed = coordinator.last_dm().words
    assert "TEST · <@UBEN>: *took it" in listed and "DM sent <!date^" in listed and "Sent:" not in listed
    assert dict(count.taps) == {"UCO": 11, "UBEN": 1} and not count.typed



ELEVEN_PM = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # Sunday 23:00 in Chicago
OUT_AT = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # Wednesday 19:00 in Chicago: the direct shift
BACK_AT = datetime(2026, 11, 26, 4, 30, tzinfo=UTC)


def test_a_volunteer_at_eleven_pm_finds_a_shift_trains_signs_up_and_checks_in_and_out_by_buttons(tbot, twilio):
    bot = tbot
    bot.make_coordinator("UCO")
    direct = bot.create_shift(start_date="2026-11-25", end_date="2026-11-25")
    course = bot.create_shift(kind="training", venue="community-venue", training="direct-outreach", min_team="1",
                              start_date="2026-11-24", end_date="2026-11-24", start_time="18:00", end_time="20:00",
                              lead="UCO")
    bot.train("UW")  # another volunteer, on the same night, with a duress word
    assert "signed up" in bot.command("UW", f"signup {direct}").text()
    verify_phone(bot, twilio, "UW", "312 555 0177")
    set_word(bot, "UW")
    at(bot, ELEVEN_PM)
    count = Count(bot)
    you = Phone(bot, "UV")
    home = look(you.home())
    assert "none. Add one to get your shift's start by SMS" in home.words  # not "so SOS and alerts reach you"
    found = look(home.tap("Find a shift").modal())
    locked = next(b["text"]["text"] for b in found.blocks if ":lock:" in str(b.get("text")))
    assert "can record it for you.\n:mortar_board: The next training shift that gives it: *#2*" in locked  # ran on
    assert found.buttons == ["Sign up", "Details", f"Sign up for #{course}", "Details"]
    after = look(found.tap(f"Sign up for #{course}").modal())
    assert f"You're signed up for shift #{course} (Training, Eastside)" in after.words
    assert "You're signed up for training shift *#2*" in after.words and "Once it is recorded" in after.words

    # The training shift is held and the coordinator records it: the DM that says so signs up by one tap.
    record = Phone(bot, "UCO").home().tap("Record training").modal()
    record.submit({"Who completed it": ["UV"], "Training": "direct-outreach"}).modal()
    eventually(lambda: any("Sign up" in d.buttons for d in you.dms()))
    dm = look(next(d for d in you.dms() if "Sign up" in d.buttons))
    assert f"You're signed up for shift #{direct}" in look(dm.tap("Sign up").reply()).words

    at(bot, OUT_AT)
    bot.settle()
    assert all(look(d) for d in you.dms())
    checked = look(look(you.home()).tap("Check in", near=f"#{direct}").dm())
    assert checked.words.startswith(f":white_check_mark: Checked in for shift #{direct}.")
    other = Phone(bot, "UW")
    other.home().tap("Check in", near=f"#{direct}").dm()
    at(bot, BACK_AT)
    out = look(look(you.home()).tap("Check out", near=f"#{direct}", confirm=True).dm())
    assert out.text.startswith(f":white_check_mark: Checked out of shift #{direct}: thank you, get home safe.")

    # With a duress word set: Check out opens a small form whose words never say what the word is for.
    form = look(look(other.home()).tap("Check out", near=f"#{direct}").modal())
    assert form.inputs == ["Word"] and not FORBIDDEN.search(form.words)
    assert form.submit({}).answer == {}
    eventually(lambda: any("Checked out of shift" in d.text for d in other.dms()))
    assert all(look(d) for d in other.dms())
    assert bot.db.execute("SELECT count(*) FROM sos").fetchone()[0] == 0
    assert dict(count.taps) == {"UV": 5, "UCO": 2, "UW": 3} and not count.typed


LEAD_START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # the default test shift: Monday 19:00 to 23:00 in Chicago
LEAD_END = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


def test_a_lead_from_the_checklists_summary_to_go_and_the_debrief_with_its_timeline(bot):
    from test_readiness import make_ready, protocol

    from outreach import readiness as rd

    number = bot.create_shift()
    make_ready(bot, number)
    assert rd.tick(bot.store, protocol(bot), shift_id=number, actor="ULEAD", item_id="cards-languages", ticked=False)
    count = Count(bot)
    lead = Phone(bot, "ULEAD")
    summary = look(look(lead.home()).tap("Open checklist", near=f"#{number}").modal())
    assert "13 of 14 ready" in summary.words and ":x: *Materials*: 0 of 1 ready" in summary.words
    assert summary.buttons == ["Open"] * 5 + ["Refresh"] and len(summary.blocks) <= 25
    materials = look(summary.tap("Open", near="*Materials*").modal())
    assert materials.view["id"] == summary.view["id"] and materials.buttons[0] == "Back"
    ticked = look(settled(materials.choose("Done", near="Hotline cards and materials are ready")))
    assert ticked.buttons[0] == "Record Go"  # in the section itself: no Back needed
    assert "*Go recorded* by <@ULEAD>" in look(ticked.tap("Record Go").modal()).words

    at(bot, LEAD_START)
    start = look(next(d for d in lead.dms() if "starts now" in d.words))
    assert start.buttons == ["Check in (me)", "Who is out tonight?", "SOS: I need help now"]
    look(start.tap("Check in (me)").reply())
    at(bot, LEAD_END)
    bot.settle()
    ends = look(next(d for d in lead.dms() if "ends now" in d.words))
    form = look(ends.tap("Everyone back safe").modal())
    assert form.submit({"Back safe": ["ULEAD", "UA", "UB"]}).errors == {}
    eventually(lambda: any("Write debrief" in d.buttons for d in lead.dms()))
    end = look(next(d for d in lead.dms() if "Write debrief" in d.buttons))
    debrief = look(end.tap("Write debrief").modal())
    assert debrief.buttons == ["Safety timeline", "Add details"] and "<@UA> checked out" not in debrief.words
    timeline = look(debrief.tap("Safety timeline").modal())
    assert timeline.view["close"]["text"] == "Back" and "everyone back: the night is over" in timeline.words
    sent = debrief.submit({"People reached": "4", "Hotline cards handed out": "3", "How are you after tonight?": "2"})
    assert sent.errors == {}, sent.errors
    eventually(lambda: bot.db["debriefs"].count == 1)
    assert dict(count.taps) == {"ULEAD": 10} and not count.typed
