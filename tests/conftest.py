"""The test harness: the real Bolt app served over HTTP, signed requests, a fake Slack, real SQLite."""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlite_utils import Database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakeslack import Call, FakeSlack  # noqa: E402

from handlers import create_app  # noqa: E402
from handlers.health import Watch  # noqa: E402
from handlers.web import WebServer, wsgi_app  # noqa: E402
from handlers.worker import JobWorker  # noqa: E402
from outreach.catalog import Catalog  # noqa: E402
from outreach.lease import make_owner  # noqa: E402
from outreach.services import Services  # noqa: E402
from outreach.settings import load_settings  # noqa: E402
from outreach.store import Store  # noqa: E402

SECRET = "test-signing-secret"
ADMIN = "UADMIN"
COORD_CHANNEL = "CCOORD"
START = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, **kwargs: float) -> datetime:
        with self._lock:
            self.now += timedelta(**kwargs)
            return self.now


@dataclass
class Sent:
    """A request sent to the bot, and how to find what it answered."""

    bot: Bot
    status: int
    body: bytes
    response_name: str

    def json(self) -> dict:
        return json.loads(self.body or b"{}")

    def reply(self, timeout: float = 5.0) -> dict:
        """The first message posted to this request's response_url."""
        path = f"/response_url/{self.response_name}"
        calls = self.bot.fake.wait_for("response_url", where=lambda c: c.path == path, timeout=timeout)
        return calls[0].params

    def text(self, timeout: float = 5.0) -> str:
        """The reply's text and every text in its blocks, joined."""
        return message_text(self.reply(timeout))


def eventually(predicate, timeout: float = 5.0) -> None:
    """Poll until `predicate()` holds (work after an ack finishes after its answer)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def message_text(params: dict) -> str:
    """All the words of a message: its text plus the text inside its blocks."""
    words = [str(params.get("text") or "")]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
                words.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(params.get("blocks") or [])
    return "\n".join(words)


FIELD_TYPES = {
    "kind": "static_select", "venue": "static_select", "training": "static_select", "safety_net": "static_select",
    "languages": "multi_static_select", "lead": "users_select",
    "start_date": "datepicker", "end_date": "datepicker",
    "start_time": "timepicker", "end_time": "timepicker",
}


def state_values(fields: dict[str, object]) -> dict:
    """A view's state.values as Slack sends it, from plain field values."""
    values: dict = {}
    for name, value in fields.items():
        kind = FIELD_TYPES.get(name, "plain_text_input")
        if kind == "static_select":
            state = {"type": kind, "selected_option": {"value": value} if value is not None else None}
        elif kind == "multi_static_select":
            state = {"type": kind, "selected_options": [{"value": v} for v in (value or [])]}
        elif kind == "users_select":
            state = {"type": kind, "selected_user": value}
        elif kind == "datepicker":
            state = {"type": kind, "selected_date": value}
        elif kind == "timepicker":
            state = {"type": kind, "selected_time": value}
        else:
            state = {"type": kind, "value": value}
        values[name] = {"value": state}
    return values


