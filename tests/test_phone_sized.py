"""Made for a phone: the checklist's first view, the debrief's first screen and help are short, and everything
behind their buttons is still one tap away."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import ADMIN, at, message_text
from phone import Phone, Screen
from test_readiness import every_section, make_ready, opened, section, state_of, team_up

from outreach import readiness as rd

MOST_BLOCKS = 25  # the checklist's first view
MOST_CHARACTERS = 1000  # about one phone screen of text (the one modal was 34 blocks, 3,745 characters)
MOST_LINES = 20  # the debrief's first screen


def lines(text: object) -> int:
    """The lines of one text that hold words."""
    return len([line for line in str(text).split("\n") if line.strip()])


def phone_lines(blocks: list[dict]) -> int:
    """The lines of text a phone shows for these blocks: each block's text lines (a section's text and fields, a
    context's elements, an input's label and hint, a header); a row of buttons is one line."""
    count = 0
    for block in blocks:
        kind = block["type"]
        if kind in ("section", "header"):
            count += lines((block.get("text") or {}).get("text", "")) + sum(lines(f["text"]) for f in block.get("fields") or [])
        elif kind == "context":
            count += sum(lines(e.get("text", "")) for e in block["elements"])
        elif kind == "input":
            count += 1 + (lines(block["hint"]["text"]) if block.get("hint") else 0)
        elif kind == "actions":
            count += 1
    return count


def characters(screen: Screen) -> int:
    """The characters of text a screen shows (title, text and blocks)."""
    return len(screen.words)


def full_shift(bot) -> int:
    """A direct shift with every place taken, two languages needed, and everything its checklist asks for."""
    number = bot.create_shift(capacity="3", languages=["es", "vi"])
    team_up(bot, number, ("UC",))
    assert "Saved" in bot.command("UC", "profile languages Vietnamese").text()
    make_ready(bot, number)
    assert bot.db.execute("SELECT count(*) FROM signups WHERE shift_id = ? AND status = 'confirmed'",
                          [number]).fetchone()[0] == 3
    return number


# ---------------------------------------------------------------- the readiness checklist


def test_the_checklists_first_view_is_one_line_and_one_button_per_section(bot):
    number = full_shift(bot)
    summary = opened(bot, number, "ULEAD")
    assert len(summary.blocks) <= MOST_BLOCKS and characters(summary) <= MOST_CHARACTERS, (
        len(summary.blocks), characters(summary))
    state = state_of(bot, number)
    sections = state.by_section()
    lines = [b for b in summary.blocks if str(b.get("block_id", "")).startswith("section:")]
    assert len(lines) == len(sections) == 5
    for block, (_key, name, items) in zip(lines, sections, strict=True):
        required = [i for i in items if i.required]
        assert f"*{name}*: {sum(i.passed for i in required)} of {len(required)} ready" in block["text"]["text"]
        assert block["accessory"]["text"]["text"] == "Open"
    assert "14 of 14 ready" in summary.words and summary.buttons[0] == "Record Go"
    for item in state.items:  # no item is on the first view: each is behind its section's button
        assert item.name not in summary.words, item.name


def test_a_new_shifts_first_view_says_which_sections_lack_something(bot):
    number = bot.create_shift()
    summary = opened(bot, number, "ULEAD")
    assert len(summary.blocks) <= MOST_BLOCKS and characters(summary) <= MOST_CHARACTERS
    assert ":x: *Law enforcement*: 0 of 3 ready" in summary.words
    assert ":white_check_mark: *Hotline*: 1 of 1 ready" in summary.words
    assert ":x: *Materials*: 0 of 1 ready · 0 of 1 optional" in summary.words


def test_a_section_opens_in_place_and_back_returns_to_the_summary(bot):
    number = bot.create_shift()
    lead = Phone(bot, "ULEAD")
    summary = lead.command(f"checklist {number}").modal()
    team = section(summary, "Team and safety")
    assert team.view["id"] == summary.view["id"]  # updated in place: nothing pushed on Slack's stack of three
    assert not bot.fake.calls_to("views.push")
    for item in state_of(bot, number).items:
        assert (item.name in team.words) == (item.section == "team-safety"), item.name
    # A tick in the section keeps the section on screen, with the count in the header risen.
    ticked = team.choose("Done", near="Buddy pairs are set").modal()
    assert "Buddy pairs are set*\nticked by <@ULEAD>" in ticked.words and "2 of 14 ready" in ticked.words
    assert ticked.has_button("Back")
    back = ticked.tap("Back").modal()
    assert back.view["id"] == summary.view["id"] and "Buddy pairs are set" not in back.words
    assert ":x: *Team and safety*: 1 of 7 ready" in back.words  # buddy pairs; the team is the lead alone
    assert len(bot.fake.calls_to("views.open")) == 1


def test_each_section_holds_its_items_once_and_every_item_is_in_one(bot):
    number = full_shift(bot)
    parts = every_section(opened(bot, number, ADMIN))
    for item in state_of(bot, number).items:
        assert sum(part.words.count(item.name) for part in parts) == 1, item.name
    assert all(len(part.blocks) <= 100 for part in parts)


def test_a_forged_section_tap_changes_nothing_and_an_unknown_section_shows_the_summary(bot):
    number = bot.create_shift()
    team_up(bot, number, ("UA",))
    refused = bot.click("UA", "ready_section", f"{number}:team-safety").reply()
    assert "Only the shift's lead and coordinators work the checklist" in message_text(refused)
    summary = opened(bot, number, "ULEAD")
    odd = summary._act({"type": "button", "action_id": "ready_section", "block_id": "x",
                        "value": f"{number}:kitchen"}).modal()
    assert odd.view["id"] == summary.view["id"] and "*Law enforcement*: 0 of 3 ready" in odd.words
    assert bot.db.execute("SELECT count(*) FROM audit WHERE action LIKE 'readiness.%'").fetchone()[0] == 0


def test_the_section_names_are_the_sections_of_the_checklist_file():
    assert list(rd.SECTIONS.values()) == ["Law enforcement", "Service readiness", "Hotline", "Team and safety",
                                          "Materials"]


# ---------------------------------------------------------------- the debrief's first screen

CHECKIN = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # the default test shift starts at 19:00 Chicago


def escalated_night(bot) -> int:
    """A night whose team never checked out in time: the safety net climbs to the coordinators and repeats."""
    number = bot.create_shift()
    bot.train("UA")
    assert "signed up" in bot.command("UA", f"signup {number}").text()
    at(bot, CHECKIN)
    bot.command("ULEAD", f"checkin {number}").reply()
    bot.command("UA", f"checkin {number}").reply()
    for hour, minute in ((5, 30), (5, 40), (5, 55), (6, 10)):  # level 1, level 2, then repeats
        at(bot, datetime(2026, 11, 24, hour, minute, tzinfo=UTC))
    assert "Checked out" in bot.command("ULEAD", f"checkout {number}").text()
    return number


def debrief_form(bot, number: int) -> Screen:
    """The lead's debrief form of shift N."""
    return Phone(bot, "ULEAD").command(f"debrief {number}").modal()


