"""Impact reports in Slack: /outreach report and export, and the monthly post to coordinators."""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import blocks as bk
from handlers.commands import CommandRequest, subcommand
from handlers.debriefs import lists
from handlers.kit import Kit
from handlers.notify import notice
from outreach import outbox
from outreach import reports as rp
from outreach.roles import Role

log = logging.getLogger(__name__)

MONTHLY_HOUR = 8
PERIOD_USAGE = "PERIOD like 2026-10 (a month), 2026-Q3 (a quarter) or 2026 (a year)"


def report_text(kit: Kit, period: rp.Period) -> str:
    """The report of a period, each figure against the previous period."""
    zone, now = kit.services.settings.zone, kit.services.now()
    current = rp.figures(kit.services.store, period, zone=zone, now=now)
    before_period = period.previous()
    before = rp.figures(kit.services.store, before_period, zone=zone, now=now)
    return kit.render("reports/report.j2", period=period, previous=before_period, f=current, p=before,
                      lists=lists(kit), kinds=sorted(set(current.nights) | set(before.nights)))


def destination(kit: Kit, channel_id: str | None) -> str | None:
    """Where a coordinator's upload goes: their DM with the bot or the coordinator channel, never a wider one."""
    coord = kit.services.settings.coordinator_channel
    if channel_id and (channel_id.startswith("D") or channel_id == coord):
        return channel_id
    return coord or channel_id


def upload(client: WebClient, *, channel: str, data: bytes, filename: str, title: str, comment: str | None = None) -> bool:
    """Upload a file to a channel; False (logged) when Slack refuses."""
    try:
        client.files_upload_v2(channel=channel, content=data, filename=filename, title=title, initial_comment=comment)
    except SlackApiError as exc:
        log.warning("could not upload %s to %s: %s", filename, channel, exc.response.get("error"))
        return False
    return True


def _period(req: CommandRequest, usage: str) -> rp.Period | None:
    today = req.kit.services.now().astimezone(req.kit.services.settings.zone).date()
    period = rp.parse_period(req.args.split(" ")[0] if req.args else "", today=today)
    if period is None:
        req.say("common/usage.j2", usage=f"{usage} ({PERIOD_USAGE})")
    return period


@subcommand("report", role=Role.COORDINATOR, usage="[PERIOD]")
def cmd_report(req: CommandRequest) -> None:
    """The impact report of a period (default: last month), with a 12-month chart."""
    period = _period(req, "/outreach report [PERIOD]")
    if period is None:
        return
    text = report_text(req.kit, period)
    where = destination(req.kit, req.channel_id)
    req.reply(text + "\n" + req.kit.render("reports/uploading.j2", what="chart", channel=where))
    if where:
        png = rp.chart_png(req.kit.services.store, period, zone=req.kit.services.settings.zone, now=req.kit.services.now())
        upload(req.client, channel=where, data=png, filename=f"outreach-{period.label}.png",
               title=f"Outreach, 12 months to {period.label}", comment=req.kit.render("reports/chart_comment.j2", period=period))


@subcommand("export", role=Role.COORDINATOR, usage="[PERIOD]")
def cmd_export(req: CommandRequest) -> None:
    """A CSV of a period's debriefed shifts (counts only), uploaded for a spreadsheet."""
    period = _period(req, "/outreach export [PERIOD]")
    if period is None:
        return
    where = destination(req.kit, req.channel_id)
    req.reply(req.kit.render("reports/uploading.j2", what="export", channel=where, period=period))
    if where:
        services = req.kit.services
        data = rp.csv_bytes(services.store, period, zone=services.settings.zone, now=services.now(),
                            catalog=services.catalog, lists=lists(req.kit))
        upload(req.client, channel=where, data=data, filename=f"outreach-{period.label}.csv",
               title=f"Outreach debriefs {period.label}")


@notice("reports/monthly")
def notice_monthly(kit: Kit, context: dict) -> tuple[str, list[dict]] | None:
    """The report of the month before, posted on the first of the month."""
    today = kit.services.now().astimezone(kit.services.settings.zone).date()
    period = rp.parse_period(str(context["period"]), today=today)
    if period is None:
        return None
    text = kit.render("reports/monthly.j2", body=report_text(kit, period))
    return text, bk.message([bk.section(part) for part in _chunks(text)])


def _chunks(text: str, size: int = 2900) -> list[str]:
    lines, parts, current = text.split("\n"), [], ""
    for line in lines:
        if len(current) + len(line) + 1 > size:
            parts.append(current)
            current = ""
        current += line + "\n"
    return [p for p in parts + [current] if p.strip()][:40]


def monthly_post(kit: Kit, client: WebClient) -> bool:
    """On the first of a month (from MONTHLY_HOUR), post last month's report once, with its chart."""
    settings, now = kit.services.settings, kit.services.now()
    local = now.astimezone(settings.zone)
    if local.day != 1 or local.hour < MONTHLY_HOUR or not settings.coordinator_channel:
        return False
    period = rp.parse_period("", today=local.date())
    assert period is not None
    with kit.services.store.write() as db:
        fresh = outbox.enqueue(db, key=f"report:monthly:{period.label}", channel=settings.coordinator_channel,
                               template="reports/monthly", context={"period": period.label}, due_at=now, now=now)
    if not fresh:
        return False
    kit.notifier.flush()
    png = rp.chart_png(kit.services.store, period, zone=settings.zone, now=now)
    upload(client, channel=settings.coordinator_channel, data=png, filename=f"outreach-{period.label}.png",
           title=f"Outreach, 12 months to {period.label}")
    return True


def register(app: App, kit: Kit) -> None:
    """Add the monthly report to the periodic jobs."""

    def monthly() -> None:
        """Post last month's report on the first of the month."""
        monthly_post(kit, kit.notifier.client)

    kit.periodic.append(monthly)


__all__ = ["register", "timedelta"]
