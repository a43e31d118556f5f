"""Impact reports: a period's figures against the previous period of the same length, by month, and the CSV.

Periods are calendar months (2026-10), quarters (2026-Q3), years (2026) or any run of days
(2026-07-01..2027-06-30, both days included: a grant year), in the coalition's zone. A shift counts in
the period its start falls in, once it has ended and unless it was cancelled.

`build_report` is the one computation every output reads: the chat message, the CSV, the PDF and the
workbook (outreach/report_files.py) show its numbers and nothing else. Counts only: no note, no
follow-up and no other free text from a debrief is ever part of it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from outreach.catalog import Catalog, Entry
from outreach.debriefs import Lists
from outreach.heap import hands_memory_back
from outreach.hours import shift_hours
from outreach.numbers import parse_number
from outreach.store import Store, iso

PERIOD = re.compile(r"^(?P<year>[0-9]{4})(?:-(?:(?P<month>[0-9]{1,2})|[Qq](?P<quarter>[1-4])))?$")
RANGE = re.compile(r"^(?P<first>[0-9]{4}-[0-9]{2}-[0-9]{2})\s*\.\.\s*(?P<last>[0-9]{4}-[0-9]{2}-[0-9]{2})$")
MAX_DAYS = 5 * 366  # the longest period a report covers
WEEKLY_UP_TO = 62  # periods of up to this many days are charted by week, longer ones by month
PERIOD_HELP = ("a month like 2026-10, a quarter like 2026-Q3, a year like 2026, "
               "or two dates like 2026-07-01..2027-06-30 (a grant year)")
CHART_SIZE = (1200, 600)  # pixels
CHART_DPI = 100


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year (months > 0), or a run of days (months == 0): [first, end) in local dates."""

    label: str
    first: date
    end: date
    months: int

    @property
    def last(self) -> date:
        """The period's last day."""
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        """How many days the period has."""
        return (self.end - self.first).days

    @property
    def slug(self) -> str:
        """The label, fit for a file name."""
        return self.label.replace("..", "_to_")

    def previous(self) -> Period:
        """The period of the same length just before (months for months, days for a run of days)."""
        if self.months:
            return month_span(shift_month(self.first, -self.months), self.months)
        return day_span(self.first - timedelta(days=self.days), self.last - timedelta(days=self.days))

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


def day_span(first: date, last: date) -> Period:
    """The days from `first` to `last`, both included."""
    return Period(f"{first.isoformat()}..{last.isoformat()}", first, last + timedelta(days=1), 0)


def read_period(text: str | None, *, today: date) -> tuple[Period | None, str | None]:
    """A period from what someone typed, or None and what is wrong with it (empty: the last full month)."""
    text = (text or "").strip()
    if not text:
        return month_span(shift_month(today, -1), 1), None
    if match := RANGE.match(text):
        try:
            first, last = date.fromisoformat(match.group("first")), date.fromisoformat(match.group("last"))
        except ValueError:
            return None, f"{text} holds a date that does not exist"
        if not (2000 <= first.year <= 2100 and 2000 <= last.year <= 2100):
            return None, "reports cover the years 2000 to 2100"
        if last < first:
            return None, "the period ends before it starts: put the first day first"
        if (last - first).days + 1 > MAX_DAYS:
            return None, "a report covers at most five years"
        return day_span(first, last), None
    match = PERIOD.match(text)
    if not match:
        return None, f"{text} is not a period"
    year = parse_number(match.group("year")) or 0
    if not 2000 <= year <= 2100:
        return None, "reports cover the years 2000 to 2100"
    if match.group("month"):
        month = parse_number(match.group("month")) or 0
        if not 1 <= month <= 12:
            return None, f"{text} has no month {month}"
        return month_span(date(year, month, 1), 1), None
    if match.group("quarter"):
        quarter = parse_number(match.group("quarter")) or 1
        return month_span(date(year, (quarter - 1) * 3 + 1, 1), 3), None
    return month_span(date(year, 1, 1), 12), None