def test_the_debriefs_first_screen_is_at_most_20_lines_with_the_timeline_behind_a_button(bot):
    from handlers.safety import timeline_text
    from outreach import shifts as sh

    number = escalated_night(bot)
    timeline = timeline_text(bot.kit, sh.load_shift(bot.store, number)) or ""
    assert lines(timeline) >= 7  # a long night: on the first screen, this was most of what a phone showed
    form = debrief_form(bot, number)
    assert form.view["callback_id"] == "debrief_form"
    assert phone_lines(form.blocks) <= MOST_LINES, phone_lines(form.blocks)
    assert "level 1: asked by DM" not in form.words and "Safety timeline" in form.buttons
    shown = form.tap("Safety timeline").modal()
    assert bot.fake.calls_to("views.push") and shown.view["previous_view_id"] == form.view["id"]  # on top: Back
    assert shown.view["close"]["text"] == "Back" and not shown.view.get("submit")
    for expected in ("level 1: asked by DM <@ULEAD>, <@UA>", "level 2: sent to the coordinators", "repeat 1",
                     "<@ULEAD> checked out"):
        assert expected in shown.words, expected
    assert lines(timeline) <= lines(shown.words)


def test_a_quiet_night_has_no_timeline_button_and_still_fits(bot):
    number = bot.create_shift()
    at(bot, CHECKIN)
    bot.command("ULEAD", f"checkin {number}").reply()
    at(bot, datetime(2026, 11, 24, 4, 0, tzinfo=UTC))  # back before the end
    assert "Checked out" in bot.command("ULEAD", f"checkout {number}").text()
    form = debrief_form(bot, number)
    assert phone_lines(form.blocks) <= MOST_LINES
    assert form.inputs[0] == "People reached"  # the form itself, nothing above it but what the shift knows
    steps = [r["step"] for r in bot.db["safety_steps"].rows_where("shift_id = ?", [number])]
    assert ("Safety timeline" in form.buttons) == bool(steps)


