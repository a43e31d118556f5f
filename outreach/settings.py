"""Settings from the environment (and a .env file in the working directory)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from outreach import i18n
from outreach.digits import parse_number
from outreach.durations import parse_duration, parse_durations

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_TWILIO_URL = "https://api.twilio.com"
USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it and says how to fix it."""

    def __init__(self, name: str, problem: str, fix: str) -> None:
        super().__init__(f"{name}: {problem}. {fix}")
        self.name = name


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment."""

    bot_token: str
    signing_secret: str | None
    app_token: str | None
    api_url: str
    port: int
    db_path: Path
    admins: frozenset[str]
    timezone: str
    coordinator_channel: str | None
    data_dir: Path = field(default=Path("data"))
    notes_retention_days: int = 90
    region: str = "US"
    # The language of words meant for no one person: channel posts, the funder's report (outreach/i18n.py).
    language: str = i18n.ENGLISH
    reminder_leads: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=2))
    understaffed_alert: timedelta = timedelta(hours=48)
    readiness_alert: timedelta = timedelta(hours=24)
    checkout_grace: timedelta = timedelta(minutes=30)
    escalation_repeat: timedelta = timedelta(minutes=15)
    feed_port: int = 8080
    public_url: str | None = None
    # The climb of a safety escalation (outreach/safety.py): the team alone first, the coordinators
    # after `escalation_team_wait`, then after `escalation_contacts_after` unanswered repeats the
    # people named in the checklist and the on-call coordinators.
    escalation_team_wait: timedelta = timedelta(0)
    escalation_contacts_after: int = 2
    oncall_coordinators: tuple[str, ...] = ()
    # When a turn of the on-call rota changes (outreach/rota.py), in OUTREACH_TIMEZONE.
    oncall_handover: time = time(12, 0)
    coalition_name: str | None = None
    inkind_rate: float | None = None
    currency: str = "USD"
    sos_repeat: timedelta = timedelta(minutes=1)
    incident_recheck: timedelta = timedelta(minutes=30)
    statement_issuer: str | None = None
    # Twilio (outreach/phones.py, handlers/phone.py): SMS and calls to the people on call.
    twilio_sid: str | None = None
    twilio_token: str | None = None
    twilio_from: str | None = None
    twilio_service: str | None = None
    twilio_api_url: str = DEFAULT_TWILIO_URL
    call_after: timedelta = timedelta(minutes=2)
    sms_after: timedelta = timedelta(minutes=5)

    @property
    def twilio(self) -> bool:
        """True when SMS and calls reach people beyond Slack (Twilio is set up)."""
        return bool(self.twilio_sid and self.twilio_token and (self.twilio_from or self.twilio_service))

    @property
    def socket_mode(self) -> bool:
        """True when the bot connects over Socket Mode rather than serving HTTP."""
        return bool(self.app_token)

    @property
    def zone(self) -> ZoneInfo:
        """The coalition's time zone."""
        return ZoneInfo(self.timezone)


def load_dotenv_file(path: Path = Path(".env")) -> None:
    """Load a .env file from the working directory when present; the environment wins."""
    if path.is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def load_settings(env: Mapping[str, str] | None = None, *, require_signing_secret: bool = True) -> Settings:
    """Read and validate the settings; raise SettingsError naming the first bad one."""
    env = os.environ if env is None else env
    slack = _slack_settings(env, require_signing_secret=require_signing_secret)
    place = _coalition_settings(env)
    time_settings = _time_settings(env)
    return Settings(
        **slack,
        **place,
        db_path=Path(_get(env, "OUTREACH_DB") or "data/outreach.db"),
        data_dir=Path(_get(env, "OUTREACH_DATA_DIR") or Path(__file__).resolve().parent.parent / "data"),
        **time_settings,
        **_report_settings(env),
        **_twilio_settings(env, place["region"], time_settings["public_url"]),
    )


