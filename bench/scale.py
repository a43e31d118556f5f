"""Time the main reads and a signup on an empty database and on a large one; start-up and memory.

Usage: python bench/scale.py [--repeat 30] [--db PATH]   (without --db, bench/generate.py makes one)
Exits with 1 when both processes together hold more than 200 MB (PSS) once started or at the end.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import (
    ROOT,
    SECRET,
    FakeSlack,
    command_body,
    free_port,
    payload_body,
    peak_rss_mb,
    percentiles,
    pss_mb,
    signed_post,
    start_process,
    stop_process,
    wait_healthy,
    wait_quiet,
    worker_pid,
)
from generate import generate

from outreach.store import Store, iso

MEMORY_TARGET_MB = 200  # both processes together, PSS


def pick_subjects(db_path: Path) -> tuple[str, int]:
    """A volunteer with many upcoming shifts, and a future shift with room to sign up."""
    conn = sqlite3.connect(db_path)
    now = iso(datetime.now(UTC))
    row = conn.execute(
        "SELECT g.user_id FROM signups g JOIN shifts s ON s.id = g.shift_id WHERE s.starts_at > ? "
        "GROUP BY g.user_id ORDER BY count(*) DESC LIMIT 1", [now]).fetchone()
    shift = conn.execute("SELECT id FROM shifts WHERE starts_at > ? AND status = 'planned' ORDER BY starts_at LIMIT 1",
                         [now]).fetchone()
    if shift is None:
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
        cursor = conn.execute(
            "INSERT INTO shifts (kind, venue, area, starts_at, ends_at, tz, capacity, min_team, languages, lead, "
            "training, notes, status) VALUES ('direct', 'motel', 'Area', ?, ?, 'America/Chicago', 500, 2, '[]', "
            "'UADMIN', 'direct-outreach', '', 'planned')", [iso(start), iso(start + timedelta(hours=4))])
        conn.commit()
        shift = (cursor.lastrowid,)
    conn.close()
    return (row[0] if row else "UV00001"), shift[0]


def measure(fake: FakeSlack, url: str, repeat: int, user: str, shift_id: int, *,
            first: int = 0) -> dict[str, dict[str, float]]:
    """End-to-end times (request sent until the answer reached Slack) of each operation."""
    results: dict[str, list[float]] = {"/outreach shifts": [], "/outreach mine": [], "App Home": [], "signup": [],
                                       "/outreach report": [], "report chart uploaded": []}
    ctype = "application/x-www-form-urlencoded"
    for i in range(repeat):
        for label, text in (("/outreach shifts", "shifts"), ("/outreach mine", "mine")):
            name = f"{text}{i}-{time.monotonic_ns()}"
            started = time.perf_counter()
            signed_post(url, command_body(user, text, fake.response_url(name)), ctype)
            fake.wait_for("response_url", where=lambda c, n=name: c.path.endswith("/" + n), timeout=30)
            results[label].append(time.perf_counter() - started)
        before = len(fake.calls_to("views.publish"))
        body = json.dumps({"type": "event_callback", "team_id": "T1", "event_id": f"Ev{time.monotonic_ns()}",
                           "event": {"type": "app_home_opened", "user": "UADMIN", "tab": "home"}})
        started = time.perf_counter()
        signed_post(url, body, "application/json")
        fake.wait_for("views.publish", count=before + 1, timeout=30)
        results["App Home"].append(time.perf_counter() - started)
        signer = f"UBENCH{first + i:03d}"
        name = f"signup{i}-{time.monotonic_ns()}"
        started = time.perf_counter()
        signed_post(url, payload_body({
            "type": "block_actions", "user": {"id": signer}, "team": {"id": "T1"}, "trigger_id": "t",
            "container": {"type": "message", "channel_id": "C1"}, "response_url": fake.response_url(name),
            "actions": [{"type": "button", "action_id": "shift_signup", "value": str(shift_id)}]}), ctype)
        fake.wait_for("response_url", where=lambda c, n=name: c.path.endswith("/" + n), timeout=30)
        results["signup"].append(time.perf_counter() - started)
        name = f"report{i}-{time.monotonic_ns()}"  # the figures; the chart is uploaded after this answer
        uploads = len(fake.calls_to("files.completeUploadExternal"))
        started = time.perf_counter()
        signed_post(url, command_body("UADMIN", "report", fake.response_url(name)), ctype)
        fake.wait_for("response_url", where=lambda c, n=name: c.path.endswith("/" + n), timeout=60)
        results["/outreach report"].append(time.perf_counter() - started)
        fake.wait_for("files.completeUploadExternal", count=uploads + 1, timeout=60)
        results["report chart uploaded"].append(time.perf_counter() - started)
    return {label: percentiles(samples) for label, samples in results.items()}


def memory(pid: int) -> tuple[float, float]:
    """PSS in MB of the process that acks and of its worker (pages they share split between them)."""
    worker = worker_pid(pid)
    return pss_mb(pid), (pss_mb(worker) if worker else float("nan"))


def time_report(fake: FakeSlack, url: str) -> tuple[float, float]:
    """Seconds from /outreach report sent to its figures answered, and to its files uploaded."""
    name = f"report-{time.monotonic_ns()}"
    uploads = len(fake.calls_to("files.completeUploadExternal"))
    started = time.perf_counter()
    signed_post(url, command_body("UADMIN", "report", fake.response_url(name)), "application/x-www-form-urlencoded")
    fake.wait_for("response_url", where=lambda c: c.path.endswith("/" + name), timeout=60)
    answered = time.perf_counter() - started
    fake.wait_for("files.completeUploadExternal", count=uploads + 1, timeout=120)
    return answered, time.perf_counter() - started


def run(db_path: Path, repeat: int) -> dict:
    """Start the bot on a database, measure, stop; return start-up seconds (serving, first answer, start-up
    work done), memory once started (PSS of both processes after a first answer, the start-up work done),
    the first report after start (libraries loaded on first use) and a second one, the figures, and
    memory at the end (peak RSS of each process, PSS of each).

    The operations are timed once the start-up work is done: they measure the bot at work, not starting.
    """
    store = Store(db_path)  # apply migrations before timing the start-up
    with store.write() as db:
        db["trainings"].insert_all({"user_id": f"UBENCH{i:03d}", "training": "direct-outreach",
                                    "completed_on": "2025-01-01"} for i in range(repeat + 3))
    store.close()
    user, shift_id = pick_subjects(db_path)
    fake = FakeSlack()
    port = free_port()
    proc = start_process([str(ROOT / "bot.py")], {
        "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url,
        "PORT": str(port), "OUTREACH_DB": str(db_path), "OUTREACH_ADMINS": "UADMIN",
        "OUTREACH_TIMEZONE": "America/Chicago"})
    try:
        started = time.perf_counter()
        serving = wait_healthy(port, proc)
        url = f"http://127.0.0.1:{port}/slack/events"
        signed_post(url, command_body("UFIRST", "help", fake.response_url("first")),
                    "application/x-www-form-urlencoded")
        fake.wait_for("response_url", where=lambda c: c.path.endswith("/first"), timeout=60)
        answering = time.perf_counter() - started
        settled = time.perf_counter() - started + wait_quiet(proc.pid)  # the start-up work (what is due) done
        started_pss = memory(proc.pid)
        first_report = time_report(fake, url)  # matplotlib, reportlab and openpyxl load here
        wait_quiet(proc.pid)
        second_report = time_report(fake, url)
        measure(fake, url, 3, user, shift_id)  # warm-up
        figures = measure(fake, url, repeat, user, shift_id, first=3)
        wait_quiet(proc.pid)
        worker = worker_pid(proc.pid)
        end = (peak_rss_mb(proc.pid), peak_rss_mb(worker) if worker else float("nan"), *memory(proc.pid))
    finally:
        stop_process(proc)
        fake.close()
    return {"startup": (serving, answering, settled), "started_pss": started_pss, "reports": (first_report, second_report),
            "figures": figures, "end": end}


def pss_line(label: str, when: str, pss: tuple[float, float]) -> str:
    """Both processes' PSS and their sum, flagged when over the 200 MB the project aims for."""
    total = pss[0] + pss[1]
    flag = "OVER the 200 MB target" if total > MEMORY_TARGET_MB else "under the 200 MB target"
    return (f"{label}: {when}: {pss[0]:.0f} MB acking + {pss[1]:.0f} MB worker = {total:.0f} MB PSS "
            f"(shared pages counted once): {flag}")


