"""The jobs table: what is acknowledged is written down first, and done once by whoever is alive."""

from __future__ import annotations

import json
import logging
import socket
import time
import urllib.parse
import urllib.request

from conftest import ADMIN, eventually, message_text, shift_fields, state_values

from handlers.health import Alarm
from outreach import jobs

DEAD = f"{socket.gethostname()}:999999999:dead"  # a claimer on this host that is no process (pid beyond pid_max)


def slash(bot, user: str, text: str, name: str) -> str:
    return urllib.parse.urlencode({
        "command": "/outreach", "text": text, "user_id": user, "team_id": "T1", "channel_id": "C1",
        "response_url": bot.fake.response_url(name), "trigger_id": f"trig-{name}"})


def healthz(bot) -> tuple[int, bytes]:
    url = bot.url.replace("/slack/events", "/healthz")
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_a_request_is_written_down_before_its_ack_and_gone_once_done(bot):
    bot.worker.stop()  # no worker: the job stays where the ack left it
    bot.worker_thread.join(timeout=10)
    sent = bot.command("UV", "help")
    assert sent.status == 200
    rows = list(bot.db.query("SELECT kind, mode, body, claimed_by FROM jobs"))
    assert [(r["kind"], r["mode"], r["claimed_by"]) for r in rows] == [("command:/outreach help", "http", None)]
    assert "text=help" in rows[0]["body"]
    assert not bot.fake.calls_to("response_url")


def test_jobs_of_a_process_that_died_are_done_by_the_next_worker(bot, caplog):
    bot.worker.stop()
    bot.worker_thread.join(timeout=10)
    now = time.time()
    # one claimed by a process that was killed, one never claimed
    jobs.add(bot.store, kind="command:/outreach help", mode="http", body=slash(bot, "UV", "help", "dead"),
             headers={"content-type": ["application/x-www-form-urlencoded"]}, now=now, owner=DEAD)
    jobs.add(bot.store, kind="command:/outreach mine", mode="http", body=slash(bot, "UV", "mine", "waiting"),
             headers={"content-type": ["application/x-www-form-urlencoded"]}, now=now)
    caplog.set_level(logging.INFO)
    from conftest import Bot

    again = Bot(bot.fake, bot.tmp, bot.clock)  # a new start over the same database
    try:
        for name in ("dead", "waiting"):
            bot.fake.wait_for("response_url", where=lambda c, n=name: c.path.endswith("/" + n), timeout=10)
        eventually(lambda: bot.db["jobs"].count == 0)
        assert len(bot.fake.calls_to("response_url")) == 2  # each once
    finally:
        again.close()
    assert "1 acknowledged request(s) of a process that ended are being done now" in caplog.text


def test_a_job_too_old_to_answer_is_dropped_and_logged(bot, caplog):
    jobs.add(bot.store, kind="command:/outreach mine", mode="http", body=slash(bot, "UV", "mine", "old"),
             headers={}, now=time.time() - jobs.MAX_AGE - 5, owner=DEAD)
    bot.worker.recover()
    assert bot.db["jobs"].count == 0
    assert "dropped command:/outreach mine: acknowledged and never done (over 30 minutes old" in caplog.text
    assert not bot.fake.calls_to("response_url")


def test_a_job_its_workers_died_on_three_times_is_dropped(bot, caplog):
    bot.worker.stop()
    bot.worker_thread.join(timeout=10)
    job_id = jobs.add(bot.store, kind="command:/outreach report", mode="http", body=slash(bot, "UV", "help", "poison"),
                      headers={}, now=time.time(), owner=DEAD)
    bot.db.execute("UPDATE jobs SET attempts = ? WHERE id = ?", [jobs.MAX_ATTEMPTS - 1, job_id])
    bot.db.conn.commit()
    bot.worker.recover()  # a second death: claimed again
    assert [r["attempts"] for r in bot.db.query("SELECT attempts FROM jobs")] == [jobs.MAX_ATTEMPTS - 1]
    bot.db.execute("UPDATE jobs SET attempts = ?, claimed_by = ? WHERE id = ?", [jobs.MAX_ATTEMPTS, DEAD, job_id])
    bot.db.conn.commit()
    bot.worker.recover()  # the third
    assert bot.db["jobs"].count == 0
    assert "dropped command:/outreach report: acknowledged and never done" in caplog.text


