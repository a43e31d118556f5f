"""The /outreach command: help by role, unknown input, trainings, roles, edits and cancels, escaping."""

from __future__ import annotations

import re

from conftest import ADMIN, message_text, shift_fields

from handlers.commands import REGISTRY


def lists(text, name):
    return re.search(rf"`/outreach {name}[ `]", text) is not None


def test_help_lists_only_what_the_reader_may_use(bot):
    volunteer = bot.command("UVOL", "help commands").text()  # the menu's Typed commands, typed
    admin = bot.command(ADMIN, "help commands").text()
    for name in ("shifts", "mine", "signup", "withdraw", "trainings"):
        assert lists(volunteer, name)
    for name in ("new", "edit", "cancel", "train", "role"):
        assert not lists(volunteer, name)
        assert lists(admin, name)
    bot.make_coordinator("UCOORD")
    coordinator = bot.command("UCOORD", "help commands").text()
    assert lists(coordinator, "train") and not lists(coordinator, "role")
    assert all(lists(admin, name) for name in REGISTRY)


def test_unknown_subcommand_gets_short_answer_and_help(bot):
    text = bot.command("UVOL", "dance now").text()
    assert "I don't know `/outreach dance`" in text and "/outreach shifts" in text


def test_coordinator_commands_refused_for_volunteers(bot):
    number = bot.create_shift()
    for text in (f"cancel {number}", f"edit {number}", "train <@UX> safety", "role <@UX> coordinator"):
        assert "is for" in bot.command("UVOL", text).text()
    assert bot.db["shifts"].get(number)["status"] == "planned"
    assert bot.db["trainings"].count == 0 and bot.db["roles"].count == 0


def test_roles_granted_and_removed_by_admin_only_and_audited(bot):
    assert "now a coordinator" in bot.command(ADMIN, "role <@UC1|carla> coordinator").text()
    assert "already a coordinator" in bot.command(ADMIN, "role <@UC1> coordinator").text()
    assert "is for admins" in bot.command("UC1", "role <@UC2> coordinator").text()
    assert "no longer a coordinator" in bot.command(ADMIN, "role <@UC1> volunteer").text()
    assert "Mention the person" in bot.command(ADMIN, "role carla coordinator").text()
    actions = [r["action"] for r in bot.db.query("SELECT action FROM audit ORDER BY id")]
    assert actions == ["role.coordinator", "role.volunteer"]


def test_train_and_trainings(bot):
    text = bot.command(ADMIN, "train <@UV1|vic> Direct outreach training expires 2027-05-01").text()
    assert "Recorded *Direct outreach training*" in text and "2027-05-01" in text
    auto = bot.command(ADMIN, "train <@UV1> safety").text()
    assert "valid until 2027-11-22" in auto  # valid_months: 12 from data/trainings.yml
    assert "don't know the training `juggling`" in bot.command(ADMIN, "train <@UV1> juggling").text()
    assert "YYYY-MM-DD" in bot.command(ADMIN, "train <@UV1> safety expires tomorrow").text()
    own = bot.command("UV1", "trainings").text()
    assert "Your trainings" in own and "Direct outreach training" in own
    assert "is for coordinators" in bot.command("UV2", "trainings <@UV1>").text()
    assert "no recorded trainings" in bot.command("UV2", "trainings").text()
    everyone = bot.command(ADMIN, "trainings").text()
    assert "<@UV1>" in everyone
    rows = list(bot.db.query("SELECT training, expires_on FROM trainings ORDER BY id"))
    assert rows == [
        {"training": "direct-outreach", "expires_on": "2027-05-01"},
        {"training": "safety", "expires_on": "2027-11-22"},
    ]
    assert bot.db.execute("SELECT count(*) FROM audit WHERE action = 'training.record'").fetchone()[0] == 2


