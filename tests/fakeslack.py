"""A fake Slack Web API + Socket Mode server on loopback, for tests.

Usage::

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        client.chat_postMessage(channel="C1", text="hi")
        assert fake.calls_to("chat.postMessage")[0].params["text"] == "hi"
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from handlers.manifest import BOT_SCOPES

_JSON_FORM_FIELDS = ("payload", "blocks", "attachments", "view")


class _Headers(dict):
    """A dict of lower-cased header names that also looks keys up case-insensitively."""

    def __init__(self, items: Any = ()) -> None:
        """Build from (name, value) pairs, lower-casing names."""
        super().__init__((str(k).lower(), str(v)) for k, v in items)

    def __getitem__(self, key: str) -> str:
        """Look up a header by name, ignoring case."""
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        """Check for a header by name, ignoring case."""
        return super().__contains__(key.lower() if isinstance(key, str) else key)

    def get(self, key: str, default: Any = None) -> Any:
        """Get a header by name, ignoring case."""
        return super().get(key.lower(), default)


@dataclass
class Call:
    """One HTTP request received by the fake."""

    method: str
    params: dict
    headers: dict[str, str]
    path: str
    raw: bytes
    failed: bool = False
    answer: dict | None = None  # what the fake answered (a view's id, a message's channel and ts), once answered


@dataclass
class _Failure:
    status: int
    error: str | None
    retry_after: int | None
    delay: float
    times: int
    where: Callable[[dict], bool] | None = None
    during: Callable[[], bool] | None = None


@dataclass
class _Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def _maybe_json(value: Any) -> Any:
    """Decode a JSON object/array string, or return the value unchanged."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _content_type(headers: _Headers) -> tuple[str, dict[str, str]]:
    """Split a Content-Type header into the media type and its parameters."""
    raw = headers.get("content-type", "")
    media, *rest = raw.split(";")
    opts: dict[str, str] = {}
    for item in rest:
        key, _, value = item.strip().partition("=")
        opts[key.strip().lower()] = value.strip().strip('"')
    return media.strip().lower(), opts


def parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, str], dict[str, bytes]]:
    """Parse a multipart/form-data body into (text fields, file parts by field name)."""
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    delimiter = b"--" + boundary.encode("latin-1")
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        if part.startswith(b"\r\n"):
            part = part[2:]
        head, _, content = part.partition(b"\r\n\r\n")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition":
                disposition = value
        opts: dict[str, str] = {}
        for item in disposition.split(";")[1:]:
            key, _, value = item.strip().partition("=")
            opts[key.strip().lower()] = value.strip().strip('"')
        name = opts.get("name", "")
        if "filename" in opts:
            files[name] = content
        else:
            fields[name] = content.decode("utf-8", "replace")
    return fields, files


def dm_channel(user: str) -> str:
    """Return the fake DM channel id for a user id ("U123" -> "D123")."""
    return "D" + user.removeprefix("U")


