"""A fake Twilio REST API on loopback: the Messages and Calls resources as Twilio documents them.

POST /2010-04-01/Accounts/{AccountSid}/Messages.json (To, From or MessagingServiceSid, Body) and
.../Calls.json (To, From, Twiml) answer 201 with the resource (sid SM.../CA..., status queued, RFC 2822
dates); GET on either lists them (To filters, newest first, `messages` / `calls` with paging fields).
Basic auth must be the account's SID and token (else 401, code 20003). `fail` makes requests answer an
error (a Twilio error body: code, message, more_info, status), for a number of times or while a
condition holds, or hold them for a while (`delay`) after recording them, as a slow Twilio would.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

SID = "AC" + "0" * 31 + "1"
TOKEN = "test-twilio-token"


@dataclass
class Request:
    """One request the fake received: the resource, the method and the form (or query)."""

    resource: str
    method: str
    form: dict[str, str]


@dataclass
class _Failure:
    status: int
    code: int
    times: int
    during: Callable[[], bool] | None = None
    resource: str | None = None
    delay: float = 0.0
    record: bool = field(default=False)


class FakeTwilio:
    """Fake Twilio REST API on 127.0.0.1 (an HTTP server in a thread)."""

    def __init__(self, *, sid: str = SID, token: str = TOKEN) -> None:
        self.sid, self.token = sid, token
        self.requests: list[Request] = []
        self.messages: list[dict] = []
        self.calls: list[dict] = []
        self._failures: list[_Failure] = []
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, fmt: str, *args: object) -> None:
                """Stay quiet."""

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                form = dict(parse_qsl(raw if self.command == "POST" else parts.query, keep_blank_values=True))
                status, body = fake._handle(self.command, parts.path, form, self.headers.get("Authorization", ""))
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _serve

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def __enter__(self) -> FakeTwilio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the server."""
        self._http.shutdown()
        self._http.server_close()

    def env(self) -> dict[str, str]:
        """The bot's settings for this fake."""
        return {"TWILIO_ACCOUNT_SID": self.sid, "TWILIO_AUTH_TOKEN": self.token, "TWILIO_FROM": "+15005550006",
                "OUTREACH_TWILIO_API_URL": self.url, "OUTREACH_PUBLIC_URL": "https://outreach.example.org"}

    def fail(self, *, status: int = 500, code: int | None = None, times: int = 1, resource: str | None = None,
             during: Callable[[], bool] | None = None, delay: float = 0.0) -> None:
        """Make the next `times` creations (of `resource`: Messages or Calls) fail with `status` (and a Twilio
        error `code`), or every one while `during()` says True; with `delay`, record the resource and hold the
        answer that many seconds instead (the caller may be killed meanwhile)."""
        with self._cond:
            self._failures.append(_Failure(status, code or status, times, during, resource, delay))

    def wait_for(self, resource: str, *, count: int = 1, where: Callable[[dict], bool] | None = None,
                 timeout: float = 10.0) -> list[dict]:
        """Wait until `count` resources (Messages or Calls) matching `where` were created; return them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [r for r in (self.messages if resource == "Messages" else self.calls) if not where or where(r)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                assert left > 0, f"timed out waiting for {count} {resource}; have {len(found)}"
                self._cond.wait(min(left, 0.05))

    def sms_to(self, number: str) -> list[str]:
        """The bodies of the messages created to a number, in order."""
        with self._cond:
            return [m["body"] for m in self.messages if m["to"] == number]

    def calls_to(self, number: str) -> list[dict]:
        """The calls created to a number, in order."""
        with self._cond:
            return [c for c in self.calls if c["to"] == number]

    def _take_failure(self, resource: str) -> _Failure | None:
        for failure in list(self._failures):
            if failure.resource not in (None, resource):
                continue
            if failure.during is not None:
                if failure.during():
                    return failure
                self._failures.remove(failure)
                continue
            failure.times -= 1
            if failure.times <= 0:
                self._failures.remove(failure)
            return failure
        return None

    def _handle(self, method: str, path: str, form: dict[str, str], auth: str) -> tuple[int, dict]:
        pieces = path.strip("/").split("/")  # 2010-04-01 Accounts {sid} Messages.json
        if len(pieces) != 4 or pieces[:2] != ["2010-04-01", "Accounts"] or pieces[3] not in (
                "Messages.json", "Calls.json"):
            return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        expected = "Basic " + base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        if pieces[2] != self.sid or auth != expected:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        resource = pieces[3].removesuffix(".json")
        with self._cond:
            self.requests.append(Request(resource, method, form))
            if method == "GET":
                items = self.messages if resource == "Messages" else self.calls
                found = [i for i in reversed(items) if not form.get("To") or i["to"] == form["To"]]
                size = int(form.get("PageSize") or 50)
                return 200, {resource.lower(): found[:size], "page": 0, "page_size": size, "first_page_uri": path,
                             "next_page_uri": None, "previous_page_uri": None, "uri": path, "start": 0, "end": 0}
            failure = self._take_failure(resource)
            if failure is not None and not failure.delay:
                return failure.status, {"code": failure.code, "message": f"fake error {failure.code}",
                                        "more_info": f"https://www.twilio.com/docs/errors/{failure.code}",
                                        "status": failure.status}
            now = format_datetime(datetime.now(UTC), usegmt=True)
            item = {"sid": ("SM" if resource == "Messages" else "CA") + f"{next(self._ids):032x}",
                    "account_sid": self.sid, "to": form.get("To", ""), "from": form.get("From"),
                    "status": "queued", "date_created": now, "date_updated": now, "api_version": "2010-04-01"}
            if resource == "Messages":
                item.update(body=form.get("Body", ""), messaging_service_sid=form.get("MessagingServiceSid"),
                            num_segments="1", direction="outbound-api")
                self.messages.append(item)
            else:
                item.update(twiml=form.get("Twiml", ""), direction="outbound-api")
                self.calls.append(item)
            self._cond.notify_all()
        if failure is not None and failure.delay:
            time.sleep(failure.delay)
        return 201, item
