"""Never unheard (issue 19, section 3): when Slack fails, or the coordinators' channel cannot be posted
in, every SOS and safety message still reaches a coordinator, once, as soon as it can; the person who
pressed SOS reads only what was delivered; /healthz and the admins say when it is late."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

from conftest import ADMIN, COORD_CHANNEL, at, eventually, message_text
from fakeslack import dm_channel
from phone import Phone

from handlers.health import Alarm
from outreach import outbox, reach
from outreach.store import iso

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)   # the default test shift, 19:00 Chicago
PRESS = datetime(2026, 11, 24, 3, 12, tzinfo=UTC)  # 21:12 Chicago, mid-shift


def night(bot, lead: str = "ULEAD") -> int:
    """Tomorrow evening's shift (lead `lead`, UA confirmed), UCO a coordinator beside the admin; under way."""
    number = bot.create_shift(lead=lead)
    bot.make_coordinator("UCO")
    bot.train("UA")
    assert "signed up" in bot.command("UA", f"signup {number}").text()
    at(bot, START)
    at(bot, PRESS)
    return number


def healthz(bot) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(bot.url.replace("/slack/events", "/healthz"), timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def accepted(bot, where) -> list:
    """Messages Slack accepted (posted or rewritten), in order, that match."""
    return [c for c in bot.fake.calls if c.method in ("chat.postMessage", "chat.update") and c.answer is not None
            and where(c)]


def to(user: str):
    return lambda c: c.params.get("channel") in (user, dm_channel(user))


def told_role(call) -> bool:
    """The DM telling a new coordinator of their role (make_coordinator sends it before the night)."""
    return call.params.get("text") == "Your role in the outreach bot changed: tap to see"


def sos_posts(bot) -> list:
    return accepted(bot, lambda c: c.method == "chat.postMessage" and c.params.get("channel") == COORD_CHANNEL
                    and not c.params.get("thread_ts") and "SOS" in str(c.params.get("text")))


def thread(bot, call) -> list:
    return accepted(bot, lambda c: c.method == "chat.postMessage" and c.params.get("thread_ts") == call.answer["ts"])


def told(bot, user: str) -> list[str]:
    """The words of every version of the presser's DM Slack accepted, in order."""
    return [message_text(c.params) for c in accepted(bot, to(user)) if c.params.get("text") == "Your alert: tap to see"]


def test_twenty_minutes_of_service_unavailable_then_each_message_once_and_one_catch_up_repeat(bot):
    number = night(bot)
    mark = len(bot.fake.calls)  # what the night sent before the outage (its "Did it go out?" question)
    back = PRESS + timedelta(minutes=20)
    for method in ("chat.postMessage", "chat.update"):
        bot.fake.fail(method, error="service_unavailable", during=lambda: bot.clock() < back)
    alarm = Alarm(bot.watch, notifier=bot.kit.notifier, admins=[ADMIN])
    alarm.look()
    assert healthz(bot)[0] == 200

    answer = Phone(bot, "UA").command("sos").reply().words
    assert "Sending your alert" in answer and "alerted" not in answer  # nothing was delivered
    moment, statuses = PRESS, []
    while moment < back - timedelta(seconds=20):  # the timer every 20 s, the alarm beside it
        moment += timedelta(seconds=20)
        at(bot, moment)
        alarm.look()
        statuses.append(healthz(bot))
    tried = [c for c in bot.fake.calls[mark:] if c.method == "chat.postMessage"
             and c.params.get("channel") == COORD_CHANNEL]
    assert len(tried) >= 50 and all(c.failed for c in tried)  # never given up (it was 5 attempts)
    assert not told(bot, "UA")  # nothing said to the presser that was not so
    assert statuses[0][0] == 200 and all(s == 503 for s, _ in statuses[2:])
    assert "A safety message (SOS or check-in) has waited" in statuses[-1][1]

    at(bot, back + timedelta(seconds=20))  # Slack answers again
    alarm.look()
    bot.settle()
    posts = sos_posts(bot)
    assert len(posts) == 1 and f"SOS from shift #{number}" in posts[0].params["text"]
    assert [len([c for c in accepted(bot, to(u)) if "coordinator now" in str(c.params.get("text"))
                 and not c.params.get("thread_ts")]) for u in ("UCO", ADMIN)] == [1, 1]
    # Rounds 1 to 19 fell due in the outage: one catch-up (19), then round 20, due at this tick.
    repeats = [message_text(c.params) for c in thread(bot, posts[0])]
    assert len(repeats) == 2 and "(repeat 19)" in repeats[0] and "(repeat 20)" in repeats[1]
    skipped = bot.db.execute("SELECT count(*) FROM notifications WHERE key LIKE 'sos:%:repeat:%' "
                             "AND error = 'skipped: a newer one is due'").fetchone()[0]
    assert skipped == 18
    versions = told(bot, "UA")
    assert len(versions) == 1 and "Coordinators alerted at" in versions[0]
    first = next(c for c in accepted(bot, to("UA")) if c.params.get("text") == "Your alert: tap to see")
    assert bot.fake.calls.index(first) > bot.fake.calls.index(posts[0])
    alarms = [message_text(c.params) for c in accepted(bot, to(ADMIN)) if "The bot" in message_text(c.params)]
    assert len(alarms) == 2 and "stopped doing or sending what it must" in alarms[0]
    assert "answering again" in alarms[1]
    assert healthz(bot) == (200, "ok")


def test_bot_not_in_the_coordinators_channel_each_coordinator_gets_it_by_dm_and_the_admins_are_told_once(bot):
    number = night(bot, lead=ADMIN)  # the admin leads and presses SOS: the channel and UCO are who can hear
    invited = [False]
    bot.fake.fail("chat.postMessage", error="not_in_channel",
                  where=lambda p: p.get("channel") == COORD_CHANNEL, during=lambda: not invited[0])
    reachable = PRESS + timedelta(minutes=2, seconds=10)
    bot.fake.fail("chat.postMessage", error="service_unavailable", where=lambda p: p.get("channel") == "UCO",
                  during=lambda: bot.clock() < reachable)
    answer = Phone(bot, ADMIN).command("sos").reply().words
    assert "Sending your alert" in answer
    eventually(lambda: len(told(bot, ADMIN)) == 1)
    assert "Sending your alert..." in told(bot, ADMIN)[0]  # nobody has it yet
    status = reach.status(bot.store, COORD_CHANNEL)
    assert (status.reachable, status.error, status.fix) == (False, "not_in_channel", "invite")
    fixes = [message_text(c.params) for c in accepted(bot, to(ADMIN)) if "I cannot post in" in message_text(c.params)]
    assert len(fixes) == 1 and "/invite @outreach" in fixes[0]

    for seconds in (20, 40, 60):
        at(bot, PRESS + timedelta(seconds=seconds))
    now = told(bot, ADMIN)[-1]
    assert "has not reached a coordinator yet" in now and "Call your lead or the local emergency number now" in now
    assert "alerted" not in now
    for seconds in (80, 100, 120, 140):
        at(bot, PRESS + timedelta(seconds=seconds))
    bot.settle()
    assert "Coordinators alerted at" in told(bot, ADMIN)[-1]  # UCO's DM went through
    dm = [c for c in accepted(bot, to("UCO")) if not c.params.get("thread_ts") and not told_role(c)]
    assert len(dm) == 1 and dm[0].params["text"] == "A team needs a coordinator now: tap to see"
    repeats = thread(bot, dm[0])  # the channel's repeats, in UCO's DM thread: one to catch up, then one a minute
    assert len(repeats) == 1 and "Still nobody on it (repeat 2)" in message_text(repeats[0].params)
    at(bot, PRESS + timedelta(minutes=3))
    assert len(thread(bot, dm[0])) == 2
    assert not sos_posts(bot)

    # UCO takes it on; UA presses a second SOS: still the same episode, the admins are not told again.
    Phone(bot, "UCO").message_screen(dm[0]).tap("I'm on it")
    eventually(lambda: "<@UCO> is on it" in told(bot, ADMIN)[-1])
    at(bot, PRESS + timedelta(minutes=4))
    Phone(bot, "UA").command(f"sos {number}").reply()
    bot.settle()
    assert len([c for c in accepted(bot, to(ADMIN)) if "I cannot post in" in message_text(c.params)]) == 1
    eventually(lambda: "Coordinators alerted at" in told(bot, "UA")[-1])

    # The bot is invited: the next post ends the episode; a new one tells the admins again.
    invited[0] = True
    Phone(bot, "UCO").last_dm().tap("I'm on it")
    at(bot, PRESS + timedelta(minutes=5))
    Phone(bot, "UA").command(f"sos {number}").reply()
    eventually(lambda: len(sos_posts(bot)) == 1)
    bot.settle()
    assert reach.status(bot.store, COORD_CHANNEL).reachable


def test_an_alert_whose_channel_is_archived_climbs_in_each_coordinators_dm_thread(bot):
    number = bot.create_shift()
    bot.make_coordinator("UCO")
    at(bot, START)
    assert "Checked in" in bot.command("ULEAD", f"checkin {number}").text()
    bot.fake.fail("chat.postMessage", error="is_archived", where=lambda p: p.get("channel") == COORD_CHANNEL,
                  during=lambda: True)
    overdue = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)  # 23:30 Chicago: no check-out
    at(bot, overdue)
    bot.settle()
    dm = [c for c in accepted(bot, to("UCO")) if not c.params.get("thread_ts") and not told_role(c)]
    assert len(dm) == 1 and dm[0].params["text"] == "A team needs a coordinator: tap to see"
    for minutes in (15, 30):
        at(bot, overdue + timedelta(minutes=minutes))
    bot.settle()
    assert len(thread(bot, dm[0])) == 2  # every repeat reaches each coordinator
    admin_dm = [c for c in accepted(bot, to(ADMIN)) if not c.params.get("thread_ts")
                and "A team needs a coordinator" in str(c.params.get("text"))]
    assert len(thread(bot, admin_dm[0])) == 2
    fixes = [message_text(c.params) for c in accepted(bot, to(ADMIN)) if "I cannot post in" in message_text(c.params)]
    assert len(fixes) == 1 and "OUTREACH_COORDINATOR_CHANNEL" in fixes[0]


