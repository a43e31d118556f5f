"""Impact reports: figures per period against the previous one, a 12-month chart and a CSV export.

Periods are calendar months (2026-10), quarters (2026-Q3) or years (2026) in the coalition's zone.
A shift counts in the period its start falls in, once it has ended and unless it was cancelled.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from outreach.catalog import Catalog
from outreach.debriefs import Lists
from outreach.numbers import parse_number
from outreach.store import Store, iso

PERIOD = re.compile(r"^(?P<year>[0-9]{4})(?:-(?:(?P<month>[0-9]{1,2})|[Qq](?P<quarter>[1-4])))?$")
CHART_SIZE = (1200, 600)  # pixels
CHART_DPI = 100


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year: [first, end) in local dates."""

    label: str
    first: date
    end: date
    months: int

    def previous(self) -> Period:
        """The period of the same length just before."""
        return month_span(shift_month(self.first, -self.months), self.months)

    def bounds(self, zone: ZoneInfo) -> tuple[str, str]:
        """The period as stored UTC timestamps [start, end)."""
        start = datetime.combine(self.first, time(0), tzinfo=zone)
        end = datetime.combine(self.end, time(0), tzinfo=zone)
        return iso(start), iso(end)


def shift_month(day: date, months: int) -> date:
    """The first of the month `months` away from the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_span(first: date, months: int) -> Period:
    """The period of `months` months starting on `first`, with its readable label."""
    end = shift_month(first, months)
    if months == 1:
        label = f"{first.year}-{first.month:02d}"
    elif months == 3:
        label = f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    else:
        label = str(first.year)
    return Period(label, first, end, months)


def parse_period(text: str | None, *, today: date) -> Period | None:
    """2026-10, 2026-Q3 or 2026; empty means the last full month. None when malformed."""
    text = (text or "").strip()
    if not text:
        return month_span(shift_month(today, -1), 1)
    match = PERIOD.match(text)
    if not match:
        return None
    year = parse_number(match.group("year")) or 0
    if not 2000 <= year <= 2100:
        return None
    if match.group("month"):
        month = parse_number(match.group("month")) or 0
        return month_span(date(year, month, 1), 1) if 1 <= month <= 12 else None
    if match.group("quarter"):
        quarter = parse_number(match.group("quarter")) or 1
        return month_span(date(year, (quarter - 1) * 3 + 1, 1), 3)
    return month_span(date(year, 1, 1), 12)


@dataclass
class Figures:
    """What a period added up to."""

    nights: Counter = field(default_factory=Counter)  # by kind
    volunteer_hours: float = 0.0
    reached: int = 0
    trained: int = 0
    materials: Counter = field(default_factory=Counter)
    referrals: Counter = field(default_factory=Counter)
    indicators: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    hotline: int = 0
    police: int = 0
    incidents: int = 0
    debriefed: int = 0
    missing: int = 0

    @property
    def total_nights(self) -> int:
        """Outreach nights of every kind."""
        return sum(self.nights.values())

    @property
    def total_materials(self) -> int:
        """Materials of every type."""
        return sum(self.materials.values())

    @property
    def total_referrals(self) -> int:
        """Referrals in every category."""
        return sum(self.referrals.values())


# The shifts held in a period (started in it, ended by now, not cancelled), with their debriefs if any.
_HELD = ("FROM shifts s {join} debriefs d ON d.shift_id = s.id "
         "WHERE s.status = 'planned' AND s.starts_at >= :start AND s.starts_at < :end AND s.ends_at <= :now")


def _seconds(start: str, end: str) -> str:
    return f"CAST(round((julianday({end}) - julianday({start})) * 86400) AS INTEGER)"


# Per kind of shift: nights, debriefs, people, and the seconds worked (the debrief's team and times, or
# before a debrief the confirmed team and the planned times).
_PER_KIND = (
    "SELECT s.kind, count(*) AS nights, count(d.id) AS debriefed, "
    "sum(CASE WHEN d.id IS NULL THEN (SELECT count(*) FROM signups c WHERE c.shift_id = s.id AND c.status = 'confirmed') "
    f"* {_seconds('s.starts_at', 's.ends_at')} "
    f"ELSE json_array_length(coalesce(nullif(d.team, ''), '[]')) * {_seconds('d.started_at', 'd.ended_at')} END) "
    "AS seconds, sum(coalesce(d.contacts, 0)) AS contacts, sum(coalesce(d.hotline, 0)) AS hotline, "
    "sum(coalesce(d.police, 0)) AS police, sum(coalesce(d.incident, 0)) AS incidents "
    + _HELD.format(join="LEFT JOIN") + " GROUP BY s.kind"
)
# Counts kept as JSON in each debrief: materials and referrals ({id: n}), indicators and languages ([id, ...]).
_COUNTED = (
    "WITH held AS MATERIALIZED (SELECT d.materials, d.referrals, d.indicators, d.languages "
    + _HELD.format(join="JOIN") + ") "
    + " UNION ALL ".join(
        f"SELECT '{column}' AS figure, j.{name} AS name, {total} AS n "
        f"FROM held JOIN json_each(nullif(held.{column}, '')) j GROUP BY j.{name}"
        for column, name, total in (("materials", "key", "sum(j.value)"), ("referrals", "key", "sum(j.value)"),
                                    ("indicators", "value", "count(*)"), ("languages", "value", "count(*)")))
)


def _debriefed(store: Store, period: Period, zone: ZoneInfo, now: datetime) -> list[dict]:
    """The period's held shifts that have a debrief, with it, in order."""
    start, end = period.bounds(zone)
    with store.read() as db:
        return list(db.query(
            "SELECT s.id, s.kind, d.venue AS d_venue, d.area AS d_area, d.started_at, d.ended_at, d.team, d.contacts, "
            "d.brief, d.extended, d.languages, d.materials, d.indicators, d.referrals, d.hotline, d.police, d.incident "
            + _HELD.format(join="JOIN") + " ORDER BY s.starts_at, s.id",
            {"start": start, "end": end, "now": iso(now)},
        ))


