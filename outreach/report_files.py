"""The report as files a board or a program officer reads: a PDF (reportlab, charts by matplotlib) and an
.xlsx workbook (openpyxl).

All three (and the CSV) show one `Report` (outreach/reports.py) and nothing else: counts, names from the
data files and the coalition's name, never the coordinators' to-do lines (debriefs owed, nights without
Go). A comparison with the previous period is shown only when that period held nights. Their words are
REPORT_WORDS and HOURS_WORDS below, put through gettext: the files are in the language in force when they are made.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal

from outreach.catalog import KINDS, Catalog, Entry
from outreach.debriefs import Lists
from outreach.heap import hands_memory_back
from outreach.hours import RosterRow, Summary
from outreach.i18n import N_, current
from outreach.i18n import gettext as _
from outreach.reports import Kpi, Period, Report, build_report, kpis, trained_names
from outreach.store import Store

CHART_DPI = 150
INK = "#2c4a6e"
PALE = "#7aa6c2"
WARM = "#c2562c"
GREEN = "#5b8c3a"
FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
MAX_BARS = 12  # categories in a bar chart; the rest are summed as "Other"


# The words of the report's PDF and workbook (and the CSV's header), in English, each marked for gettext and
# put in the language in force by `words()`. Counts only: nothing here ever shows a debrief's notes or other
# text. `{name}` fields are filled with str.format: a translation keeps them as they are.
REPORT_WORDS: dict = {
    "title": N_("Outreach report"),
    "period": N_("{first} to {last}"),
    "compared": N_("Compared with the {days} days before: {first} to {last}."),
    "generated": N_("Counts from the outreach bot's records, {today}. No information about anyone met is kept or "
                    "shown."),
    "first_period": N_("First period on record: there is no earlier period to compare with."),
    "nothing_before": N_("No outreach nights were held in the {days} days before ({first} to {last}): there is "
                         "nothing to compare with."),
    "page": N_("Page {page}"),
    "kpi_heading": N_("Key figures"),
    "charts_heading": N_("Charts"),
    "columns": [N_("Figure"), N_("This period"), N_("Previous period"), N_("Change")],
    "columns_alone": [N_("Figure"), N_("This period")],
    "kpis": {
        "nights": N_("Outreach nights held"),
        "reached": N_("People reached (contacts on outreach nights and community events)"),
        "trained": N_("People trained"),
        "attended": N_("Coalition volunteers (training attendance)"),
        "unsorted": N_("Sector not recorded (training head count)"),
        "volunteers": N_("Volunteers who went out (distinct people)"),
        "new_volunteers": N_("New (first night out in this period)"),
        "returning": N_("Returning (also out in the period before)"),
        "materials": N_("Materials given"),
        "referrals": N_("Referrals"),
        "hotline": N_("Nights the hotline was contacted"),
        "hours": N_("Volunteer hours (each person's check-in to check-out, or the debrief's team)"),
        "inkind": N_("In-kind value of volunteer hours ({currency}, at {rate} an hour)"),
    },
    "charts": {
        "nights": N_("Nights out and people reached"),
        "nights_axis": N_("Nights"),
        "reached_axis": N_("People reached"),
        "sectors": N_("People trained"),
        "referrals": N_("Referrals by category"),
        "hours": N_("Volunteer hours"),
        "none": N_("Nothing recorded in this period"),
        "other": N_("Other"),
    },
    "sheets": {
        "summary": N_("Summary"),
        "nights": N_("Nights"),
        "referrals": N_("Referrals"),
        "audiences": N_("Trainings and audiences"),
        "hours": N_("Volunteer hours"),
    },
    "summary_head": [N_("Figure"), N_("This period"), N_("Previous period"), N_("Change")],
    "summary_about": [N_("Coalition"), N_("Period"), N_("First day"), N_("Last day"), N_("Previous period from"),
                      N_("Previous period to")],
    "nights_head": [N_("Shift"), N_("Date"), N_("Kind"), N_("Venue type"), N_("Debriefed"), N_("Team"), N_("Hours out"),
                    N_("Volunteer hours"), N_("Contacts"), N_("Materials"), N_("Referrals"), N_("People trained"),
                    N_("Hotline contacted"), N_("Law enforcement contacted"), N_("Safety incident")],
    "referrals_head": [N_("Category"), N_("This period"), N_("Previous period")],
    "audiences_head": [N_("Shift"), N_("Date"), N_("Kind"), N_("Sector"), N_("People trained")],
    "hours_head": [N_("From"), N_("To"), N_("Nights"), N_("People reached"), N_("People trained"), N_("Volunteer hours")],
    # The CSV: one row per night held; the columns of each list follow, named "<prefix>: <name>".
    "csv_head": [N_("Shift"), N_("Date"), N_("Kind"), N_("Venue type"), N_("Area"), N_("Started"), N_("Ended"),
                 N_("Hours out"), N_("Team"), N_("Volunteer hours"), N_("Contacts"), N_("Brief contacts"),
                 N_("Extended contacts"), N_("Languages"), N_("Hotline contacted"), N_("Law enforcement contacted"),
                 N_("Safety incident"), N_("Debriefed")],
    "csv_material": N_("Material"),
    "csv_referral": N_("Referral"),
    "csv_indicator": N_("Indicator"),
    "csv_trained": N_("Trained"),
    "hours_inkind": N_("In-kind value ({currency})"),
    "answer_yes": N_("yes"),
    "answer_no": N_("no"),
}


def _translated(node: object) -> object:
    if isinstance(node, dict):
        return {key: _translated(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_translated(value) for value in node]
    return _(node) if isinstance(node, str) else node


@cache
def _words_in(which: str, language: str) -> dict:
    """REPORT_WORDS ("report") or HOURS_WORDS ("hours") in a language (the one in force: gettext reads it)."""
    return _translated(REPORT_WORDS if which == "report" else HOURS_WORDS)  # type: ignore[return-value]


def words() -> dict:
    """The words of the PDF and the workbook, in the language in force."""
    return _words_in("report", current())


def sector_names(sectors: list[Entry]) -> dict[str, str]:
    """The names of the lines people trained are counted in (data/sectors.yml, attendance, no sector)."""
    return trained_names(sectors, words()["kpis"])


def report_kpis(report: Report, *, lists: Lists, sectors: list[Entry]) -> list[Kpi]:
    """The KPI rows both files show, labelled from the words file."""
    return kpis(report, lists=lists, names=sector_names(sectors), labels=words()["kpis"], kinds=KINDS)


def comparison_note(report: Report) -> str | None:
    """Why no comparison is shown (first period on record, or nothing held before), or None when it is."""
    if report.compared:
        return None
    if report.first_on_record:
        return words()["first_period"]
    previous = report.previous
    return words()["nothing_before"].format(days=previous.days, first=_day(previous.first), last=_day(previous.last))


def number(value: float | int, *, decimals: int | None = None) -> str:
    """A figure as the PDF prints it: thousands separated, hours with one decimal, money with two."""
    if decimals is None:
        decimals = 0 if isinstance(value, int) else 1
    return f"{value:,.{decimals}f}"


def change(kpi: Kpi, decimals: int | None = None) -> str:
    """+3, -2 or the same, as the PDF prints a change (empty with nothing to compare with)."""
    if kpi.previous is None:
        return ""
    delta = kpi.current - kpi.previous
    if isinstance(delta, float):
        delta = round(delta, 2 if decimals == 2 else 1)
    if not delta:
        return "="
    return ("+" if delta > 0 else "-") + number(abs(delta), decimals=decimals)


def _decimals(kpi: Kpi) -> int | None:
    return 2 if kpi.key == "inkind" else None


def _day(day: date) -> str:
    # Translators: a date as the files print it, in Unicode CLDR's pattern letters (1 November 2026).
    return format_date(day, _("d MMMM y"), locale=current())


# ---------------------------------------------------------------- charts (matplotlib, Agg)


def _figure(width: float, height: float) -> object:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=CHART_DPI)


def _png(fig: object) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()  # type: ignore[attr-defined]
    fig.savefig(buffer, format="png", dpi=CHART_DPI)  # type: ignore[attr-defined]
    return buffer.getvalue()


def _step_labels(report: Report) -> list[str]:
    weekly = report.period.days <= 62
    return [format_date(step.period.first, "dd MMM" if weekly else "MMM\ny" if i == 0 or step.period.first.month == 1
                        else "MMM", locale=current()) for i, step in enumerate(report.steps)]


def chart_nights(report: Report) -> bytes:
    """Nights out (bars) and people reached (line), per week or month of the period."""
    w = words()["charts"]
    fig = _figure(3.6, 2.7)
    left = fig.subplots()  # type: ignore[attr-defined]
    xs = list(range(len(report.steps)))
    left.bar(xs, [s.nights for s in report.steps], color=PALE, label=w["nights_axis"])
    left.set_ylabel(w["nights_axis"], fontsize=7)
    right = left.twinx()
    right.plot(xs, [s.reached for s in report.steps], marker="o", color=INK, label=w["reached_axis"])
    right.set_ylabel(w["reached_axis"], fontsize=7)
    left.set_xticks(xs, _step_labels(report), fontsize=6)
    for axis in (left, right):
        axis.set_ylim(bottom=0)
        axis.tick_params(axis="y", labelsize=6)
    left.set_title(w["nights"], fontsize=9)
    return _png(fig)


def _bars(title: str, counts: list[tuple[str, float]], color: str, empty: str) -> bytes:
    counts = [c for c in counts if c[1]]
    if len(counts) > MAX_BARS:
        counts = counts[:MAX_BARS - 1] + [(words()["charts"]["other"], sum(v for _, v in counts[MAX_BARS - 1:]))]
    fig = _figure(3.6, 2.7)
    axis = fig.subplots()  # type: ignore[attr-defined]
    if counts:
        names = [name if len(name) <= 34 else name[:33] + "…" for name, _ in counts][::-1]
        axis.barh(range(len(counts)), [v for _, v in counts][::-1], color=color)
        axis.set_yticks(range(len(counts)), names, fontsize=6)
        axis.tick_params(axis="x", labelsize=6)
    else:
        axis.text(0.5, 0.5, empty, ha="center", va="center", fontsize=8, transform=axis.transAxes)
        axis.set_axis_off()
    axis.set_title(title, fontsize=9)
    return _png(fig)


def chart_sectors(report: Report, sectors: list[Entry]) -> bytes:
    """People trained, by sector."""
    w = words()["charts"]
    names = sector_names(sectors)
    order = list(names) + sorted(set(report.current.sectors) - set(names))
    return _bars(w["sectors"], [(names.get(k, k), report.current.sectors[k]) for k in order], INK, w["none"])


def chart_referrals(report: Report, lists: Lists) -> bytes:
    """Referrals by category, most first."""
    w = words()["charts"]
    counted = sorted(report.current.referrals.items(), key=lambda kv: (-kv[1], kv[0]))
    return _bars(w["referrals"], [(lists.name("categories", k), v) for k, v in counted], WARM, w["none"])


def chart_hours(report: Report) -> bytes:
    """Volunteer hours per week or month of the period."""
    w = words()["charts"]
    fig = _figure(3.6, 2.7)
    axis = fig.subplots()  # type: ignore[attr-defined]
    xs = list(range(len(report.steps)))
    axis.bar(xs, [s.volunteer_hours for s in report.steps], color=GREEN)
    axis.set_xticks(xs, _step_labels(report), fontsize=6)
    axis.tick_params(axis="y", labelsize=6)
    axis.set_ylim(bottom=0)
    axis.set_title(w["hours"], fontsize=9)
    return _png(fig)


# ---------------------------------------------------------------- the PDF (reportlab platypus)


@lru_cache(maxsize=1)
def _fonts() -> tuple[str, str]:
    """DejaVu Sans (shipped with matplotlib) so any coalition name prints; Helvetica if it cannot be found."""
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    try:
        pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    except Exception:  # a matplotlib without its fonts: the standard ones still print Latin text
        return "Helvetica", "Helvetica-Bold"
    return FONT, BOLD


@hands_memory_back
def _kpi_table(report: Report, *, lists: Lists, sectors: list[Entry], alone: bool, fonts: tuple[str, str]) -> object:
    """The report's figures as a table: this period, and the previous one with the change when it held nights."""
    from reportlab.lib import colors
    from reportlab.lib.units import inch
    from reportlab.platypus import Table, TableStyle

    w = words()
    regular, bold = fonts
    rows = [w["columns_alone"] if alone else w["columns"]]
    for kpi in report_kpis(report, lists=lists, sectors=sectors):
        places = _decimals(kpi)
        row = [kpi.label, number(kpi.current, decimals=places)]
        if kpi.previous is not None:
            row += [number(kpi.previous, decimals=places), change(kpi, places)]
        rows.append(row)
    widths = [3.9 * inch, 1.0 * inch, 1.1 * inch, 0.9 * inch][:len(rows[0])]
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), regular, 9),
        ("FONT", (0, 0), (-1, 0), bold, 9),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(INK)),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for index, row in enumerate(rows[1:], start=1):
        if not row[0].startswith("  "):
            style.append(("FONT", (0, index), (1, index), bold, 9))
        if index % 2 == 0:
            style.append(("BACKGROUND", (0, index), (-1, index), colors.HexColor("#f2f5f8")))
    table.setStyle(TableStyle(style))
    return table


