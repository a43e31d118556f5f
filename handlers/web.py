"""The HTTP server: Slack's requests at /slack/events, a health check, nothing else."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import build_context

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """A WSGI server that handles each request in its own thread."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # bursts of clicks must not be refused at the socket


class QuietHandler(WSGIRequestHandler):
    """Request lines go to the log at debug level, not to stderr."""

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class SlackHandler(SlackRequestHandler):
    """Bolt's WSGI handler, reading every form-encoded slash command right.

    Bolt takes any form body that merely contains the word "payload" for an interactive payload,
    so `/outreach refer payload` would reach no listener and Slack would show an error. A form body
    without a `payload` field is read as the plain form it is.
    """

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        """Build the Bolt request (mending the body when Bolt misread it) and dispatch it."""
        bolt_request = BoltRequest(body=request.get_body(), query=request.query_string, headers=request.get_headers())
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


def wsgi_app(app: App, extra: dict[str, WsgiApp] | None = None) -> WsgiApp:
    """Route /slack/events to Bolt, /healthz to a plain OK, and extra prefixes to their apps."""
    slack = SlackHandler(app, path="/slack/events")
    routes = dict(extra or {})

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        for prefix, target in routes.items():
            if path.startswith(prefix):
                return target(environ, start_response)
        return slack(environ, start_response)

    return application


class WebServer:
    """Serves a WSGI app on a port in a background thread."""

    def __init__(self, application: WsgiApp, *, host: str = "0.0.0.0", port: int = 3000) -> None:
        self.httpd = make_server(host, port, application, server_class=ThreadingWSGIServer, handler_class=QuietHandler)
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="web", daemon=True)

    def start(self) -> None:
        """Start serving."""
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
