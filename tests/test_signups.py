"""Signing up: buttons and commands, the waitlist, promotion, the training gate, atomicity."""

from __future__ import annotations

import threading

from conftest import ADMIN, message_text


def signup_state(bot, number):
    return [
        (r["user_id"], r["status"])
        for r in bot.db.query("SELECT user_id, status FROM signups WHERE shift_id = ? ORDER BY id", [number])
    ]


def test_signup_by_command_and_button_and_twice(bot):
    number = bot.create_shift(capacity="3")
    for user in ("UA", "UB"):
        bot.train(user)
    assert "You're signed up for shift" in bot.command("UA", f"signup {number}").text()
    clicked = bot.click("UB", "shift_signup", str(number))
    assert clicked.status == 200
    reply = clicked.reply()
    assert reply["response_type"] == "ephemeral" and "signed up" in reply["text"]
    again = bot.command("UA", f"signup #{number}")
    assert "already signed up" in again.text()
    assert signup_state(bot, number) == [("UA", "confirmed"), ("UB", "confirmed")]


def test_post_is_updated_in_place_on_each_change(bot):
    number = bot.create_shift(capacity="3")
    bot.train("UA")
    bot.click("UA", "shift_signup", str(number)).reply()
    update = bot.fake.wait_for("chat.update")[-1]
    post = bot.fake.calls_to("chat.postMessage")[0]
    assert update.params["ts"] == bot.db["shifts"].get(number)["message_ts"]
    assert update.params["channel"] == post.params["channel"]
    assert "1 of 3 signed up" in message_text(update.params)


def test_full_shift_waitlists_and_withdrawal_promotes_first_in_line(bot):
    number = bot.create_shift(capacity="2")
    for user in ("UA", "UB", "UC", "UD"):
        bot.train(user)
        bot.command(user, f"signup {number}").reply()
    assert signup_state(bot, number) == [("UA", "confirmed"), ("UB", "confirmed"), ("UC", "waitlisted"), ("UD", "waitlisted")]
    mine = bot.command("UD", "mine").text()
    assert f"#{number}" in mine and "waitlist number 2" in mine
    assert "You've withdrawn" in bot.command("UA", f"withdraw {number}").text()
    assert signup_state(bot, number)[2] == ("UC", "confirmed")
    dm = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "UC"
                           and "training" not in str(c.params.get("text")))[0]  # not the DM about the training
    assert "it's yours" in message_text(dm.params)
    giveback = [e for b in dm.params["blocks"] if b["type"] == "actions" for e in b["elements"]][0]
    assert giveback["action_id"] == "shift_giveback"
    # Giving the place back promotes the next in line.
    back = bot.click("UC", "shift_giveback", giveback["value"], container={"type": "message", "channel_id": "DC"})
    assert "withdrawn" in back.reply()["text"]
    assert dict(signup_state(bot, number))["UD"] == "confirmed"
    bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "UD")
    sent = bot.db.execute("SELECT count(*) FROM notifications WHERE sent_at IS NOT NULL "
                                "AND template = 'shifts/promoted'").fetchone()[0]
    assert sent == 2


def test_withdraw_when_not_on_shift_says_so(bot):
    number = bot.create_shift()
    assert "not signed up for shift" in bot.command("UX", f"withdraw {number}").text()
    assert "no shift #999" in bot.command("UX", "withdraw 999").text()
    assert "withdraw N" in bot.command("UX", "withdraw soon").text()


def test_training_gate_names_training_and_who_can_record_it(bot):
    number = bot.create_shift()
    text = bot.command("UNEW", f"signup {number}").text()
    assert "Direct outreach training" in text and f"<@{ADMIN}>" in text and "can record it for you" in text
    assert "`" not in text  # no command a volunteer could not tap
    # An expired training does not count either.
    bot.train("UOLD", expires=(bot.clock().date().replace(day=23)).isoformat())  # expires on the shift's day: valid
    assert "signed up" in bot.command("UOLD", f"signup {number}").text()
    bot.train("UEXP", expires=bot.clock().date().isoformat())  # expires today, before the shift
    assert "requires" in bot.command("UEXP", f"signup {number}").text()
    assert signup_state(bot, number) == [("UOLD", "confirmed")]