def _page_footer(footer: str, page_words: str, font: str) -> Callable[[object, object], None]:
    """What each page's foot says: where the counts come from, and the page number."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.units import inch

    def on_page(canvas: object, doc: object) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont(font, 7)  # type: ignore[attr-defined]
        canvas.setFillColor(colors.HexColor("#666666"))  # type: ignore[attr-defined]
        canvas.drawString(0.7 * inch, 0.35 * inch, footer)  # type: ignore[attr-defined]
        canvas.drawRightString(letter[0] - 0.7 * inch, 0.35 * inch,  # type: ignore[attr-defined]
                               page_words.format(page=doc.page))  # type: ignore[attr-defined]
        canvas.restoreState()  # type: ignore[attr-defined]

    return on_page


def report_pdf(report: Report, *, lists: Lists, sectors: list[Entry], today: date) -> bytes:
    """The report for boards and funders: coalition, period, KPIs (against the previous period when it held
    nights), four charts; the line saying where the counts come from is each page's footer, so no page
    holds only that line."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import inch
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from reportlab.platypus.flowables import KeepTogether

    w = words()
    regular, bold = _fonts()
    title_style = ParagraphStyle("title", fontName=bold, fontSize=18, leading=22, textColor=colors.HexColor(INK))
    sub_style = ParagraphStyle("sub", fontName=bold, fontSize=12, leading=16, spaceBefore=4)
    body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=12, textColor=colors.HexColor("#444444"))
    period, previous = report.period, report.previous
    heading = report.coalition or w["title"]
    note = comparison_note(report)
    story: list = [
        Paragraph(escape(heading), title_style),
        Paragraph(escape(f"{w['title']}, {period.label}" if report.coalition else period.label), sub_style),
        Paragraph(escape(w["period"].format(first=_day(period.first), last=_day(period.last))), body),
        Paragraph(escape(note or w["compared"].format(days=previous.days, first=_day(previous.first),
                                                      last=_day(previous.last))), body),
        Spacer(1, 0.15 * inch),
        Paragraph(escape(w["kpi_heading"]), sub_style),
    ]
    story += [_kpi_table(report, lists=lists, sectors=sectors, alone=note is not None, fonts=(regular, bold)),
              Spacer(1, 0.2 * inch)]
    size = (3.45 * inch, 3.45 * inch * 2.7 / 3.6)
    charts = [chart_nights(report), chart_sectors(report, sectors), chart_referrals(report, lists), chart_hours(report)]
    images = [Image(io.BytesIO(png), width=size[0], height=size[1]) for png in charts]
    for index, pair in enumerate((images[0:2], images[2:4])):  # a row of two charts is never split across pages
        grid = Table([pair], colWidths=[size[0] + 0.1 * inch] * 2)
        grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(KeepTogether([Paragraph(escape(w["charts_heading"]), sub_style), grid] if index == 0 else [grid]))
    on_page = _page_footer(w["generated"].format(today=_day(today)), w["page"], regular)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=letter, leftMargin=0.7 * inch, rightMargin=0.7 * inch,
                            topMargin=0.6 * inch, bottomMargin=0.6 * inch, title=f"{heading}: {period.label}",
                            author=heading, subject=w["title"])
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


