"""Impact reports: a period's figures against the previous period of the same length, by month, and the CSV.

Periods are calendar months (2026-10), quarters (2026-Q3), years (2026) or any run of days
(2026-07-01..2027-06-30, both days included: a grant year), in the coalition's zone. A shift counts in
the period its start falls in, once it was held (outreach/held.py: ended, went out or debriefed, never
cancelled or "didn't go out"). People trained are counted one way everywhere (`TRAINED`): the audience by
sector of a training or community event, the people recorded as trained from a training's attendance,
and a training's head count when it recorded neither.

`build_report` is the one computation every output reads: the chat message, the CSV, the PDF and the
workbook (outreach/report_files.py) show its numbers and nothing else. Counts only: no note, no
follow-up and no other free text from a debrief is ever part of it.
"""

from __future__ import annotations

import io
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlite_utils import Database

from outreach.attendance import present_by_shift
from outreach.catalog import Entry
from outreach.debriefs import Lists
from outreach.digits import parse_number
from outreach.heap import hands_memory_back
from outreach.held import HELD_SQL, WITHOUT_GO_SQL
from outreach.hours import corrections, shift_hours
from outreach.i18n import current
from outreach.i18n import gettext as _
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
            return None, _("%(typed)s holds a date that does not exist") % {"typed": text}
        if not (2000 <= first.year <= 2100 and 2000 <= last.year <= 2100):
            return None, _("reports cover the years 2000 to 2100")
        if last < first:
            return None, _("the period ends before it starts: put the first day first")
        if (last - first).days + 1 > MAX_DAYS:
            return None, _("a report covers at most five years")
        return day_span(first, last), None
    match = PERIOD.match(text)
    if not match:
        return None, _("%(typed)s is not a period") % {"typed": text}
    year = parse_number(match.group("year")) or 0
    if not 2000 <= year <= 2100:
        return None, _("reports cover the years 2000 to 2100")
    if match.group("month"):
        month = parse_number(match.group("month")) or 0
        if not 1 <= month <= 12:
            return None, _("%(typed)s has no month %(month)s") % {"typed": text, "month": month}
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


ATTENDED = "training-attendance"  # people trained counted from a training's confirmed attendance
UNSORTED = "sector-not-recorded"  # a training's head count when it recorded no sector and no attendance


@dataclass
class Figures:
    """What a period added up to."""

    nights: Counter = field(default_factory=Counter)  # by kind
    volunteer_hours: float = 0.0
    reached: int = 0
    materials: Counter = field(default_factory=Counter)
    referrals: Counter = field(default_factory=Counter)
    indicators: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    sectors: Counter = field(default_factory=Counter)  # people trained, by sector (and ATTENDED, UNSORTED)
    hotline: int = 0
    police: int = 0
    incidents: int = 0
    debriefed: int = 0
    missing: int = 0  # held nights without a debrief (the coordinators' chat report only)
    without_go: int = 0  # held direct nights that went out without a Go (the coordinators' chat report only)
    volunteers: int = 0  # distinct people present on the period's held shifts
    new_volunteers: int = 0  # of them, those whose first held shift falls in the period
    returning: int = 0  # of them, those also present in the period before

    @property
    def total_nights(self) -> int:
        """Outreach nights of every kind."""
        return sum(self.nights.values())

    @property
    def trained(self) -> int:
        """People trained: every sector's audience, the attendance of trainings, the head counts without either."""
        return sum(self.sectors.values())

    @property
    def total_materials(self) -> int:
        """Materials of every type."""
        return sum(self.materials.values())

    @property
    def total_referrals(self) -> int:
        """Referrals in every category."""
        return sum(self.referrals.values())


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
    without_go: int  # 1 for a direct night that went out without a Go recorded before its start


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
    trained: int  # people trained on this night (TRAINED)
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
    volunteer_hours: float