def test_no_signup_on_cancelled_or_started_shift(bot):
    cancelled = bot.create_shift()
    started = bot.create_shift()
    bot.train("UA")
    bot.command(ADMIN, f"cancel {cancelled} rain").reply()
    assert "was cancelled" in bot.command("UA", f"signup {cancelled}").text()
    bot.clock.advance(days=1, hours=11)  # past the start (19:00 Chicago next day = 01:00 UTC)
    assert "already started" in bot.command("UA", f"signup {started}").text()
    assert signup_state(bot, cancelled) == [] and signup_state(bot, started) == []


def test_fifty_concurrent_clicks_confirm_exactly_capacity(bot):
    number = bot.create_shift(capacity="3")
    users = [f"UC{i:02d}" for i in range(50)]
    with bot.store.write() as db:
        for user in users:
            db["trainings"].insert({"user_id": user, "training": "direct-outreach", "completed_on": "2026-01-01",
                                    "expires_on": None, "recorded_by": ADMIN, "recorded_at": "2026-01-01"})
    barrier = threading.Barrier(len(users))
    results: dict[str, object] = {}

    def click(user):
        barrier.wait()
        results[user] = bot.click(user, "shift_signup", str(number))

    threads = [threading.Thread(target=click, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status == 200 for r in results.values())
    replies = {user: sent.reply(timeout=20)["text"] for user, sent in results.items()}  # acks come before the work
    state = signup_state(bot, number)
    assert len(state) == 50
    assert [s for _, s in state].count("confirmed") == 3
    assert [s for _, s in state][:3] == ["confirmed"] * 3  # first three in click order
    # Every person was told what the database says, and waitlist numbers follow click order.
    order = [u for u, _ in state]
    for user, text in replies.items():
        position = order.index(user)
        if position < 3:
            assert "You're signed up" in text
        else:
            assert f"number {position - 2}* on its waitlist" in text
    # Clicking twice never takes two places.
    bot.click(users[0], "shift_signup", str(number)).reply()
    assert len(signup_state(bot, number)) == 50


def test_raising_capacity_promotes_from_waitlist(bot):
    number = bot.create_shift(capacity="2")
    for user in ("UA", "UB", "UC"):
        bot.train(user)
        bot.command(user, f"signup {number}").reply()
    from conftest import shift_fields

    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, capacity="3"), metadata={"shift_id": number})
    assert sent.status == 200 and not sent.body
    bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "UC")
    assert dict(signup_state(bot, number))["UC"] == "confirmed"


def test_domain_events_are_emitted_inside_the_transaction(bot):
    seen = []

    @bot.store.events.on("signup.confirmed", "signup.waitlisted", "signup.withdrawn", "signup.promoted")
    def record(db, event):
        seen.append((event.name, event.user, event.data.get("was")))

    number = bot.create_shift(capacity="2")
    for user in ("UA", "UB", "UC"):
        bot.train(user)
        bot.command(user, f"signup {number}").reply()
    bot.command("UA", f"withdraw {number}").reply()
    assert seen == [
        ("signup.confirmed", "UA", None), ("signup.confirmed", "UB", None), ("signup.waitlisted", "UC", None),
        ("signup.withdrawn", "UA", "confirmed"), ("signup.promoted", "UC", None),
    ]

    @bot.store.events.on("signup.waitlisted")
    def refuse(db, event):
        raise RuntimeError("listener failed")

    bot.train("UD")
    bot.command("UD", f"signup {number}").reply()  # the listener's error rolls the signup back
    assert "UD" not in dict(signup_state(bot, number))