def _slack_settings(env: Mapping[str, str], *, require_signing_secret: bool) -> dict:
    """The app's tokens, its signing secret, the Web API's address and the HTTP port."""
    bot_token = _get(env, "SLACK_BOT_TOKEN")
    if not bot_token:
        raise SettingsError(
            "SLACK_BOT_TOKEN", "is not set",
            "Copy the Bot User OAuth Token (xoxb-...) from your Slack app's OAuth & Permissions page "
            "into .env or the environment",
        )
    if not bot_token.startswith("xoxb-"):
        raise SettingsError(
            "SLACK_BOT_TOKEN", "does not look like a bot token",
            "Use the Bot User OAuth Token, which starts with xoxb-",
        )

    app_token = _get(env, "SLACK_APP_TOKEN")
    if app_token and not app_token.startswith("xapp-"):
        raise SettingsError(
            "SLACK_APP_TOKEN", "does not look like an app-level token",
            "Create an app-level token with the connections:write scope (Basic Information page); "
            "it starts with xapp-. Leave SLACK_APP_TOKEN unset to serve HTTP instead",
        )

    signing_secret = _get(env, "SLACK_SIGNING_SECRET")
    if not app_token and require_signing_secret and not signing_secret:
        raise SettingsError(
            "SLACK_SIGNING_SECRET", "is not set (required in HTTP mode)",
            "Copy the Signing Secret from your Slack app's Basic Information page, "
            "or set SLACK_APP_TOKEN to use Socket Mode",
        )

    api_url = _get(env, "SLACK_API_URL") or DEFAULT_API_URL
    if not re.match(r"^https?://[^/\s]+", api_url):
        raise SettingsError(
            "SLACK_API_URL", f"{api_url!r} is not an http(s) URL",
            "Use the Web API base URL, for example https://slack.com/api/",
        )
    if not api_url.endswith("/"):
        api_url += "/"

    port = _whole(env, "PORT", "3000", (1, 65535), "a port number", "Use a number from 1 to 65535")
    return {"bot_token": bot_token, "signing_secret": signing_secret, "app_token": app_token, "api_url": api_url,
            "port": port}


def _whole(env: Mapping[str, str], name: str, default: str, bounds: tuple[int, int], what: str, fix: str) -> int:
    """A whole-number setting within bounds (its default when unset); anything else is refused with its name."""
    text = _get(env, name) or default
    number = parse_number(text)
    if number is None or not bounds[0] <= number <= bounds[1]:
        raise SettingsError(name, f"{text!r} is not {what}", fix)
    return number


def _user_ids(env: Mapping[str, str], name: str, why: str) -> tuple[str, ...]:
    """A comma-separated list of member ids, in order and once each; anything else is refused with its name."""
    ids = tuple(dict.fromkeys(a.strip() for a in (_get(env, name) or "").split(",") if a.strip()))
    bad = sorted(a for a in ids if not USER_ID.match(a))
    if bad:
        raise SettingsError(name, f"{', '.join(bad)} is not a Slack user id",
                            f"List member ids like U012ABCDEF, comma-separated {why}".replace(" :", ":"))
    return ids


def _coalition_settings(env: Mapping[str, str]) -> dict:
    """The admins, the time zone, the coordinators' channel, how long notes are kept, the region, the language."""
    admins = frozenset(_user_ids(env, "OUTREACH_ADMINS", "(profile > ... > Copy member ID)"))

    timezone = _get(env, "OUTREACH_TIMEZONE") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            "OUTREACH_TIMEZONE", f"{timezone!r} is not a known IANA time zone",
            "Use a zone name such as America/Chicago or Europe/London",
        ) from None

    channel = _get(env, "OUTREACH_COORDINATOR_CHANNEL")
    if channel and not CHANNEL_ID.match(channel):
        raise SettingsError(
            "OUTREACH_COORDINATOR_CHANNEL", f"{channel!r} is not a channel id",
            "Use the channel's id (channel details > About, at the bottom), like C012ABCDEF, not its name",
        )

    retention = _whole(env, "OUTREACH_NOTES_RETENTION_DAYS", "90", (1, 3650), "a number of days from 1 to 3650",
                       "Give how many days debrief notes are kept, as a whole number (the default is 90)")

    region = (_get(env, "OUTREACH_REGION") or "US").upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise SettingsError(
            "OUTREACH_REGION", f"{region!r} is not a known country or region code",
            "Give the two-letter code (ISO 3166) of the country the coalition works in, like US or MX: "
            "phone numbers written in its national format are refused in notes",
        )
    typed = _get(env, "OUTREACH_LANGUAGE") or i18n.ENGLISH
    language = i18n.pick(typed)
    if language is None:
        raise SettingsError(
            "OUTREACH_LANGUAGE", f"{typed!r} is not a language the bot speaks",
            "Use one of " + ", ".join(f"{code} ({name})" for code, name in i18n.LANGUAGES.items())
            + ": the language of channel posts and the funder's report",
        )
    return {"admins": admins, "timezone": timezone, "coordinator_channel": channel,
            "notes_retention_days": retention, "region": region, "language": language}


