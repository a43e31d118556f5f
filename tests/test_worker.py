"""The worker process: work handed over after the ack is done, once, even across stops and crashes."""

from __future__ import annotations

import json
import os
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
    assert err.count("handled command:/outreach help wait_ms=") == 20  # one line each, from the worker


def test_a_worker_that_dies_is_replaced_and_no_request_is_lost_meanwhile(tmp_path, fake):
    proc, url = http_bot(tmp_path, fake)
    try:
        first = worker_of(proc)
        assert ask_help(url, fake, "before") == 200
        fake.wait_for("response_url", where=lambda c: c.path.endswith("/before"), timeout=10)
        os.kill(first, signal.SIGKILL)
        eventually(lambda: not alive(first), timeout=20)
        assert ask_help(url, fake, "while-down") == 200  # acked at once; the job waits in the table
        fake.wait_for("response_url", where=lambda c: c.path.endswith("/while-down"), timeout=20)
        assert worker_of(proc) != first
    finally:
        code, err = stop(proc)
    assert code == 0, err
    assert "the worker process ended (exit code -9); starting another" in err


def test_large_requests_handed_over_while_the_worker_is_killed_are_all_answered_once(tmp_path, fake):
    """Regression: the old pipe's renewal raced its sender thread (six 20 KB jobs lost it 19 times in 20),
    and every later request was acked and dropped. Jobs now wait in the table for the next worker."""
    proc, url = http_bot(tmp_path, fake)
    try:
        for round_ in range(2):
            worker = worker_of(proc)
            for i in range(6):
                body = command_body("UV", "help", fake.response_url(f"big{round_}-{i}")) + "&pad=" + "x" * 20_000
                assert signed_post(url, body, "application/x-www-form-urlencoded")[0] == 200
            os.kill(worker, signal.SIGKILL)
            eventually(lambda w=worker: not alive(w), timeout=20)
        assert ask_help(url, fake, "after") == 200  # and requests after the kills are answered too
        names = [f"big{r}-{i}" for r in range(2) for i in range(6)] + ["after"]
        for name in names:
            fake.wait_for("response_url", where=lambda c, n=name: c.path.endswith("/" + n), timeout=30)
    finally:
        code, err = stop(proc)
    answered = {c.path.rsplit("/", 1)[1] for c in fake.calls_to("response_url")}
    assert answered == set(names)  # (one the worker was answering when killed may be answered twice)
    assert code == 0, err


def test_a_bot_killed_with_9_leaves_no_worker_behind(tmp_path, fake):
    proc, url = http_bot(tmp_path, fake)
    pid = worker_of(proc)
    assert ask_help(url, fake, "last") == 200
    fake.wait_for("response_url", where=lambda c: c.path.endswith("/last"), timeout=10)
    proc.kill()
    proc.wait(timeout=10)
    eventually(lambda: not alive(pid), timeout=20)  # it sees its parent gone, finishes what it has, ends


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
    assert err.count("handled event:app_home_opened wait_ms=") == 5  # one line each, from the worker


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


def test_a_job_waits_for_the_acks_under_way_but_not_for_long(bot):
    import multiprocessing

    from handlers.worker import MAX_YIELD, AckGate

    gate = AckGate(multiprocessing.get_context("spawn"))
    bot.worker.gate = gate
    waits = []
    original = bot.app.dispatch

    def timed(request):
        waits.append((gate.quiet(), time.monotonic()))
        return original(request)

    bot.worker.app = type("Timed", (), {"dispatch": staticmethod(timed)})()
    with gate.acking():  # an ack under way in the receiving process
        assert not gate.quiet()
        started = time.monotonic()
        assert bot.command("UV", "help").status == 200
        eventually(lambda: waits)
    assert gate.quiet()
    quiet, at = waits[0]
    assert not quiet and at - started >= MAX_YIELD  # it waited, then went ahead all the same
    bot.worker.app = bot.app
    assert bot.command("UV", "help").text()  # with no ack under way, at once