def test_shifts_list_paginates_within_block_limits(bot):
    for hour in range(12):
        bot.create_shift(start_time=f"{8 + hour:02d}:00", end_time=f"{9 + hour:02d}:00")
    bot.train("UV")
    bot.command("UV", "signup 2").reply()
    reply = bot.command("UV", "shifts").reply()
    assert reply["response_type"] == "ephemeral" and len(reply["blocks"]) <= 50
    text = message_text(reply)
    assert "page 1 of 2" in text and "#1 " in text and "#11 " not in text
    buttons = {e["action_id"]: e["value"] for b in reply["blocks"] if b.get("block_id") == "shift:2" for e in b["elements"]}
    assert set(buttons) == {"shift_withdraw", "cover_find", "shift_details"}  # the reader is on #2
    nav = [e for b in reply["blocks"] if b.get("block_id") == "shifts_nav" for e in b["elements"]][0]
    page2 = bot.click("UV", "shifts_page", nav["value"], container={"type": "message", "is_ephemeral": True})
    second = page2.reply()
    assert second["replace_original"] is True and "#11 " in message_text(second)


def test_edit_of_time_tells_everyone_and_cancel_tells_everyone(bot):
    number = bot.create_shift(capacity="2")
    for user in ("UA", "UB", "UC"):
        bot.train(user)
        bot.command(user, f"signup {number}").reply()
    opened = bot.command(ADMIN, f"edit {number}")
    view = bot.fake.wait_for("views.open", where=lambda c: c.params.get("trigger_id") == f"trig-{opened.response_name}")[0]
    initial = {b["block_id"]: b["element"] for b in view.params["view"]["blocks"] if b["type"] == "input"}
    assert initial["area"]["initial_value"] == "Eastside" and initial["start_time"]["initial_time"] == "19:00"
    assert f'"shift_id": {number}' in view.params["view"]["private_metadata"]
    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, capacity="2", start_time="20:00"),
                      metadata={"shift_id": number})
    assert not sent.body
    for user in ("UA", "UB", "UC"):
        dm = bot.fake.wait_for("chat.postMessage", where=lambda c, u=user: c.params.get("channel") == u
                               and "has changed" in message_text(c.params))[0]
        assert "*Was:*" in message_text(dm.params)
    confirm = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == ADMIN)[0]
    assert "told the 3 people" in confirm.params["text"]
    # An edit that changes neither time nor place tells nobody.
    bot.fake.reset()
    bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, capacity="2", start_time="20:00", notes="Bring cards"),
               metadata={"shift_id": number})
    bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == ADMIN)
    assert not bot.dms("UA")
    cancelled = bot.command(ADMIN, f"cancel {number} Storm warning").text()
    assert "told the 3 people" in cancelled
    for user in ("UA", "UB", "UC"):
        dm = bot.fake.wait_for("chat.postMessage", where=lambda c, u=user: c.params.get("channel") == u)[0]
        assert "cancelled: Storm warning" in message_text(dm.params)
    assert "was cancelled" in bot.command(ADMIN, f"cancel {number}").text()
    assert [r["action"] for r in bot.db.query("SELECT action FROM audit WHERE subject = ?", [f"shift:{number}"])] == [
        "shift.create", "shift.edit", "shift.edit", "shift.cancel"]


def test_user_text_is_escaped_everywhere(bot):
    number = bot.create_shift(area="<!channel> & <@UBOSS>", notes="<https://evil|click>")
    post = bot.fake.calls_to("chat.postMessage")[0]
    text = message_text(post.params)
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; &lt;@UBOSS&gt;" in text
    bot.click("UV", "shift_details", str(number))
    view = bot.fake.wait_for("views.open")[0].params["view"]
    details = message_text({"blocks": view["blocks"]})
    assert "&lt;https://evil|click&gt;" in details and "<https://evil" not in details
    cancelled = bot.command(ADMIN, f"cancel {number} <!here> now").text()
    assert "<!here>" not in cancelled
