"""The worker process: work handed over after the ack is done, once, even across stops and crashes."""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import signal
import threading
import time
from dataclasses import replace

import pytest
from conftest import ADMIN, eventually, shift_fields
from test_fuzz import ERROR_WORDS
from test_process import free_port, start, stop, wait_http

from bench.common import SECRET, alive, command_body, signed_post, worker_pid
from handlers import commands
from handlers.worker import AckGate, JobPipe, PipeJobs, Worker, wait_until
from outreach import shifts as shifts_domain


def worker_of(proc) -> int:
    """The bot's worker process, once it has started."""
    deadline = time.monotonic() + 20
    while (pid := worker_pid(proc.pid)) is None:
        assert time.monotonic() < deadline, "the bot has no worker process"
        time.sleep(0.05)
    return pid


def http_bot(tmp_path, fake):
    port = free_port()
    proc = start(tmp_path, {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url,
                            "PORT": str(port)})
    wait_http(port, proc)
    return proc, f"http://127.0.0.1:{port}/slack/events"


def ask_help(url: str, fake, name: str) -> int:
    status, _ = signed_post(url, command_body("UV", "help", fake.response_url(name)),
                            "application/x-www-form-urlencoded")
    return status


def test_stop_finishes_the_work_already_acked(tmp_path, fake):
    proc, url = http_bot(tmp_path, fake)
    names = [f"n{i}" for i in range(20)]
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda n=n: statuses.append(ask_help(url, fake, n))) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    proc.send_signal(signal.SIGTERM)  # at once: most of the work is still in the worker's queue
    code, err = stop(proc)
    assert code == 0, err
    assert statuses == [200] * 20
    answered = {c.path.rsplit("/", 1)[1] for c in fake.calls_to("response_url")}
    assert answered == set(names)  # every acked command was answered before the bot stopped
    assert err.count("handled command:/outreach help") == 20


def test_a_worker_that_dies_is_replaced_and_no_request_is_lost_meanwhile(tmp_path, fake):
    proc, url = http_bot(tmp_path, fake)
    try:
        first = worker_of(proc)
        assert ask_help(url, fake, "before") == 200
        fake.wait_for("response_url", where=lambda c: c.path.endswith("/before"), timeout=10)
        os.kill(first, signal.SIGKILL)
        eventually(lambda: not alive(first), timeout=20)
        assert ask_help(url, fake, "while-down") == 200  # acked at once; the job waits in the queue
        fake.wait_for("response_url", where=lambda c: c.path.endswith("/while-down"), timeout=20)
        assert worker_of(proc) != first
    finally:
        code, err = stop(proc)
    assert code == 0, err
    assert "the worker process ended (exit code -9); starting another" in err


def test_a_bot_killed_with_9_leaves_no_worker_behind(tmp_path, fake):
    proc, url = http_bot(tmp_path, fake)
    pid = worker_of(proc)
    assert ask_help(url, fake, "last") == 200
    fake.wait_for("response_url", where=lambda c: c.path.endswith("/last"), timeout=10)
    proc.kill()
    proc.wait(timeout=10)
    eventually(lambda: not alive(pid), timeout=20)  # it reads the end of its pipe and finishes


def test_an_error_in_work_after_the_ack_is_told_to_the_person(bot, monkeypatch, caplog):
    def broken(req):
        raise RuntimeError("boom")

    monkeypatch.setitem(commands.REGISTRY, "help", replace(commands.REGISTRY["help"], fn=broken))
    sent = bot.command("UV", "help")
    assert sent.status == 200
    assert ERROR_WORDS in sent.text()
    assert "unhandled RuntimeError while handling command:/outreach help" in caplog.text


def test_a_form_is_answered_as_soon_as_it_acks_and_its_work_goes_on_after(bot, monkeypatch):
    """The shift form closes once it is checked; the shift is saved and posted after that answer."""
    release, calls = threading.Event(), []
    original = shifts_domain.create_shift

    def held(*args, **kwargs):
        calls.append(1)
        assert release.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(shifts_domain, "create_shift", held)
    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock), metadata={"channel": "CGENERAL"})
    assert (sent.status, sent.body) == (200, b"")  # the modal closes while the work is held
    eventually(lambda: calls)
    assert bot.db["shifts"].count == 0
    release.set()
    eventually(lambda: bot.db["shifts"].count == 1)
    bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "CGENERAL")
    errors = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, end_time="18:00"), metadata={"channel": "C1"})
    assert errors.json()["response_action"] == "errors" and "end_time" in errors.json()["errors"]