class FakeSlack:
    """Fake Slack Web API (HTTP) and Socket Mode (WebSocket) servers on 127.0.0.1."""

    def __init__(self, *, bot_user_id: str = "UBOT", team_id: str = "T1", port: int = 0) -> None:
        """Start the HTTP and WebSocket servers in daemon threads (the Web API on `port`, 0: any free one)."""
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.calls: list[Call] = []
        self.uploads: dict[str, bytes] = {}
        self._cond = threading.Condition()
        self._failures: dict[str, list[_Failure]] = {}
        self._ts_counter = itertools.count(1)
        self._id_counter = itertools.count(1)
        self._filenames: dict[str, str] = {}
        self._ws_conns: list[ServerConnection] = []
        self._acks: dict[str, dict] = {}
        self._closed = False
        # users.info answers by member id (fill with `add_user`); anyone else is `user_not_found`.
        self.users: dict[str, dict] = {}
        # Scopes the token lacks: a method needing one answers `missing_scope` (users.info: users:read;
        # conversations.info: channels:read and groups:read), and `x-oauth-scopes` leaves them out.
        self.missing_scopes: set[str] = set()
        # The scopes the token was granted, sent in every answer's `x-oauth-scopes` header (None: the manifest's).
        self.scopes: list[str] | None = None
        # conversations.info answers by channel id (fill with `add_channel`); anything else is `channel_not_found`.
        self.channels: dict[str, dict] = {}
        # dnd.teamInfo answers by member id (dnd_enabled, next_dnd_start_ts, next_dnd_end_ts); others: no DND.
        self.dnd: dict[str, dict] = {}
        # Files people shared (fill with `add_file`): files.info describes them, their url_private serves the bytes.
        self.files: dict[str, tuple[dict, bytes]] = {}

        fake = self

        class Handler(_RequestHandler):
            owner = fake

        self._http = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._http.daemon_threads = True
        self.port: int = self._http.server_address[1]
        self.base: str = f"http://127.0.0.1:{self.port}"
        self.url: str = f"{self.base}/api/"
        self._http_thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="fakeslack-http",
        )
        self._http_thread.start()

        self._ws: Server = serve(
            self._ws_handler,
            "127.0.0.1",
            0,
            compression=None,  # slack_sdk's builtin client does not do permessage-deflate
            # Frequent server pings wake the builtin client's blocking recv() (3 s socket
            # timeout) so that SocketModeClient.close() returns quickly; never time out on pongs.
            ping_interval=0.2,
            ping_timeout=None,
            close_timeout=1,
        )
        self.ws_port: int = self._ws.socket.getsockname()[1]
        self._ws_thread = threading.Thread(target=self._ws.serve_forever, daemon=True, name="fakeslack-ws")
        self._ws_thread.start()

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> Self:
        """Return self."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the servers."""
        self.close()

    def close(self) -> None:
        """Stop the HTTP and WebSocket servers (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._ws.shutdown()
        self._ws_thread.join(timeout=5)
        self._http.shutdown()
        self._http.server_close()
        self._http_thread.join(timeout=5)
        with self._cond:
            self._cond.notify_all()

    def reset(self) -> None:
        """Forget recorded calls, uploads and pending failures."""
        with self._cond:
            self.calls.clear()
            self.uploads.clear()
            self._failures.clear()

    # ------------------------------------------------------------------ inspection

    def calls_to(self, method: str) -> list[Call]:
        """Return all recorded calls to `method`, in order."""
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(
        self,
        method: str,
        *,
        count: int = 1,
        where: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
    ) -> list[Call]:
        """Wait until at least `count` matching calls to `method` were recorded and return them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls if c.method == method and (where is None or where(c))]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {count} call(s) to {method!r}"
                        f" (matched {len(found)}); calls seen: {seen}"
                    )
                self._cond.wait(min(remaining, 0.05))

    def response_url(self, name: str = "r") -> str:
        """Return a URL on this server whose POSTs are recorded as method "response_url"."""
        return f"{self.base}/response_url/{name}"

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        times: int = 1,
        where: Callable[[dict], bool] | None = None,
        during: Callable[[], bool] | None = None,
    ) -> None:
        """Make the next `times` calls to `method` (whose params match `where`) fail: HTTP status, error or delay.

        With `during` (e.g. a test clock before a moment), every matching call fails while it says True.
        """
        with self._cond:
            self._failures.setdefault(method, []).append(
                _Failure(status, error, retry_after, delay, times, where, during))

    def add_user(self, user: str, *, real_name: str = "", display_name: str = "", locale: str = "en-US",
                 deleted: bool = False) -> dict:
        """Make users.info know a member, as Slack describes one (the locale only with include_locale)."""
        entry = {
            "id": user, "team_id": self.team_id, "name": user.lower(), "deleted": deleted, "real_name": real_name,
            "tz": "America/New_York", "tz_label": "Eastern Standard Time", "tz_offset": -18000, "is_bot": False,
            "locale": locale,
            "profile": {"real_name": real_name, "display_name": display_name,
                        "real_name_normalized": real_name, "display_name_normalized": display_name},
        }
        with self._cond:
            self.users[user] = entry
        return entry

    def add_channel(self, channel: str, *, name: str = "coordinators", is_member: bool = True,
                    is_private: bool = False, is_archived: bool = False) -> dict:
        """Make conversations.info know a channel, and whether the bot is a member of it."""
        entry = {"id": channel, "name": name, "is_channel": not is_private, "is_group": is_private,
                 "is_private": is_private, "is_archived": is_archived, "is_member": is_member,
                 "created": 1700000000, "creator": "UADMIN"}
        with self._cond:
            self.channels[channel] = entry
        return entry

    def add_file(self, name: str, content: bytes, *, filetype: str = "csv") -> str:
        """A file someone shared (a file input's, a DM's): files.info knows it by the returned id, and its
        url_private (on this server) serves `content` to a request carrying the bot's token."""
        file_id = self._new_id("F")
        entry = {"id": file_id, "name": name, "title": name, "filetype": filetype, "size": len(content),
                 "mimetype": "text/csv" if filetype == "csv" else "application/octet-stream",
                 "url_private": f"{self.base}/files-pri/{file_id}/{name}",
                 "url_private_download": f"{self.base}/files-pri/{file_id}/download/{name}"}
        with self._cond:
            self.files[file_id] = (entry, content)
        return file_id

    def granted(self) -> list[str]:
        """The scopes the token has: `scopes` (else the manifest's) less `missing_scopes`."""
        with self._cond:
            scopes = BOT_SCOPES if self.scopes is None else self.scopes
            return [s for s in scopes if s not in self.missing_scopes]

    # ------------------------------------------------------------------ socket mode

    def socket_connected(self, timeout: float = 5.0) -> None:
        """Wait until a Socket Mode client is connected and has been sent "hello"."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._ws_conns:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no Socket Mode client connected within {timeout}s")
                self._cond.wait(min(remaining, 0.05))

    def socket_send(self, type_: str, payload: dict, *, timeout: float = 5.0) -> dict:
        """Send a Socket Mode envelope to the newest client and return its parsed ack."""
        self.socket_connected(timeout)
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": type_,
            "payload": payload,
            "accepts_response_payload": True,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        with self._cond:
            conn = self._ws_conns[-1]
        try:
            conn.send(json.dumps(envelope))
        except ConnectionClosed as e:
            raise AssertionError(f"Socket Mode client went away: {e}") from e
        deadline = time.monotonic() + timeout
        with self._cond:
            while envelope_id not in self._acks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no ack for {type_} envelope {envelope_id} within {timeout}s")
                self._cond.wait(min(remaining, 0.05))
            return self._acks.pop(envelope_id)

    def _ws_handler(self, conn: ServerConnection) -> None:
        """Serve one Socket Mode connection: say hello, then collect acks."""
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "fakeslack", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A1"},
        }
        try:
            conn.send(json.dumps(hello))
            with self._cond:
                self._ws_conns.append(conn)
                self._cond.notify_all()
            for message in conn:
                try:
                    data = json.loads(message)
                except ValueError:
                    continue
                if isinstance(data, dict) and "envelope_id" in data:
                    with self._cond:
                        self._acks[data["envelope_id"]] = data
                        self._cond.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                if conn in self._ws_conns:
                    self._ws_conns.remove(conn)
                self._cond.notify_all()

    # ------------------------------------------------------------------ HTTP side

    def _record(self, call: Call) -> None:
        """Append a call and wake up waiters."""
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def _take_failure(self, method: str, params: dict) -> _Failure | None:
        """Consume one pending failure for `method` that applies to these params, if any."""
        with self._cond:
            pending = self._failures.get(method) or []
            for failure in list(pending):
                if failure.during is not None:
                    if not failure.during():
                        pending.remove(failure)  # the outage is over
                    elif failure.where is None or failure.where(params):
                        return failure
                    continue
                if failure.where is None or failure.where(params):
                    failure.times -= 1
                    if failure.times <= 0:
                        pending.remove(failure)
                    return failure
            return None

    def _new_ts(self) -> str:
        """Return a unique, increasing message timestamp."""
        n = next(self._ts_counter) * 100
        return f"{1700000000 + n // 1_000_000}.{n % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        """Return a unique id like "F0001"."""
        return f"{prefix}{next(self._id_counter):04d}"

    def _handle(self, method: str, path: str, headers: _Headers, raw: bytes, query: str) -> _Response:
        """Parse, record and answer one request."""
        params: dict = {}
        file_parts: dict[str, bytes] = {}
        media, opts = _content_type(headers)
        if media == "application/json" and raw:
            try:
                loaded = json.loads(raw.decode(opts.get("charset", "utf-8")))
            except ValueError:
                loaded = {}
            params = loaded if isinstance(loaded, dict) else {"_json": loaded}
        elif media == "application/x-www-form-urlencoded":
            params = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        elif media == "multipart/form-data" and "boundary" in opts:
            params, file_parts = parse_multipart(raw, opts["boundary"])
        if query:
            for key, value in parse_qsl(query, keep_blank_values=True):
                params.setdefault(key, value)
        for key in _JSON_FORM_FIELDS:
            if key in params:
                params[key] = _maybe_json(params[key])

        failure = self._take_failure(method, params)
        call = Call(method, params, headers, path, raw, failed=failure is not None)
        self._record(call)
        if failure is not None:
            if failure.delay:
                time.sleep(failure.delay)
            if failure.status != 200:
                default = "ratelimited" if failure.status == 429 else "internal_error"
                extra = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
                body = {"ok": False, "error": failure.error or default}
                return _Response(failure.status, json.dumps(body).encode(), headers=extra)
            if failure.error is not None:
                return _Response(200, json.dumps({"ok": False, "error": failure.error}).encode())

        if method == "upload":
            file_id = path.rsplit("/", 1)[-1]
            data = next(iter(file_parts.values())) if file_parts else raw
            with self._cond:
                self.uploads[file_id] = data
                self._cond.notify_all()
            return _Response(200, f"OK - {len(data)}".encode(), content_type="text/plain; charset=utf-8")
        if method == "response_url":
            return _Response(200, b'{"ok": true}')
        if method == "file_download":
            return self._file_download(path, headers)
        if method.startswith("/"):
            return _Response(404, json.dumps({"ok": False, "error": "unknown_path"}).encode())
        if method == "users.info":
            refusal = self._users_info_refusal(params)
            if refusal is not None:
                return _Response(200, json.dumps(refusal).encode())
        if method == "conversations.info":
            refusal = self._conversations_info_refusal(params)
            if refusal is not None:
                return _Response(200, json.dumps(refusal).encode())
        if method == "files.info":
            refusal = self._files_info_refusal(params)
            if refusal is not None:
                return _Response(200, json.dumps(refusal).encode())
        answer = {"ok": True, **self._answer(method, params)}
        with self._cond:
            call.answer = answer
            self._cond.notify_all()
        return _Response(200, json.dumps(answer).encode())

    def _users_info_refusal(self, p: dict) -> dict | None:
        """users.info's error answer (a scope the token lacks, an unknown member), or None."""
        if "users:read" not in self.granted():
            return {"ok": False, "error": "missing_scope", "needed": "users:read", "provided": ",".join(self.granted())}
        if str(p.get("user", "")) not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return None

    def _files_info_refusal(self, p: dict) -> dict | None:
        """files.info's error answer (a scope the token lacks, an unknown file), or None."""
        if "files:read" not in self.granted():
            return {"ok": False, "error": "missing_scope", "needed": "files:read", "provided": ",".join(self.granted())}
        with self._cond:
            known = str(p.get("file", "")) in self.files
        return None if known else {"ok": False, "error": "file_not_found"}

    def _file_download(self, path: str, headers: _Headers) -> _Response:
        """A file's url_private: its bytes for the bot's token, as Slack serves them (else 404, as Slack's login page would not help)."""
        file_id = path.split("/")[2] if path.count("/") >= 2 else ""
        with self._cond:
            entry = self.files.get(file_id)
        if entry is None or not str(headers.get("authorization", "")).startswith("Bearer xoxb-"):
            return _Response(404, b"not found", content_type="text/plain")
        return _Response(200, entry[1], content_type=entry[0]["mimetype"])

    def _conversations_info_refusal(self, p: dict) -> dict | None:
        """conversations.info's error answer, or None: a private channel the bot is not in is unknown to it."""
        granted = self.granted()
        if "channels:read" not in granted or "groups:read" not in granted:
            return {"ok": False, "error": "missing_scope", "needed": "channels:read,groups:read",
                    "provided": ",".join(granted)}
        with self._cond:
            channel = self.channels.get(str(p.get("channel", "")))
        if channel is None or (channel["is_private"] and not channel["is_member"]):
            return {"ok": False, "error": "channel_not_found"}
        return None

    def _answer(self, method: str, p: dict) -> dict:
        """Build the method-specific part of a successful Web API answer."""
        if method == "auth.test":
            return {
                "url": "https://test.slack.com/",
                "team": "Test",
                "team_id": self.team_id,
                "user": "bot",
                "user_id": self.bot_user_id,
                "bot_id": "B1",
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            channel = str(p.get("channel", ""))
            if channel.startswith("U"):
                channel = dm_channel(channel)
            ts = self._new_ts()
            message = {
                "type": "message",
                "text": p.get("text", ""),
                "ts": ts,
                "user": self.bot_user_id,
                "bot_id": "B1",
                "blocks": p.get("blocks") or [],
            }
            if p.get("thread_ts"):
                message["thread_ts"] = p["thread_ts"]
            return {"channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            ts = p.get("ts", "")
            message = {"text": p.get("text", ""), "ts": ts, "blocks": p.get("blocks") or []}
            return {"channel": p.get("channel", ""), "ts": ts, "text": p.get("text", ""), "message": message}
        if method == "chat.postEphemeral":
            return {"channel": p.get("channel", ""), "message_ts": self._new_ts()}
        if method == "chat.delete":
            return {"channel": p.get("channel", ""), "ts": p.get("ts", "")}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            view = p.get("view")
            view = dict(view) if isinstance(view, dict) else {}
            view_id = p.get("view_id") or self._new_id("V")
            view.update({"id": view_id, "hash": f"{self._new_ts()}.abc", "team_id": self.team_id})
            return {"view": view}
        if method == "conversations.open":
            users = str(p.get("users") or p.get("user") or "")
            return {"channel": {"id": dm_channel(users.split(",")[0]) if users else p.get("channel", "")}}
        if method == "users.info":
            with self._cond:
                user = json.loads(json.dumps(self.users[str(p.get("user", ""))]))
            if str(p.get("include_locale", "")).lower() not in ("1", "true"):
                user.pop("locale", None)
            return {"user": user}
        if method == "conversations.info":
            with self._cond:
                return {"channel": dict(self.channels[str(p.get("channel", ""))])}
        if method == "files.info":
            with self._cond:
                return {"file": dict(self.files[str(p.get("file", ""))][0])}
        if method == "files.getUploadURLExternal":
            file_id = self._new_id("F")
            with self._cond:
                self._filenames[file_id] = str(p.get("filename", ""))
            return {"upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = _maybe_json(p.get("files", "[]"))
            out = []
            for f in files if isinstance(files, list) else []:
                fid = str(f.get("id", ""))
                name = self._filenames.get(fid, fid)
                out.append({"id": fid, "title": f.get("title") or name, "name": name})
            return {"files": out}
        if method == "dnd.teamInfo":
            users = [u for u in str(p.get("users") or "").split(",") if u]
            off = {"dnd_enabled": False, "next_dnd_start_ts": 1, "next_dnd_end_ts": 1}
            with self._cond:
                return {"users": {u: dict(self.dnd.get(u, off)) for u in users}}
        if method == "apps.connections.open":
            return {"url": f"ws://127.0.0.1:{self.ws_port}/link/?ticket={uuid.uuid4()}&app_id=A1"}
        return {}


class _RequestHandler(BaseHTTPRequestHandler):
    """Routes HTTP requests to the owning FakeSlack."""

    owner: FakeSlack

    def log_message(self, fmt: str, *args: Any) -> None:
        """Stay quiet."""

    def _serve(self) -> None:
        """Handle any HTTP verb."""
        parts = urlsplit(self.path)
        path = parts.path
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if path.startswith("/api/"):
            method = path[len("/api/") :]
        elif path.startswith("/response_url/"):
            method = "response_url"
        elif path.startswith("/upload/"):
            method = "upload"
        elif path.startswith("/files-pri/"):
            method = "file_download"
        else:
            method = path
        response = self.owner._handle(method, path, _Headers(self.headers.items()), raw, parts.query)
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for key, value in response.headers.items():
                self.send_header(key, value)
            if path.startswith("/api/"):  # as Slack does on every Web API answer
                self.send_header("x-oauth-scopes", ",".join(self.owner.granted()))
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. a timeout test)

    do_POST = _serve
    do_GET = _serve