def _time_settings(env: Mapping[str, str]) -> dict:
    """Reminder leads, alert leads, safety timings, and where the calendar feed is served."""
    values: dict = {}
    try:
        values["reminder_leads"] = parse_durations(_get(env, "OUTREACH_REMINDER_LEADS") or "24h,2h")
    except ValueError as exc:
        raise SettingsError(
            "OUTREACH_REMINDER_LEADS", str(exc), "Give lead times before a shift, comma-separated, like 24h,2h or 90m"
        ) from None
    singles = (
        ("understaffed_alert", "OUTREACH_UNDERSTAFFED_ALERT", "48h", "how long before a shift to flag it understaffed"),
        ("readiness_alert", "OUTREACH_READINESS_ALERT", "24h", "how long before a shift to flag what is not ready"),
        ("checkout_grace", "OUTREACH_CHECKOUT_GRACE", "30m", "how long after a shift's end to wait for check-out"),
        ("escalation_repeat", "OUTREACH_ESCALATION_REPEAT", "15m", "how often to repeat an unacknowledged escalation"),
        ("sos_repeat", "OUTREACH_SOS_REPEAT", "1m", "how often to repeat an SOS nobody has taken on"),
        ("incident_recheck", "OUTREACH_INCIDENT_RECHECK", "30m",
         "how long an alert taken on may stay unresolved before its handler, then the others, are asked"),
    )
    for attr, name, default, meaning in singles:
        try:
            values[attr] = parse_duration(_get(env, name) or default)
        except ValueError as exc:
            raise SettingsError(name, str(exc), f"Give one duration like {default}: {meaning}") from None
    values["feed_port"] = _whole(env, "OUTREACH_FEED_PORT", "8080", (1, 65535), "a port number",
                                 "Use a number from 1 to 65535 for the calendar feed in Socket Mode")
    public = _get(env, "OUTREACH_PUBLIC_URL")
    if public and not re.match(r"^https?://[^/\s]+", public):
        raise SettingsError(
            "OUTREACH_PUBLIC_URL", f"{public!r} is not an http(s) URL",
            "Give the address people reach the bot's feed at, like https://outreach.example.org",
        )
    values["public_url"] = public.rstrip("/") if public else None
    values.update(_climb_settings(env))
    return values


