"""A lead's night before outreach, by taps on a phone: open the checklist, work it, record Go."""

from __future__ import annotations

from conftest import ADMIN
from phone import Phone, Screen, Tapped
from test_readiness import (
    DEFAULT_CATEGORIES,
    add_partner,
    every_section,
    protocol,
    section,
    state_of,
    team_up,
)

from handlers.blocks import BUTTON_LIMIT, OPTION_LIMIT

LONG_PARTNER = "Eastside Community Crisis Intervention and Emergency Housing Partnership Metro"  # 78 of 80


def home_tap(you: Phone, action_id: str, value: str) -> Tapped:
    """A button tapped on the App Home as Slack sends it (no response_url; the home view in the payload)."""
    home = you.screen_of_view("home", {"id": f"VHOME{you.user}", "type": "home", "blocks": []})
    return home._act({"type": "button", "action_id": action_id, "block_id": f"lead:{value}", "value": value})


def open_checklist(you: Phone, number: int) -> Tapped:
    """Tap Open checklist for shift N on the App Home.

    The App Home's button (it carries `ready_open`) is placed by another part of issue 12; until it is
    there, the tap is sent as Slack sends it from the home tab.
    """
    home = you.home()
    if "Open checklist" in home.buttons:
        if home.buttons.count("Open checklist") == 1:
            return home.tap("Open checklist")
        return home.tap("Open checklist", near=f"#{number}")
    return home_tap(you, "ready_open", str(number))


def options(screen: Screen) -> list[str]:
    """Every option text of the selects and tick boxes on a screen."""
    out = []
    for block in screen.blocks:
        element = block.get("accessory") or {}
        for option in element.get("options") or []:
            out.append(option["text"]["text"])
    return out


def go_to(screen: Screen, name: str) -> Screen:
    """The checklist's section `name`, reached from wherever the modal is (Back to the summary first)."""
    if "Back" in screen.buttons:
        screen = screen.tap("Back").modal()
    return section(screen, name)


def ready_count(screen: Screen) -> tuple[int, int]:
    """The header's "X of Y ready"."""
    header = next(b for b in screen.blocks if b["type"] == "header")["text"]["text"]
    passed, _, rest = header.partition(" of ")
    return int(passed), int(rest.split(" ")[0])


def settled(tapped: Tapped) -> Screen:
    """The modal a tap updated, once the tap's work is done (the lead's App Home is republished last)."""
    screen = tapped.modal()
    tapped.home()
    return screen


def answered(asked: Screen, values: dict, checklist_id: str) -> Screen:
    """Submit an evidence view; the checklist under it as updated once the answer is saved.

    Watched from before the submit (the update may come before the form's HTTP answer is read), and
    until the lead's App Home is republished after it (the last of the submission's work).
    """
    you = asked.phone
    mark = you.mark
    assert asked.submit(values).errors == {}
    call = you.wait(mark, lambda c: c.method == "views.update" and c.params.get("view_id") == checklist_id,
                    "the checklist updated")
    with you.bot.fake._cond:
        after = you.bot.fake.calls.index(call) + 1
    you.wait(after, lambda c: c.method == "views.publish" and c.params.get("user_id") == you.user, "the App Home")
    return you.screen_of_view("modal", dict(call.params["view"], id=checklist_id))


