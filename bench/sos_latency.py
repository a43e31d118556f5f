"""How soon an SOS reaches a coordinator: from the tap (a signed request to the running bot) until the
fake Slack accepted the first message that reaches one (the post in the coordinators' channel, or a
coordinator's DM), with an idle bot and while the timer sends 500 ordinary notices that fell due.

The bot runs as `bot.py run` does (HTTP, its worker process, the timer every 20 s) against a fake
Slack Web API in this process, on a database with one shift under way (a volunteer and its lead), a
coordinator beside the admin, and a later shift with 500 confirmed people. Each press is taken on
("I'm on it") before the next, so every press is a new SOS. With a load, 500 notices (a place on the
later shift, one DM each) are queued due now before each press, and the press is sent once the
timer has begun sending them.

With --twilio, the bot also has a (fake) Twilio and UCO a verified alert phone: what is measured is
from the tap until the SMS request reached the fake Twilio's Messages resource.

Usage: python bench/sos_latency.py [--presses 20] [--backlog 500] [--twilio]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import (
    ROOT,
    SECRET,
    FakeSlack,
    free_port,
    payload_body,
    percentiles,
    signed_post,
    start_process,
    stop_process,
    wait_healthy,
    wait_quiet,
)
from faketwilio import FakeTwilio

from outreach import outbox
from outreach.store import Store, iso

CHANNEL = "CCOORD"
COORDINATORS = ("UADMIN", "UCO")
PHONE = "+13125550142"  # UCO's alert phone (used only with --twilio)


def seed(path: Path, backlog: int) -> int:
    """One shift under way now (lead ULEAD, UA confirmed), UCO a coordinator, and a later shift with
    `backlog` confirmed people; returns the later shift's id."""
    store = Store(path)
    now = datetime.now(UTC)
    shift = {"kind": "direct", "venue": "motel", "area": "Eastside", "tz": "America/Chicago", "capacity": 600,
             "min_team": 2, "languages": "[]", "lead": "ULEAD", "training": None, "notes": "", "status": "planned"}
    with store.write() as db:
        tonight = db["shifts"].insert(dict(shift, starts_at=iso(now - timedelta(hours=1)),
                                           ends_at=iso(now + timedelta(hours=5)))).last_pk
        db["signups"].insert({"shift_id": tonight, "user_id": "UA", "status": "confirmed"})
        later = db["shifts"].insert(dict(shift, starts_at=iso(now + timedelta(days=3)),
                                         ends_at=iso(now + timedelta(days=3, hours=3)))).last_pk
        for i in range(backlog):
            db["signups"].insert({"shift_id": later, "user_id": f"UF{i:04d}", "status": "confirmed"})
        db["roles"].insert({"user_id": "UCO", "role": "coordinator", "granted_by": "UADMIN", "granted_at": iso(now)})
        db["alert_phones"].insert({"user_id": "UCO", "e164": PHONE, "verified_at": iso(now), "created_at": iso(now)})
    store.close()
    return int(later)


def queue_backlog(path: Path, later: int, count: int, round_: int) -> None:
    """`count` ordinary notices, due now, written as any change of the bot writes them."""
    store = Store(path)
    now = datetime.now(UTC)
    with store.write() as db:
        for i in range(count):
            user = f"UF{i:04d}"
            outbox.enqueue(db, key=f"bench:{round_}:{user}", channel=user, template="shifts/promoted",
                           context={"shift_id": later, "user": user}, due_at=now, now=now)
    store.close()


def tap(user: str, action_id: str, value: str, n: int) -> dict:
    """A button tap on the App Home, as Slack sends it."""
    return {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": user, "team_id": "T1"}, "api_app_id": "A1",
            "token": "legacy", "trigger_id": f"trig-sos-{n}", "container": {"type": "view", "view_id": "VHOME"},
            "view": {"id": "VHOME", "type": "home", "blocks": []},
            "actions": [{"type": "button", "action_id": action_id, "block_id": f"{action_id}:1", "value": value,
                         "action_ts": f"{time.time():.6f}"}]}


def reaches_coordinator(call: object) -> bool:
    """The first message of an SOS that reaches a coordinator: its channel post or a coordinator's DM."""
    params = call.params  # type: ignore[attr-defined]
    where = str(params.get("channel") or "")
    return (call.method == "chat.postMessage" and not params.get("thread_ts")  # type: ignore[attr-defined]
            and (where == CHANNEL or where in COORDINATORS) and "SOS" in json.dumps(params))


