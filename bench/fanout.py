"""500 notifications due in the same minute: how late the last one goes, how many calls, 429s honoured.

Usage: python bench/fanout.py [--count 500] [--rate-limited 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import FakeSlack

from handlers import create_app
from outreach import outbox
from outreach.catalog import Catalog
from outreach.services import Services
from outreach.settings import load_settings
from outreach.store import Store, iso


def main() -> None:
    """Queue the notifications, send them with the real notifier, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--rate-limited", type=int, default=3, help="how many calls Slack answers 429 (Retry-After 1)")
    args = parser.parse_args()
    fake = FakeSlack()
    tmp = Path(tempfile.mkdtemp(prefix="outreach-fanout-"))
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": fake.url,
                              "OUTREACH_DB": str(tmp / "fanout.db"), "OUTREACH_TIMEZONE": "America/Chicago"})
    now = datetime.now(UTC).replace(microsecond=0)
    store = Store(settings.db_path)
    services = Services(settings=settings, store=store, catalog=Catalog.load(settings.data_dir), clock=lambda: now)
    _, kit = create_app(services)
    per_shift = 10
    with store.write() as db:
        for s in range(args.count // per_shift):
            start = now + timedelta(hours=2, minutes=s)
            shift_id = db["shifts"].insert({
                "kind": "direct", "venue": "motel", "area": f"Area {s}", "starts_at": iso(start),
                "ends_at": iso(start + timedelta(hours=3)), "tz": "America/Chicago", "capacity": per_shift,
                "min_team": 2, "languages": "[]", "lead": "ULEAD", "training": None, "notes": "",
                "status": "planned"}).last_pk
            for u in range(per_shift):
                user = f"UF{s:03d}{u:02d}"
                db["signups"].insert({"shift_id": shift_id, "user_id": user, "status": "confirmed"})
                outbox.enqueue(db, key=f"bench:{shift_id}:{user}", channel=user, template="shifts/promoted",
                               context={"shift_id": shift_id, "user": user}, due_at=now, now=now)
    fake.fail("chat.postMessage", status=429, retry_after=1, times=args.rate_limited)
    started = time.perf_counter()
    sent = kit.notifier.flush()
    elapsed = time.perf_counter() - started
    posts = fake.calls_to("chat.postMessage")
    delivered = Counter(c.params["channel"] for c in posts if not c.failed)
    unsent = store.db.execute("SELECT count(*) FROM notifications WHERE sent_at IS NULL").fetchone()[0]
    print(f"notifications due: {args.count}; sent by one flush: {sent}; still unsent: {unsent}")
    print(f"the last one went {elapsed:.1f} s after the tick that found them due (ticks come every 20 s, so at most "
          f"{20 + elapsed:.1f} s after its due time)")
    print(f"Web API calls: {len(posts)} chat.postMessage ({sum(c.failed for c in posts)} answered 429 with Retry-After 1 "
          f"and retried by slack_sdk's RateLimitErrorRetryHandler)")
    print(f"people who got their message exactly once: {sum(1 for n in delivered.values() if n == 1)} of {args.count}; "
          f"twice or more: {sum(1 for n in delivered.values() if n > 1)}")
    fake.close()
    store.close()
    sys.exit(0 if unsent == 0 and len(delivered) == args.count and max(delivered.values()) == 1 else 1)


if __name__ == "__main__":
    main()