# ---------------------------------------------------------------- the workbook (openpyxl)


DATE = "yyyy-mm-dd"
WHOLE = "#,##0"
HOURS = "#,##0.0"
MONEY = "#,##0.00"


class _Writer:
    """Writes rows into a write-only workbook (fast at thousands of rows), each value with its number format."""

    def __init__(self, book: object) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        self.book, self.cell_type, self.bold = book, WriteOnlyCell, Font(bold=True)

    def sheet(self, title: str, head: list[str], rows: list[list], formats: dict[int, str],
              widths: list[int] | None = None) -> object:
        """A sheet with a bold, frozen header row; `formats` gives a column's number format by index."""
        from openpyxl.utils import get_column_letter

        sheet = self.book.create_sheet(title)  # type: ignore[attr-defined]
        for index, title_text in enumerate(head, start=1):
            width = (widths[index - 1] if widths else
                     max([len(str(title_text))] + [len(str(r[index - 1])) for r in rows[:200] if len(r) >= index]))
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 10), 70)
        sheet.freeze_panes = "A2"
        sheet.append([self.text(sheet, h, bold=True) for h in head])
        for values in rows:
            sheet.append([self.value(sheet, v, formats.get(i)) for i, v in enumerate(values)])
        return sheet

    def text(self, sheet: object, value: str, *, bold: bool = False) -> object:
        """A text cell that stays text (a name starting with = is never a formula)."""
        cell = self.cell_type(sheet, value=value)
        cell.data_type = "s"
        if bold:
            cell.font = self.bold
        return cell

    def value(self, sheet: object, value: object, fmt: str | None) -> object:
        """A number or a date with its format; text as text."""
        if isinstance(value, str):
            return self.text(sheet, value) if value[:1] == "=" else value
        if fmt is None and not isinstance(value, date):
            return value
        cell = self.cell_type(sheet, value=value)
        cell.number_format = fmt or DATE
        return cell