@dataclass(frozen=True)
class Audience:
    """How many people of one sector (or ATTENDED, UNSORTED) one shift trained."""

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
    audience_rows: list[tuple[int, str, str, str, int]]  # shift, kind, starts_at, sector, count (TRAINED)
    zone: ZoneInfo
    on_record_before: bool = False  # a shift was held before the period began


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

    @property
    def compared(self) -> bool:
        """True when the previous period has held nights to compare with (else no comparison is shown)."""
        return self.before.total_nights > 0

    @property
    def first_on_record(self) -> bool:
        """True when no shift was held before the period: the first period on record."""
        return not self.tally.on_record_before

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
        for shift, _kind, _starts, _sector, count in tally.audience_rows:
            audience[shift] += count
        return [Night(
            shift=h.id, day=day_of(h.starts_at), kind=h.kind, venue=h.venue, debriefed=h.debrief_id is not None,
            team=h.team, hours=round(h.seconds / 3600, 2), volunteer_hours=round(tally.hours.get(h.id, 0.0), 2),
            contacts=h.contacts, materials=h.materials_total, referrals=h.referrals_total, trained=audience[h.id],
            hotline=h.hotline, police=h.police, incident=h.incident, detail=h,
        ) for h in tally.held]

    @cached_property
    def audiences(self) -> list[Audience]:
        """The people trained on the period's shifts, by sector (TRAINED)."""
        day_of = _Days(self.period, self.tally.zone)
        return [Audience(shift, day_of(starts_at), kind, sector, count)
                for shift, kind, starts_at, sector, count in self.tally.audience_rows]


# The shifts held in a period (started in it, held by now: outreach/held.py), with their debriefs if any.
_WHERE = "WHERE s.starts_at >= :start AND s.starts_at < :end AND " + HELD_SQL
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
    "d.area, d.started_at, d.ended_at, d.brief, d.extended, d.languages, d.materials, d.indicators, d.referrals, "
    + WITHOUT_GO_SQL + " " + _HELD.format(join="LEFT JOIN") + " ORDER BY s.starts_at, s.id"
)
# The same rows with only what the figures need (the previous period's, the months of the PNG chart).
_NIGHTS_FIGURES = (_NIGHT_FIGURES + "0, 0, " + ", ".join(["NULL"] * 9) + ", " + WITHOUT_GO_SQL + " "
                   + _HELD.format(join="LEFT JOIN"))
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
# People trained, the one definition every figure reads (TRAINED): on each held training or community
# event, its audience by sector; the people recorded as trained from its attendance (ATTENDED); and for a
# training debriefed with neither, its head count (the debrief's contacts, UNSORTED).
TRAINED = (
    "WITH held AS MATERIALIZED (SELECT s.id, s.kind, s.starts_at FROM shifts s " + _WHERE
    + " AND s.kind != 'direct') "
    "SELECT h.id, h.kind, h.starts_at, a.sector, a.count FROM held h JOIN debriefs d ON d.shift_id = h.id "
    "JOIN debrief_audiences a ON a.debrief_id = d.id "
    f"UNION ALL SELECT h.id, h.kind, h.starts_at, '{ATTENDED}', count(DISTINCT t.user_id) FROM held h "
    "JOIN trainings t ON t.shift_id = h.id GROUP BY h.id "
    f"UNION ALL SELECT h.id, h.kind, h.starts_at, '{UNSORTED}', d.contacts FROM held h "
    "JOIN debriefs d ON d.shift_id = h.id WHERE h.kind = 'training' AND d.contacts > 0 "
    "AND NOT EXISTS (SELECT 1 FROM debrief_audiences a WHERE a.debrief_id = d.id) "
    "AND NOT EXISTS (SELECT 1 FROM trainings t WHERE t.shift_id = h.id) "
    "ORDER BY 3, 1, 4"
)
# Every shift held before a day: with the periods' own, the history new and returning volunteers are read from.
_HISTORY = "SELECT s.id, s.starts_at FROM shifts s WHERE s.starts_at < :end AND " + HELD_SQL + " ORDER BY s.starts_at"


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
    out.without_go = sum(h.without_go for h in held)
    out.reached = sum(h.contacts for h in held if h.kind != "training")
    out.hotline = sum(h.hotline for h in held)
    out.police = sum(h.police for h in held)
    out.incidents = sum(h.incident for h in held)
    out.volunteer_hours = round(sum(hours.values(), 0.0), 1)
    for figure, name, n in db.execute(_COUNTED, params).fetchall():
        getattr(out, figure)[name] += n
    audience_rows = db.execute(TRAINED, params).fetchall()
    for _shift, _kind, _starts, sector, count in audience_rows:
        out.sectors[sector] += count
    return out, Tally(period, held, hours, audience_rows, zone)