def press_once(fake: FakeSlack, url: str, n: int, twilio: FakeTwilio | None = None) -> tuple[float, int]:
    """Tap SOS, wait for the first message that reaches a coordinator (with `twilio`: the SMS request); return
    the seconds between, and how many ordinary notices Slack had accepted by then."""
    mark = len(fake.calls)
    texts = len(twilio.messages) if twilio else 0
    started = time.monotonic()
    status, _ = signed_post(url, payload_body(tap("UA", "sos_press", "1", n)), "application/x-www-form-urlencoded")
    assert status == 200, status
    if twilio is not None:
        twilio.wait_for("Messages", count=texts + 1, timeout=60)
        return time.monotonic() - started, ordinary_sent(fake)
    deadline = started + 60
    with fake._cond:
        while not any(reaches_coordinator(c) for c in fake.calls[mark:]):
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("no coordinator was reached within 60 s")
            fake._cond.wait(min(left, 0.05))
        return time.monotonic() - started, sum(1 for c in fake.calls if c.method == "chat.postMessage"
                                               and c.answer is not None and str(c.params.get("channel", "")).startswith("UF"))


def take_on(fake: FakeSlack, url: str, sos_id: int) -> None:
    """UCO taps I'm on it, so the next press is a new SOS."""
    mark = len(fake.calls)
    status, _ = signed_post(url, payload_body(tap("UCO", "sos_ack", str(sos_id), 10_000 + sos_id)),
                            "application/x-www-form-urlencoded")
    assert status == 200, status
    fake.wait_for("chat.update", where=lambda c: fake.calls.index(c) >= mark and "is on it" in json.dumps(c.params),
                  timeout=30)


def ordinary_sent(fake: FakeSlack) -> int:
    """How many of the ordinary notices Slack accepted so far."""
    with fake._cond:
        return sum(1 for c in fake.calls if c.method == "chat.postMessage" and c.answer is not None
                   and str(c.params.get("channel", "")).startswith("UF"))


def main() -> None:
    """Start the bot, press SOS idle then with a backlog, print p50/p95/max of each."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--presses", type=int, default=20, help="SOS presses per condition")
    parser.add_argument("--backlog", type=int, default=500, help="ordinary notices due at each loaded press")
    parser.add_argument("--twilio", action="store_true", help="measure until the SMS reached a fake Twilio")
    args = parser.parse_args()
    fake = FakeSlack()
    twilio = FakeTwilio() if args.twilio else None
    tmp = Path(tempfile.mkdtemp(prefix="outreach-sos-"))
    db = tmp / "bench.db"
    later = seed(db, args.backlog)
    port = free_port()
    url = f"http://127.0.0.1:{port}/slack/events"
    env = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url,
           "OUTREACH_ADMINS": "UADMIN", "OUTREACH_TIMEZONE": "America/Chicago", "PORT": str(port),
           "OUTREACH_DB": str(db), "OUTREACH_COORDINATOR_CHANNEL": CHANNEL, **(twilio.env() if twilio else {})}
    bot = start_process([str(ROOT / "bot.py")], env)
    figures: dict[str, list[float]] = {"idle": [], f"{args.backlog} due": []}
    sos_id, sent_before, overtaken = 0, 0, []
    try:
        wait_healthy(port, bot)
        wait_quiet(bot.pid)
        for label in figures:
            for _ in range(args.presses):
                if label != "idle":
                    queue_backlog(db, later, args.backlog, sos_id)
                    target = sent_before + 20
                    deadline = time.monotonic() + 40  # the timer ticks every 20 s
                    while ordinary_sent(fake) < target and time.monotonic() < deadline:
                        time.sleep(0.01)
                sos_id += 1
                seconds, ordinary = press_once(fake, url, sos_id, twilio)
                figures[label].append(seconds)
                if label != "idle":
                    overtaken.append(sent_before + args.backlog - ordinary)
                take_on(fake, url, sos_id)
                if label != "idle":
                    sent_before += args.backlog
                    deadline = time.monotonic() + 120
                    while ordinary_sent(fake) < sent_before and time.monotonic() < deadline:
                        time.sleep(0.05)
                wait_quiet(bot.pid)
        print(f"{'condition':<16}{'presses':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
        for label, samples in figures.items():
            f = percentiles(samples)
            print(f"{label:<16}{len(samples):>8}{f['p50']:>9.1f}{f['p95']:>9.1f}{f['max']:>9.1f}")
        idle, loaded = (percentiles(s)["p95"] for s in figures.values())
        print(f"ordinary notices still unsent when the SOS {'SMS was sent' if twilio else 'reached a coordinator'}: median "
              f"{sorted(overtaken)[len(overtaken) // 2]}, fewest {min(overtaken)} (of {args.backlog})")
        print(f"p95 with the backlog minus idle: {loaded - idle:.0f} ms (target <= 1000 ms)")
    finally:
        stop_process(bot)
        fake.close()
        if twilio is not None:
            twilio.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
