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
    dm = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "UC")[0]
    assert "it's yours" in dm.params["text"]
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
    assert "Direct outreach training" in text and f"<@{ADMIN}>" in text and "/outreach train" in text
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