def _fmt(value: float | int, key: str) -> str:
    return MONEY if key == "inkind" else WHOLE if isinstance(value, int) else HOURS


@hands_memory_back
def _summary_sheet(out: _Writer, book: object, report: Report, *, lists: Lists, sectors: list[Entry],
                   note: str | None) -> None:
    """The workbook's first sheet: each figure, against the previous period when it held nights, then the period."""
    w = words()
    period, previous = report.period, report.previous
    kpi_rows = report_kpis(report, lists=lists, sectors=sectors)
    rows: list[list] = []
    formats: list[str] = []
    for kpi in kpi_rows:
        row = [kpi.label, kpi.current]
        if kpi.previous is not None:
            delta = kpi.current - kpi.previous
            row += [kpi.previous, round(delta, 2) if isinstance(delta, float) else delta]
        rows.append(row)
        formats.append(_fmt(kpi.current, kpi.key))
    summary = book.create_sheet(w["sheets"]["summary"])  # type: ignore[attr-defined]
    summary.column_dimensions["A"].width = max(len(k.label) for k in kpi_rows) + 2
    for column in "BCD":
        summary.column_dimensions[column].width = 16
    summary.freeze_panes = "A2"
    head = w["summary_head"] if note is None else w["summary_head"][:2]
    summary.append([out.text(summary, h, bold=True) for h in head])
    for row, fmt in zip(rows, formats, strict=True):
        summary.append([out.text(summary, row[0])] + [out.value(summary, v, fmt) for v in row[1:]])
    summary.append([])
    if note is not None:
        summary.append([out.text(summary, note)])
    facts = [report.coalition or "", period.label, period.first, period.last, previous.first, previous.last]
    for name, value in zip(w["summary_about"], facts, strict=True):
        summary.append([out.text(summary, name, bold=True), out.value(summary, value, DATE if isinstance(value, date)
                                                                           else None)])


