"""Global middleware: who is acting, with which role, and the submitted form as plain data."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse

from handlers.click import Click
from handlers.kit import Kit
from handlers.worker import RUN_WHERE_ACKED, is_job
from outreach import jobs, languages
from outreach.roles import Role

log = logging.getLogger("outreach.requests")


def _text(value: object) -> str | None:
    """A value as Slack sends it (a string), else None: a forged number, list or object is no answer."""
    return value if isinstance(value, str) else None


def _texts(items: object, key: str | None = None) -> list[str]:
    """The strings of a list (each item's `key` for a list of objects); [] for anything else."""
    if not isinstance(items, list):
        return []
    values = [(i.get(key) if isinstance(i, dict) else None) if key else i for i in items]
    return [v for v in values if isinstance(v, str)]


def flatten_state(values: object) -> dict[str, object]:
    """Turn a view's state.values into {block_id: value} for each input's `value` action: a string (or None), or
    a list of strings, whatever shape a forged payload gives them."""
    form: dict[str, object] = {}
    for block_id, inputs in (values.items() if isinstance(values, dict) else ()):
        for state in (inputs.values() if isinstance(inputs, dict) else ()):
            if not isinstance(state, dict):
                continue
            kind = state.get("type")
            if kind in ("static_select", "radio_buttons"):
                picked = state.get("selected_option")
                form[block_id] = _text(picked.get("value")) if isinstance(picked, dict) else None
            elif kind in ("multi_static_select", "checkboxes"):
                form[block_id] = _texts(state.get("selected_options"), "value")
            elif kind == "users_select":
                form[block_id] = _text(state.get("selected_user"))
            elif kind == "multi_users_select":
                form[block_id] = _texts(state.get("selected_users"))
            elif kind == "datepicker":
                form[block_id] = _text(state.get("selected_date"))
            elif kind == "timepicker":
                form[block_id] = _text(state.get("selected_time"))
            elif kind == "file_input":
                form[block_id] = _texts(state.get("files"), "id")
            else:  # a text; a list of strings is kept as such (the tests' shorthand for a multi-select)
                value = state.get("value")
                form[block_id] = _texts(value) if isinstance(value, list) else _text(value)
    return form


def _get(value: object, key: str) -> object:
    """`value[key]` when value is an object, else None (a forged body may put anything anywhere)."""
    return value.get(key) if isinstance(value, dict) else None


def first_action(body: dict) -> dict | None:
    """A block_actions body's tapped element, when it is one Slack could send (an object with an action id)."""
    actions = body.get("actions") if isinstance(body, dict) else None
    action = actions[0] if isinstance(actions, list) and actions else None
    return action if isinstance(action, dict) and isinstance(action.get("action_id"), str) else None


INTERACTIVE = ("block_actions", "view_submission", "view_closed")


def malformed(body: object) -> bool:
    """A forged body no listener can take: not an object, or a response_url that is not text; a tap or a form
    without the member who made it; a tap without an element Slack could have sent; a form without a view that
    says which."""
    if not isinstance(body, dict) or not isinstance(body.get("response_url", ""), str):
        return True
    kind = body.get("type")
    if kind not in INTERACTIVE:
        return False
    user = body.get("user")
    member = user.get("id") if isinstance(user, dict) else None
    if not (isinstance(member, str) and member):
        return True
    if kind == "block_actions":
        return first_action(body) is None
    return not isinstance(_get(body.get("view"), "callback_id"), str)


def request_kind(body: dict) -> str:
    """A short name of what a request is, for logs."""
    if not isinstance(body, dict):
        return "unknown"
    kind = body.get("type") or ("command" if "command" in body else "unknown")
    if kind == "block_actions":
        return f"action:{(first_action(body) or {}).get('action_id', '?')}"
    if kind in ("view_submission", "view_closed"):
        return f"{kind}:{_get(body.get('view'), 'callback_id') or '?'}"
    if kind == "event_callback":
        return f"event:{_get(body.get('event'), 'type') or '?'}"
    if kind == "command":
        return f"command:{body.get('command')} {str(body.get('text', '')).split(' ')[0][:20]}"
    return str(kind)


def log_request(request: BoltRequest, elapsed_ms: float, *, status: int = 200) -> None:
    """The request's one log line where it was received: its kind and ack time.

    A request handed over to a worker is logged there, when it is done (handlers/worker.py).
    """
    context, kind = request.context, request_kind(request.body)
    if status != 200:
        log.info("refused %s status=%d ack_ms=%.1f", kind, status, elapsed_ms)
    elif context.get("malformed"):
        log.info("ignored %s: a body Slack does not send", kind)
    elif context.get("retry"):
        log.info("handled %s (a retry, already acted on)", kind)
    else:
        log.info("handled %s ack_ms=%.1f", kind, elapsed_ms)


# Taps and typed words that must never wait on Slack's users.info (an SOS, the night's check-ins and alerts):
# they are answered in what the bot already knows of the person's language.
URGENT = ("sos", "safety_", "night_", "incident_", "checkin", "checkout")


def acting(body: dict) -> bool:
    """Whether Slack may be asked who someone is before their request is done: someone doing something (a tap, a
    command, opening the App Home), not an event about someone (a profile changed), nor anything urgent."""
    kind = body.get("type")
    if kind == "block_actions":
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
        return not str(first.get("action_id") or "").startswith(URGENT)
    if "command" in body and kind is None:
        return not str(body.get("text") or "").strip().lower().startswith(URGENT)
    if kind != "event_callback":
        return True
    return (body.get("event") or {}).get("type") in ("app_home_opened", "message")


def register(app: App, kit: Kit) -> None:
    """Install the middleware on the app."""

    def language(user: str | None, *, ask_slack: bool) -> str:
        """The words of the answer, in the language of who asked (outreach/languages.py); a member the bot
        knows nothing of is looked up first (users.info gives Slack's locale) where the work is done, not
        where a form must be answered within Slack's 3 seconds."""
        if not user:
            return kit.services.settings.language
        store = kit.services.store
        if ask_slack:
            with store.read() as db:
                unknown = not languages.known(db, user)
            if unknown:
                kit.names([user])
        with store.read() as db:
            return languages.language_of(db, user)

    @app.middleware
    def resolve_actor(request: BoltRequest, context: BoltContext, body: dict,
                      next: Callable[[], BoltResponse]) -> BoltResponse:
        if is_job(request):  # a job being done: the request was received (and written down) before
            resolve(context, body, ask_slack=acting(body))
            return next()
        # Received: written to the jobs table before anything acks it (nothing acked is lost). A form
        # is run here, its job claimed by this process; anything else is done by a worker.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        runs_here = body.get("type") in RUN_WHERE_ACKED
        job_id = jobs.add(kit.services.store, kind=request_kind(body), mode=request.mode,
                          body=request.raw_body if request.mode == "http" else request.body,
                          headers={k: list(v) for k, v in request.headers.items()}, now=time.time(),
                          owner=kit.owner if runs_here else None, key=f"event:{event_id}" if event_id else None)
        if job_id is None:
            context["retry"] = True
            return BoltResponse(status=200, body="")
        if runs_here:
            context["own_job_id"], context["own_job_owner"] = job_id, kit.owner
            resolve(context, body)
        else:
            context["handed_over"] = True  # this process only acks it, and needs nobody's role for that
        return next()

    def resolve(context: BoltContext, body: dict, *, ask_slack: bool = False) -> None:
        user = context.user_id
        context["actor"] = user
        context["role"] = kit.services.role(user) if user else Role.VOLUNTEER
        context["language"] = language(user, ask_slack=ask_slack)
        view = body.get("view")
        if isinstance(view, dict):
            context["form"] = flatten_state(_get(view.get("state"), "values"))
            try:
                meta = json.loads(view.get("private_metadata") or "{}")
            except (TypeError, ValueError):
                meta = {}
            context["meta"] = meta if isinstance(meta, dict) else {}
        if body.get("type") == "block_actions":  # a button's context, for its listener (handlers/click.py)
            context["click"] = Click.of(kit, body, context)
