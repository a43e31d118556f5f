"""The HTTP server: Slack's requests at /slack/events, a health check, the calendar feeds.

Served by waitress, a production WSGI server: a body over MAX_BODY gets 413 before it is read, idle
connections are closed after IDLE_SECONDS, and an idle connection costs no thread (waitress reads
and writes sockets in one loop and hands whole requests to a small pool of threads). A request to
/slack/events is checked against Slack's signature before anything in it is parsed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier
from waitress.server import create_server
from waitress.wasyncore import close_all, loop

log = logging.getLogger(__name__)
requests_log = logging.getLogger("outreach.requests")

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]
# Health: (healthy, why not) for /healthz.
Health = Callable[[], tuple[bool, str]]
MAX_BODY = 1024 * 1024  # Slack's requests are a few KB; a modal's state stays far below this
IDLE_SECONDS = 15  # Slack sends its request at once and waits at most 3 s for the answer
THREADS = 8
CONNECTION_LIMIT = 1000
STOP_LOOK = 0.2  # seconds: how soon the server's loop sees a stop


class SlackHandler(SlackRequestHandler):
    """Bolt's WSGI handler, checking the signature first and reading every form body right.

    No body is parsed before its signature is checked (Bolt's own check runs after it has parsed
    the body, so the app's is off). Bolt takes any form body that merely contains the word
    "payload" for an interactive payload, so `/outreach refer payload` would reach no listener; a
    form body without a `payload` field is read as the plain form it is.
    """

    def __init__(self, app: App, *, signing_secret: str, path: str = "/slack/events") -> None:
        super().__init__(app, path=path)
        self.verifier = SignatureVerifier(signing_secret)

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        """Check the signature, build the Bolt request (mending the body when Bolt misread it), dispatch it."""
        body, headers = request.get_body(), request.get_headers()
        if not self.verifier.is_valid_request(body, headers):  # type: ignore[arg-type]
            requests_log.info("refused a request to /slack/events status=401 (bad or missing signature)")
            return BoltResponse(status=401, body='{"error":"invalid request"}',
                                headers={"content-type": ["application/json"]})
        try:
            bolt_request = BoltRequest(body=body, query=request.query_string, headers=headers)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError):  # Bolt could not read it
            requests_log.info("refused a request to /slack/events status=400 (signed, but not a body Slack sends)")
            return BoltResponse(status=400, body='{"error":"unreadable request"}',
                                headers={"content-type": ["application/json"]})
        return self.app.dispatch(mend_form_body(bolt_request))


def mend_form_body(request: BoltRequest) -> BoltRequest:
    """Read a form body without a `payload` field as the plain form it is (see SlackHandler).

    The worker builds each request again from its raw body, so it mends it too (handlers/worker.py).
    """
    raw = request.raw_body
    if not request.body and raw and not raw.lstrip().startswith("{"):
        form = dict(parse_qsl(raw, keep_blank_values=True))
        if "payload" not in form:
            request.body = form
            request.context = build_context(request.context, form)
    return request


def health_app(health: Health | None) -> WsgiApp:
    """/healthz: 200 "ok" while work is being taken, else 503 with the reason."""

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        ok, why = health() if health else (True, "")
        start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"ok" if ok else why.encode()]

    return application


def wsgi_app(app: App | None, extra: dict[str, WsgiApp] | None = None, *, signing_secret: str = "",
             health: Health | None = None) -> WsgiApp:
    """Route /slack/events to Bolt (when an app is given), /healthz to the health check, and extra
    prefixes to their apps; anything else is 404."""
    slack = SlackHandler(app, signing_secret=signing_secret) if app is not None else None
    routes = {"/healthz": health_app(health), **(extra or {})}

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        for prefix, target in routes.items():
            if path.startswith(prefix):
                return target(environ, start_response)
        if slack is not None and path == "/slack/events":
            return slack(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return application


class WebServer:
    """Serves a WSGI app with waitress on a port, in a background thread."""

    def __init__(self, application: WsgiApp, *, host: str = "0.0.0.0", port: int = 3000,
                 idle_seconds: int = IDLE_SECONDS, threads: int = THREADS) -> None:
        self.server = create_server(
            application, host=host, port=port, threads=threads, connection_limit=CONNECTION_LIMIT,
            channel_timeout=idle_seconds, cleanup_interval=max(1, idle_seconds // 2),
            max_request_body_size=MAX_BODY, ident="outreach-bot", expose_tracebacks=False,
            clear_untrusted_proxy_headers=True, asyncore_use_poll=True,  # poll: no limit of 1024 descriptors
        )
        self.port = self.server.effective_port
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="web", daemon=True)

    def _serve(self) -> None:
        """waitress's loop, a look at a time, so the loop's own thread closes everything when asked."""
        while not self._stopping.is_set():
            loop(timeout=STOP_LOOK, map=self.server._map, use_poll=True, count=1)
        close_all(self.server._map)

    def start(self) -> None:
        """Start serving."""
        self.thread.start()

    def stop(self) -> None:
        """Stop serving: close the listening socket and every connection, and end the threads."""
        self._stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
        else:
            close_all(self.server._map)
        self.server.task_dispatcher.shutdown(timeout=5)