def report_xlsx(report: Report, *, catalog: Catalog, lists: Lists, sectors: list[Entry]) -> bytes:
    """The report as a workbook: summary, nights, referrals, trainings and audiences, volunteer hours."""
    from openpyxl import Workbook

    w = words()
    sheets = w["sheets"]
    book = Workbook(write_only=True)
    out = _Writer(book)

    note = comparison_note(report)
    _summary_sheet(out, book, report, lists=lists, sectors=sectors, note=note)

    yes, no = w["answer_yes"], w["answer_no"]
    kinds = {k: KINDS.get(k, k) for k in {n.kind for n in report.nights}}
    venues = {v: catalog.name_of("venues", v) for v in {n.venue for n in report.nights}}
    out.sheet(sheets["nights"], w["nights_head"], [
        [n.shift, n.day, kinds[n.kind], venues[n.venue], yes if n.debriefed else no,
         n.team, n.hours, n.volunteer_hours, n.contacts, n.materials, n.referrals, n.trained, n.hotline, n.police,
         n.incident]
        for n in report.nights
    ], {1: DATE, 6: "0.00", 7: "#,##0.00"}, widths=[6, 10, 18, 24, 9, 6, 9, 15, 9, 9, 9, 9, 16, 24, 15])

    f, p = report.current, report.before
    order = sorted(set(f.referrals) | set(p.referrals), key=lambda c: (-f.referrals[c], c))
    columns = 3 if note is None else 2  # the previous period's column only when it held nights
    out.sheet(sheets["referrals"], w["referrals_head"][:columns],
              [[lists.name("categories", c), f.referrals[c], p.referrals[c]][:columns] for c in order], {})

    names = sector_names(sectors)
    out.sheet(sheets["audiences"], w["audiences_head"], [
        [a.shift, a.day, KINDS.get(a.kind, a.kind), names.get(a.sector, a.sector), a.count] for a in report.audiences
    ], {1: DATE}, widths=[6, 10, 18, 24, 8])

    head = list(w["hours_head"])
    with_value = report.rate is not None
    if with_value:
        head.append(w["hours_inkind"].format(currency=report.currency))
    rows = []
    for step in report.steps:
        row = [step.period.first, step.period.last, step.nights, step.reached, step.trained, step.volunteer_hours]
        if with_value:
            row.append(round(step.volunteer_hours * (report.rate or 0), 2))
        rows.append(row)
    out.sheet(sheets["hours"], head, rows, {0: DATE, 1: DATE, 5: HOURS, 6: MONEY})

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- the CSV


