"""The checklist says what is so (issue 19, section 6): the team it judges includes its lead, Go taken
back by the timer is told once per lead and once to the coordinators, typed evidence is screened, and
the night's law enforcement contact is an agency from the partner directory, never typed text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from conftest import ADMIN, COORD_CHANNEL, at, eventually, message_text
from phone import Phone
from test_readiness import (
    add_partner,
    item,
    make_ready,
    opened,
    pick_contact,
    protocol,
    section,
    state_of,
    team_up,
    whole,
)
from test_safety import escalations

from outreach import migrations as migrations_of
from outreach import readiness as rd

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)   # the default test shift, 19:00 Chicago
PRESS = datetime(2026, 11, 24, 3, 12, tzinfo=UTC)  # 21:12 Chicago, mid-shift
HOSTILE = "Rosa (15) room 12, her cell 555-201-3344"


def go(bot, number, user="ULEAD"):
    assert "*Go* recorded" in bot.command(user, f"go {number}").text()


def without_lead_training(bot):
    """As after an upgrade: Go was recorded while the rule read the team from confirmed signups only."""
    bot.db.execute("DELETE FROM trainings WHERE user_id = 'ULEAD'")
    bot.db.conn.commit()


def revoked_posts(bot, channel):
    return [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == channel and not c.failed
            and "Go taken back" in message_text(c.params)]


def sos_post(bot):
    """The SOS post in the coordinators' channel."""
    def found():
        return [c for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") == COORD_CHANNEL
                and not c.params.get("thread_ts") and not c.failed and "SOS from shift" in message_text(c.params)]

    eventually(lambda: found())
    return found()[0]


def night(bot):
    """Tomorrow evening's shift: ULEAD leads, UA is confirmed, UCO is a coordinator."""
    number = bot.create_shift()
    bot.make_coordinator("UCO")
    bot.train("UA")
    assert "signed up" in bot.command("UA", f"signup {number}").text()
    return number


def details_of(bot, number):
    """The words of the shift's Details, as a coordinator opens them."""
    bot.click("UCO", "shift_details", str(number))
    opened = bot.fake.wait_for("views.open", where=lambda c: "Law enforcement contact tonight" in str(c.params))[-1]
    return message_text(opened.params["view"])


def press_sos(bot, number):
    at(bot, START)
    bot.command("ULEAD", f"checkin {number}").reply()
    at(bot, PRESS)
    bot.command("UA", f"sos {number}").reply()
    bot.kit.notifier.flush()
    return sos_post(bot)


# ---------------------------------------------------------------- the team includes its lead


def test_a_lead_without_the_training_fails_the_training_item_and_go_is_refused(bot):
    number = bot.create_shift()
    make_ready(bot, number)
    without_lead_training(bot)
    state = state_of(bot, number)
    trained = item(state, "team-trained")
    assert not trained.passed and trained.detail["lacking"] == ["ULEAD"]
    refused = bot.command("ULEAD", f"go {number}").text()
    assert "No Go for shift" in refused and "Direct outreach training not valid on the shift's date for <@ULEAD>" in refused
    assert bot.db["readiness"].get(number)["go_by"] is None
    # A list reads the team as the checklist does: the same line, the lead among the lacking.
    listed = bot.command(ADMIN, "shifts").text()
    assert "for <@ULEAD>" in listed
    many = rd.readiness_many(bot.store, protocol(bot), [state.shift])[number]
    assert [(i.id, i.passed, i.detail) for i in many.items] == [(i.id, i.passed, i.detail) for i in state.items]
    bot.train("ULEAD")
    go(bot, number)


def test_the_lead_counts_in_the_team_size_and_can_be_its_experienced_member(bot):
    number = bot.create_shift()
    team_up(bot, number, ("UA",))
    state = state_of(bot, number)
    assert item(state, "team-size").passed and item(state, "team-size").detail == {"team": 2, "minimum": 2, "lead": True}
    assert not item(state, "team-experienced").passed
    bot.train("ULEAD", "outreach-lead")
    assert item(state_of(bot, number), "team-experienced").detail["experienced"] == ["ULEAD"]
    # The staffing the coordinators read counts the same team: the lead and UA make the minimum of 2.
    assert "more for the minimum team" not in bot.command(ADMIN, "shifts").text()
    bigger = bot.create_shift(min_team="3", start_time="20:00")
    team_up(bot, bigger, ("UA",))
    assert "team 2 of minimum 3, the lead included" in whole(opened(bot, bigger))
    assert "needs 1 more for the minimum team" in bot.command(ADMIN, "shifts").text()
    # A lead who also signed up is counted once.
    bot.train("ULEAD")
    assert "signed up" in bot.command("ULEAD", f"signup {bigger}").text()
    assert item(state_of(bot, bigger), "team-size").detail["team"] == 2


# ---------------------------------------------------------------- Go taken back: told once per tick