def parse_period(text: str | None, *, today: date) -> Period | None:
    """2026-10, 2026-Q3, 2026 or 2026-07-01..2027-06-30; empty means the last full month. None when malformed."""
    return read_period(text, today=today)[0]


def buckets(period: Period) -> list[Period]:
    """The steps a period is charted in: weeks for up to WEEKLY_UP_TO days, else calendar months (clipped)."""
    steps: list[Period] = []
    if period.days <= WEEKLY_UP_TO:
        day = period.first
        while day < period.end:
            steps.append(day_span(day, min(day + timedelta(days=6), period.last)))
            day += timedelta(days=7)
        return steps
    month = shift_month(period.first, 0)
    while month < period.end:
        following = shift_month(month, 1)
        first, end = max(month, period.first), min(following, period.end)
        steps.append(month_span(month, 1) if (first, end) == (month, following)
                     else day_span(first, end - timedelta(days=1)))
        month = following
    return steps


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
    sectors: Counter = field(default_factory=Counter)  # people in community outreach and training audiences
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

    @property
    def total_audience(self) -> int:
        """People in community outreach and training audiences, every sector."""
        return sum(self.sectors.values())


class Held(NamedTuple):
    """A shift held in a period as read from the database, with its debrief's counts (never its text)."""

    id: int
    kind: str
    starts_at: str
    venue: str
    debrief_id: int | None
    seconds: int  # how long the team was out: the debrief's times, or the planned ones before a debrief
    team: int  # the debrief's team, or the confirmed signups before a debrief
    contacts: int
    hotline: int
    police: int
    incident: int
    materials_total: int
    referrals_total: int
    area: str | None
    started_at: str | None
    ended_at: str | None
    brief: int | None
    extended: int | None
    languages: str | None  # the debrief's stored lists (JSON), read only by the CSV
    materials: str | None
    indicators: str | None
    referrals: str | None


@dataclass(slots=True)
class Night:
    """One shift held in the period: its counts (never its text), as the nights sheet and the CSV list them."""

    shift: int
    day: date
    kind: str
    venue: str
    debriefed: bool
    team: int
    hours: float  # how long the team was out (the debrief's times, or the planned ones)
    volunteer_hours: float
    contacts: int
    materials: int
    referrals: int
    audience: int
    hotline: int
    police: int
    incident: int
    detail: Held = field(repr=False, compare=False)  # the stored row, whose debrief counts the CSV lists


@dataclass(frozen=True)
class Step:
    """One week or month of the period, for the charts and the volunteer hours sheet."""

    period: Period
    nights: int
    reached: int
    trained: int
    audience: int
    volunteer_hours: float


@dataclass(frozen=True)
class Audience:
    """How many people of one sector were in one shift's audience."""

    shift: int
    day: date
    kind: str
    sector: str
    count: int


@dataclass
class Tally:
    """What a period's figures were added up from: the held shifts, their hours and their audiences."""

    period: Period
    held: list[Held]
    hours: dict[int, float]
    audience_rows: list[tuple[int, str, str, str, int]]  # shift, kind, starts_at, sector, count
    zone: ZoneInfo