def figures(store: Store, period: Period, *, zone: ZoneInfo, now: datetime) -> Figures:
    """Add up the shifts held in a period and their debriefs."""
    with store.read() as db:
        return _tally(db, period, zone, now, tables=False)[0]


def present_people(db: Database, shift_ids: list[int]) -> dict[int, set[str]]:
    """Who was present on each shift (attendance, with coordinators' corrections: hours given make a person
    present, none make them absent), by shift id."""
    present = present_by_shift(db, shift_ids)
    for (shift_id, user), (hours, _reason) in corrections(db, shift_ids).items():
        if shift_id in present:
            (present[shift_id].add if hours > 0 else present[shift_id].discard)(user)
    return present


def _volunteers(db: Database, period: Period, zone: ZoneInfo, now: datetime, current: Tally, before: Tally,
                figures_now: Figures, figures_before: Figures) -> bool:
    """Fill in the distinct, new and returning volunteers of a period and the one before, from the attendance
    of every held shift up to the period's end (the two periods' own held shifts, and those before them);
    True when a shift was held before the period."""
    previous = period.previous()
    edges = [previous.previous().bounds(zone)[0], previous.bounds(zone)[0], *period.bounds(zone)]
    older = db.execute(_HISTORY, {"end": edges[1], "now": iso(now)}).fetchall()
    history = older + [(h.id, h.starts_at) for h in before.held] + [(h.id, h.starts_at) for h in current.held]
    present = present_people(db, [shift_id for shift_id, _ in history])
    first: dict[str, str] = {}
    windows: list[set[str]] = [set(), set(), set()]  # the period before the previous, the previous, this one
    for shift_id, starts_at in history:
        step = bisect_right(edges, starts_at) - 1
        for user in present.get(shift_id, ()):
            if starts_at < first.get(user, "~"):
                first[user] = starts_at
            if 0 <= step <= 2:
                windows[step].add(user)
    for figures_of, index in ((figures_now, 2), (figures_before, 1)):
        people = windows[index]
        figures_of.volunteers = len(people)
        figures_of.new_volunteers = sum(1 for user in people if first[user] >= edges[index])
        figures_of.returning = len(people & windows[index - 1])
    return bool(older or before.held)


def _steps(tally: Tally) -> list[Step]:
    """The period's weeks or months, each with what its held shifts added up to."""
    steps = buckets(tally.period)
    starts = [s.bounds(tally.zone)[0] for s in steps]
    sums = [[0, 0, 0, 0.0] for _ in steps]  # nights, reached, trained, hours
    for h in tally.held:
        step = sums[bisect_right(starts, h.starts_at) - 1]
        step[0] += 1
        step[1] += h.contacts if h.kind != "training" else 0
        step[3] += round(tally.hours.get(h.id, 0.0), 2)
    for _shift, _kind, starts_at, _sector, count in tally.audience_rows:
        sums[bisect_right(starts, starts_at) - 1][2] += count
    return [Step(period=s, nights=n, reached=r, trained=t, volunteer_hours=round(v, 1))
            for s, (n, r, t, v) in zip(steps, sums, strict=True)]


def build_report(store: Store, period: Period, *, zone: ZoneInfo, now: datetime, rate: float | None = None,
                 currency: str = "USD", coalition: str | None = None) -> Report:
    """The one computation behind every report: a period, the previous period of the same length, the tables."""
    previous = period.previous()
    with store.read() as db:
        current, tally = _tally(db, period, zone, now)
        before, earlier = _tally(db, previous, zone, now, tables=False)
        tally.on_record_before = _volunteers(db, period, zone, now, tally, earlier, current, before)
    return Report(period=period, previous=previous, current=current, before=before, steps=_steps(tally),
                  tally=tally, rate=rate, currency=currency, coalition=coalition)


@dataclass(frozen=True)
class Kpi:
    """One line of the KPI table: a figure this period and the period before (None: nothing to compare with)."""

    key: str  # nights, kind:<id>, reached, trained, sector:<id>, ..., referral:<id>
    label: str
    current: float | int
    previous: float | int | None