def csv_columns(lists: Lists, names: dict[str, str]) -> list[str]:
    """The CSV's header, in words: fixed columns, then one per material, referral category, indicator and
    sector of people trained (`names`: sector_names; named, never ids)."""
    w = words()
    return (list(w["csv_head"])
            + [f"{w['csv_material']}: {m.name}" for m in lists.materials]
            + [f"{w['csv_referral']}: {c.name}" for c in lists.categories]
            + [f"{w['csv_indicator']}: {i.name}" for i in lists.indicators]
            + [f"{w['csv_trained']}: {name}" for name in names.values()])


def _cell(value: object) -> object:
    """Keep a spreadsheet from reading text as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _local(stamp: str | None, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(stamp).astimezone(zone).strftime("%Y-%m-%d %H:%M") if stamp else ""


def report_csv(report: Report, *, zone: ZoneInfo, catalog: Catalog, lists: Lists, sectors: list[Entry]) -> bytes:
    """One row per night held in the report's period, counts and names only (no notes), with the people it
    trained by sector, so every figure of the PDF adds up from its rows; UTF-8 with a BOM for spreadsheets."""
    w = words()
    names = sector_names(sectors)
    trained: dict[int, dict[str, int]] = {}
    for a in report.audiences:
        names.setdefault(a.sector, a.sector)  # a sector since removed from data/sectors.yml keeps its column
        trained.setdefault(a.shift, {})[a.sector] = trained.get(a.shift, {}).get(a.sector, 0) + a.count
    known: dict[tuple[str, str], str] = {}

    def name_of(kind: str, ident: str) -> str:  # each venue and language looked up once, not once a row
        if (kind, ident) not in known:
            known[(kind, ident)] = catalog.name_of(kind, ident)
        return known[(kind, ident)]

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_columns(lists, names))
    for night in report.nights:
        row = night.detail
        materials = json.loads(row.materials or "{}")
        referrals = json.loads(row.referrals or "{}")
        indicators = set(json.loads(row.indicators or "[]"))
        languages = "; ".join(name_of("languages", x) for x in json.loads(row.languages or "[]"))
        people = trained.get(night.shift, {})
        writer.writerow(
            [_cell(v) for v in (  # the columns that hold text; the rest are counts
                night.shift, night.day.isoformat(), KINDS.get(night.kind, night.kind), name_of("venues", night.venue),
                row.area or "", _local(row.started_at, zone), _local(row.ended_at, zone))]
            + [night.hours, night.team, night.volunteer_hours, night.contacts, row.brief or 0, row.extended or 0,
               _cell(languages), night.hotline, night.police, night.incident,
               w["answer_yes"] if night.debriefed else w["answer_no"]]
            + [materials.get(m.id, 0) for m in lists.materials]
            + [referrals.get(c.id, 0) for c in lists.categories]
            + [int(i.id in indicators) for i in lists.indicators]
            + [people.get(sector, 0) for sector in names])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def csv_bytes(store: Store, period: Period, *, zone: ZoneInfo, now: datetime, catalog: Catalog, lists: Lists,
              sectors: list[Entry]) -> bytes:
    """The CSV of a period's held nights (see report_csv)."""
    return report_csv(build_report(store, period, zone=zone, now=now), zone=zone, catalog=catalog, lists=lists,
                      sectors=sectors)


