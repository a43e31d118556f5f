"""Cover when someone drops out (offers by DM, first accept wins) and watching a shift one cannot join."""

from __future__ import annotations

import threading

from conftest import ADMIN, eventually, message_text
from fakeslack import dm_channel
from phone import Phone
from test_readiness import make_ready


def statuses(bot, number):
    return dict(bot.db.execute("SELECT user_id, status FROM signups WHERE shift_id = ? "
                               "AND status IN ('confirmed', 'waitlisted')", [number]).fetchall())


def offers(bot, number):
    """(user, status) of every offer made for a shift, in the order they were made."""
    return bot.db.execute("SELECT o.user_id, o.status FROM cover_offers o JOIN cover_requests r ON r.id = o.request_id "
                          "WHERE r.shift_id = ? ORDER BY o.request_id, o.position", [number]).fetchall()


def offer_dm(bot, user):
    """The person's offer DM (its first message asking them to take a place), as it stands now."""
    phone = Phone(bot, user)
    eventually(lambda: any("Take this place" in d.buttons or "Can you take a place" in d.words for d in phone.dms()))
    return next(d for d in phone.dms() if "Can you take a place" in message_text({"blocks": d.blocks})
                or "Take this place" in d.buttons or "Taken, thank you" in d.words or "No longer needed" in d.words)


def sign_up(bot, number, *users):
    for user in users:
        bot.train(user)
        bot.command(user, f"signup {number}").reply()


def test_an_offer_goes_only_to_eligible_people_waitlist_first_then_the_language_the_team_lacks(bot):
    number = bot.create_shift(capacity="2", languages=["es"])
    sign_up(bot, number, "UA", "UB", "UW1", "UW2")  # UW1 and UW2 wait, in that order
    assert "Saved" in bot.command("UA", "profile languages Spanish").text()  # the team's only Spanish speaker
    for user in ("UES", "UOTHER", "UBUSY", "UBUSY2", "UFREE"):
        bot.train(user)
    assert "Saved" in bot.command("UES", "profile languages Spanish").text()
    bot.train("UOLD", expires="2026-11-22")  # lapsed before the shift's date
    overlapping = bot.create_shift(area="Northside", start_time="20:00", end_time="22:00")
    bot.command("UBUSY", f"signup {overlapping}").reply()
    morning = bot.create_shift(area="Northside", start_time="08:00", end_time="12:00")
    bot.command("UFREE", f"signup {morning}").reply()  # a shift the same day that does not overlap
    full = bot.create_shift(area="Southside", start_time="20:00", end_time="22:00", capacity="2")
    bot.command("UBUSY", f"signup {full}").reply()
    bot.command("UBUSY2", f"signup {full}").reply()
    bot.command("UES", f"signup {full}").reply()  # only waitlisted there: still free at that time
    community = bot.create_shift(kind="community", venue="community-venue", training="none", min_team="1",
                                 area="Westend")
    bot.command("UNOTRAIN", f"signup {community}").reply()  # known to the bot, but not trained

    home = Phone(bot, "UA").home()
    tapped = home.tap("Find cover", near=f"#{number}", confirm=True)
    told = tapped.dm(where=lambda d: "I asked" in d.words)
    asked = offers(bot, number)
    people = [u for u, _ in asked]
    assert people[:3] == ["UW1", "UW2", "UES"]  # the waitlist in order, then who speaks the lacking language
    assert set(people) == {"UW1", "UW2", "UES", "UOTHER", "UFREE"}
    assert f"asked *{len(people)} people*" in told.words and "2 from the waitlist first" in told.words
    assert "You stay on the shift" in told.words
    for user in people:
        dm = offer_dm(bot, user)
        assert "Take this place" in dm.buttons and "No thanks" in dm.buttons
        assert dm.button("Take this place")["confirm"] and "<@UA> can't come" in dm.words
    for user in ("UA", "UB", "ULEAD", "UBUSY", "UBUSY2", "UOLD", "UNOTRAIN"):
        assert not any("Take this place" in d.buttons for d in Phone(bot, user).dms()), user
    assert statuses(bot, number)["UA"] == "confirmed"  # on the shift until covered
    assert "Stop looking for cover" in tapped.home().buttons
    again = bot.command("UA", f"cover {number}").text()
    assert "already looking for cover" in again and len(offers(bot, number)) == len(people)


