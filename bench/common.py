"""Shared pieces of the benchmarks: paths, a fake Slack, signed requests, percentiles, processes."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fakeslack import FakeSlack  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402

SECRET = "bench-secret"
__all__ = ["FakeSlack", "ROOT", "SECRET", "free_port", "percentiles", "signed_post", "start_process", "wait_healthy"]


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed_post(url: str, body: str, content_type: str, secret: str = SECRET, timeout: float = 10.0) -> tuple[int, float]:
    """POST a request signed like Slack's; return the status and the seconds until the answer."""
    ts = str(int(time.time()))
    headers = {
        "Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - started


def command_body(user: str, text: str, response_url: str) -> str:
    """A /outreach slash command, form-encoded."""
    return urllib.parse.urlencode({
        "command": "/outreach", "text": text, "user_id": user, "team_id": "T1", "channel_id": "CBENCH",
        "response_url": response_url, "trigger_id": "trig",
    })


def payload_body(payload: dict) -> str:
    """An interactive payload, form-encoded."""
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max of latencies in milliseconds."""
    ordered = sorted(samples)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {"p50": cuts[49] * 1000, "p95": cuts[94] * 1000, "p99": cuts[98] * 1000, "max": ordered[-1] * 1000}


def start_process(args: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen:
    """Start a Python process with a clean Slack/outreach environment plus `env`; its log goes to a file.

    (A pipe nobody reads would fill up and block the process on its next log line.)
    """
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OUTREACH_"))}
    full.update(env)
    log = tempfile.NamedTemporaryFile(prefix="outreach-bench-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, *args], env=full, cwd=cwd or ROOT,
                            stdout=subprocess.DEVNULL, stderr=log, text=True)
    proc.log_path = log.name  # type: ignore[attr-defined]
    return proc


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> float:
    """Poll /healthz until it answers; return the seconds it took."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited: {Path(proc.log_path).read_text()}")  # type: ignore[attr-defined]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("process did not become healthy")


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory of a process (Linux), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (Linux); None once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children(pid: int) -> set[int]:
    """The live child processes of a process (the bot's worker, multiprocessing's resource tracker)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def worker_pid(pid: int) -> int | None:
    """The bot's worker process: its child started by multiprocessing's spawn, if it has one yet."""
    for child in children(pid):
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                return child
        except OSError:
            continue
    return None


def alive(pid: int) -> bool:
    """The process exists and has not ended (a zombie has)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def process_tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its children (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats = [_stat(p) for p in {pid, *children(pid)}]
    return sum((int(f[11]) + int(f[12])) / ticks for f in stats if f is not None)


def wait_quiet(pid: int, *, idle_cpu: float = 0.01, window: float = 0.5, timeout: float = 120.0) -> float:
    """Wait until a process and its children use almost no CPU (their queued work is done); return the seconds."""
    started = time.perf_counter()
    before = process_tree_cpu(pid)
    while time.perf_counter() - started < timeout:
        time.sleep(window)
        now = process_tree_cpu(pid)
        if now - before < idle_cpu:
            return time.perf_counter() - started - window
        before = now
    return float("inf")


def pss_mb(pid: int) -> float:
    """A process's proportional set size (Linux): its memory, with pages shared between processes split
    between them, so the PSS of two processes adds up to what they hold together."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stop_process(proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if it has not stopped in time (a benchmark never leaves a process behind)."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


FAKE_SERVER = """
import sys, threading
sys.path.insert(0, {tests!r})
from fakeslack import FakeSlack
fake = FakeSlack()
print(fake.url, flush=True)
sys.stdin.read()  # until the benchmark closes our stdin
fake.close()
"""


def start_fake_process() -> tuple[subprocess.Popen, str]:
    """A fake Slack Web API in a process of its own, so serving the bot's calls costs the load generator nothing."""
    proc = subprocess.Popen([sys.executable, "-c", FAKE_SERVER.format(tests=str(ROOT / "tests"))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()  # type: ignore[union-attr]
    return proc, url
