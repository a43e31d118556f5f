"""The hotline card, and the checklist's hotline item with qualified and unqualified local hotlines."""

from __future__ import annotations

import pytest
from conftest import Bot, act, message_text
from phone import Phone
from test_readiness import copy_data, opened, section, whole

from outreach.catalog import CatalogError
from outreach.hotlines import CONDITIONS, load_hotlines

LOCAL = """
- id: metro
  name: Metro Line
  phone: "+1 555 010 0100"
  text: "555010"
  hours: "24/7"
  languages: [en, es]
  conditions: {staffed_24_7: true, tele_interpretation: true, trained_staff: true, knows_indicators: true,
               trauma_informed_response: true, refers_non_trafficking: true}
- id: daytime
  name: Daytime Line
  phone: "555 0199"
  hours: Mon-Fri 9-17
  conditions: {staffed_24_7: false, tele_interpretation: true, trained_staff: true, knows_indicators: true,
               trauma_informed_response: true}
"""


@pytest.fixture
def local_bot(fake, clock, tmp_path):
    data = copy_data(tmp_path)
    (data / "hotlines.yml").write_text(LOCAL)
    instance = Bot(fake, tmp_path, clock, env={"OUTREACH_DATA_DIR": str(data)})
    yield instance
    instance.close()


FORBIDDEN = ("trafficking", "victim", "escalation", "safety alert")


def test_card_opens_as_a_modal_and_is_kept_as_a_dm(bot):
    you = Phone(bot, "UV")
    card = you.command("hotline").modal()
    assert card.view["callback_id"] == "hotline_card" and card.buttons == ["Send to me as a DM"]
    for fact in ("1-888-373-7888", "233733", "24/7", "200+ languages", "National Human Trafficking Hotline"):
        assert fact in card.words
    assert not bot.fake.calls_to("response_url")  # nothing ephemeral that vanishes
    tapped = card.tap("Send to me as a DM")
    dm = tapped.dm()
    assert "1-888-373-7888" in dm.words and "233733" in dm.words
    assert not any(word in dm.text.lower() for word in FORBIDDEN), dm.text  # the lock screen shows only this
    sent = tapped.modal()
    assert sent.view["id"] == card.view["id"] and "Sent to you as a DM" in sent.words and not sent.buttons
    assert you.last_dm().words == dm.words


def test_card_opens_from_a_hotline_card_button(bot):
    """The App Home's Hotline card button carries `hotline_open`; a tap opens the same modal."""
    you = Phone(bot, "UV")
    home = you.home()
    if "Hotline card" in home.buttons:
        tapped = home.tap("Hotline card")
    else:  # the App Home places the button (another part of issue 12); the tap as Slack sends it from there
        tapped = home._act({"type": "button", "action_id": "hotline_open", "block_id": "start", "value": ""})
    card = tapped.modal()
    assert card.view["callback_id"] == "hotline_card" and "1-888-373-7888" in card.words


def test_card_lists_qualified_local_hotlines_and_warns_about_the_others(local_bot):
    text = Phone(local_bot, "UV").command("hotline").modal().words
    assert "Metro Line" in text and "+1 555 010 0100" in text and "English, Spanish" in text and "555010" in text
    assert "Not for handing out: Daytime Line" in text and "staffed 24/7" in text
    assert "callers in a non-trafficking crisis are referred on" in text  # missing counts as not met


def test_shift_with_unqualified_hotline_fails_naming_the_conditions(local_bot):
    bot = local_bot
    number = bot.create_shift()
    screen = section(opened(bot, number, "ULEAD"), "Hotline")
    assert "the team hands out National Human Trafficking Hotline" in screen.words
    screen = screen.choose("Daytime Line (not qualified)", near="The hotline the team hands out").modal()
    assert "Daytime Line is not qualified; conditions not met: staffed 24/7; callers in a non-trafficking" in screen.words
    assert bot.db["readiness"].get(number)["hotline"] == "daytime"
    screen = screen.choose("Metro Line", near="The hotline the team hands out").modal()
    assert "the team hands out Metro Line" in screen.words
    assert "the team hands out Metro Line" in whole(opened(bot, number))
    # From a checklist message of the first version, a pick still works.
    reply = act(bot, "ULEAD", {"type": "static_select", "action_id": "ready_hotline",
                               "selected_option": {"value": "national"}}, block_id=f"hotline:{number}").reply()
    assert "the team hands out National Human Trafficking Hotline" in message_text(reply)
    act(bot, "ULEAD", {"type": "static_select", "action_id": "ready_hotline", "selected_option": {"value": "metro"}},
        block_id=f"hotline:{number}").reply()
    # An unknown hotline id (a forged payload) changes nothing.
    act(bot, "ULEAD", {"type": "static_select", "action_id": "ready_hotline", "selected_option": {"value": "evil"}},
        block_id=f"hotline:{number}").reply()
    assert bot.db["readiness"].get(number)["hotline"] == "metro"


def test_hotline_file_errors_name_file_and_line(tmp_path):
    path = tmp_path / "hotlines.yml"
    path.write_text('- id: x\n  name: X\n  phone: "1"\n  hours: "24/7"\n  conditions: {staffed_24_7: yes_please}\n')
    with pytest.raises(CatalogError, match=r"hotlines.yml, line 1: .*true or false"):
        load_hotlines(path)
    path.write_text('- id: ok\n  name: OK\n  phone: "1"\n  hours: "24/7"\n- id: y\n  name: Y\n  phone: "1"\n'
                    '  hours: "24/7"\n  conditions: {open_late: true}\n')
    with pytest.raises(CatalogError, match=r"line 5: .*unknown condition 'open_late'"):
        load_hotlines(path)
    path.write_text("[]\n")
    assert load_hotlines(path) == []
    assert len(CONDITIONS) == 6