# ---------------------------------------------------------------- hours: the statement and the roster


# The words of the statement of service hours (PDF) and the roster workbook, marked as REPORT_WORDS are. Dates,
# hours, names from the data files and members' names as Slack gives them: never a debrief's notes or any other text.
HOURS_WORDS: dict = {
    "statement": {
        "title": N_("Statement of service hours"),
        "number": N_("Statement no. {number}"),
        "program": N_("Volunteer outreach program"),
        "body": N_("{name} gave {total} hours of volunteer service with {coalition} in {year}, on the dates below."),
        "body_part": N_("{name} gave {total} hours of volunteer service with {coalition} from 1 January {year} to "
                        "{last}, on the dates below."),
        "columns": [N_("Date"), N_("Activity"), N_("Hours")],
        "month_columns": [N_("Month"), N_("Shifts"), N_("Hours")],
        "total": N_("Total"),
        "corrected": N_("* hours corrected by a coordinator"),
        "none": N_("No hours were recorded in this year."),
        "issued": N_("Issued on {today} by {issuer}."),
        "footer": N_("Hours are counted from each volunteer's check-in and check-out (or the attendance the shift's "
                     "lead confirmed), as kept by the coalition's outreach bot."),
        "verify": N_("The coalition keeps statement no. {number} with the figures above; its coordinators can "
                     "confirm them."),
        "issuer_default": N_("the coordinators of {coalition}"),
        "coalition_default": N_("the coalition"),
    },
    "roster": {
        "sheet": N_("Roster"),
        "head": [N_("Name"), N_("Slack ID"), N_("Trainings"), N_("Next expiry"), N_("Languages"),
                 N_("Hours, last 90 days"), N_("Hours this year"), N_("Last shift"), N_("No-shows, last 12 months")],
        "trainings_sheet": N_("Trainings"),
        "trainings_head": [N_("Name"), N_("Slack ID"), N_("Training"), N_("Completed"), N_("Valid until")],
        "until": N_("until {day}"),
    },
}
STATEMENT_ROWS = 28  # shifts listed one by one on the one page; more are listed by month


def hours_words() -> dict:
    """The words of the statement of service hours and the roster workbook, in the language in force."""
    return _words_in("hours", current())


def hours_text(value: float) -> str:
    """Hours as a statement prints them, in the language in force: 4, 4.5, 4.25, 1,234.5 (Spanish: 4,5)."""
    return format_decimal(round(value, 2), format="#,##0.##", locale=current())


