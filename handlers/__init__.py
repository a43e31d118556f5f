"""Slack adapters: build the Bolt app and register every surface on it."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from handlers import (
    calendar,
    commands,
    debriefs,
    home,
    middleware,
    partners,
    people,
    readiness,
    reminders,
    reports,
    safety,
    shifts,
)
from handlers.kit import Kit
from handlers.notify import Notifier
from handlers.render import Renderer
from handlers.worker import Runner, WorkerLink
from outreach.services import Services

log = logging.getLogger(__name__)

# Threads for work after the ack in this process (view submissions' listeners, and in the tests'
# harness all work): a form's answer never waits for a free one.
LISTENER_WORKERS = 64
SURFACES = (
    middleware, commands, shifts, people, home, readiness, partners, debriefs, reports, reminders, calendar, safety,
)


class OutreachApp(App):
    """Bolt's App, logging each request with its ack time. Linked to a worker (`bot.py run`), it counts
    each request on the gate while dispatching it, and sends the worker the work handed over."""

    link: WorkerLink | None = None
    worker: bool = False

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """Dispatch as Bolt does (it returns once the listener has acked), then log or send the request."""
        started = time.monotonic()
        with self.link.gate.acking() if self.link else nullcontext():
            response = super().dispatch(req)
        ack_ms = (time.monotonic() - started) * 1000
        if self.link is None or not self.link.send(req, ack_ms):
            middleware.log_request(req, ack_ms, worker=self.worker, status=response.status)
        return response


def make_client(services: Services) -> WebClient:
    """A Web API client on the configured base URL, retrying rate limits and server errors."""
    return WebClient(
        token=services.settings.bot_token,
        base_url=services.settings.api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(services: Services, *, client: WebClient | None = None, verify_token: bool = True,
               worker: bool = False) -> tuple[OutreachApp, Kit]:
    """The Bolt app with every surface registered, and the kit its handlers share.

    A worker's app (`worker=True`) dispatches requests the acking process already verified.
    """
    settings = services.settings
    client = client or make_client(services)
    app = OutreachApp(
        client=client,
        signing_secret=settings.signing_secret or "socket-mode",
        request_verification_enabled=not settings.socket_mode and not worker,
        process_before_response=True,  # listeners run in the thread that dispatches them (see Runner)
        token_verification_enabled=verify_token,
        raise_error_for_unhandled_request=False,
    )
    app.worker = worker
    kit = Kit(services=services, render=Renderer(services.catalog), worker=worker)
    kit.notifier = Notifier(kit, services, client)
    for surface in SURFACES:
        surface.register(app, kit)

    def tell(error: Exception, body: dict, respond: Respond | None) -> None:
        log.error("unhandled %s while handling %s", type(error).__name__, middleware.request_kind(body or {}),
                  exc_info=error)
        if respond is not None:
            try:
                respond(text=kit.render("common/error.j2"), response_type="ephemeral", replace_original=False)
            except Exception:  # the person cannot be told; the log has it
                log.warning("could not tell the user about the error")

    @app.error
    def on_error(error: Exception, body: dict, respond: Respond | None, context: BoltContext) -> None:
        tell(error, body, respond)

    def on_work_error(error: Exception, request: BoltRequest) -> None:
        tell(error, request.body, request.context.respond)

    kit.runner = Runner(on_work_error, ThreadPoolExecutor(max_workers=LISTENER_WORKERS, thread_name_prefix="listener"))
    kit.hand_over = kit.runner.now if worker else kit.runner.after
    return app, kit
