"""What a person feels: the time from a command sent to its answer reaching Slack (its response_url).

The bot against a bare Bolt app that acks and then calls respond(), in the same run, both served by
waitress: a lone command (one every 250 ms), commands back to back from one sender, and bursts of 10
and 50 sent at once. The bot's commands are `/outreach shifts` and `/outreach mine` over 20 shifts:
its own work is included. Then 300 idle connections are opened on the bot and lone commands sent.

Usage: python bench/answer_latency.py [--lone 40] [--back-to-back 100] [--bursts 10:10,50:4] [--texts mine,shifts]
(`--texts help` measures the hand-over with almost no work of the bot's own.)
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ack_latency import USERS, seed
from common import (
    ROOT,
    SECRET,
    command_body,
    free_port,
    percentiles,
    signed_post,
    start_fake_process,
    start_process,
    stop_process,
    wait_healthy,
    wait_quiet,
)

ANSWERED: dict[str, float] = {}
ARRIVED = threading.Condition()


class Answers(BaseHTTPRequestHandler):
    """The response_url: records when each answer arrives (time.monotonic(), one clock for every process)."""

    def do_POST(self) -> None:  # noqa: N802
        at = time.monotonic()
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        with ARRIVED:
            ANSWERED.setdefault(self.path.rsplit("/", 1)[1], at)
            ARRIVED.notify_all()

    def log_message(self, *args: object) -> None:
        pass


def _send(job: tuple[str, str, str]) -> tuple[str, float, int]:
    url, name, body = job
    sent = time.monotonic()
    status, _ = signed_post(url, body, "application/x-www-form-urlencoded")
    return name, sent, status


def wait_answers(names: list[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with ARRIVED:
        while not all(n in ANSWERED for n in names) and time.monotonic() < deadline:
            ARRIVED.wait(0.1)


TEXTS = ["mine", "shifts"]


def jobs_for(url: str, answers: str, label: str, count: int) -> list[tuple[str, str, str]]:
    out = []
    for i in range(count):
        name = f"{label}-{i}"
        out.append((url, name, command_body(USERS[i % len(USERS)], TEXTS[i % len(TEXTS)], f"{answers}/{name}")))
    return out


def measure(pool: multiprocessing.pool.Pool, jobs: list[tuple[str, str, str]], *, spacing: float = 0.0,
            burst: int = 0) -> tuple[list[float], int, int]:
    """Send the jobs (spaced, back to back, or in bursts sent at once); return answer latencies, the
    number never answered and the non-200 acks."""
    sent: list[tuple[str, float, int]] = []
    if spacing:
        for job in jobs:
            started = time.monotonic()
            sent.append(_send(job))
            time.sleep(max(spacing - (time.monotonic() - started), 0))
    elif burst:
        for start in range(0, len(jobs), burst):
            chunk = jobs[start:start + burst]
            sent += pool.map(_send, chunk, chunksize=1)
            wait_answers([name for _, name, _ in chunk])
            time.sleep(0.5)
    else:
        sent += [_send(job) for job in jobs]
    wait_answers([name for name, _, _ in sent])
    with ARRIVED:
        latencies = [ANSWERED[name] - at for name, at, _ in sent if name in ANSWERED]
    return latencies, len(sent) - len(latencies), sum(status != 200 for _, _, status in sent)


def main() -> None:
    """Start both apps and the response_url, measure each level, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lone", type=int, default=40, help="lone commands, one every 250 ms")
    parser.add_argument("--back-to-back", type=int, default=100, help="commands back to back from one sender")
    parser.add_argument("--bursts", default="10:10,50:4", help="SIZE:COUNT bursts sent at once, comma-separated")
    parser.add_argument("--texts", default="mine,shifts", help="the bot's commands, taken in turn")
    args = parser.parse_args()
    TEXTS[:] = args.texts.split(",")
    ThreadingHTTPServer.request_queue_size = 512  # 50 answers at once must not overflow the listen queue
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    receiver.daemon_threads = True
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    answers = f"http://127.0.0.1:{receiver.server_port}/answer"
    fake_proc, fake_url = start_fake_process()
    tmp = Path(tempfile.mkdtemp(prefix="outreach-answer-"))
    seed(tmp / "bench.db")
    bot_port, bare_port = free_port(), free_port()
    env = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake_url,
           "OUTREACH_ADMINS": "UADMIN", "OUTREACH_TIMEZONE": "America/Chicago"}
    bot = start_process([str(ROOT / "bot.py")], {**env, "PORT": str(bot_port), "OUTREACH_DB": str(tmp / "bench.db")})
    bare = start_process([str(ROOT / "bench" / "bare_bolt.py")], {**env, "PORT": str(bare_port), "BARE_RESPOND": "1"})
    apps = [("bare-bolt", bare_port), ("outreach", bot_port)]
    levels = [("lone", {"spacing": 0.25}, args.lone), ("1", {}, args.back_to_back)]
    for spec in args.bursts.split(","):
        size, count = (int(x) for x in spec.split(":"))
        levels.append((str(size), {"burst": size}, size * count))
    worst, unanswered = 0.0, 0
    try:
        wait_healthy(bot_port, bot)
        wait_healthy(bare_port, bare)
        pool = multiprocessing.get_context("fork").Pool(max(int(n) for n, _, _ in levels[2:]) if levels[2:] else 1)
        for name, port in apps:  # warm-up
            measure(pool, jobs_for(f"http://127.0.0.1:{port}/slack/events", answers, f"warm-{name}", 10))
        wait_quiet(bot.pid)
        print(f"{'app':<10}{'level':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'unanswered':>12}{'errors':>8}")
        for level, how, count in levels:
            figures = {}
            for name, port in apps:
                latencies, missing, errors = measure(
                    pool, jobs_for(f"http://127.0.0.1:{port}/slack/events", answers, f"{name}-{level}", count), **how)
                figures[name] = f = percentiles(latencies)
                if name == "outreach":
                    worst, unanswered = max(worst, f["max"]), unanswered + missing
                print(f"{name:<10}{level:>7}{f['p50']:>9.1f}{f['p95']:>9.1f}{f['p99']:>9.1f}{f['max']:>9.1f}"
                      f"{missing:>12}{errors:>8}")
                wait_quiet(bot.pid)
            ratio = figures["outreach"]["p95"] / max(figures["bare-bolt"]["p95"], 1e-6)
            target = "<= 5" if level == "lone" else ("<= 1" if level not in ("1",) else "none set")
            print(f"{'ratio p95 outreach / bare-bolt':<42}{ratio:>8.2f}  (target {target})")
        # 300 idle connections on the bot (requests begun and never finished), then lone commands.
        idle = []
        for _ in range(300):
            conn = socket.create_connection(("127.0.0.1", bot_port), timeout=10)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            idle.append(conn)
        jobs = jobs_for(f"http://127.0.0.1:{bot_port}/slack/events", answers, "idle300", 20)
        acks = []
        for job in jobs:
            status, seconds = signed_post(job[0], job[2], "application/x-www-form-urlencoded")
            acks.append(seconds)
            time.sleep(0.1)
        wait_answers([name for _, name, _ in jobs])
        for conn in idle:
            conn.close()
        print(f"with 300 idle connections open: slowest ack of 20 lone commands {max(acks) * 1000:.0f} ms "
              f"(target: answered within 1000 ms), {sum(n in ANSWERED for _, n, _ in jobs)} of 20 answered")
        print(f"slowest answer of the bot: {worst:.0f} ms (target <= 3000 ms); never answered: {unanswered}")
        pool.close()
    finally:
        for proc in (bot, bare):
            stop_process(proc)
        fake_proc.stdin.close()  # type: ignore[union-attr]
        fake_proc.wait(timeout=10)
        receiver.shutdown()
    sys.exit(0)


if __name__ == "__main__":
    main()