def test_an_sos_overtakes_150_ordinary_notices_due(bot):
    night(bot)
    later = bot.create_shift(start_date=(PRESS + timedelta(days=3)).date().isoformat(),
                             end_date=(PRESS + timedelta(days=3)).date().isoformat())
    now = bot.clock()
    with bot.store.write() as db:
        for i in range(150):
            user = f"UF{i:04d}"
            db["signups"].insert({"shift_id": later, "user_id": user, "status": "confirmed"})
            outbox.enqueue(db, key=f"backlog:{user}", channel=user, template="shifts/promoted",
                           context={"shift_id": later, "user": user}, due_at=now, now=now)
    ordinary = lambda p: str(p.get("channel", "")).startswith("UF")  # noqa: E731
    bot.fake.fail("chat.postMessage", delay=0.02, where=ordinary, during=lambda: True)  # each takes a moment
    drain = threading.Thread(target=bot.kit.notifier.flush, kwargs={"background": True})
    drain.start()
    bot.fake.wait_for("chat.postMessage", count=5, where=lambda c: ordinary(c.params))
    mark = len(bot.fake.calls)
    Phone(bot, "UA").command("sos").reply()
    drain.join(timeout=60)
    after = [c for c in bot.fake.calls[mark:] if c.method == "chat.postMessage"]
    post = next(i for i, c in enumerate(after) if c.params.get("channel") == COORD_CHANNEL)
    assert post < 10, [c.params.get("channel") for c in after[:post + 1]]
    assert sum(1 for c in after[post:] if ordinary(c.params)) > 100  # it overtook them
    assert bot.db.execute("SELECT count(*) FROM notifications WHERE key LIKE 'backlog:%' AND sent_at IS NULL"
                          ).fetchone()[0] == 0