def test_go_taken_back_by_the_timer_is_told_in_one_dm_to_the_lead_and_one_channel_post(bot):
    day = bot.clock().date()
    numbers = [bot.create_shift(start_date=(day + timedelta(days=n)).isoformat(),
                                end_date=(day + timedelta(days=n)).isoformat()) for n in (1, 2)]
    for number in numbers:
        make_ready(bot, number)
        go(bot, number)
    without_lead_training(bot)
    bot.clock.advance(minutes=1)
    bot.kit.tick()
    assert [bot.db["readiness"].get(n)["go_by"] for n in numbers] == [None, None]
    bot.kit.notifier.flush()
    lead, channel = revoked_posts(bot, "ULEAD"), revoked_posts(bot, COORD_CHANNEL)
    assert len(lead) == 1 and len(channel) == 1
    for call in (lead[0], channel[0]):
        words = message_text(call.params)
        assert "Go taken back for 2 shifts" in words
        assert all(f"*Shift #{n}*" in words for n in numbers)
        assert words.count("not valid on the shift's date for <@ULEAD>") == 2
        opens = [b["accessory"]["value"] for b in call.params["blocks"] if (b.get("accessory") or {}).get(
            "action_id") == "ready_open"]
        assert opens == [str(n) for n in numbers]
    assert lead[0].params["text"] == "Go taken back on 2 shifts, tap to see"  # the lock screen names no detail
    # Told once: later ticks, a re-check of the same shifts and a restart's re-check add nothing.
    bot.kit.tick()
    assert rd.recheck_all(bot.store, protocol(bot), channel=COORD_CHANNEL) == 0
    keys = [r["key"] for r in bot.db.query("SELECT key FROM notifications WHERE template = 'readiness/revoked'")]
    assert len(keys) == 2 and all(k.startswith("readiness-revoked:many:") for k in keys)
    bot.kit.notifier.flush()
    assert len(revoked_posts(bot, "ULEAD")) == 1 and len(revoked_posts(bot, COORD_CHANNEL)) == 1


def test_each_lead_is_told_of_their_own_shifts_only(bot):
    day = bot.clock().date()
    mine = bot.create_shift()
    other = bot.create_shift(lead="UOTHER", start_date=(day + timedelta(days=2)).isoformat(),
                             end_date=(day + timedelta(days=2)).isoformat())
    bot.train("UOTHER")
    make_ready(bot, mine)
    make_ready(bot, other)
    go(bot, mine)
    go(bot, other, "UOTHER")
    bot.db.execute("DELETE FROM trainings WHERE user_id IN ('ULEAD', 'UOTHER')")
    bot.db.conn.commit()
    bot.kit.tick()
    bot.kit.notifier.flush()
    lead, other_lead, channel = (revoked_posts(bot, u) for u in ("ULEAD", "UOTHER", COORD_CHANNEL))
    assert len(lead) == len(other_lead) == len(channel) == 1
    assert f"Go taken back for shift #{mine}" in message_text(lead[0].params)
    assert f"#{other}" not in message_text(lead[0].params)
    assert f"Go taken back for shift #{other}" in message_text(other_lead[0].params)
    assert "Go taken back for 2 shifts" in message_text(channel[0].params)


# ---------------------------------------------------------------- evidence is screened


def test_evidence_that_could_identify_someone_is_refused_inline_and_nothing_is_stored(bot):
    number = bot.create_shift()
    meta = {"shift_id": number, "item": "meeting-point"}
    for typed, found in ((HOSTILE, "a phone number"), ("Her name is Rosa, she is 15", "a name")):
        refused = bot.submit("ULEAD", "ready_evidence", {"evidence": typed}, metadata=meta)
        answer = refused.json()
        assert answer["response_action"] == "errors"
        assert "Please remove" in answer["errors"]["evidence"] and found in answer["errors"]["evidence"]
    row = bot.db["readiness_items"].get((number, "meeting-point"))
    assert row["evidence"] is None and row["ticked_by"] is None
    assert bot.db.execute("SELECT count(*) FROM audit WHERE action LIKE 'readiness.%'").fetchone()[0] == 0
    # The domain refuses it too, whoever calls it with the screen.
    assert not rd.tick(bot.store, protocol(bot), shift_id=number, actor="ULEAD", item_id="meeting-point", ticked=True,
                       evidence=HOSTILE, screen=bot.services.privacy_screen())
    assert bot.db["readiness_items"].get((number, "meeting-point"))["evidence"] is None
    # Words about the team only are kept.
    kept = bot.submit("ULEAD", "ready_evidence", {"evidence": "Library steps, 18:45"}, metadata=meta)
    assert kept.status == 200 and not kept.body
    eventually(lambda: bot.db["readiness_items"].get((number, "meeting-point"))["evidence"] == "Library steps, 18:45")


