"""Slack adapters: build the Bolt app and register every surface on it."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext, Respond
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
from handlers.pacing import PacedExecutor
from handlers.render import Renderer
from outreach.services import Services

log = logging.getLogger(__name__)

LISTENER_WORKERS = 1024
WORK_SLOTS = 2
SURFACES = (
    middleware, commands, shifts, people, home, readiness, partners, debriefs, reports, reminders, calendar, safety,
)


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


def create_app(services: Services, *, client: WebClient | None = None, verify_token: bool = True) -> tuple[App, Kit]:
    """The Bolt app with every surface registered, and the kit its handlers share."""
    settings = services.settings
    client = client or make_client(services)
    app = App(
        client=client,
        signing_secret=settings.signing_secret or "socket-mode",
        request_verification_enabled=not settings.socket_mode,
        token_verification_enabled=verify_token,
        raise_error_for_unhandled_request=False,
        # Listeners ack first, then work: enough workers that an ack never queues, few slots for work.
        listener_executor=PacedExecutor(workers=LISTENER_WORKERS, slots=WORK_SLOTS),
    )
    kit = Kit(services=services, render=Renderer(services.catalog))
    kit.notifier = Notifier(kit, services, client)
    for surface in SURFACES:
        surface.register(app, kit)

    @app.error
    def on_error(error: Exception, body: dict, respond: Respond | None, context: BoltContext) -> None:
        log.error("unhandled %s while handling %s", type(error).__name__, middleware.request_kind(body or {}),
                  exc_info=error)
        if respond is not None:
            try:
                respond(text=kit.render("common/error.j2"), response_type="ephemeral", replace_original=False)
            except Exception:  # the person cannot be told; the log has it
                log.warning("could not tell the user about the error")

    return app, kit