def test_a_safety_dm_to_a_deactivated_coordinator_tells_the_admins_once(bot):
    night(bot)
    bot.fake.fail("chat.postMessage", error="account_inactive", where=lambda p: p.get("channel") == "UCO",
                  during=lambda: True)
    Phone(bot, "UA").command("sos").reply()
    bot.settle()
    eventually(lambda: any("I cannot send DMs to <@UCO>" in message_text(c.params) for c in accepted(bot, to(ADMIN))))
    row = bot.db.execute("SELECT error FROM notifications WHERE key LIKE 'sos:%:dm:UCO'").fetchone()
    assert row[0] == "skipped: account_inactive"
    at(bot, PRESS + timedelta(minutes=1))  # the repeat goes in the channel thread; nothing more to the admins
    notes = [c for c in accepted(bot, to(ADMIN)) if "I cannot send DMs" in message_text(c.params)]
    assert len(notes) == 1 and "remove the role" in message_text(notes[0].params)
    assert "Coordinators alerted" in told(bot, "UA")[-1]  # the channel post reached them


def test_healthz_says_when_the_timer_stopped_or_the_outbox_is_late(bot):
    at(bot, START)
    assert healthz(bot) == (200, "ok")
    bot.clock.advance(minutes=3)  # no tick for 3 minutes
    status, why = healthz(bot)
    assert status == 503 and "The timer has not run for 3 min" in why
    at(bot, bot.clock())
    assert healthz(bot)[0] == 200
    now = bot.clock()
    with bot.store.write() as db:  # an ordinary message due 3 minutes ago that Slack keeps refusing
        outbox.enqueue(db, key="late:1", channel="UX", template="team/message", context={},
                       due_at=now - timedelta(minutes=3), now=now)
    status, why = healthz(bot)
    assert status == 503 and "The oldest message due has waited 3 min" in why
    with bot.store.write() as db:
        db.execute("UPDATE notifications SET sent_at = ? WHERE key = 'late:1'", [iso(now)])
    assert healthz(bot)[0] == 200