def test_the_law_enforcement_contact_cannot_be_typed_any_more(bot):
    number = bot.create_shift()
    refused = bot.submit("ULEAD", "ready_evidence", {"evidence": "Sgt. Diaz, vice unit"},
                         metadata={"shift_id": number, "item": "le-contact"})
    assert refused.json()["response_action"] == "errors"
    assert bot.db["readiness_items"].get((number, "le-contact"))["evidence"] is None


# ---------------------------------------------------------------- the contact comes from the directory


def test_the_lead_picks_the_agency_on_the_checklist_and_the_sos_post_shows_its_name_and_phone(bot):
    number = night(bot)
    add_partner(bot, "County Vice Unit", [rd.LAW_ENFORCEMENT], phone="555 0199")
    add_partner(bot, "Night Clinic", ["medical-care"])  # not law enforcement: not offered
    screen = section(opened(bot, number, "ULEAD"), "Law enforcement")
    assert "no agency picked from the partner directory (Law enforcement liaison)" in screen.words
    picker = next(b["accessory"] for b in screen.blocks if "law enforcement contact" in message_text({"blocks": [b]}))
    assert [o["text"]["text"] for o in picker["options"]] == ["County Vice Unit (24/7)", "Nobody on call"]
    picked = screen.choose("County Vice Unit (24/7)", near="law enforcement contact").modal()
    assert "County Vice Unit, 555 0199, from the partner directory (picked by <@ULEAD>)" in picked.words
    assert item(state_of(bot, number), "le-contact").passed
    post = press_sos(bot, number)
    words = message_text(post.params)
    assert "*Law enforcement contact tonight:* County Vice Unit, 555 0199" in words
    # Details shows the same contact.
    assert "*Law enforcement contact tonight:* County Vice Unit, 555 0199" in details_of(bot, number)


def test_a_hostile_agency_name_is_escaped_in_the_sos_post_the_alert_and_details(bot):
    number = night(bot)
    pick_contact(bot, number, name="Vice <!channel> <@U999> Unit")
    words = message_text(press_sos(bot, number).params)
    assert "Vice &lt;!channel&gt; &lt;@U999&gt; Unit, 555 0199" in words
    assert "Vice <!channel>" not in words and "<@U999>" not in words  # only the bot's own broadcast is live
    at(bot, datetime(2026, 11, 24, 5, 30, tzinfo=UTC))  # after the end, nobody checked out
    alert = message_text(escalations(bot)[0].params)
    assert "Vice &lt;!channel&gt; &lt;@U999&gt; Unit, 555 0199" in alert and "<!channel> <@U999>" not in alert
    assert "Vice &lt;!channel&gt;" in details_of(bot, number)


def test_a_contact_typed_before_the_upgrade_is_never_shown_and_the_item_fails_until_an_agency_is_picked(bot):
    number = night(bot)
    make_ready(bot, number)
    go(bot, number)
    with bot.store.write() as db:  # the checklist as it was stored before m022: a ticked item with typed evidence
        db.execute("DELETE FROM on_call WHERE category = ?", [rd.LAW_ENFORCEMENT])
        db.execute("UPDATE readiness_items SET check_name = NULL, params = '{}', evidence = ?, ticked_by = 'ULEAD', "
                   "ticked_at = ?, evidence_label = 'Who is the contact for the night?' "
                   "WHERE shift_id = ? AND item_id = 'le-contact'", [HOSTILE, "2026-11-22T12:00:00+00:00", number])
        migrations_of.m022_le_contact(db)
    row = bot.db["readiness_items"].get((number, "le-contact"))
    assert row["check_name"] == "contact" and row["evidence"] is None and row["ticked_by"] is None
    assert json.loads(row["params"]) == {"category": rd.LAW_ENFORCEMENT, "typed": True}
    contact = item(state_of(bot, number), "le-contact")
    assert not contact.passed
    bot.kit.tick()  # the re-check takes Go back
    assert bot.db["readiness"].get(number)["go_by"] is None
    assert "the contact typed before is not used" in whole(opened(bot, number))
    words = message_text(press_sos(bot, number).params)
    assert "*Law enforcement contact tonight:* see the checklist" in words
    assert "Rosa" not in words and "555-201-3344" not in words
    # Picking the agency makes the item pass and the post name it.
    pick_contact(bot, number)
    assert item(state_of(bot, number), "le-contact").passed


def test_the_checklist_with_the_picker_stays_within_slacks_limits(bot):
    from test_review import within_limits

    number = bot.create_shift()
    for n in range(120):
        add_partner(bot, f"Agency {n:03d} with a long name", [rd.LAW_ENFORCEMENT], phone=f"555 01{n:02d}")
    screen = section(Phone(bot, "ULEAD").command(f"checklist {number}").modal(), "Law enforcement")
    within_limits(screen.blocks, most=100)
    picker = next(b["accessory"] for b in screen.blocks if "law enforcement contact" in message_text({"blocks": [b]}))
    assert len(picker["options"]) <= 100 and picker["options"][-1]["value"] == "none"
