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
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from handlers import (
    card,
    commands,
    coord,
    cover,
    debriefs,
    directory,
    drills,
    field,
    health,
    home,
    hours,
    invites,
    middleware,
    partners,
    people,
    phone,
    readiness,
    reminders,
    reports,
    rota,
    safety,
    series,
    setup,
    shifts,
    sos,
    team_messages,
)
from handlers.kit import Kit
from handlers.notify import Notifier
from handlers.render import Renderer
from handlers.worker import AckGate, Runner, is_job
from outreach import i18n, subscribers
from outreach.digits import parse_number
from outreach.readiness import load_protocol
from outreach.services import Services

log = logging.getLogger(__name__)

# Threads for view submissions' listeners in the process that receives them: a form's answer never
# waits for a free one.
LISTENER_WORKERS = 64
# A rate-limited Slack call is tried again in place only when Slack asks to wait at most this long (seconds).
MAX_RATE_LIMIT_WAIT = 2
SURFACES = (
    middleware, commands, shifts, people, home, readiness, card, partners, debriefs, reports, reminders, invites, safety,
    team_messages,
    sos,
    setup,  # after sos: an SOS under way stays first on the App Home
    cover,
    series,
    hours,
    directory,
    phone,
    drills,
    rota,
    field,  # after phone: it adds the SMS words and the duress word to it
    coord,
    health,  # last: its periodic job records that the timer ran
)


class OutreachApp(App):
    """Bolt's App, logging each request it received with its ack time, and waking the worker for
    each request it wrote to the jobs table (handlers/worker.py)."""

    kit: Kit | None = None
    gate: AckGate | None = None

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """Dispatch as Bolt does (it returns once the listener has acked), then wake the worker or log."""
        started = time.monotonic()
        if middleware.malformed(req.body):  # Bolt itself cannot read it (its listener arguments raise)
            req.context["malformed"] = True
            middleware.log_request(req, (time.monotonic() - started) * 1000)
            return BoltResponse(status=200, body="")
        with self.gate.acking() if self.gate is not None else nullcontext():
            response = super().dispatch(req)
        if req.context.get("handed_over") and self.kit is not None:
            self.kit.wake()
        elif req.context.get("own_job_id") is not None and not req.context.get("form_runs") and self.kit:
            self.kit.runner.finish(req)  # a submission no form listener took: nothing to do later
        elif not is_job(req):  # a job is logged by its worker
            middleware.log_request(req, (time.monotonic() - started) * 1000, status=response.status)
        return response


class ShortRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Retry a rate-limited call after Slack's Retry-After only when that is short: a longer wait would hold a
    person's job (or the outbox) for minutes; the caller gets the `ratelimited` error instead (the outbox tries
    again later, a job ends and its error is logged)."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        assert response is not None
        values = [v for k, v in response.headers.items() if k.lower() == "retry-after"]
        wait = parse_number((values[0][0] if isinstance(values[0], list) else values[0]) if values else "1")
        return wait is not None and wait <= MAX_RATE_LIMIT_WAIT


def make_client(services: Services) -> WebClient:
    """A Web API client on the configured base URL, retrying rate limits (when Slack asks for a short wait) and
    server errors."""
    return WebClient(
        token=services.settings.bot_token,
        base_url=services.settings.api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            ShortRateLimitRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(services: Services, *, client: WebClient | None = None,
               verify_token: bool = True) -> tuple[OutreachApp, Kit]:
    """The Bolt app with every surface registered, and the kit its handlers share.

    Requests are checked against Slack's signature before they reach the app (handlers/web.py), so
    the app does not check them again; jobs done by a worker were checked when they were received.
    """
    settings = services.settings
    client = client or make_client(services)
    app = OutreachApp(
        client=client,
        signing_secret=settings.signing_secret or "socket-mode",
        request_verification_enabled=False,  # done first, before any parsing (handlers/web.py)
        process_before_response=True,  # listeners run in the thread that dispatches them (see Runner)
        token_verification_enabled=verify_token,
        raise_error_for_unhandled_request=False,
    )
    kit = Kit(services=services, render=Renderer(services.catalog))
    app.kit = kit
    kit.notifier = Notifier(kit, services, client)
    subscribers.install(services.store, settings, load_protocol(settings.data_dir, fresh=True))
    for language in i18n.TRANSLATED:  # read and compiled now (0.1-0.4 s), not on someone's first answer
        i18n.translations(language)
    for surface in SURFACES:
        surface.register(app, kit)

    def tell(error: Exception, body: dict, respond: Respond | None, language: str | None = None) -> None:
        log.error("unhandled %s while handling %s", type(error).__name__, middleware.request_kind(body or {}),
                  exc_info=error)
        if respond is not None and respond.response_url:  # Bolt gives one without a URL to anything
            try:
                with i18n.speaking(language):
                    text = kit.render("common/error.j2")
                respond(text=text, response_type="ephemeral", replace_original=False)
            except Exception:  # the person cannot be told; the log has it
                log.warning("could not tell the user about the error")

    @app.error
    def on_error(error: Exception, body: dict, respond: Respond | None, context: BoltContext) -> None:
        tell(error, body, respond, context.get("language"))

    def on_work_error(error: Exception, request: BoltRequest) -> None:
        tell(error, request.body, request.context.respond, request.context.get("language"))

    kit.runner = Runner(on_work_error, ThreadPoolExecutor(max_workers=LISTENER_WORKERS, thread_name_prefix="listener"),
                        services.store)

    def keep_log_short() -> None:
        """Empty the write-ahead log every 10 minutes at least (and when a refused form's could not be)."""
        kit.runner.keep_log_short(services.now())

    kit.periodic.append(keep_log_short)
    return app, kit