def _hours(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 3600


def figures(store: Store, period: Period, *, zone: ZoneInfo, now: datetime) -> Figures:
    """Add up the shifts held in a period and their debriefs (SQLite does the adding, in two queries)."""
    start, end = period.bounds(zone)
    params = {"start": start, "end": end, "now": iso(now)}
    out = Figures()
    seconds = 0
    with store.read() as db:
        for row in db.query(_PER_KIND, params):
            out.nights[row["kind"]] = row["nights"]
            out.debriefed += row["debriefed"]
            out.missing += row["nights"] - row["debriefed"]
            seconds += row["seconds"] or 0
            if row["kind"] == "training":
                out.trained += row["contacts"]
            else:
                out.reached += row["contacts"]
            out.hotline += row["hotline"]
            out.police += row["police"]
            out.incidents += row["incidents"]
        for row in db.query(_COUNTED, params):
            getattr(out, row["figure"])[row["name"]] += row["n"]
    out.volunteer_hours = round(seconds / 3600, 1)
    return out


def last_months(period: Period, count: int = 12) -> list[Period]:
    """The `count` months ending with the last month of a period."""
    last = shift_month(period.end, -1)
    return [month_span(shift_month(last, -n), 1) for n in range(count - 1, -1, -1)]


def chart_png(store: Store, period: Period, *, zone: ZoneInfo, now: datetime) -> bytes:
    """A PNG of the main figures, month by month, over the 12 months ending with the period."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    months = last_months(period)
    data = [figures(store, m, zone=zone, now=now) for m in months]
    labels = [m.first.strftime("%b\n%Y") if m.first.month == 1 or i == 0 else m.first.strftime("%b")
              for i, m in enumerate(months)]
    fig = Figure(figsize=(CHART_SIZE[0] / CHART_DPI, CHART_SIZE[1] / CHART_DPI), dpi=CHART_DPI)
    top, bottom = fig.subplots(2, 1, sharex=True)
    xs = range(len(months))
    top.bar(xs, [f.reached for f in data], color="#2c4a6e", label="People reached")
    top.bar(xs, [f.trained for f in data], bottom=[f.reached for f in data], color="#7aa6c2", label="People trained")
    top.set_title(f"Outreach impact, {months[0].label} to {months[-1].label}")
    top.legend(loc="upper left", fontsize=8)
    bottom.plot(xs, [f.total_nights for f in data], marker="o", color="#2c4a6e", label="Outreach nights")
    bottom.plot(xs, [f.total_referrals for f in data], marker="s", color="#c2562c", label="Referrals")
    bottom.plot(xs, [f.volunteer_hours for f in data], marker="^", color="#5b8c3a", label="Volunteer hours")
    bottom.legend(loc="upper left", fontsize=8)
    bottom.set_xticks(list(xs), labels)
    for axis in (top, bottom):
        axis.grid(axis="y", alpha=0.3)
        axis.set_ylim(bottom=0)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=CHART_DPI)
    return buffer.getvalue()


def csv_columns(catalog: Catalog, lists: Lists) -> list[str]:
    """The export's header: fixed columns, then one per material, referral category and indicator."""
    return (
        ["shift", "date", "kind", "venue", "area", "started", "ended", "hours", "team_size", "volunteer_hours",
         "contacts", "brief", "extended", "languages", "hotline", "law_enforcement", "safety_incident"]
        + [f"material:{m.id}" for m in lists.materials]
        + [f"referral:{c.id}" for c in lists.categories]
        + [f"indicator:{i.id}" for i in lists.indicators]
    )


def _cell(value: object) -> object:
    """Keep a spreadsheet from reading text as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_bytes(store: Store, period: Period, *, zone: ZoneInfo, now: datetime, catalog: Catalog, lists: Lists) -> bytes:
    """One row per debriefed shift of the period, counts only (no notes), UTF-8 with a BOM for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_columns(catalog, lists))
    for row in _debriefed(store, period, zone, now):
        started = datetime.fromisoformat(row["started_at"]).astimezone(zone)
        ended = datetime.fromisoformat(row["ended_at"]).astimezone(zone)
        hours = round(_hours(row["started_at"], row["ended_at"]), 2)
        team = len(json.loads(row["team"] or "[]"))
        materials = json.loads(row["materials"] or "{}")
        referrals = json.loads(row["referrals"] or "{}")
        indicators = set(json.loads(row["indicators"] or "[]"))
        writer.writerow([_cell(v) for v in (
            [row["id"], started.date().isoformat(), row["kind"], row["d_venue"], row["d_area"],
             started.strftime("%Y-%m-%d %H:%M"), ended.strftime("%Y-%m-%d %H:%M"), hours, team, round(hours * team, 2),
             row["contacts"], row["brief"], row["extended"], ";".join(json.loads(row["languages"] or "[]")),
             row["hotline"], row["police"], row["incident"]]
            + [materials.get(m.id, 0) for m in lists.materials]
            + [referrals.get(c.id, 0) for c in lists.categories]
            + [int(i.id in indicators) for i in lists.indicators]
        )])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def utc_now_local_date(now: datetime, zone: ZoneInfo) -> date:
    """Today's date in the coalition's zone."""
    return now.astimezone(zone).date()


__all__ = ["UTC", "Period", "Figures", "parse_period", "figures", "chart_png", "csv_bytes"]