def test_only_the_claimer_finishes_a_job(bot):
    bot.worker.stop()
    bot.worker_thread.join(timeout=10)
    job_id = jobs.add(bot.store, kind="x", mode="http", body="", headers={}, now=time.time(), owner="me:1:a")
    assert not jobs.finish(bot.store, job_id=job_id, owner="someone:2:b")
    assert jobs.finish(bot.store, job_id=job_id, owner="me:1:a")
    assert bot.db["jobs"].count == 0


def test_a_form_whose_process_died_after_its_answer_is_done_once_by_the_worker(bot):
    """The shift form answered (modal closed), then its process was killed before the shift was saved."""
    payload = {
        "type": "view_submission", "team": {"id": "T1"}, "user": {"id": ADMIN, "team_id": "T1"},
        "api_app_id": "A1", "token": "legacy", "trigger_id": "trig",
        "view": {"id": "VDEAD", "type": "modal", "callback_id": "shift_form", "team_id": "T1",
                 "private_metadata": json.dumps({"channel": "CGENERAL"}), "hash": "h",
                 "state": {"values": state_values(shift_fields(bot.clock, area="Northside"))}},
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    for _ in range(2):  # and Slack sent it twice
        jobs.add(bot.store, kind="view_submission:shift_form", mode="http", body=body,
                 headers={"content-type": ["application/x-www-form-urlencoded"]}, now=time.time(), owner=DEAD)
    bot.worker.recover()
    bot.kit.wake()
    eventually(lambda: bot.db["jobs"].count == 0)
    assert [r["area"] for r in bot.db.query("SELECT area FROM shifts")] == ["Northside"]
    bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "CGENERAL")


def test_healthz_and_the_coordinators_say_when_work_stops_and_when_it_resumes(bot, caplog):
    assert healthz(bot) == (200, b"ok")
    alarm = Alarm(bot.watch, notifier=bot.kit.notifier, admins=[ADMIN])
    bot.worker.stop()  # a worker that takes nothing
    bot.worker_thread.join(timeout=10)
    status, why = healthz(bot)
    assert status == 503 and b"worker process is not running" in why
    bot.watch.worker_alive = lambda: True  # alive, but stuck
    bot.watch.wait_limit = 0.05
    assert bot.command("UV", "help").status == 200  # acknowledged and written down
    eventually(lambda: healthz(bot)[0] == 503)
    assert b"1 request(s) waiting for a worker" in healthz(bot)[1]
    for _ in range(3):
        alarm.look()
    told = [message_text(c.params) for c in bot.dms(ADMIN)]  # the admins, by DM, once
    assert len(told) == 1 and "stopped doing or sending what it must" in told[0]
    assert "waiting for a worker" in told[0]
    assert "work is not being taken: 1 request(s) waiting for a worker" in caplog.text
    from conftest import Bot

    again = Bot(bot.fake, bot.tmp, bot.clock)  # the bot restarted: the waiting command is done
    try:
        bot.fake.wait_for("response_url", timeout=10)
        eventually(lambda: healthz(bot)[0] == 200)
        alarm.look()
        alarm.look()
    finally:
        again.close()
    told = [message_text(c.params) for c in bot.dms(ADMIN)]
    assert len(told) == 2 and "answering again" in told[1]


def test_a_claim_is_given_back_when_its_pid_now_belongs_to_another_process(bot):
    """After a container restart, the new processes often get the old pids: the start time tells them apart."""
    import os

    from outreach.lease import make_owner, started

    bot.worker.stop()
    bot.worker_thread.join(timeout=10)
    host, pid = socket.gethostname(), os.getpid()
    reused = f"{host}:{pid}:{int(started(pid)) + 1}:old"  # this pid, another start: a process that is gone
    live = make_owner()  # this very process
    for owner in (reused, live):
        jobs.add(bot.store, kind=f"job of {owner}", mode="http", body="", headers={}, now=time.time(), owner=owner)
    given_back, dropped = jobs.recover(bot.store, now=time.time())
    assert (given_back, dropped) == (1, [])
    claims = {r["kind"]: r["claimed_by"] for r in bot.db.query("SELECT kind, claimed_by FROM jobs")}
    assert claims == {f"job of {reused}": None, f"job of {live}": live}


def test_a_view_submission_no_form_takes_leaves_no_job_behind(bot):
    sent = bot.submit("UV", "some_old_modal", {"area": "x"})
    assert sent.status == 404  # Bolt: no listener for it
    assert bot.db["jobs"].count == 0  # its job was deleted before the answer, not left claimed