def test_the_fan_out_is_capped_and_nobody_eligible_is_said(bot):
    from outreach import cover

    number = bot.create_shift(capacity="3")
    sign_up(bot, number, "UA")
    assert "Nobody else can take your place" in bot.command("UA", f"cover {number}").text()
    with bot.store.write() as db:
        for i in range(cover.MAX_OFFERS + 5):
            db["trainings"].insert({"user_id": f"UT{i:02d}", "training": "direct-outreach", "completed_on": "2026-01-01",
                                    "expires_on": None, "recorded_by": ADMIN, "recorded_at": "2026-01-01"})
    text = bot.command("UA", f"cover {number}").text()
    assert f"asked *{cover.MAX_OFFERS} people*" in text and f"out of {cover.MAX_OFFERS + 5} who could" in text
    assert len(offers(bot, number)) == cover.MAX_OFFERS
    assert "don't have a place" in bot.command("UB", f"cover {number}").text()


def test_the_first_of_twenty_concurrent_accepts_wins_and_everyone_else_is_told_it_was_taken(bot):
    number = bot.create_shift(capacity="2")
    sign_up(bot, number, "UA", "UB")
    users = [f"UC{i:02d}" for i in range(20)]
    with bot.store.write() as db:
        for user in users:
            db["trainings"].insert({"user_id": user, "training": "direct-outreach", "completed_on": "2026-01-01",
                                    "expires_on": None, "recorded_by": ADMIN, "recorded_at": "2026-01-01"})
    assert "asked *20 people*" in bot.command("UA", f"cover {number}").text()
    ids = dict(bot.db.execute("SELECT user_id, id FROM cover_offers").fetchall())
    assert set(ids) == set(users)
    dms = {user: offer_dm(bot, user) for user in users}
    barrier = threading.Barrier(len(users))
    results = {}

    def accept(user):
        barrier.wait()
        dm = dms[user]
        results[user] = bot.click(user, "cover_take", str(ids[user]),
                                  container={"type": "message", "channel_id": dm.channel, "message_ts": dm.ts})

    threads = [threading.Thread(target=accept, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status == 200 for r in results.values())
    replies = {user: sent.reply(timeout=30) for user, sent in results.items()}
    state = statuses(bot, number)
    winners = [u for u in users if state.get(u) == "confirmed"]
    assert len(winners) == 1 and "UA" not in state and state["UB"] == "confirmed"
    winner = winners[0]
    assert sum(1 for s in state.values() if s == "confirmed") == 2  # never more than the capacity
    assert "You took the place" in message_text(replies[winner])
    for user in users:
        if user != winner:
            words = message_text(replies[user])
            assert "Too late" in words and "Taken, thank you" in words, words
            assert "Take this place" not in str(replies[user].get("blocks"))
    # Every other offer's message is updated in place; the leaver is released and told who took it.
    eventually(lambda: all("Taken, thank you" in dms[u].now().words for u in users if u != winner), timeout=15)
    eventually(lambda: "You took the place" in dms[winner].now().words)  # its own offer, rewritten after its answer
    covered = Phone(bot, "UA")
    eventually(lambda: any(f"<@{winner}> took your place" in d.words for d in covered.dms()))
    assert bot.db.execute("SELECT status, taken_by FROM cover_requests").fetchall() == [("covered", winner)]
    assert sorted(s for _, s in offers(bot, number)) == ["closed"] * 19 + ["taken"]


def test_the_leaver_stays_until_covered_and_withdrawing_anyway_closes_the_offers(bot):
    number = bot.create_shift(capacity="2")
    sign_up(bot, number, "UA", "UB", "UW")  # UW waits
    bot.train("UC")
    assert "asked *2 people*" in bot.command("UA", f"cover {number}").text()
    first = offer_dm(bot, "UW")
    second = offer_dm(bot, "UC")
    gone = Phone(bot, "UA").home().tap("Withdraw", near=f"#{number}", confirm=True)
    assert "You've withdrawn" in gone.dm(where=lambda d: "withdrawn" in d.words).words
    assert statuses(bot, number) == {"UB": "confirmed", "UW": "confirmed"}  # promoted from the waitlist as usual
    assert bot.db.execute("SELECT status FROM cover_requests").fetchone()[0] == "withdrawn"
    eventually(lambda: "No longer needed" in first.now().words and "No longer needed" in second.now().words)
    assert "Take this place" not in second.now().buttons
    late = second.tap("Take this place", confirm=True).reply()
    assert "Too late" in late.words
    assert "UC" not in statuses(bot, number)


def test_no_thanks_from_everyone_tells_the_leaver_and_stop_looking_closes_the_offers(bot):
    number = bot.create_shift(capacity="3")
    sign_up(bot, number, "UA")
    bot.train("UB")
    bot.train("UC")
    bot.command("UA", f"cover {number}").reply()
    for user in ("UB", "UC"):
        said = offer_dm(bot, user).tap("No thanks").reply()
        assert "You said no thanks" in said.words and "Take this place" not in said.buttons
    leaver = Phone(bot, "UA")
    eventually(lambda: any("said no thanks" in d.words for d in leaver.dms()))
    assert "Find cover" in leaver.last_dm().buttons and "Withdraw" in leaver.last_dm().buttons
    assert statuses(bot, number)["UA"] == "confirmed"
    # Asking again does not ask those who said no; a newcomer is asked, then the leaver can come after all.
    bot.train("UD")
    assert "asked *1 person*" in bot.command("UA", f"cover {number}").text()
    offer = offer_dm(bot, "UD")
    stopped = leaver.home().tap("Stop looking for cover", near=f"#{number}")
    assert "You stopped looking for cover" in stopped.dm(where=lambda d: "stopped looking" in d.words).words
    assert "Find cover" in stopped.home().buttons
    eventually(lambda: "No longer needed" in offer.now().words)


def test_taking_a_place_rechecks_readiness_and_the_gates_hold_at_accept(bot):
    number = bot.create_shift()
    make_ready(bot, number)  # UA is the experienced member
    assert "*Go* recorded" in bot.command("ULEAD", f"go {number}").text()
    bot.train("UC")
    bot.train("UD")
    bot.command("UA", f"cover {number}").reply()
    # UD takes another shift at the same time meanwhile: the accept refuses.
    overlapping = bot.create_shift(area="Northside", start_time="20:00", end_time="21:00")
    bot.command("UD", f"signup {overlapping}").reply()
    busy = offer_dm(bot, "UD").tap("Take this place", confirm=True).reply()
    assert "another shift at that time" in busy.words
    taken = offer_dm(bot, "UC").tap("Take this place", confirm=True).reply()
    assert "You took the place" in taken.words
    assert bot.db["readiness"].get(number)["go_by"] is None  # the team lost its experienced member
    eventually(lambda: any("Go taken back" in str(c.params.get("text")) or "Go taken back" in message_text(c.params)
                           for c in bot.fake.calls_to("chat.postMessage")))


def test_a_watcher_is_told_once_when_a_place_opens_and_signs_up_from_the_dm(bot):
    number = bot.create_shift(capacity="2")
    sign_up(bot, number, "UA", "UB")
    bot.train("UW")
    watcher = Phone(bot, "UW")
    find = watcher.home().tap("Find a shift").modal()
    tapped = find.tap("Tell me if a place opens", near=f"#{number}")
    after = tapped.modal()
    assert "I'll tell you by DM once" in after.words and "Stop watching" in after.buttons
    assert "Watching for a place" in tapped.home().words
    untrained = Phone(bot, "UNEW")
    details = untrained.home().tap("Find a shift").modal().tap("Details", near=f"#{number}").modal()
    assert "I'll tell you" in details.tap("Tell me if a place opens").modal().words
    bot.command("UB", f"withdraw {number}").reply()
    eventually(lambda: any("You can join shift" in d.words for d in watcher.dms()))
    assert not any("You can join shift" in d.words for d in untrained.dms())  # not trained: not told
    told = next(d for d in watcher.dms() if "You can join shift" in d.words)
    signed = told.tap("Sign up").reply()
    assert "You're signed up" in signed.words and statuses(bot, number)["UW"] == "confirmed"
    assert bot.db.execute("SELECT status FROM shift_watches WHERE user_id = 'UW'").fetchone()[0] == "told"
    # Once trained, the other watcher hears (on the timer) when a place is free for them, once.
    bot.command("UA", f"withdraw {number}").reply()
    bot.train("UNEW")
    bot.kit.tick()
    bot.kit.tick()
    eventually(lambda: any("You can join shift" in d.words for d in untrained.dms()))
    assert sum("You can join shift" in d.words for d in untrained.dms()) == 1
    assert sum("You can join shift" in d.words for d in watcher.dms()) == 1


def test_raising_capacity_tells_watchers_and_a_watch_ends_when_the_shift_starts(bot):
    from conftest import shift_fields

    number = bot.create_shift(capacity="2")
    sign_up(bot, number, "UA", "UB")
    bot.train("UW")
    bot.train("UX")
    assert "I'll tell you by DM once" in bot.command("UW", f"watch {number}").text()
    assert "already watching" in bot.command("UW", f"watch {number}").text()
    assert "I'll tell you by DM once" in bot.command("UX", f"watch {number}").text()
    assert "stopped watching" in bot.command("UX", f"unwatch {number}").text()
    assert "not watching" in bot.command("UX", f"unwatch {number}").text()
    assert "already on shift" in bot.command("UA", f"watch {number}").text()
    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, capacity="3"), metadata={"shift_id": number})
    assert sent.status == 200
    watcher = Phone(bot, "UW")
    eventually(lambda: any("You can join shift" in d.words for d in watcher.dms()))
    assert not any("You can join shift" in d.words for d in Phone(bot, "UX").dms())
    later = bot.create_shift(capacity="2", area="Northside")
    sign_up(bot, later, "UC", "UD")
    bot.command("UX", f"watch {later}").reply()
    bot.clock.advance(days=2)
    bot.kit.tick()
    assert bot.db.execute("SELECT status FROM shift_watches WHERE shift_id = ?", [later]).fetchone()[0] == "ended"