@dataclass
class Report:
    """A period's figures, the previous period's, and the tables behind them: what every output shows."""

    period: Period
    previous: Period
    current: Figures
    before: Figures
    steps: list[Step]
    tally: Tally = field(repr=False)
    rate: float | None = None
    currency: str = "USD"
    coalition: str | None = None

    def inkind(self, figures: Figures) -> float | None:
        """The in-kind value of a period's volunteer hours at the coalition's rate (None when no rate is set)."""
        return None if self.rate is None else round(figures.volunteer_hours * self.rate, 2)

    @property
    def kinds(self) -> list[str]:
        """The kinds of shift held in either period."""
        return sorted(set(self.current.nights) | set(self.before.nights))

    @cached_property
    def nights(self) -> list[Night]:
        """Every shift held in the period, in order, with the figures it adds (the nights sheet, the CSV)."""
        day_of, tally = _Days(self.period, self.tally.zone), self.tally
        audience: Counter = Counter()
        for shift, _, _, _, count in tally.audience_rows:
            audience[shift] += count
        return [Night(
            shift=h.id, day=day_of(h.starts_at), kind=h.kind, venue=h.venue, debriefed=h.debrief_id is not None,
            team=h.team, hours=round(h.seconds / 3600, 2), volunteer_hours=round(tally.hours.get(h.id, 0.0), 2),
            contacts=h.contacts, materials=h.materials_total, referrals=h.referrals_total, audience=audience[h.id],
            hotline=h.hotline, police=h.police, incident=h.incident, detail=h,
        ) for h in tally.held]

    @cached_property
    def audiences(self) -> list[Audience]:
        """The audiences of the period's shifts, by sector."""
        day_of = _Days(self.period, self.tally.zone)
        return [Audience(shift, day_of(starts_at), kind, sector, count)
                for shift, kind, starts_at, sector, count in self.tally.audience_rows]


# The shifts held in a period (started in it, ended by now, not cancelled), with their debriefs if any.
_WHERE = "WHERE s.status = 'planned' AND s.starts_at >= :start AND s.starts_at < :end AND s.ends_at <= :now"
_HELD = "FROM shifts s {join} debriefs d ON d.shift_id = s.id " + _WHERE


def _seconds(start: str, end: str) -> str:
    return f"CAST(round((julianday({end}) - julianday({start})) * 86400) AS INTEGER)"


# One row per held shift: its counts, the debrief's stored lists (JSON, read only for the CSV) and sums.
_NIGHT_FIGURES = (
    "SELECT s.id, s.kind, s.starts_at, coalesce(d.venue, s.venue), d.id, "
    f"CASE WHEN d.id IS NULL THEN {_seconds('s.starts_at', 's.ends_at')} "
    f"ELSE {_seconds('d.started_at', 'd.ended_at')} END, "
    "CASE WHEN d.id IS NULL THEN (SELECT count(*) FROM signups c WHERE c.shift_id = s.id AND c.status = 'confirmed') "
    "ELSE json_array_length(coalesce(nullif(d.team, ''), '[]')) END, "
    "coalesce(d.contacts, 0), coalesce(d.hotline, 0), coalesce(d.police, 0), coalesce(d.incident, 0), "
)
_NIGHTS = (
    _NIGHT_FIGURES
    + "(SELECT coalesce(sum(j.value), 0) FROM json_each(nullif(d.materials, '')) j), "
    "(SELECT coalesce(sum(j.value), 0) FROM json_each(nullif(d.referrals, '')) j), "
    "d.area, d.started_at, d.ended_at, d.brief, d.extended, d.languages, d.materials, d.indicators, d.referrals "
    + _HELD.format(join="LEFT JOIN") + " ORDER BY s.starts_at, s.id"
)
# The same rows with only what the figures need (the previous period's, the months of the PNG chart).
_NIGHTS_FIGURES = _NIGHT_FIGURES + "0, 0, " + ", ".join(["NULL"] * 9) + " " + _HELD.format(join="LEFT JOIN")
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
_AUDIENCES = ("SELECT s.id AS shift, s.kind, s.starts_at, a.sector, a.count FROM shifts s "
              "JOIN debriefs d ON d.shift_id = s.id JOIN debrief_audiences a ON a.debrief_id = d.id "
              + _WHERE + " ORDER BY s.starts_at, s.id, a.sector")


def volunteer_hours(db: Database, held: list[Held]) -> dict[int, float]:
    """Hours volunteered on each held shift, by shift id: each person's own hours from attendance
    (outreach/attendance.py: per-member check-in and check-out, else the debrief's team with the shift's
    check-in and check-out), corrections applied, added up (outreach/hours.py). A shift without
    attendance yet (no debrief) counts none. Every figure of volunteer hours comes from here, and each
    person's statement of service hours adds up the same entries, so the two agree.
    """
    return shift_hours(db, [h.id for h in held])