class Bot:
    """The real app behind a real HTTP server, driven with signed requests."""

    def __init__(self, fake: FakeSlack, tmp: Path, clock: Clock, env: dict[str, str] | None = None,
                 client: object | None = None) -> None:
        self.fake = fake
        self.clock = clock
        self.tmp = tmp
        self._names = itertools.count(1)
        self._db: Database | None = None
        base = {
            "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url,
            "OUTREACH_DB": str(tmp / "outreach.db"), "OUTREACH_ADMINS": ADMIN,
            "OUTREACH_TIMEZONE": "America/Chicago", "OUTREACH_COORDINATOR_CHANNEL": COORD_CHANNEL,
        }
        self.settings = load_settings(dict(base, **(env or {})))
        self.store = Store(self.settings.db_path, clock=clock)
        self.services = Services(
            settings=self.settings, store=self.store, catalog=Catalog.load(self.settings.data_dir), clock=clock
        )
        self.app, self.kit = create_app(self.services, client=client)
        # The worker, as `bot.py run` has it in a process of its own: here a thread over the same app.
        wake = threading.Semaphore(0)
        self.kit.wake = wake.release
        self.worker = JobWorker(self.app, self.store, wake, owner=make_owner())
        self.kit.requests_under_way = self.worker.active
        self.worker_thread = threading.Thread(target=self.worker.serve, name="test-worker", daemon=True)
        self.worker_thread.start()
        self.watch = Watch(self.store, worker_alive=self.worker_thread.is_alive)
        self.server = WebServer(wsgi_app(self.app, signing_secret=SECRET, health=self.watch.check),
                                host="127.0.0.1", port=0)
        self.server.start()
        self.url = f"http://127.0.0.1:{self.server.port}/slack/events"

    @property
    def db(self) -> Database:
        """The test's own connection to the bot's database (never the bot's, which other threads use)."""
        if self._db is None:
            self._db = Database(sqlite3.connect(str(self.settings.db_path), check_same_thread=False, timeout=30))
        return self._db

    def close(self) -> None:
        self.server.stop()
        self.worker.stop()
        self.worker_thread.join(timeout=30)
        self.store.close()
        if self._db is not None:
            self._db.conn.close()
        leaks = lock_screen_leaks(self.fake)
        assert not leaks, f"DM text a lock screen would show with a forbidden word: {leaks}"

    # -- sending

    def post(self, body: str, *, content_type: str, secret: str = SECRET, timestamp: int | None = None,
             sign: bool = True, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if sign:
            all_headers["X-Slack-Request-Timestamp"] = ts
            all_headers["X-Slack-Signature"] = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        request = urllib.request.Request(self.url, data=body.encode(), headers=all_headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def command(self, user: str, text: str, *, channel: str = "CGENERAL", **kw: object) -> Sent:
        name = f"cmd{next(self._names)}"
        form = {
            "token": "legacy", "team_id": "T1", "team_domain": "test", "channel_id": channel,
            "channel_name": "general", "user_id": user, "user_name": user.lower(), "command": "/outreach",
            "text": text, "api_app_id": "A1", "response_url": self.fake.response_url(name),
            "trigger_id": f"trig-{name}",
        }
        status, body = self.post(urllib.parse.urlencode(form), content_type="application/x-www-form-urlencoded", **kw)
        return Sent(self, status, body, name)

    def interactive(self, payload: dict, **kw: object) -> tuple[int, bytes]:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(body, content_type="application/x-www-form-urlencoded", **kw)

    def click(self, user: str, action_id: str, value: str, *, container: dict | None = None,
              view: dict | None = None, **kw: object) -> Sent:
        name = f"act{next(self._names)}"
        payload = {
            "type": "block_actions", "team": {"id": "T1"}, "user": {"id": user, "team_id": "T1"},
            "api_app_id": "A1", "token": "legacy", "trigger_id": f"trig-{name}",
            "container": container or {"type": "message", "channel_id": "CGENERAL", "message_ts": "1.1"},
            "channel": {"id": (container or {}).get("channel_id", "CGENERAL")},
            "response_url": self.fake.response_url(name),
            "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                         "action_ts": f"{time.time():.6f}"}],
        }
        if view is not None:
            payload["view"] = view
        status, body = self.interactive(payload, **kw)
        return Sent(self, status, body, name)

    def submit(self, user: str, callback_id: str, fields: dict[str, object], *,
               metadata: dict | None = None, view_id: str | None = None, **kw: object) -> Sent:
        name = f"view{next(self._names)}"
        payload = {
            "type": "view_submission", "team": {"id": "T1"}, "user": {"id": user, "team_id": "T1"},
            "api_app_id": "A1", "token": "legacy", "trigger_id": f"trig-{name}",
            "view": {
                "id": view_id or f"V{name}", "type": "modal", "callback_id": callback_id, "team_id": "T1",
                "private_metadata": json.dumps(metadata or {}), "state": {"values": state_values(fields)},
                "hash": "h",
            },
        }
        status, body = self.interactive(payload, **kw)
        return Sent(self, status, body, name)

    def event(self, event: dict, **kw: object) -> tuple[int, bytes]:
        body = json.dumps({
            "token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
            "event_id": f"Ev{next(self._names)}", "event_time": int(time.time()), "event": event,
        })
        return self.post(body, content_type="application/json", **kw)

    # -- helpers for setting up state

    def make_coordinator(self, user: str) -> None:
        assert self.command(ADMIN, f"role <@{user}> coordinator").status == 200
        self.fake.wait_for("response_url", where=lambda c: f"<@{user}>" in str(c.params.get("text")))

    def train(self, user: str, training: str = "direct-outreach", expires: str | None = None) -> None:
        text = f"train <@{user}> {training}" + (f" expires {expires}" if expires else "")
        sent = self.command(ADMIN, text)
        assert "Recorded" in sent.text(), sent.text()

    def create_shift(self, **overrides: object) -> int:
        """Create a shift through the real form and return its number."""
        fields = shift_fields(self.clock, **overrides)
        with self.store.read() as db:
            before = next(db.query("SELECT coalesce(max(id), 0) AS n FROM shifts"))["n"]
        sent = self.submit(ADMIN, "shift_form", fields, metadata={"channel": "CGENERAL"})
        assert sent.status == 200 and not sent.body, sent.body
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the form closes first; the shift is saved and posted after
            with self.store.read() as db:
                row = next(db.query("SELECT id, message_ts FROM shifts WHERE id > ? ORDER BY id LIMIT 1", [before]), None)
            if row and row["message_ts"]:
                return row["id"]
            time.sleep(0.01)
        raise AssertionError("shift was not created and posted")

    def dms(self, user: str) -> list[Call]:
        return [c for c in self.fake.calls_to("chat.postMessage") if c.params.get("channel") == user]

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the worker has no job and no message is half-sent (claimed, not yet marked).

        The outbox's claim lease is measured on the test's clock: moving the clock while a send is in
        flight would make its claim look stale and let the next tick send it again."""
        def idle() -> bool:
            with self.store.read() as db:
                jobs = db.execute("SELECT count(*) FROM jobs").fetchone()[0]
                sending = db.execute("SELECT count(*) FROM notifications WHERE claimed_at IS NOT NULL "
                                     "AND sent_at IS NULL").fetchone()[0]
            return jobs == 0 and sending == 0

        eventually(idle, timeout=timeout)


def at(bot: Bot, moment: datetime) -> None:
    """Move the clock to `moment` once the bot is idle, then run the timer's work once."""
    bot.settle()
    bot.clock.now = moment
    bot.kit.tick()


def shift_fields(clock: Clock, **overrides: object) -> dict[str, object]:
    """A valid shift form for tomorrow evening in Chicago."""
    day = (clock() + timedelta(days=1)).date().isoformat()
    fields: dict[str, object] = {
        "kind": "direct", "venue": "motel", "area": "Eastside", "start_date": day, "start_time": "19:00",
        "end_date": day, "end_time": "23:00", "capacity": "3", "min_team": "2", "languages": ["es"],
        "lead": "ULEAD", "training": "direct-outreach", "notes": "Meet at the library.",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def fake():
    with FakeSlack() as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bot(fake: FakeSlack, tmp_path: Path, clock: Clock):
    instance = Bot(fake, tmp_path, clock)
    yield instance
    instance.close()


# -- helpers for debriefs (forms with tick boxes and people pickers)

DEBRIEF_TYPES = {
    "db_venue": "static_select", "db_load": "static_select", "wb_load": "static_select",
    "db_team": "multi_users_select", "db_languages": "multi_static_select", "db_indicators": "multi_static_select",
    "db_referrals": "multi_static_select", "db_flags": "checkboxes", "db_checkin": "checkboxes",
    "wb_checkin": "checkboxes", "db_start_date": "datepicker", "db_end_date": "datepicker",
    "db_fu1_due": "datepicker", "db_fu2_due": "datepicker", "db_start_time": "timepicker",
    "db_end_time": "timepicker", "db_fu1_owner": "users_select", "db_fu2_owner": "users_select",
    "back": "multi_users_select", "absent": "multi_users_select", "out": "multi_users_select",
}


def everyone_back(bot: Bot, number: int, *, lead: str = "ULEAD", back: list[str] | None = None,
                  absent: list[str] | None = None) -> Sent:
    """The lead's "Everyone back safe" form, submitted: `back` (by default everyone not yet accounted for)
    checked out, `absent` marked as not out tonight."""
    from outreach import safety

    if back is None:
        back = [u for u in safety.load_state(bot.store, number).unaccounted if u not in (absent or [])]
    sent = submit_typed(bot, lead, "safety_team_out", {"back": back, "absent": list(absent or [])},
                        metadata={"shift_id": number})
    assert sent.status == 200 and not sent.body, sent.body
    return sent


def typed_state(fields: dict[str, object]) -> dict:
    """state.values for a form of any input types (DEBRIEF_TYPES, else plain text or number)."""
    values: dict = {}
    for name, value in fields.items():
        kind = DEBRIEF_TYPES.get(name, "plain_text_input")
        if kind == "checkboxes":
            state = {"type": kind, "selected_options": [{"value": v} for v in (value or [])]}
        elif kind == "multi_users_select":
            state = {"type": kind, "selected_users": list(value or [])}
        else:
            FIELD_TYPES.setdefault(name, kind)
            state = state_values({name: value})[name]["value"]
        values[name] = {"value": state}
    return values


def submit_typed(bot: Bot, user: str, callback_id: str, fields: dict[str, object], *, metadata: dict | None = None,
                 view_id: str | None = None) -> Sent:
    """Submit a view whose fields include tick boxes and people pickers (`view_id`: to send one view again)."""
    name = f"view{next(bot._names)}"
    payload = {
        "type": "view_submission", "team": {"id": "T1"}, "user": {"id": user, "team_id": "T1"},
        "api_app_id": "A1", "token": "legacy", "trigger_id": f"trig-{name}",
        "view": {"id": view_id or f"V{name}", "type": "modal", "callback_id": callback_id, "team_id": "T1",
                 "private_metadata": json.dumps(metadata or {}), "state": {"values": typed_state(fields)}, "hash": "h"},
    }
    status, body = bot.interactive(payload)
    return Sent(bot, status, body, name)


# The debrief's first screen (issue 12); any other db_ field is on its second step ("Add details").
DEBRIEF_FIRST_SCREEN = ("db_contacts", "db_mat_hotline-cards", "db_referrals", "db_indicators", "db_languages",
                        "db_flags", "db_what", "db_load")
_debrief_views = itertools.count(1)


def submit_debrief(bot: Bot, user: str, number: int, fields: dict[str, object], *, view_id: str | None = None) -> Sent:
    """Fill a debrief in its two steps: the details (when any is given) with Done, then the first screen
    with Save. Returns the details' answer when it shows errors, else the first screen's."""
    root = view_id or f"VDEBRIEF{next(_debrief_views)}"
    first = {k: v for k, v in fields.items() if k in DEBRIEF_FIRST_SCREEN}
    details = {k: v for k, v in fields.items() if k not in DEBRIEF_FIRST_SCREEN}
    if details:
        meta = {"shift_id": number, "root": root, "picked": list(first.get("db_referrals") or [])}
        sent = submit_typed(bot, user, "debrief_more", details, metadata=meta)
        if sent.body:
            return sent
    return submit_typed(bot, user, "debrief_form", first, metadata={"shift_id": number}, view_id=root)


# -- helpers for readiness and partners (issue 3)

FIELD_TYPES.update({"categories": "multi_static_select", "verified_on": "datepicker"})


def act(bot: Bot, user: str, action: dict, *, block_id: str = "b", container: dict | None = None) -> Sent:
    """Send one block action of any element type (checkboxes, selects, buttons) through the real app."""
    name = f"act{next(bot._names)}"
    payload = {
        "type": "block_actions", "team": {"id": "T1"}, "user": {"id": user, "team_id": "T1"},
        "api_app_id": "A1", "token": "legacy", "trigger_id": f"trig-{name}",
        "container": container or {"type": "message", "channel_id": "CGENERAL", "message_ts": "1.1", "is_ephemeral": True},
        "channel": {"id": "CGENERAL"}, "response_url": bot.fake.response_url(name),
        "actions": [dict(action, block_id=block_id, action_ts=f"{time.time():.6f}")],
    }
    status, body = bot.interactive(payload)
    return Sent(bot, status, body, name)


# -- lock screens (issue 12): a DM's top-level text is what a phone shows, maybe beside the people met

LOCK_SCREEN_FORBIDDEN = re.compile(r"trafficking|victim|escalat|safety alert|\btrata\b|v[ií]ctima|escala(ci[oó]n|miento)|alerta de seguridad",
                                   re.IGNORECASE)


def lock_screen_leaks(fake: FakeSlack) -> list[str]:
    """The `text` of every DM (chat.postMessage / chat.update to a U.../W... user or a D... channel)
    that holds a word a lock screen must never show."""
    return [str(c.params.get("text")) for c in fake.calls_to("chat.postMessage") + fake.calls_to("chat.update")
            if str(c.params.get("channel") or "")[:1] in ("U", "W", "D")
            and LOCK_SCREEN_FORBIDDEN.search(str(c.params.get("text") or ""))]


def in_spanish_and_english(render, name: str, /, **context: object) -> tuple[str, str]:
    """A template rendered in Spanish, then in English (outreach/i18n.py's `speaking`)."""
    from outreach import i18n

    with i18n.speaking("es"):
        spanish = render(name, **context)
    with i18n.speaking("en"):
        return spanish, render(name, **context)