@hands_memory_back
def _statement_table(summary: Summary, w: dict, *, fonts: tuple[str, str]) -> object:
    """A statement's hours: one row per shift, or per month when there are too many to fit, then the total."""
    from reportlab.lib import colors
    from reportlab.lib.units import inch
    from reportlab.platypus import Table, TableStyle

    regular, bold = fonts
    if len(summary.lines) <= STATEMENT_ROWS:
        rows = [w["columns"]] + [
            [_day(line.day), KINDS.get(line.kind, line.kind), hours_text(line.hours) + (" *" if line.corrected else "")]
            for line in summary.lines]
    else:
        counts: dict[date, int] = {}
        for line in summary.lines:
            counts[line.day.replace(day=1)] = counts.get(line.day.replace(day=1), 0) + 1
        # Translators: a month as the statement prints it, in Unicode CLDR's pattern letters (November 2026).
        pattern = _("MMMM y")
        rows = [w["month_columns"]] + [[format_date(month, pattern, locale=current()), str(counts[month]),
                                        hours_text(hours)] for month, hours in summary.by_month]
    rows.append([w["total"], "", hours_text(summary.total)])
    table = Table(rows, colWidths=[2.6 * inch, 2.6 * inch, 1.2 * inch], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), regular, 9),
        ("FONT", (0, 0), (-1, 0), bold, 9),
        ("FONT", (0, -1), (-1, -1), bold, 9),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(INK)),
        ("ALIGN", (2, 0), (2, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
        ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.HexColor(INK)),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    return table


def statement_pdf(summary: Summary, *, name: str, number: int, coalition: str | None, issuer: str | None,
                  today: date) -> bytes:
    """A one-page statement of a person's service hours in a year: its number, dates, hours per shift, the
    total, the coalition's name and who issues it (the configured coordinator, else the coalition's coordinators)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    w = hours_words()["statement"]
    regular, bold = _fonts()
    org = coalition or w["coalition_default"]
    title_style = ParagraphStyle("title", fontName=bold, fontSize=18, leading=22, textColor=colors.HexColor(INK))
    sub_style = ParagraphStyle("sub", fontName=bold, fontSize=12, leading=16, spaceBefore=2)
    body = ParagraphStyle("body", fontName=regular, fontSize=10, leading=14)
    small = ParagraphStyle("small", fontName=regular, fontSize=8, leading=11, textColor=colors.HexColor("#555555"))
    year_over = today.year > summary.year
    text = (w["body"] if year_over else w["body_part"]).format(
        name=name, total=hours_text(summary.total), coalition=org, year=summary.year, last=_day(today))
    story: list = [Paragraph(escape(coalition or w["program"]), title_style),
                   Paragraph(escape(w["title"]), sub_style),
                   Paragraph(escape(w["number"].format(number=number)), small), Spacer(1, 0.15 * inch),
                   Paragraph(escape(text), body), Spacer(1, 0.15 * inch)]
    if summary.lines:
        table = _statement_table(summary, w, fonts=(regular, bold))
        story.append(table)
        if any(line.corrected for line in summary.lines) and len(summary.lines) <= STATEMENT_ROWS:
            story.append(Paragraph(escape(w["corrected"]), small))
    else:
        story.append(Paragraph(escape(w["none"]), body))
    who = issuer or w["issuer_default"].format(coalition=org)
    story += [Spacer(1, 0.25 * inch), Paragraph(escape(w["issued"].format(today=_day(today), issuer=who)), body),
              Spacer(1, 0.1 * inch), Paragraph(escape(w["footer"]), small),
              Paragraph(escape(w["verify"].format(number=number)), small)]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=letter, leftMargin=0.9 * inch, rightMargin=0.9 * inch,
                            topMargin=0.8 * inch, bottomMargin=0.7 * inch, title=f"{w['title']} {summary.year}",
                            author=coalition or w["program"], subject=w["title"])
    doc.build(story)
    return buffer.getvalue()


@hands_memory_back
def roster_xlsx(rows: list[RosterRow], *, catalog: Catalog, names: dict[str, str]) -> bytes:
    """The roster as a workbook: one row per volunteer, by name (from `names`, else the member id) and
    member id (hours as numbers, dates as dates), and a sheet of every volunteer's trainings with their expiry."""
    from openpyxl import Workbook

    w = hours_words()["roster"]
    book = Workbook(write_only=True)
    out = _Writer(book)
    table = []
    for r in rows:
        expiries = [t.expires_on for t in r.trainings if t.expires_on]
        trainings = "; ".join(
            catalog.name_of("trainings", t.training)
            + (f" ({w['until'].format(day=t.expires_on.isoformat())})" if t.expires_on else "") for t in r.trainings)
        languages = ", ".join(catalog.name_of("languages", lang) for lang in r.languages)
        table.append([names.get(r.user, r.user), r.user, trainings, min(expiries) if expiries else None, languages,
                      r.hours_90, r.hours_year, r.last_shift, r.no_shows])
    out.sheet(w["sheet"], w["head"], table, {3: DATE, 5: "0.00", 6: "0.00", 7: DATE, 8: WHOLE},
              widths=[24, 12, 50, 11, 24, 10, 10, 11, 10])
    out.sheet(w["trainings_sheet"], w["trainings_head"], [
        [names.get(r.user, r.user), r.user, catalog.name_of("trainings", t.training), t.completed_on, t.expires_on]
        for r in rows for t in r.trainings], {3: DATE, 4: DATE}, widths=[24, 12, 30, 11, 11])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