def test_an_error_in_a_form_before_its_answer_is_a_500_and_after_it_is_logged(bot, monkeypatch, caplog):
    def broken_check(*args, **kwargs):
        raise RuntimeError("check broke")

    monkeypatch.setattr(shifts_domain, "check_draft", broken_check)
    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock), metadata={"channel": "C1"})
    assert sent.status == 500
    assert "unhandled RuntimeError while handling view_submission:shift_form" in caplog.text
    monkeypatch.undo()

    def broken_save(*args, **kwargs):
        raise ValueError("save broke")

    monkeypatch.setattr(shifts_domain, "create_shift", broken_save)
    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock), metadata={"channel": "C1"})
    assert (sent.status, sent.body) == (200, b"")
    eventually(lambda: "unhandled ValueError while handling view_submission:shift_form" in caplog.text)
    assert bot.db["shifts"].count == 0


# -- the pieces, without processes


class Recorder:
    """An app stand-in that records what it was asked to dispatch."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.lock = threading.Lock()

    def dispatch(self, request) -> None:
        with self.lock:
            self.bodies.append(request.raw_body)


def job(n: int) -> tuple:
    return ("http", f"command=%2Foutreach&text=help&n={n}", {"content-type": ["application/x-www-form-urlencoded"]},
            1.0, 0.0)


def test_worker_runs_every_job_before_the_stop_mark():
    app, jobs = Recorder(), queue.Queue()
    for n in range(30):
        jobs.put(job(n))
    jobs.put(None)
    Worker(app, jobs, threads=4).serve()
    assert sorted(app.bodies) == sorted(job(n)[1] for n in range(30))


def test_worker_finishes_what_was_written_when_the_writing_end_is_gone():
    # The bot's main process killed: its end of the pipe closes; what it had written is still done.
    app = Recorder()
    reader, writer = multiprocessing.get_context("spawn").Pipe(duplex=False)
    writer.send([job(n) for n in range(3)])
    writer.send([job(n) for n in range(3, 5)])
    writer.close()
    received = multiprocessing.get_context("spawn").RawValue("q", 0)
    runner = threading.Thread(target=Worker(app, PipeJobs((reader, received)), threads=2).serve)
    runner.start()
    runner.join(timeout=20)
    assert not runner.is_alive() and sorted(app.bodies) == sorted(job(n)[1] for n in range(5))
    assert received.value == 2  # batches read, counted for the acking process


def read_all(end, timeout: float = 5.0) -> list:
    """Every job a worker reading `end` would get until the writer goes quiet."""
    jobs, got = PipeJobs(end), []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got.append(jobs.get(timeout=0.2))
        except queue.Empty:
            if got:
                break
    return got


def test_a_dead_workers_unread_jobs_go_to_the_next_one_once():
    pipe = JobPipe(multiprocessing.get_context("spawn"))
    first = pipe.reader()
    for n in range(3):
        pipe.put(job(n))
        eventually(lambda n=n: len(pipe._sent) == n + 1)  # three batches written, one job each
    read_one = PipeJobs(first)
    assert read_one.get(timeout=5) == job(0)  # the first worker reads one, then dies
    second = pipe.renew()
    for n in range(3, 5):
        pipe.put(job(n))
    got = read_all(second)
    assert sorted(j[1] for j in got) == sorted(job(n)[1] for n in range(1, 5))  # the unread ones, once each
    assert got[:2] == [job(1), job(2)]  # before the jobs that came after the renewal
    pipe.put(None)
    pipe.close()


def test_gate_is_busy_while_acking_and_quiet_after():
    gate = AckGate(multiprocessing.get_context("spawn"))
    assert gate.quiet(gap=0)
    with gate.acking():
        assert not gate.quiet(gap=0)
        waited = gate.wait_quiet(most=0.05)
        assert waited >= 0.05  # it never starts a job while an ack is under way, until its patience ends
    assert gate.quiet(gap=0)
    assert not gate.quiet(gap=3600)  # an ack just ended
    own = time.monotonic()
    assert not gate.quiet(since=own, gap=3600, lone=3600)  # none since the job's own: the shorter gap...
    assert gate.quiet(since=own, gap=3600, lone=0)  # ...applies
    time.sleep(0.005)
    assert gate.quiet(since=own, gap=3600)  # a request on its own starts after LONE_GAP


def test_waiting_beside_the_acks_looks_less_and_less_often():
    looks = []
    waited = wait_until(lambda: looks.append(1) and False, most=0.1)  # never ready
    assert waited >= 0.1
    assert len(looks) <= 9  # 5, 10, 20, 20, ... ms apart: a look every 2 ms would be about 50
    assert wait_until(lambda: True, most=5) < 0.05  # ready at once: no wait


@pytest.mark.parametrize("busy", [0, 3])
def test_gate_counts_concurrent_acks(busy):
    gate = AckGate(multiprocessing.get_context("spawn"))
    entered, release = threading.Barrier(busy + 1), threading.Event()

    def ack() -> None:
        with gate.acking():
            entered.wait()
            release.wait()

    threads = [threading.Thread(target=ack) for _ in range(busy)]
    for t in threads:
        t.start()
    entered.wait()
    assert gate.busy.value == busy
    release.set()
    for t in threads:
        t.join()
    assert gate.busy.value == 0


def test_events_acked_before_their_listener_runs_still_reach_the_worker(tmp_path, fake):
    # Bolt acks an event before its listener starts, so the hand-over cannot wait for the listener.
    proc, url = http_bot(tmp_path, fake)
    try:
        for i in range(5):
            body = json.dumps({"type": "event_callback", "team_id": "T1", "event_id": f"EvW{i}",
                               "event": {"type": "app_home_opened", "user": f"UH{i}", "tab": "home"}})
            assert signed_post(url, body, "application/json")[0] == 200
        published = fake.wait_for("views.publish", count=5, timeout=20)
        assert {c.params["user_id"] for c in published} == {f"UH{i}" for i in range(5)}
    finally:
        code, err = stop(proc)
    assert code == 0, err
    assert err.count("handled event:app_home_opened ack_ms=") == 5  # one line each, from the worker


def due_now(bot, *users: str) -> None:
    from outreach import outbox

    now = bot.clock()
    with bot.kit.services.store.write() as db:
        for user in users:
            outbox.enqueue(db, key=f"test:{user}", channel=user, template="test/plain", context={},
                           due_at=now, now=now)


@pytest.fixture
def plain_notice(monkeypatch):
    from handlers import notify

    monkeypatch.setitem(notify.NOTICES, "test/plain", lambda kit, context: ("A plain notice.", []))


def test_the_timers_sending_steps_aside_while_requests_are_worked_on(bot, plain_notice):
    asked = []

    def under_way() -> int:  # a request is under way for the first 5 looks
        asked.append(1)
        return 1 if len(asked) <= 5 else 0

    bot.kit.requests_under_way = under_way
    due_now(bot, "UA1", "UA2")
    assert bot.kit.notifier.flush() == 2  # a handler's own flush never waits (it is part of the request)
    assert asked == []
    due_now(bot, "UA3", "UA4")
    assert bot.kit.notifier.flush(background=True) == 2
    assert len(asked) == 5 + 2  # it looked until the request was done, then once more per message
    sent_to = [c.params["channel"] for c in bot.fake.calls_to("chat.postMessage")]
    assert sorted(sent_to) == ["UA1", "UA2", "UA3", "UA4"]


def test_the_timers_sending_waits_only_so_long(bot, plain_notice):
    bot.kit.requests_under_way = lambda: 1  # a request that never ends
    bot.kit.notifier.step_aside = 0.01
    due_now(bot, "UB1")
    assert bot.kit.notifier.flush(background=True) == 1  # sent all the same, a moment later
    assert [c.params["channel"] for c in bot.fake.calls_to("chat.postMessage")] == ["UB1"]


def test_each_periodic_job_starts_between_requests(bot):
    asked = []
    bot.kit.requests_under_way = lambda: asked.append(1) or 0
    bot.kit.tick()  # nothing is due: only the periodic jobs look
    assert len(asked) == len(bot.kit.periodic) > 0