class _Days:
    """The local date of a stored UTC timestamp within a period, by bisecting the period's midnights."""

    def __init__(self, period: Period, zone: ZoneInfo) -> None:
        self.first = period.first
        self.midnights = [iso(datetime.combine(period.first + timedelta(days=n), time(0), tzinfo=zone))
                          for n in range(period.days + 1)]

    def __call__(self, stamp: str) -> date:
        return self.first + timedelta(days=bisect_right(self.midnights, stamp) - 1)


def _tally(db: Database, period: Period, zone: ZoneInfo, now: datetime, *,
           tables: bool = True) -> tuple[Figures, Tally]:
    """A period's figures and the rows they add up from (SQLite reads and sums the JSON, Python adds the rest).

    Without `tables`, the rows carry only what the figures need (no per-shift totals, no debrief lists).
    """
    start, end = period.bounds(zone)
    params = {"start": start, "end": end, "now": iso(now)}
    held = [Held._make(row) for row in db.execute(_NIGHTS if tables else _NIGHTS_FIGURES, params).fetchall()]
    hours = volunteer_hours(db, held)
    out = Figures()
    out.nights.update(h.kind for h in held)
    out.debriefed = sum(1 for h in held if h.debrief_id is not None)
    out.missing = len(held) - out.debriefed
    out.trained = sum(h.contacts for h in held if h.kind == "training")
    out.reached = sum(h.contacts for h in held) - out.trained
    out.hotline = sum(h.hotline for h in held)
    out.police = sum(h.police for h in held)
    out.incidents = sum(h.incident for h in held)
    out.volunteer_hours = round(sum(hours.values(), 0.0), 1)
    for figure, name, n in db.execute(_COUNTED, params).fetchall():
        getattr(out, figure)[name] += n
    audience_rows = db.execute(_AUDIENCES, params).fetchall()
    for _, _, _, sector, count in audience_rows:
        out.sectors[sector] += count
    return out, Tally(period, held, hours, audience_rows, zone)


def figures(store: Store, period: Period, *, zone: ZoneInfo, now: datetime) -> Figures:
    """Add up the shifts held in a period and their debriefs."""
    with store.read() as db:
        return _tally(db, period, zone, now, tables=False)[0]


def _steps(tally: Tally) -> list[Step]:
    """The period's weeks or months, each with what its held shifts added up to."""
    steps = buckets(tally.period)
    starts = [s.bounds(tally.zone)[0] for s in steps]
    sums = [[0, 0, 0, 0, 0.0] for _ in steps]  # nights, reached, trained, audience, hours
    audience: Counter = Counter()
    for shift, _, _, _, count in tally.audience_rows:
        audience[shift] += count
    for h in tally.held:
        step = sums[bisect_right(starts, h.starts_at) - 1]
        step[0] += 1
        step[2 if h.kind == "training" else 1] += h.contacts
        step[3] += audience[h.id]
        step[4] += round(tally.hours.get(h.id, 0.0), 2)
    return [Step(period=s, nights=n, reached=r, trained=t, audience=a, volunteer_hours=round(v, 1))
            for s, (n, r, t, a, v) in zip(steps, sums, strict=True)]


def build_report(store: Store, period: Period, *, zone: ZoneInfo, now: datetime, rate: float | None = None,
                 currency: str = "USD", coalition: str | None = None) -> Report:
    """The one computation behind every report: a period, the previous period of the same length, the tables."""
    previous = period.previous()
    with store.read() as db:
        current, tally = _tally(db, period, zone, now)
        before = _tally(db, previous, zone, now, tables=False)[0]
    return Report(period=period, previous=previous, current=current, before=before, steps=_steps(tally),
                  tally=tally, rate=rate, currency=currency, coalition=coalition)


@dataclass(frozen=True)
class Kpi:
    """One line of the KPI table: a figure this period and the period before."""

    key: str  # nights, reached, ..., referral:<id>, sector:<id>
    label: str
    current: float | int
    previous: float | int