def _climb_settings(env: Mapping[str, str]) -> dict:
    """How a safety escalation climbs: the team's wait, repeats before the named contacts, the on-call list."""
    wait_text = _get(env, "OUTREACH_ESCALATION_TEAM_WAIT") or "0m"
    try:
        wait = timedelta(0) if re.fullmatch(r"0+ ?[smhd]?", wait_text.lower()) else parse_duration(wait_text)
    except ValueError as exc:
        raise SettingsError(
            "OUTREACH_ESCALATION_TEAM_WAIT", str(exc),
            "Give one duration like 10m (or 0m): how long the team alone is asked before the coordinators are told",
        ) from None
    if wait > timedelta(hours=2):
        raise SettingsError("OUTREACH_ESCALATION_TEAM_WAIT", f"{wait_text!r} is over 2 hours",
                            "Give at most 2h: the coordinators must hear of a silent team the same night")
    after = _whole(env, "OUTREACH_ESCALATION_CONTACTS_AFTER", "2", (0, 20), "a number of repeats from 0 to 20",
                   "Give how many unanswered repeats to the coordinators come before the named contacts are called "
                   "(like 2)")
    oncall = _user_ids(env, "OUTREACH_ONCALL_COORDINATORS", ": who is told when an escalation goes unanswered")
    handover_text = _get(env, "OUTREACH_ONCALL_HANDOVER") or "12:00"
    found = re.fullmatch(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", handover_text)
    if not found:
        raise SettingsError(
            "OUTREACH_ONCALL_HANDOVER", f"{handover_text!r} is not a time of day",
            "Give the local time (24-hour, like 12:00 or 09:30) at which one on-call turn hands over to the next",
        )
    return {"escalation_team_wait": wait, "escalation_contacts_after": after, "oncall_coordinators": oncall,
            "oncall_handover": time(int(found.group(1)), int(found.group(2)))}


RATE = re.compile(r"^[0-9]{1,5}(?:[.,][0-9]{1,2})?$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


def _one_line(env: Mapping[str, str], name: str, fix: str) -> str | None:
    """A short text setting on one line (at most 120 characters, no control characters), or None when unset."""
    text = _get(env, name)
    if text and (len(text) > 120 or any(ord(c) < 32 for c in text)):
        raise SettingsError(name, "is longer than 120 characters or holds control characters", fix)
    return text


def _report_settings(env: Mapping[str, str]) -> dict:
    """The coalition's name on its reports, and the hourly rate that values volunteer hours in kind."""
    values: dict = {}
    values["coalition_name"] = _one_line(env, "OUTREACH_COALITION_NAME",
                                         "Give the coalition's name as it should read on reports, on one line")
    rate = _get(env, "OUTREACH_INKIND_RATE")
    if rate is not None:
        if not RATE.match(rate) or float(rate.replace(",", ".")) <= 0:
            raise SettingsError(
                "OUTREACH_INKIND_RATE", f"{rate!r} is not an hourly rate",
                "Give the value of one volunteer hour as a number like 33.49 (no currency sign), "
                "or leave it unset to show no in-kind value",
            )
        values["inkind_rate"] = float(rate.replace(",", "."))
    currency = (_get(env, "OUTREACH_CURRENCY") or "USD").upper()
    if not CURRENCY.match(currency):
        raise SettingsError(
            "OUTREACH_CURRENCY", f"{currency!r} is not a currency code",
            "Give the three-letter code (ISO 4217) the in-kind rate is in, like USD or EUR",
        )
    values["currency"] = currency
    values["statement_issuer"] = _one_line(
        env, "OUTREACH_STATEMENT_ISSUER",
        "Give the coordinator who issues statements of service hours, like: Dana Reyes, Volunteer Coordinator")
    return values


PRIVATE_HOST = re.compile(r"^(localhost|127\.|10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.|0\.0\.0\.0|\[?::1\]?)",
                          re.IGNORECASE)


def _twilio_settings(env: Mapping[str, str], region: str, public_url: str | None) -> dict:
    """Twilio's account, sender and API address, and when SOS calls and escalation texts go out."""
    values: dict = {}
    for attr, name, default, meaning in (
            ("call_after", "OUTREACH_CALL_AFTER", "2m", "how long an SOS may go untaken before the people on call are called"),
            ("sms_after", "OUTREACH_SMS_AFTER", "5m", "how long an escalation may go untaken before everyone told is texted")):
        try:
            values[attr] = parse_duration(_get(env, name) or default)
        except ValueError as exc:
            raise SettingsError(name, str(exc), f"Give one duration like {default}: {meaning}") from None
    sid, token = _get(env, "TWILIO_ACCOUNT_SID"), _get(env, "TWILIO_AUTH_TOKEN")
    sender, service = _get(env, "TWILIO_FROM"), _get(env, "TWILIO_MESSAGING_SERVICE_SID")
    api_url = (_get(env, "OUTREACH_TWILIO_API_URL") or DEFAULT_TWILIO_URL).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", api_url):
        raise SettingsError("OUTREACH_TWILIO_API_URL", f"{api_url!r} is not an http(s) URL",
                            f"Leave it unset for Twilio's own ({DEFAULT_TWILIO_URL})")
    values["twilio_api_url"] = api_url
    if not (sid or token or sender or service):
        return values
    if not sid or not re.fullmatch(r"AC[0-9a-fA-F]{32}", sid):
        raise SettingsError("TWILIO_ACCOUNT_SID", "is missing or is not an Account SID (AC and 32 hex digits)",
                            "Copy it from the Twilio Console's home page, or unset every TWILIO_ setting")
    if not token:
        raise SettingsError("TWILIO_AUTH_TOKEN", "is not set",
                            "Copy the Auth Token from the Twilio Console's home page (it also signs Twilio's webhooks)")
    if service and not re.fullmatch(r"MG[0-9a-fA-F]{32}", service):
        raise SettingsError("TWILIO_MESSAGING_SERVICE_SID", f"{service!r} is not a Messaging Service SID",
                            "Copy it from Messaging > Services (MG and 32 hex digits)")
    number = None
    if sender:
        try:
            number = phonenumbers.parse(sender, region)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise SettingsError("TWILIO_FROM", f"{sender!r} is not a phone number",
                                "Give the Twilio number SMS and calls come from, like +15551234567")
    elif not service:
        raise SettingsError("TWILIO_FROM", "is not set",
                            "Give the Twilio number SMS and calls come from (calls need it even with a Messaging Service)")
    if not public_url or not public_url.startswith("https://") or PRIVATE_HOST.match(public_url[len("https://"):]):
        raise SettingsError("OUTREACH_PUBLIC_URL", f"{public_url or 'not set'}: Twilio needs a public https address",
                            "Give the https address Twilio reaches the bot at (its webhooks are /twilio/sms and "
                            "/twilio/voice there), or unset the TWILIO_ settings to keep the net inside Slack")
    values.update(twilio_sid=sid, twilio_token=token, twilio_service=service,
                  twilio_from=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else None)
    return values