def main() -> None:
    """Measure an empty database and a large one, print both side by side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--db", type=Path, help="a database made by bench/generate.py (copied, not changed)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="outreach-scale-"))
    big = tmp / "big.db"
    if args.db:
        shutil.copy(args.db, big)
    else:
        generate(big, shifts=10_000, volunteers=2_000, signups=100_000, debriefs=5_000,
                 now=datetime.now(UTC).replace(microsecond=0))
    empty = tmp / "empty.db"
    Store(empty).close()
    rows = {}
    for label, path in (("empty", empty), ("large", big)):
        rows[label] = run(path, args.repeat)
    print(f"{'operation (end to end)':<24}{'empty p50':>11}{'empty p95':>11}{'large p50':>11}{'large p95':>11}  ms")
    for op in rows["empty"]["figures"]:
        e, g = rows["empty"]["figures"][op], rows["large"]["figures"][op]
        print(f"{op:<24}{e['p50']:>11.1f}{e['p95']:>11.1f}{g['p50']:>11.1f}{g['p95']:>11.1f}")
    over = False
    for label in ("empty", "large"):
        row = rows[label]
        serving, answering, settled = row["startup"]
        (first_answer, first_files), (second_answer, second_files) = row["reports"]
        front, worker, *end_pss = row["end"]
        print(f"{label}: start-up {serving:.2f} s to serve, {answering:.2f} s to the first answer (target < 2 s); "
              f"the start-up work (what is due, derived again) done {settled:.1f} s after starting")
        print(f"{label}: first /outreach report after start: figures answered in {first_answer * 1000:.0f} ms, "
              f"files uploaded after {first_files * 1000:.0f} ms (the report libraries load here); the second: "
              f"{second_answer * 1000:.0f} ms and {second_files * 1000:.0f} ms")
        print(pss_line(label, "started (after a first answer)", row["started_pss"]))
        print(pss_line(label, f"at the end (after {args.repeat + 5} reports)", tuple(end_pss)))
        print(f"{label}: peak RSS {front:.0f} MB acking, {worker:.0f} MB worker")
        over = over or sum(row["started_pss"]) > MEMORY_TARGET_MB or sum(end_pss) > MEMORY_TARGET_MB
    if over:
        print("memory: OVER the 200 MB target; find what loads at start or stays after a report "
              "(python -X importtime bot.py, and bench/README.md, Memory)")
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