def kpis(report: Report, *, lists: Lists, sectors: list[Entry], labels: dict[str, str]) -> list[Kpi]:
    """The report's KPIs, in the order the PDF and the workbook's summary list them (labels from the words file)."""
    f, p = report.current, report.before
    rows = [
        Kpi("nights", labels["nights"], f.total_nights, p.total_nights),
        Kpi("reached", labels["reached"], f.reached, p.reached),
        Kpi("trained", labels["trained"], f.trained, p.trained),
        Kpi("audience", labels["audience"], f.total_audience, p.total_audience),
    ]
    names = {s.id: s.name for s in sectors}
    for sector in [s.id for s in sectors] + sorted((set(f.sectors) | set(p.sectors)) - set(names)):
        if f.sectors[sector] or p.sectors[sector]:
            rows.append(Kpi(f"sector:{sector}", "  " + names.get(sector, sector), f.sectors[sector], p.sectors[sector]))
    rows.append(Kpi("materials", labels["materials"], f.total_materials, p.total_materials))
    rows.append(Kpi("referrals", labels["referrals"], f.total_referrals, p.total_referrals))
    for category in sorted(set(f.referrals) | set(p.referrals), key=lambda c: (-f.referrals[c], c)):
        rows.append(Kpi(f"referral:{category}", "  " + lists.name("categories", category),
                        f.referrals[category], p.referrals[category]))
    rows += [
        Kpi("hotline", labels["hotline"], f.hotline, p.hotline),
        Kpi("hours", labels["hours"], f.volunteer_hours, p.volunteer_hours),
    ]
    if report.rate is not None:
        rows.append(Kpi("inkind", labels["inkind"].format(currency=report.currency, rate=f"{report.rate:.2f}"),
                        report.inkind(f) or 0.0, report.inkind(p) or 0.0))
    rows.append(Kpi("missing", labels["missing"], f.missing, p.missing))
    return rows


def last_months(period: Period, count: int = 12) -> list[Period]:
    """The `count` months ending with the month of a period's last day."""
    last = shift_month(period.last, 0)
    return [month_span(shift_month(last, -n), 1) for n in range(count - 1, -1, -1)]


@hands_memory_back
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


def report_csv(report: Report, *, zone: ZoneInfo, catalog: Catalog, lists: Lists) -> bytes:
    """One row per debriefed shift of the report, counts only (no notes), UTF-8 with a BOM for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_columns(catalog, lists))
    for night in report.nights:
        if not night.debriefed:
            continue
        row = night.detail
        started = datetime.fromisoformat(row.started_at).astimezone(zone)
        ended = datetime.fromisoformat(row.ended_at).astimezone(zone)
        materials = json.loads(row.materials or "{}")
        referrals = json.loads(row.referrals or "{}")
        indicators = set(json.loads(row.indicators or "[]"))
        writer.writerow([_cell(v) for v in (
            [night.shift, started.date().isoformat(), night.kind, night.venue, row.area,
             started.strftime("%Y-%m-%d %H:%M"), ended.strftime("%Y-%m-%d %H:%M"), night.hours, night.team,
             night.volunteer_hours, night.contacts, row.brief, row.extended,
             ";".join(json.loads(row.languages or "[]")), night.hotline, night.police, night.incident]
            + [materials.get(m.id, 0) for m in lists.materials]
            + [referrals.get(c.id, 0) for c in lists.categories]
            + [int(i.id in indicators) for i in lists.indicators]
        )])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def csv_bytes(store: Store, period: Period, *, zone: ZoneInfo, now: datetime, catalog: Catalog, lists: Lists) -> bytes:
    """The CSV of a period's debriefed shifts (see report_csv)."""
    return report_csv(build_report(store, period, zone=zone, now=now), zone=zone, catalog=catalog, lists=lists)


def utc_now_local_date(now: datetime, zone: ZoneInfo) -> date:
    """Today's date in the coalition's zone."""
    return now.astimezone(zone).date()


__all__ = ["UTC", "Period", "Figures", "Report", "parse_period", "read_period", "figures", "build_report",
           "volunteer_hours", "chart_png", "csv_bytes", "report_csv"]
