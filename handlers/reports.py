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
from outreach import debriefs as dbf
from outreach import heap, i18n, outbox
from outreach import report_files as rf
from outreach import reports as rp
from outreach.i18n import gettext as _
from outreach.roles import Role

log = logging.getLogger(__name__)

MONTHLY_HOUR = 8
PERIOD_USAGE = "PERIOD like 2026-10 (a month), 2026-Q3 (a quarter), 2026 (a year) or 2026-07-01..2027-06-30"


def build(kit: Kit, period: rp.Period) -> rp.Report:
    """The one computation behind a period's message and files, with the coalition's name and in-kind rate."""
    settings = kit.services.settings
    return rp.build_report(kit.services.store, period, zone=settings.zone, now=kit.services.now(),
                           rate=settings.inkind_rate, currency=settings.currency, coalition=settings.coalition_name)


def report_text(kit: Kit, period: rp.Period, report: rp.Report | None = None) -> str:
    """The report of a period, each figure against the previous period of the same length."""
    report = report or build(kit, period)
    trained = rf.sector_names(dbf.load_sectors(kit.services.settings.data_dir))
    for sector in sorted((set(report.current.sectors) | set(report.before.sectors)) - set(trained)):
        trained[sector] = sector  # a sector since removed from data/sectors.yml still adds up
    return kit.render("reports/report.j2", r=report, period=report.period, previous=report.previous,
                      f=report.current, p=report.before, lists=lists(kit), kinds=report.kinds, trained=trained)


def destination(kit: Kit, channel_id: str | None) -> str | None:
    """Where a coordinator's upload goes: their DM with the bot or the coordinator channel, never a wider one."""
    coord = kit.services.settings.coordinator_channel
    if channel_id and (channel_id.startswith("D") or channel_id == coord):
        return channel_id
    return coord or channel_id


def upload(client: WebClient, *, channel: str, data: bytes, filename: str, title: str,
           comment: str | None = None) -> bool:
    """Upload a file to a channel; False (logged) when Slack refuses."""
    return upload_files(client, channel=channel, files=[(data, filename, title)], comment=comment)


def upload_files(client: WebClient, *, channel: str, files: list[tuple[bytes, str, str]],
                 comment: str | None = None) -> bool:
    """Upload files (data, filename, title) to a channel in one message; False (logged) when Slack refuses."""
    try:
        client.files_upload_v2(channel=channel, initial_comment=comment, file_uploads=[
            {"content": data, "filename": filename, "title": title} for data, filename, title in files])
    except SlackApiError as exc:
        log.warning("could not upload %s to %s: %s", ", ".join(f[1] for f in files), channel,
                    exc.response.get("error"))
        return False
    return True


def _period(req: CommandRequest, usage: str) -> rp.Period | None:
    today = req.kit.services.now().astimezone(req.kit.services.settings.zone).date()
    period, problem = rp.read_period(req.args, today=today)
    if period is None:
        req.say("reports/bad_period.j2", problem=problem, usage=usage)
    return period


@heap.hands_memory_back
def report_files(kit: Kit, report: rp.Report, formats: frozenset[str] = frozenset({"pdf", "xlsx"}),
                 ) -> list[tuple[bytes, str, str]]:
    """The chart and the PDF (`pdf`) and the workbook (`xlsx`) of a report, as (data, filename, title) to upload."""
    services, period = kit.services, report.period
    settings = services.settings
    sectors = dbf.load_sectors(settings.data_dir)
    files: list[tuple[bytes, str, str]] = []
    if "pdf" in formats:
        png = rp.chart_png(services.store, period, zone=settings.zone, now=services.now())
        pdf = rf.report_pdf(report, lists=lists(kit), sectors=sectors,
                            today=services.now().astimezone(settings.zone).date())
        files += [(png, f"outreach-{period.slug}.png", _("Outreach, 12 months to %(period)s") % {"period": period.label}),
                  (pdf, f"outreach-report-{period.slug}.pdf", _("Outreach report %(period)s") % {"period": period.label})]
    if "xlsx" in formats:
        xlsx = rf.report_xlsx(report, catalog=services.catalog, lists=lists(kit), sectors=sectors)
        files.append((xlsx, f"outreach-report-{period.slug}.xlsx",
                      _("Outreach report %(period)s (workbook)") % {"period": period.label}))
    return files


FORMATS = ("pdf", "xlsx", "csv")  # what a report is sent as: the PDF (with the chart), the workbook, the CSV


