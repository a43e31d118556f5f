"""Ack latency of the bot against a bare Bolt app, the same signed mix at concurrency 1, 10 and 50.

Usage: python bench/ack_latency.py [--requests 800] [--levels 1,10,50] [--rounds 8]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.pool import Pool
from pathlib import Path

from common import (
    ROOT,
    SECRET,
    command_body,
    free_port,
    payload_body,
    percentiles,
    signed_post,
    start_fake_process,
    start_process,
    stop_process,
    wait_healthy,
    wait_quiet,
)

from outreach.store import Store, iso

USERS = [f"UB{i:04d}" for i in range(500)]
SHIFTS = 20


def seed(db_path: Path) -> None:
    """Shifts in the coming days and trained volunteers."""
    store = Store(db_path)
    now = datetime.now(UTC).replace(microsecond=0)
    with store.write() as db:
        for i in range(SHIFTS):
            start = now + timedelta(days=1 + i % 10, hours=i)
            db["shifts"].insert({
                "kind": "direct", "venue": "motel", "area": f"Area {i}", "starts_at": iso(start),
                "ends_at": iso(start + timedelta(hours=4)), "tz": "America/Chicago", "capacity": 10_000,
                "min_team": 2, "languages": "[]", "lead": "ULEAD", "training": "direct-outreach", "notes": "",
                "status": "planned", "created_by": "UADMIN", "created_at": iso(now), "updated_at": iso(now),
            })
        db["trainings"].insert_all(
            {"user_id": u, "training": "direct-outreach", "completed_on": "2026-01-01", "recorded_by": "UADMIN"}
            for u in USERS
        )
    store.close()


def request_mix(n: int, response_url: str) -> list[tuple[str, str]]:
    """n signed-ready requests: commands, Sign up clicks and view submissions."""
    rng = random.Random(7)
    day = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    mix = []
    for i in range(n):
        user = rng.choice(USERS)
        kind = i % 5
        if kind in (0, 1):
            mix.append((command_body(user, "shifts" if kind == 0 else "mine", response_url),
                        "application/x-www-form-urlencoded"))
        elif kind in (2, 3):
            mix.append((payload_body({
                "type": "block_actions", "user": {"id": user}, "team": {"id": "T1"}, "trigger_id": "t",
                "container": {"type": "message", "channel_id": "CBENCH"}, "response_url": response_url,
                "actions": [{"type": "button", "action_id": "shift_signup", "value": str(rng.randint(1, SHIFTS))}],
            }), "application/x-www-form-urlencoded"))
        else:
            values = {
                "kind": {"value": {"type": "static_select", "selected_option": {"value": "direct"}}},
                "venue": {"value": {"type": "static_select", "selected_option": {"value": "motel"}}},
                "area": {"value": {"type": "plain_text_input", "value": "Bench area"}},
                "start_date": {"value": {"type": "datepicker", "selected_date": day}},
                "start_time": {"value": {"type": "timepicker", "selected_time": "20:00"}},
                "end_date": {"value": {"type": "datepicker", "selected_date": day}},
                "end_time": {"value": {"type": "timepicker", "selected_time": "19:00"}},  # refused inline
                "capacity": {"value": {"type": "number_input", "value": "4"}},
                "min_team": {"value": {"type": "number_input", "value": "2"}},
                "lead": {"value": {"type": "users_select", "selected_user": "ULEAD"}},
                "training": {"value": {"type": "static_select", "selected_option": {"value": "direct-outreach"}}},
            }
            mix.append((payload_body({
                "type": "view_submission", "user": {"id": "UADMIN"}, "team": {"id": "T1"},
                "view": {"id": f"V{i}", "type": "modal", "callback_id": "shift_form", "private_metadata": "{}",
                         "state": {"values": values}},
            }), "application/x-www-form-urlencoded"))
    return mix


def _post(job: tuple[str, str, str]) -> tuple[int, float]:
    return signed_post(*job)


def run_level(clients: Pool, url: str, mix: list[tuple[str, str]]) -> tuple[list[float], float, int]:
    """Send the mix from a pool of client processes (one request each at a time: the concurrency);
    return latencies, the seconds it took and the non-200 count.

    Processes rather than threads: a client of many threads in one process waits for its own
    interpreter lock, and counted that wait in the latencies it measured.
    """
    started = time.perf_counter()
    results = clients.map(_post, [(url, body, ctype) for body, ctype in mix], chunksize=1)
    return [seconds for _, seconds in results], time.perf_counter() - started, sum(s != 200 for s, _ in results)


def main() -> None:
    """Start both apps, measure each level, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=800, help="requests per concurrency level and app")
    parser.add_argument("--levels", default="1,10,50", help="concurrency levels, comma-separated")
    parser.add_argument("--rounds", type=int, default=8, help="turns each app takes per level, alternating")
    args = parser.parse_args()
    fake_proc, fake_url = start_fake_process()
    tmp = Path(tempfile.mkdtemp(prefix="outreach-bench-"))
    seed(tmp / "bench.db")
    bot_port, bare_port = free_port(), free_port()
    env = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake_url,
           "OUTREACH_ADMINS": "UADMIN", "OUTREACH_TIMEZONE": "America/Chicago"}
    bot = start_process([str(ROOT / "bot.py")], {**env, "PORT": str(bot_port), "OUTREACH_DB": str(tmp / "bench.db")})
    bare = start_process([str(ROOT / "bench" / "bare_bolt.py")], {**env, "PORT": str(bare_port)})
    try:
        wait_healthy(bot_port, bot)
        wait_healthy(bare_port, bare)
        response_url = fake_url.replace("/api/", "/response_url/bench")
        print(f"{'app':<10}{'conc':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'req/s':>9}{'errors':>8}")
        worst_max, ratios, drained = 0.0, [], {}
        apps = [("bare-bolt", bare_port), ("outreach", bot_port)]
        for concurrency in (int(level) for level in args.levels.split(",")):
            mix = request_mix(args.requests, response_url)
            samples: dict[str, list[float]] = {"bare-bolt": [], "outreach": []}
            seconds = {"bare-bolt": 0.0, "outreach": 0.0}
            errors = {"bare-bolt": 0, "outreach": 0}
            clients = multiprocessing.get_context("fork").Pool(concurrency)
            for _, port in apps:
                run_level(clients, f"http://127.0.0.1:{port}/slack/events", mix[:20])  # warm-up
            wait_quiet(bot.pid)
            # The apps take turns, a slice of the mix each, so the machine's other load falls on both alike.
            size = -(-len(mix) // args.rounds)
            for round_ in range(args.rounds):
                part = mix[round_ * size:(round_ + 1) * size]
                for name, port in (apps if round_ % 2 == 0 else apps[::-1]):
                    latencies, elapsed, failed = run_level(clients, f"http://127.0.0.1:{port}/slack/events", part)
                    samples[name] += latencies
                    seconds[name] += elapsed
                    errors[name] += failed
                    if name == "outreach":  # the worker finishes the work after the acks; wait for it
                        drained[concurrency] = max(drained.get(concurrency, 0.0), wait_quiet(bot.pid))
            clients.close()
            clients.join()
            figures = {}
            for name, _ in apps:
                figures[name] = f = percentiles(samples[name])
                if name == "outreach":
                    worst_max = max(worst_max, f["max"])
                print(f"{name:<10}{concurrency:>5}{f['p50']:>9.1f}{f['p95']:>9.1f}{f['p99']:>9.1f}{f['max']:>9.1f}"
                      f"{len(samples[name]) / seconds[name]:>9.0f}{errors[name]:>8}")
            ratio = figures["outreach"]["p99"] / max(figures["bare-bolt"]["p99"], 1e-6)
            ratios.append(ratio)
            print(f"{'ratio p99 outreach / bare-bolt':<42}{ratio:>8.2f}  (target <= 1.5)")
        print(f"slowest outreach ack: {worst_max:.0f} ms (Slack's deadline: 3000 ms)")
        print("work after the acks finished, after the last ack: "
              + ", ".join(f"{seconds:.1f} s at concurrency {c}" for c, seconds in drained.items()))
    finally:
        for proc in (bot, bare):
            stop_process(proc)
        fake_proc.stdin.close()  # type: ignore[union-attr]
        fake_proc.wait(timeout=10)
    sys.exit(0)


if __name__ == "__main__":
    main()
