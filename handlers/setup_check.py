"""What `python bot.py check` asks Slack: the token, its scopes, the admins, the coordinators' channel.

Each finding is one line; a problem says what to do. The coordinators' channel, when the bot cannot
post there, is recorded with the detector the safety net uses (outreach/reach.py): the running bot
tells the admins once, and the notifier moves safety messages for it to people meanwhile.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.manifest import BOT_SCOPES
from outreach import reach
from outreach.services import Services
from outreach.setup_check import missing_scopes

REINSTALL = "reinstall the app (api.slack.com/apps > the app > Install App > Reinstall to Workspace)"
ID_HELP = "use the member id from their Slack profile (... > Copy member ID)"


@dataclass(frozen=True)
class Finding:
    """One line of what `check` found; `problem` when it is something to fix."""

    line: str
    problem: bool = False


def header(headers: Mapping[str, object] | None, name: str) -> str | None:
    """A response header by name, whatever its case (Slack's answers come through urllib as sent)."""
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return None


def slack_findings(client: WebClient, services: Services, *, skip: Collection[str] = (),
                   wanted: Collection[str] = tuple(BOT_SCOPES)) -> Iterator[Finding]:
    """Try the token, its scopes, each admin and the coordinators' channel; `skip` are values left as placeholders."""
    settings = services.settings
    try:
        auth = client.auth_test()
    except SlackApiError as exc:
        yield Finding(f"slack: the token was refused ({exc.response.get('error')}); check SLACK_BOT_TOKEN", True)
        return
    except Exception as exc:  # unreachable API: nothing else can be asked
        yield Finding(f"slack: could not reach {settings.api_url} ({type(exc).__name__})", True)
        return
    yield Finding(f"slack: ok (bot {auth.get('user')} in workspace {auth.get('team')}, via {settings.api_url})")
    lacking = missing_scopes(header(auth.headers, "x-oauth-scopes"), wanted)
    yield _scopes(lacking, len(wanted))
    admins = sorted(a for a in settings.admins if a not in skip)
    if admins:
        yield _admins(client, admins)
    channel = settings.coordinator_channel
    if channel and channel not in skip:
        yield _channel(client, services, channel)


def _scopes(lacking: list[str] | None, wanted: int) -> Finding:
    if lacking is None:
        return Finding("slack: Slack did not say which scopes the token has (no x-oauth-scopes header); not checked")
    if lacking:
        return Finding(f"slack: the token lacks {', '.join(lacking)}, which the manifest asks for; {REINSTALL}", True)
    return Finding(f"slack: the token has all {wanted} scopes the manifest asks for")


def _admins(client: WebClient, admins: list[str]) -> Finding:
    wrong: list[str] = []
    for admin in admins:
        try:
            user = client.users_info(user=admin)["user"]
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error == "missing_scope":
                return Finding("OUTREACH_ADMINS: not checked (the token lacks users:read; see above)")
            wrong.append(f"{admin} is not a member of this workspace" if error == "user_not_found"
                         else f"{admin} could not be looked up ({error})")
            continue
        if user.get("deleted"):
            wrong.append(f"{admin} is a deactivated account")
        elif user.get("is_bot"):
            wrong.append(f"{admin} is a bot, not a person")
    if wrong:
        return Finding(f"OUTREACH_ADMINS: {'; '.join(wrong)}; {ID_HELP}", True)
    return Finding(f"OUTREACH_ADMINS: ok ({len(admins)} member(s) of the workspace)")


def _channel(client: WebClient, services: Services, channel: str) -> Finding:
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        if error == "missing_scope":
            return Finding("OUTREACH_COORDINATOR_CHANNEL: not checked (the token lacks channels:read or groups:read; "
                           "see above)")
        if error != "channel_not_found":
            return Finding(f"OUTREACH_COORDINATOR_CHANNEL: {channel} could not be looked up ({error})", True)
        return Finding(f"OUTREACH_COORDINATOR_CHANNEL: the bot cannot see {channel} (Slack says channel_not_found): "
                       f"if it is a private channel, type /invite @outreach in it; if not, check the id (channel "
                       f"details > About){_record(services, channel, error)}", True)
    name = f"#{info.get('name')} ({channel})" if info.get("name") else channel
    if info.get("is_archived"):
        return Finding(f"OUTREACH_COORDINATOR_CHANNEL: {name} is archived; unarchive it or set another channel"
                       f"{_record(services, channel, 'is_archived')}", True)
    if not info.get("is_member"):
        return Finding(f"OUTREACH_COORDINATOR_CHANNEL: the bot is not a member of {name}; type /invite @outreach "
                       f"in it{_record(services, channel, 'not_in_channel')}", True)
    ended = reach.reachable(services.store, channel=channel, now=services.now())
    return Finding(f"OUTREACH_COORDINATOR_CHANNEL: ok (the bot is a member of {name}"
                   f"{'; the problem recorded before is cleared' if ended else ''})")


def _record(services: Services, channel: str, error: str) -> str:
    """Record the problem as the safety net's detector does; say whether the admins' DM about it was queued now."""
    settings = services.settings
    began = reach.unreachable(services.store, channel=channel, error=error, now=services.now(),
                              admins=settings.admins, coordinator_channel=settings.coordinator_channel)
    if not began:
        return " (already recorded)"
    return " (recorded; a DM to the admins is queued, sent when the bot runs)" if settings.admins else " (recorded)"