def test_promotion_passes_over_whoever_lacks_the_training_on_the_shift_date_and_tells_them(bot):
    from conftest import eventually, shift_fields

    number = bot.create_shift(capacity="2")  # Mon 23 Nov 2026, direct outreach: Direct outreach training required
    for user, expires in (("UA", None), ("UB", None), ("UW", "2026-11-30"), ("UV", None)):
        bot.train(user, expires=expires)
        bot.command(user, f"signup {number}").reply()
    assert signup_state(bot, number)[2:] == [("UW", "waitlisted"), ("UV", "waitlisted")]
    # The shift moves past the first in line's training expiry.
    moved = shift_fields(bot.clock, start_date="2026-12-05", end_date="2026-12-05")
    assert bot.submit(ADMIN, "shift_form", moved, metadata={"shift_id": number}).body == b""
    eventually(lambda: bot.db["shifts"].get(number)["starts_at"].startswith("2026-12-06"))
    bot.command("UA", f"withdraw {number}").reply()
    assert dict(signup_state(bot, number)) == {"UA": "withdrawn", "UB": "confirmed", "UW": "waitlisted", "UV": "confirmed"}
    promoted = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "UV"
                                 and "it's yours" in message_text(c.params))
    assert promoted
    told = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "UW"
                             and "waitlist place" in message_text(c.params))
    assert len(told) == 1
    text = told[0].params["text"]
    assert text == f"About your waitlist place on shift #{number}: tap to see."  # the lock screen says no more
    words = message_text(told[0].params)
    assert "requires *Direct outreach training*" in words and "keep your place on the waitlist" in words
    assert "/outreach train" in words and "<@UADMIN>" in words
    assert not [c for c in bot.dms("UW") if "it's yours" in message_text(c.params)]
    # The next free place passes UW over again, without telling them twice.
    bot.command("UB", f"withdraw {number}").reply()
    assert dict(signup_state(bot, number))["UW"] == "waitlisted"
    bot.kit.notifier.flush()
    assert len([c for c in bot.dms("UW") if "waitlist place" in c.params["text"]]) == 1
    # Renewed: the next free place is theirs.
    bot.train("UW")
    bot.command("UV", f"withdraw {number}").reply()
    assert dict(signup_state(bot, number))["UW"] == "confirmed"


def test_an_edit_lowering_capacity_is_checked_again_inside_the_write(bot, monkeypatch):
    """Reproduced: capacity 2 with 3 confirmed, when a signup lands between the form's check and its save."""
    from conftest import shift_fields

    from outreach import shifts as sh

    number = bot.create_shift(capacity="3")
    for user in ("UA", "UB", "UC"):
        bot.train(user)
    for user in ("UA", "UB"):
        bot.command(user, f"signup {number}").reply()
    real_check = sh.check_draft

    def check_then_a_signup_lands(*args, **kwargs):
        checked = real_check(*args, **kwargs)  # 2 confirmed: capacity 2 passes here
        assert sh.signup(bot.store, shift_id=number, user="UC").outcome == "confirmed"
        return checked

    monkeypatch.setattr(sh, "check_draft", check_then_a_signup_lands)
    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, capacity="2", area="Westside"),
                      metadata={"shift_id": number})
    assert sent.status == 200 and sent.json()["response_action"] == "errors"
    assert sent.json()["errors"] == {"capacity": "3 people are already confirmed; keep capacity at least 3 "
                                                 "or ask someone to withdraw first."}
    row = bot.db["shifts"].get(number)
    assert row["capacity"] == 3 and row["area"] == "Eastside"  # nothing of the edit was saved
    assert bot.db["audit"].count_where("action = 'shift.edit'") == 0
    monkeypatch.setattr(sh, "check_draft", real_check)
    again = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, capacity="3", area="Westside"),
                       metadata={"shift_id": number})
    assert again.body == b"" and bot.db["shifts"].get(number)["area"] == "Westside"
