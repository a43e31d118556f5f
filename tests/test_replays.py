"""Every view submission acts once: a form Slack sends again (same view id, after a slow answer) only
closes the modal; nothing is stored twice and nobody is told twice."""

from __future__ import annotations

from conftest import (
    ADMIN,
    COORD_CHANNEL,
    DEBRIEF_FIRST_SCREEN,
    eventually,
    message_text,
    shift_fields,
    submit_typed,
)
from test_debriefs import LEAD, ended_shift, good_form
from test_partners import FORM


def twice(send) -> None:
    """Send the same view twice, the second a few seconds later (Slack resends after 3 s); both only close it."""
    first = send()
    assert first.status == 200 and first.body == b"", first.body
    first.bot.clock.advance(seconds=4)
    second = send()
    assert second.status == 200 and second.body == b"", second.body


def settle(bot) -> None:
    """Let every request's work after its answer finish, then send whatever the outbox still holds."""
    bot.kit.runner.executor.shutdown(wait=True)
    bot.kit.notifier.flush()


def posts(bot, channel, words):
    return [c for c in bot.fake.calls_to("chat.postMessage")
            if c.params.get("channel") == channel and words in message_text(c.params)]


def audits(bot, action):
    return bot.db["audit"].count_where("action = ?", [action])


def test_debrief_sent_twice_acts_once(bot):
    number = ended_shift(bot)
    bot.make_coordinator("UCOORD")
    fields = good_form(db_flags=["checkin"], db_fu1_what="Ask the clinic about Spanish-language hours",
                       db_fu1_owner="UOWN", db_fu1_due="2026-11-30")
    details = {k: v for k, v in fields.items() if k not in DEBRIEF_FIRST_SCREEN}
    first = {k: v for k, v in fields.items() if k in DEBRIEF_FIRST_SCREEN}
    meta = {"shift_id": number, "root": "VDEBRIEF", "picked": first["db_referrals"]}
    twice(lambda: submit_typed(bot, LEAD, "debrief_more", details, metadata=meta, view_id="VDETAILS"))
    twice(lambda: submit_typed(bot, LEAD, "debrief_form", first, metadata={"shift_id": number}, view_id="VDEBRIEF"))
    eventually(lambda: posts(bot, LEAD, "is saved"))
    settle(bot)
    assert bot.db["followups"].count == 1 and bot.db["debriefs"].get(1)["revision"] == 1
    assert audits(bot, "debrief.submit") == 1 and audits(bot, "debrief.update") == 0
    assert len(posts(bot, COORD_CHANNEL, "Debrief in")) == 1  # one summary
    assert len(posts(bot, "UOWN", "Spanish-language hours")) == 1  # one follow-up
    for coordinator in ("UCOORD", ADMIN):
        assert len(posts(bot, coordinator, "check-in call")) == 1  # one wellbeing alert each
    assert len(posts(bot, LEAD, "is saved")) == 1 and posts(bot, LEAD, "is updated") == []
    assert len(posts(bot, "UA", "tell us how you're doing")) == 1  # one invitation to add a wellbeing note


def test_wellbeing_note_sent_twice_acts_once(bot):
    number = ended_shift(bot)
    fields = {"wb_load": "4", "wb_checkin": ["checkin"], "wb_note": "Tired"}
    twice(lambda: submit_typed(bot, "UA", "wellbeing_form", fields, metadata={"shift_id": number}, view_id="VWELL"))
    eventually(lambda: posts(bot, "UA", "Your note is saved"))
    settle(bot)
    assert len(posts(bot, ADMIN, "check-in call")) == 1
    assert len(posts(bot, "UA", "Your note is saved")) == 1
    assert bot.db["wellbeing"].count == 1


def test_partner_form_sent_twice_adds_one_partner(bot):
    twice(lambda: bot.submit(ADMIN, "partner_form", FORM, metadata={"partner_id": None}, view_id="VPARTNER"))
    eventually(lambda: posts(bot, ADMIN, "Added *Casa Segura*"))
    settle(bot)
    assert bot.db["partners"].count == 1 and audits(bot, "partner.add") == 1
    assert len(posts(bot, ADMIN, "Casa Segura")) == 1  # no "already exists" error, no second "Added"


def test_partner_form_refused_then_corrected_in_the_same_view_is_saved(bot):
    refused = bot.submit(ADMIN, "partner_form", dict(FORM, phone="call us"), metadata={"partner_id": None},
                         view_id="VFIX")
    assert refused.json()["response_action"] == "errors"
    fixed = bot.submit(ADMIN, "partner_form", FORM, metadata={"partner_id": None}, view_id="VFIX")
    assert fixed.status == 200 and fixed.body == b""
    assert bot.db["partners"].count == 1


def test_readiness_evidence_sent_twice_acts_once(bot):
    number = bot.create_shift()
    url = bot.fake.response_url("checklist")
    meta = {"shift_id": number, "item": "meeting-point", "response_url": url}
    twice(lambda: bot.submit(LEAD, "ready_evidence", {"evidence": "Library steps, 18:45"}, metadata=meta,
                             view_id="VEVIDENCE"))
    settle(bot)
    assert bot.db["readiness_items"].get((number, "meeting-point"))["evidence"] == "Library steps, 18:45"
    assert audits(bot, "readiness.tick") == 1
    assert len([c for c in bot.fake.calls_to("response_url") if c.path == "/response_url/checklist"]) == 1


def test_shift_edit_sent_twice_acts_once(bot):
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    fields = shift_fields(bot.clock, area="Westside")
    twice(lambda: bot.submit(ADMIN, "shift_form", fields, metadata={"shift_id": number}, view_id="VEDIT"))
    eventually(lambda: posts(bot, ADMIN, f"Shift #{number} is updated"))
    settle(bot)
    assert audits(bot, "shift.edit") == 1 and bot.db["shifts"].get(number)["area"] == "Westside"
    assert len(posts(bot, ADMIN, f"Shift #{number} is updated")) == 1
    assert len(posts(bot, "UA", "has changed")) == 1  # told of the move once