def test_lead_works_the_checklist_to_go_by_taps(bot):
    number = bot.create_shift()
    lead = Phone(bot, "ULEAD")
    screen = open_checklist(lead, number).modal()
    assert screen.view["callback_id"] == "ready_checklist"
    passed, required = ready_count(screen)
    assert (passed, required) == (1, 14) and "1 of 14 ready" in screen.words  # the hotline; the lead lacks training
    parts = every_section(screen)
    for item in state_of(bot, number).items:  # each item once, with its own control
        assert sum(part.words.count(item.name) for part in parts) == 1, item.name
    assert all(len(text) <= OPTION_LIMIT for part in parts for text in options(part))
    assert all(len(text) <= BUTTON_LIMIT for part in [screen, *parts] for text in part.buttons)
    assert not any("…" in part.words for part in [screen, *parts])
    assert "Record Go" not in screen.buttons

    # Ticked items: the count rises in the same modal, tap after tap.
    for part, name in (("Law enforcement", "A law enforcement liaison was notified"),
                       ("Law enforcement", "The response protocol with law enforcement"),
                       ("Team and safety", "Buddy pairs are set"), ("Materials", "Hotline cards and materials are ready")):
        if name not in screen.words:
            screen = go_to(screen, part)
        screen = settled(screen.choose("Done", near=name))
        assert ready_count(screen)[0] == passed + 1 and screen.view["callback_id"] == "ready_checklist"
        passed += 1
        assert "Record Go" not in screen.buttons
    # Evidence: the question is pushed over the checklist; answered, the checklist under it is updated.
    screen = go_to(screen, "Team and safety")
    for name, label, answer in (
        ("The meeting point is set", "Where does the team meet?", "Library steps"),
        ("Check-in times are set", "When does the team check in?", "30"),  # minutes: sets the check-ins
        ("Someone is named to call if the team goes silent", "Who is called if the team goes silent?", "UCOORD"),
    ):
        tapped = screen.choose("Done", near=name)
        asked = tapped.modal()
        tapped.home()
        assert asked.inputs == [label]
        screen = answered(asked, {label: answer}, screen.view["id"])
        passed += 1
        assert ready_count(screen)[0] == passed
    assert "<@UCOORD>" in screen.words

    # Partners on call, picked in the checklist (one directory entry with a long name, never cut mid-word).
    add_partner(bot, LONG_PARTNER, DEFAULT_CATEGORIES, languages=["es"])
    add_partner(bot, "County Vice Unit", ["law-enforcement"], phone="555 0199")
    screen = settled(go_to(screen, "Service readiness").tap("Refresh"))
    clipped = next(t for t in options(screen) if t.startswith("Eastside Community"))
    assert len(clipped) <= OPTION_LIMIT and clipped.endswith("…")
    assert LONG_PARTNER.startswith(clipped[:-1]) and LONG_PARTNER[len(clipped) - 1] == " "  # cut at a word's end
    for category in DEFAULT_CATEGORIES:
        screen = settled(screen.choose(clipped, near=f"*{protocol(bot).category_name(category)}*"))
    assert "Partners are confirmed on call for the needs that may come up*\non call:" in screen.words
    passed += 2  # the services, and Spanish now spoken by a partner on call
    assert ready_count(screen)[0] == passed
    # The night's law enforcement contact: an agency picked from the directory, never typed.
    screen = go_to(screen, "Law enforcement")
    screen = settled(screen.choose("County Vice Unit (24/7)", near="The law enforcement contact for the night"))
    assert "County Vice Unit, 555 0199, from the partner directory" in screen.words
    passed += 1
    assert ready_count(screen)[0] == passed

    # The team: two trained volunteers, one of them experienced (they sign up on their own phones).
    team_up(bot, number)
    bot.train("UA", "outreach-lead")
    bot.train("ULEAD")  # the lead goes out too: the team's training holds for the lead
    screen = settled(screen.tap("Refresh"))
    assert ready_count(screen) == (14, 14) and "Not ready" not in screen.words
    assert screen.buttons[0] == "Record Go"

    done = screen.tap("Record Go").modal()
    assert done.view["id"] == screen.view["id"] and "Record Go" not in done.buttons
    assert "*Go recorded* by <@ULEAD> at <!date^" in done.words
    assert bot.db["readiness"].get(number)["go_by"] == "ULEAD"
    # Opened again later, it still says so.
    assert "*Go recorded* by <@ULEAD> at" in open_checklist(lead, number).modal().words


def test_a_volunteer_on_the_shift_is_refused_the_checklist_modal(bot):
    number = bot.create_shift()
    team_up(bot, number, ("UA",))
    volunteer = Phone(bot, "UA")
    refused = open_checklist(volunteer, number).modal()
    assert "Only the shift's lead and coordinators work the checklist of shift" in refused.words
    assert "<@ULEAD> leads it" in refused.words
    assert not refused.buttons and "Done" not in refused.words
    # Typed, the volunteer reads it beside the command instead (each item once, nothing to tick).
    read = volunteer.command(f"checklist {number}").reply()
    assert "team 2 of minimum 2, the lead included" in read.words and not read.buttons
    assert read.words.count("Buddy pairs are set") == 1
    # A coordinator works it like the lead.
    assert "2 of 14 ready" in Phone(bot, ADMIN).command(f"checklist {number}").modal().words  # hotline, team size


def test_go_typed_still_answers_and_is_refused_while_not_ready(bot):
    number = bot.create_shift()
    lead = Phone(bot, "ULEAD")
    refused = lead.command(f"go {number}").reply()
    assert "No Go for shift" in refused.words and bot.db["readiness"].get(number)["go_by"] is None
    # A Record Go tap forged before everything passes changes nothing: the modal says what is missing.
    screen = open_checklist(lead, number).modal()
    forged = {"type": "button", "action_id": "ready_go", "block_id": f"go:{number}", "value": str(number)}
    after = screen._act(forged).modal()
    assert "No Go for shift" in after.words and "Record Go" not in after.buttons
    assert bot.db["readiness"].get(number)["go_by"] is None


def test_record_go_tapped_on_the_app_home_says_what_it_did(bot):
    """The App Home may carry Record Go (`ready_go`) for a shift the lead leads: a tap there is answered too."""
    number = bot.create_shift()
    said = home_tap(Phone(bot, "ULEAD"), "ready_go", str(number)).modal()
    assert "No Go for shift" in said.words and bot.db["readiness"].get(number)["go_by"] is None
    refused = home_tap(Phone(bot, "UA"), "ready_go", str(number)).modal()
    assert "Only the shift's lead and coordinators can change its checklist or record Go" in refused.words