def test_dm_text_stays_neutral_and_cover_commands_are_in_help(bot):
    number = bot.create_shift(capacity="3")
    sign_up(bot, number, "UA")
    bot.train("UB")
    bot.command("UA", f"cover {number}").reply()
    dm = offer_dm(bot, "UB")
    assert dm.text.startswith("A place on a") and "can't come" not in dm.text
    help_text = bot.command("UA", "help commands").text()
    for command in ("/outreach cover N", "/outreach watch N", "/outreach unwatch N"):
        assert command in help_text
    assert dm_channel("UB") == dm.channel


def test_the_reminder_offers_find_cover_beside_cant_make_it(bot):
    from datetime import UTC, datetime

    number = bot.create_shift(capacity="3")
    sign_up(bot, number, "UA")
    bot.train("UB")
    bot.clock.now = datetime(2026, 11, 23, 1, 0, 30, tzinfo=UTC)  # 24 hours before the start
    bot.kit.tick()
    you = Phone(bot, "UA")
    eventually(lambda: any("Reminder" in d.text for d in you.dms()))
    reminder = next(d for d in you.dms() if "Reminder" in d.text)
    assert reminder.buttons[:2] == ["Can't make it", "Find cover"]
    assert reminder.button("Can't make it")["confirm"]  # giving the place back still asks first
    answer = reminder.tap("Find cover", confirm=True).reply()
    assert "I asked *1 person*" in answer.words and answer.ephemeral
    assert "Take this place" in offer_dm(bot, "UB").buttons
    assert statuses(bot, number)["UA"] == "confirmed"