def trained_names(sectors: list[Entry], labels: dict[str, str]) -> dict[str, str]:
    """The names of the lines people trained are counted in, in order: data/sectors.yml, then attendance and
    head counts without a sector (their names from the words file's `labels`)."""
    return {**{s.id: s.name for s in sectors}, ATTENDED: labels["attended"], UNSORTED: labels["unsorted"]}


def kpis(report: Report, *, lists: Lists, names: dict[str, str], labels: dict[str, str],
         kinds: dict[str, str]) -> list[Kpi]:
    """The report's KPIs, in the order the PDF and the workbook's summary list them (labels from the words
    file, `names` from `trained_names`, `kinds` the kinds' names). None of the coordinators' to-do lines."""
    f, p = report.current, report.before
    compared = report.compared
    rows: list[Kpi] = []

    def add(key: str, label: str, now: float | int, before: float | int) -> None:
        rows.append(Kpi(key, label, now, before if compared else None))

    add("nights", labels["nights"], f.total_nights, p.total_nights)
    for kind in report.kinds:
        add(f"kind:{kind}", "  " + kinds.get(kind, kind), f.nights[kind], p.nights[kind])
    add("reached", labels["reached"], f.reached, p.reached)
    add("trained", labels["trained"], f.trained, p.trained)
    for sector in list(names) + sorted((set(f.sectors) | set(p.sectors)) - set(names)):
        if f.sectors[sector] or p.sectors[sector]:
            add(f"sector:{sector}", "  " + names.get(sector, sector), f.sectors[sector], p.sectors[sector])
    add("volunteers", labels["volunteers"], f.volunteers, p.volunteers)
    add("new_volunteers", "  " + labels["new_volunteers"], f.new_volunteers, p.new_volunteers)
    add("returning", "  " + labels["returning"], f.returning, p.returning)
    add("materials", labels["materials"], f.total_materials, p.total_materials)
    add("referrals", labels["referrals"], f.total_referrals, p.total_referrals)
    for category in sorted(set(f.referrals) | set(p.referrals), key=lambda c: (-f.referrals[c], c)):
        add(f"referral:{category}", "  " + lists.name("categories", category), f.referrals[category],
            p.referrals[category])
    add("hotline", labels["hotline"], f.hotline, p.hotline)
    add("hours", labels["hours"], f.volunteer_hours, p.volunteer_hours)
    if report.rate is not None:
        add("inkind", labels["inkind"].format(currency=report.currency, rate=f"{report.rate:.2f}"),
            report.inkind(f) or 0.0, report.inkind(p) or 0.0)
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
    labels = [format_date(m.first, "MMM\ny" if m.first.month == 1 or i == 0 else "MMM", locale=current())
              for i, m in enumerate(months)]
    fig = Figure(figsize=(CHART_SIZE[0] / CHART_DPI, CHART_SIZE[1] / CHART_DPI), dpi=CHART_DPI)
    top, bottom = fig.subplots(2, 1, sharex=True)
    xs = range(len(months))
    top.bar(xs, [f.reached for f in data], color="#2c4a6e", label=_("People reached"))
    top.bar(xs, [f.trained for f in data], bottom=[f.reached for f in data], color="#7aa6c2", label=_("People trained"))
    top.set_title(_("Outreach impact, %(first)s to %(last)s") % {"first": months[0].label, "last": months[-1].label})
    top.legend(loc="upper left", fontsize=8)
    bottom.plot(xs, [f.total_nights for f in data], marker="o", color="#2c4a6e", label=_("Outreach nights"))
    bottom.plot(xs, [f.total_referrals for f in data], marker="s", color="#c2562c", label=_("Referrals"))
    bottom.plot(xs, [f.volunteer_hours for f in data], marker="^", color="#5b8c3a", label=_("Volunteer hours"))
    bottom.legend(loc="upper left", fontsize=8)
    bottom.set_xticks(list(xs), labels)
    for axis in (top, bottom):
        axis.grid(axis="y", alpha=0.3)
        axis.set_ylim(bottom=0)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=CHART_DPI)
    return buffer.getvalue()


def utc_now_local_date(now: datetime, zone: ZoneInfo) -> date:
    """Today's date in the coalition's zone."""
    return now.astimezone(zone).date()


__all__ = ["UTC", "Period", "Figures", "Report", "parse_period", "read_period", "figures", "build_report",
           "volunteer_hours", "chart_png"]
