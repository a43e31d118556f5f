"""The outbox's claims carry a token: a sender whose claim timed out never sends or marks the row."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from conftest import ADMIN

from handlers.notify import Notifier
from outreach import outbox

USERS = [f"UQ{i:02d}" for i in range(20)]


def queue_twenty(bot) -> None:
    """Twenty due DMs (a place on a shift for each of twenty people)."""
    number = bot.create_shift(capacity="40", kind="community", training="none", lead=ADMIN)  # no DM to a lead
    now = bot.clock()
    with bot.store.write() as db:
        for user in USERS:
            db["signups"].insert({"shift_id": number, "user_id": user, "status": "confirmed"})
            outbox.enqueue(db, key=f"test:{user}", channel=user, template="shifts/promoted",
                           context={"shift_id": number, "user": user}, due_at=now, now=now)


def held_after_claiming(sender: Notifier) -> tuple[threading.Event, threading.Event]:
    """Make `sender` stop after its claim, before its first message, until released."""
    claimed, go = threading.Event(), threading.Event()

    def wait_for_the_test() -> None:
        claimed.set()
        assert go.wait(10)

    sender.step_aside_for_requests = wait_for_the_test  # the timer's flush calls it before each message
    return claimed, go


def sends(bot) -> Counter:
    return Counter(c.params["channel"] for c in bot.fake.calls_to("chat.postMessage") if c.params.get("channel") in USERS)


@pytest.mark.parametrize("slow", ["first", "second"])
def test_a_claim_taken_over_after_the_timeout_is_sent_once(bot, monkeypatch, slow):
    """Two senders; the clock passes the 2-minute claim timeout between one's claim and its sending.

    first: the first sender stalls after claiming, the second takes the rows over and sends them.
    second: the second sender takes the rows over and stalls; the first (whose claim is gone) goes on.
    """
    queue_twenty(bot)
    claims: list[list[outbox.Notification]] = []
    real_claim = outbox.claim_due

    def recording_claim(store, **kwargs):
        batch = real_claim(store, **kwargs)
        claims.append(batch)
        return batch

    monkeypatch.setattr(outbox, "claim_due", recording_claim)
    first, second = bot.kit.notifier, Notifier(bot.kit, bot.services, bot.kit.notifier.client)
    counts: dict[str, int] = {}

    def flush(name: str, sender: Notifier) -> threading.Thread:
        thread = threading.Thread(target=lambda: counts.__setitem__(name, sender.flush(background=True)))
        thread.start()
        return thread

    first_claimed, first_go = held_after_claiming(first)
    one = flush("first", first)
    assert first_claimed.wait(10)
    bot.clock.advance(minutes=3)  # past the claim timeout: the rows may be claimed again
    if slow == "first":
        assert second.flush() == 20
        first_go.set()
        one.join(10)
    else:
        second_claimed, second_go = held_after_claiming(second)
        two = flush("second", second)
        assert second_claimed.wait(10)
        first_go.set()
        one.join(10)
        assert counts["first"] == 0 and sends(bot) == Counter()  # it no longer held them: nothing posted
        second_go.set()
        two.join(10)
        assert counts["second"] == 20
    assert not one.is_alive()
    sent = sends(bot)
    assert set(sent) == set(USERS) and max(sent.values()) == 1 and sum(sent.values()) == 20
    assert counts["first"] == 0
    rows = list(bot.db.query("SELECT sent_at, claimed_by, error FROM notifications WHERE key LIKE 'test:%'"))
    assert all(r["sent_at"] and r["error"] is None for r in rows)
    stale = claims[0][0]
    winner = {r["claimed_by"] for r in rows}
    assert len(winner) == 1 and stale.token not in winner  # one token sent them all, not the timed-out one
    assert not outbox.mark_sent(bot.store, stale, now=bot.clock(), ts="1.1")
    assert not outbox.mark_failed(bot.store, stale, error="late", retry_at=bot.clock())
    assert not outbox.mark_skipped(bot.store, stale, now=bot.clock(), reason="late")
    assert outbox.release(bot.store, claims[0]) == 0


def test_only_the_claim_holder_marks_or_releases(bot):
    queue_twenty(bot)
    mine = outbox.claim_due(bot.store, now=bot.clock(), limit=2)
    assert len({n.token for n in mine}) == 1 and mine[0].token
    again = outbox.claim_due(bot.store, now=bot.clock(), limit=20)
    assert {n.id for n in again}.isdisjoint(n.id for n in mine) and again[0].token != mine[0].token
    assert outbox.release(bot.store, mine) == 2
    retaken = outbox.claim_due(bot.store, now=bot.clock(), limit=20)
    assert sorted(n.id for n in retaken) == sorted(n.id for n in mine)
    assert not outbox.mark_sent(bot.store, mine[0], now=bot.clock(), ts=None)  # released, then claimed anew
    assert outbox.mark_sent(bot.store, retaken[0], now=bot.clock(), ts=None)
    assert not outbox.mark_sent(bot.store, retaken[0], now=bot.clock(), ts=None)  # once
    assert outbox.mark_failed(bot.store, retaken[1], error="x", retry_at=bot.clock())