def send_files(kit: Kit, client: WebClient, period: rp.Period, *, where: str, formats: set[str],
               report: rp.Report | None = None) -> bool:
    """Upload a period's files in the formats asked for (FORMATS) to `where`: the PDF with its 12-month chart,
    the workbook, the CSV of the nights held (counts and names only); False (logged) when Slack refuses.
    A funder's report is worded in the coalition's language (`OUTREACH_LANGUAGE`), whoever asked for it."""
    with i18n.speaking(kit.services.settings.language):
        return _send_files(kit, client, period, where=where, formats=formats, report=report)


def _send_files(kit: Kit, client: WebClient, period: rp.Period, *, where: str, formats: set[str],
                report: rp.Report | None) -> bool:
    services = kit.services
    done = True
    if formats & {"pdf", "xlsx"}:
        files = report_files(kit, report or build(kit, period), frozenset(formats))
        done = upload_files(client, channel=where, files=files,
                            comment=kit.render("reports/chart_comment.j2", period=period) if "pdf" in formats else None)
    if "csv" in formats:
        data = rf.csv_bytes(services.store, period, zone=services.settings.zone, now=services.now(),
                            catalog=services.catalog, lists=lists(kit),
                            sectors=dbf.load_sectors(services.settings.data_dir))
        done = upload(client, channel=where, data=data, filename=f"outreach-{period.label}.csv",
                      title=_("Outreach nights %(period)s") % {"period": period.label}) and done
    return done


@subcommand("report", role=Role.COORDINATOR, usage="[PERIOD]")
def cmd_report(req: CommandRequest) -> None:
    """The impact report of a period (default: last month), with a 12-month chart, a PDF and a workbook."""
    period = _period(req, "/outreach report [PERIOD]")
    if period is None:
        return
    report = build(req.kit, period)
    where = destination(req.kit, req.channel_id)
    req.reply(report_text(req.kit, period, report) + "\n"
              + req.kit.render("reports/uploading.j2", what="report", channel=where, period=period))
    if where:
        send_files(req.kit, req.client, period, where=where, formats={"pdf", "xlsx"}, report=report)


@subcommand("export", role=Role.COORDINATOR, usage="[PERIOD]")
def cmd_export(req: CommandRequest) -> None:
    """A CSV of a period's held nights (counts and names only), uploaded for a spreadsheet."""
    period = _period(req, "/outreach export [PERIOD]")
    if period is None:
        return
    where = destination(req.kit, req.channel_id)
    req.reply(req.kit.render("reports/uploading.j2", what="export", channel=where, period=period))
    if where:
        send_files(req.kit, req.client, period, where=where, formats={"csv"})


@notice("reports/monthly")
def notice_monthly(kit: Kit, context: dict) -> tuple[str, list[dict], dict] | None:
    """The report of the month before, posted on the first of the month, its chart, PDF and workbook beside it
    (uploaded by the outbox once the message is sent: nothing is lost in a restart)."""
    today = kit.services.now().astimezone(kit.services.settings.zone).date()
    period = rp.parse_period(str(context["period"]), today=today)
    if period is None:
        return None
    report = build(kit, period)
    text = kit.render("reports/monthly.j2", body=report_text(kit, period, report))
    files = {"files": report_files(kit, report), "comment": kit.render("reports/chart_comment.j2", period=period)}
    return text, bk.message([bk.section(part) for part in _chunks(text)]), files


def _chunks(text: str, size: int = 2900) -> list[str]:
    lines, parts, current = text.split("\n"), [], ""
    for line in lines:
        if len(current) + len(line) + 1 > size:
            parts.append(current)
            current = ""
        current += line + "\n"
    return [p for p in parts + [current] if p.strip()][:40]


def monthly_post(kit: Kit) -> bool:
    """On the first of a month (from MONTHLY_HOUR), post last month's report once, with its chart, PDF and workbook."""
    settings, now = kit.services.settings, kit.services.now()
    local = now.astimezone(settings.zone)
    if local.day != 1 or local.hour < MONTHLY_HOUR or not settings.coordinator_channel:
        return False
    period = rp.parse_period("", today=local.date())
    assert period is not None
    with kit.services.store.write() as db:
        fresh = outbox.enqueue(db, key=f"report:monthly:{period.label}", channel=settings.coordinator_channel,
                               template="reports/monthly", context={"period": period.label}, due_at=now, now=now)
    if fresh:
        kit.notifier.flush()
    return bool(fresh)


def register(app: App, kit: Kit) -> None:
    """Add the monthly report to the periodic jobs."""

    def monthly() -> None:
        """Post last month's report on the first of the month."""
        monthly_post(kit)

    kit.periodic.append(monthly)


__all__ = ["register", "timedelta"]
