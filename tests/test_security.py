"""Signatures, forged payloads and authorization on every path that changes data."""

from __future__ import annotations

import time
import urllib.parse

from conftest import ADMIN, shift_fields


def slash_body(user="UVOL", text="help"):
    return urllib.parse.urlencode({"command": "/outreach", "text": text, "user_id": user, "team_id": "T1",
                                   "channel_id": "C1", "response_url": "http://127.0.0.1:1/x", "trigger_id": "t"})


def test_bad_missing_or_stale_signatures_get_401(bot, caplog):
    ctype = "application/x-www-form-urlencoded"
    caplog.set_level("INFO", logger="outreach.requests")
    assert bot.post(slash_body(), content_type=ctype)[0] == 200
    assert bot.post(slash_body(), content_type=ctype, secret="wrong")[0] == 401
    assert bot.post(slash_body(), content_type=ctype, sign=False)[0] == 401
    assert bot.post(slash_body(), content_type=ctype, timestamp=int(time.time()) - 301)[0] == 401
    assert not bot.fake.calls_to("response_url") or all("x" not in c.path for c in bot.fake.calls_to("response_url"))
    # each refusal is logged as one line, before anything in the body was read
    assert caplog.text.count("refused a request to /slack/events status=401") == 3


def test_volunteer_replaying_a_coordinator_edit_is_refused(bot):
    number = bot.create_shift()
    # The Edit button from a coordinator's details modal, clicked (replayed) by a volunteer.
    bot.click("UVOL", "shift_edit", str(number), view={"id": "V9", "type": "modal", "callback_id": "shift_details"})
    # A forged edit submission carrying the shift's id.
    sent = bot.submit("UVOL", "shift_form", shift_fields(bot.clock, area="Hacked"), metadata={"shift_id": number})
    assert "coordinators" in sent.json()["errors"]["kind"]
    assert bot.db["shifts"].get(number)["area"] == "Eastside"
    assert not bot.fake.calls_to("views.update")
    assert [r["action"] for r in bot.db.query("SELECT action FROM audit")] == ["shift.create"]


def test_coordinator_role_is_rechecked_on_submission(bot):
    bot.make_coordinator("UCO")
    bot.command("UCO", "new")
    bot.fake.wait_for("views.open")
    bot.command(ADMIN, "role <@UCO> volunteer").reply()  # role removed while the modal is open
    sent = bot.submit("UCO", "shift_form", shift_fields(bot.clock), metadata={"channel": "C1"})
    assert sent.json()["response_action"] == "errors"
    assert bot.db["shifts"].count == 0


def test_edit_of_cancelled_or_unknown_shift_is_refused_inline(bot):
    number = bot.create_shift()
    bot.command(ADMIN, f"cancel {number}").reply()
    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock), metadata={"shift_id": number})
    assert "cancelled" in sent.json()["errors"]["kind"]
    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock), metadata={"shift_id": "12x"})
    assert "no longer exists" in sent.json()["errors"]["kind"]


def test_malformed_payloads_never_crash(bot):
    number = bot.create_shift()
    for value in ("", "abc", "99999", "-1", "1:zz"):
        assert bot.click("UVOL", "shift_signup", value).status == 200
    sent = bot.submit(ADMIN, "shift_form", {"kind": "bogus", "capacity": "lots", "start_date": "2026-13-45"})
    assert sent.json()["response_action"] == "errors"
    status, _ = bot.interactive({"type": "view_submission", "user": {"id": ADMIN}, "view": {
        "type": "modal", "id": "V1", "callback_id": "shift_form", "private_metadata": "{not json",
        "state": {"values": {}}}})
    assert status == 200
    assert bot.db["signups"].count == 0 and bot.db["shifts"].count == 1
    assert bot.db["shifts"].get(number)["status"] == "planned"


def test_command_text_containing_the_word_payload_is_still_a_command(bot):
    assert "no upcoming shifts" in bot.command("UVOL", "mine payload").text()
