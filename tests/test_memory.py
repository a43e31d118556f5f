"""What `python bot.py` loads: the report and chart libraries only when a report is first asked for.

Both processes run with Python's own import log (PYTHONPROFILEIMPORTTIME, which the worker inherits): one
line on stderr per module imported, so the test reads what was loaded without any debug hook in the bot.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from slack_sdk.signature import SignatureVerifier
from test_process import ROOT, free_port, stop, wait_http

from outreach import heap

SECRET = "sec"
# Loaded when a report, a statement or a roster is first built (numpy comes with matplotlib; sqlite-utils
# would load it at start, bot.py keeps it from doing so).
ON_FIRST_REPORT = {"matplotlib", "reportlab", "openpyxl", "numpy", "PIL"}


def post(port: int, body: str, content_type: str) -> None:
    """A request signed like Slack's; the bot acks it with 200."""
    ts = str(int(time.time()))
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def command(port: int, fake, user: str, text: str) -> dict:
    """Send /outreach TEXT and return the bot's answer to its response_url."""
    name = f"{text or 'bare'}-{time.monotonic_ns()}"
    post(port, urllib.parse.urlencode({"command": "/outreach", "text": text, "user_id": user, "team_id": "T1",
                                       "channel_id": "CCOORD", "response_url": fake.response_url(name),
                                       "trigger_id": "t"}), "application/x-www-form-urlencoded")
    return fake.wait_for("response_url", where=lambda c: c.path.endswith("/" + name), timeout=30)[0].params


def imported(log: Path) -> set[str]:
    """The top-level packages named in the import log so far (both processes write to the same file)."""
    names = set()
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def test_report_libraries_load_only_when_a_report_is_first_asked_for(tmp_path, fake):
    port = free_port()
    log = tmp_path / "stderr.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OUTREACH_"))}
    env.update({"OUTREACH_DB": str(tmp_path / "bot.db"), "OUTREACH_ADMINS": "UADMIN", "SLACK_BOT_TOKEN": "xoxb-t",
                "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url, "PORT": str(port),
                "OUTREACH_FEED_PORT": str(free_port()), "OUTREACH_COORDINATOR_CHANNEL": "CCOORD",
                "PYTHONPROFILEIMPORTTIME": "1"})
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, str(ROOT / "bot.py")], env=env, cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=err, text=True)
    try:
        wait_http(port, proc)
        assert "/outreach shifts" in command(port, fake, "UV1", "help")["text"]
        assert "No shifts are planned" in command(port, fake, "UV1", "shifts")["text"]
        command(port, fake, "UV1", "mine")
        post(port, json.dumps({"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
                               "event": {"type": "app_home_opened", "user": "UV1", "tab": "home"}}),
             "application/json")
        fake.wait_for("views.publish", timeout=30)

        served = imported(log)
        assert {"slack_bolt", "sqlite_utils", "jinja2"} <= served  # the log is read: the bot's own libraries
        assert served & ON_FIRST_REPORT == set()

        answer = command(port, fake, "UADMIN", "report")  # the first report after start still works
        assert "Outreach impact" in answer["text"] and "being uploaded to <#CCOORD>" in answer["text"]
        upload = fake.wait_for("files.completeUploadExternal", timeout=60)[0]
        assert len(json.loads(upload.params["files"])) == 3  # the chart, the PDF and the workbook
        assert {"matplotlib", "reportlab", "openpyxl"} <= imported(log)
    finally:
        code, _ = stop(proc)
    assert code == 0, log.read_text()[-3000:]


def test_release_gives_the_freed_heap_back_where_glibc_runs():
    glibc = sys.platform == "linux" and bool(os.confstr("CS_GNU_LIBC_VERSION"))
    assert heap.release() is glibc  # malloc_trim found and called where the bot runs (Linux, glibc)

    def fails() -> None:
        raise ValueError("drawing failed")

    with pytest.raises(ValueError):  # what the wrapped function raises goes through, memory released all the same
        heap.hands_memory_back(fails)()
    assert heap.hands_memory_back(lambda x: x * 2)(21) == 42


def test_nested_builders_release_once_when_the_outermost_returns(monkeypatch):
    released = []
    monkeypatch.setattr(heap, "release", lambda: released.append(True) or True)
    chart = heap.hands_memory_back(lambda: "png")
    report = heap.hands_memory_back(lambda: [chart(), chart(), "pdf"])
    assert report() == ["png", "png", "pdf"]
    assert released == [True]  # one collection for the whole report, not one per file
    chart()
    assert released == [True, True]