def test_the_timeline_button_of_a_shift_that_is_gone_says_so(bot):
    sent = bot.click("ULEAD", "safety_timeline", "999")
    assert "no shift #999" in message_text(sent.reply())


# ---------------------------------------------------------------- help

MENU = ["Sign up for a shift", "Tonight's shift", "After a shift", "Typed commands"]
TOPIC_WORDS = {  # a few words each topic's view must hold
    "Sign up for a shift": ("*Find a shift*", "*Sign up*", "`/outreach signup N`"),
    "Tonight's shift": ("*Check in*", "*SOS: I need help now*", "*Check out*", "`/outreach checkout N`"),
    "After a shift": ("*Write debrief*", "never who you met", "`/outreach debrief N`"),
    "Coordinators": ("*Plan a shift*", "`/outreach report`", "`/outreach help commands`"),
}


def listed(text: str, name: str) -> bool:
    return f"`/outreach {name}`" in text or f"`/outreach {name} " in text


def test_help_is_a_short_menu_of_buttons_by_what_a_person_wants_to_do(bot):
    from handlers.commands import REGISTRY

    menu = Phone(bot, "UVOL").command("help").reply()
    assert menu.buttons == MENU and characters(menu) <= 600, characters(menu)
    assert sum(listed(menu.words, name) for name in REGISTRY) <= 2  # it was 30 typed commands in 4,000 characters
    assert Phone(bot, ADMIN).command("help").reply().buttons == [*MENU[:3], "Coordinators", MENU[3]]
    assert Phone(bot, ADMIN).command("").reply().buttons == [*MENU[:3], "Coordinators", MENU[3]]


def test_each_help_button_opens_its_short_view_and_the_others_are_a_tap_away(bot):
    coordinator = Phone(bot, ADMIN)
    menu = coordinator.command("help").reply()
    first = None
    for label in menu.buttons:
        view = menu.tap(label).modal()
        assert view.view["title"]["text"] == label and view.view["callback_id"] == "help_topic"
        for words in TOPIC_WORDS.get(label, ()):
            assert words in view.words, (label, words)
        if label != "Typed commands":
            assert phone_lines(view.blocks) <= 12 and characters(view) <= 1000, (label, phone_lines(view.blocks))
        assert label not in view.buttons and len(view.buttons) == len(menu.buttons) - 1
        first = first or view
    # From one topic to another in the same modal (updated in place, nothing stacked).
    other = first.tap("After a shift").modal()
    assert other.view["id"] == first.view["id"] and "*Write debrief*" in other.words
    assert not bot.fake.calls_to("views.push")


def test_typed_commands_are_one_tap_away_and_list_every_command_the_reader_may_use(bot):
    from handlers.commands import REGISTRY

    admin = Phone(bot, ADMIN).command("help").reply().tap("Typed commands").modal()
    assert all(listed(admin.words, name) for name in REGISTRY)
    volunteer = Phone(bot, "UVOL").command("help").reply().tap("Typed commands").modal()
    assert listed(volunteer.words, "signup") and not listed(volunteer.words, "role")
    assert volunteer.words.count("`/outreach") == bot.command("UVOL", "help commands").reply()["text"].count("`/outreach")


def test_help_with_a_topic_typed_still_answers(bot):
    tonight = bot.command("UVOL", "help tonight").text()
    assert "*Tonight's shift*" in tonight and "`/outreach checkout N`" in tonight
    assert "*Sign up for a shift*" in bot.command("UVOL", "help Sign up for a shift").text()
    one = bot.command("UVOL", "help withdraw").text()
    assert listed(one, "withdraw") and not listed(one, "signup")
    unknown = Phone(bot, "UVOL").command("help juggling").reply()
    assert "I don't know the help topic `juggling`" in unknown.words and unknown.buttons == MENU
    assert "is for coordinators" in bot.command("UVOL", "help coordinators").text()
    assert "is for admins" in bot.command("UVOL", "help role").text()
    assert "`/outreach role @person" in bot.command(ADMIN, "help role").text()


def test_a_forged_coordinators_tap_by_a_volunteer_shows_only_a_refusal(bot):
    bot.click("UVOL", "help_topic", "coordinators")
    view = bot.fake.wait_for("views.open")[-1].params["view"]
    words = message_text({"blocks": view["blocks"]})
    assert "is for coordinators" in words and "Plan a shift" not in words
