"""How fast the report is at a large coalition's scale: 5,000 debriefs over a year in a temporary database.

Usage: python bench/report_speed.py [--debriefs 5000] [--shifts 6500] [--repeat 40] [--files 5]

The shifts are spread over the past year and the next 60 days (bench/generate.py): 6,500 of them make
about 5,500 held in the year, 5,000 of which have a debrief; `--shifts 10000` makes 8,300 held.

Prints p50/p95 of the figures computation (`build_report`: the year and the year before, with the
nights, weeks/months and audiences tables; target p95 < 100 ms), then the time to draw the PDF
(four matplotlib charts and the reportlab layout) and to write the workbook (target < 2 s each).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import percentiles  # noqa: E402
from generate import generate  # noqa: E402

from outreach import report_files  # noqa: E402
from outreach.catalog import Catalog  # noqa: E402
from outreach.debriefs import Lists, load_sectors  # noqa: E402
from outreach.report_files import report_csv  # noqa: E402
from outreach.reports import build_report, day_span, figures  # noqa: E402
from outreach.store import Store  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "data"
ZONE = "America/Chicago"


def add_audiences(store: Store, sectors: list[str], seed: int = 7) -> int:
    """Audiences by sector for the community outreach and training debriefs, as the debrief form records them."""
    rng = random.Random(seed)
    with store.write() as db:
        ids = [r["id"] for r in db.query(
            "SELECT d.id FROM debriefs d JOIN shifts s ON s.id = d.shift_id WHERE s.kind IN ('community', 'training')")]
        rows = [{"debrief_id": i, "sector": s, "count": rng.randint(1, 30)}
                for i in ids for s in rng.sample(sectors, rng.randint(1, 3))]
        db["debrief_audiences"].insert_all(rows, batch_size=2000)
    return len(rows)


def timed(fn: object, repeat: int) -> list[float]:
    """Seconds each of `repeat` calls took."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    """Build the database, then time the figures, the PDF and the workbook."""
    from zoneinfo import ZoneInfo

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--debriefs", type=int, default=5_000)
    parser.add_argument("--shifts", type=int, default=6_500)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--files", type=int, default=5)
    args = parser.parse_args()
    zone, now = ZoneInfo(ZONE), datetime.now(UTC).replace(microsecond=0)
    catalog, lists, sectors = Catalog.load(DATA), Lists.load(DATA), load_sectors(DATA)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        started = time.perf_counter()
        written = generate(path, shifts=args.shifts, volunteers=2_000, signups=args.shifts * 10,
                           debriefs=args.debriefs, now=now)
        store = Store(path)
        audiences = add_audiences(store, [s.id for s in sectors])
        print(f"database: {written['debriefs']} debriefs, {written['shifts']} shifts, {written['signups']} signups, "
              f"{audiences} audience rows ({time.perf_counter() - started:.1f} s to build)")
        today = now.astimezone(zone).date()
        period = day_span(today - timedelta(days=365), today - timedelta(days=1))

        def build() -> object:
            return build_report(store, period, zone=zone, now=now, rate=33.49, coalition="Bench Coalition")

        report = build()
        held, debriefed = len(report.nights), sum(n.debriefed for n in report.nights)
        print(f"period {period.label}: {held} nights held, {debriefed} debriefed, "
              f"{report.current.reached} people reached, {report.current.volunteer_hours} volunteer hours, "
              f"compared with {report.previous.label}")
        built = percentiles(timed(build, args.repeat))
        print(f"figures (build_report, {args.repeat} runs): p50 {built['p50']:.1f} ms, "
              f"p95 {built['p95']:.1f} ms, max {built['max']:.1f} ms  (target p95 < 100 ms)")
        # The generated history starts a year ago, so the comparison year is empty: a full one would add the
        # figures of one more year, measured here as the previous period's tally is done (no tables).
        one = percentiles(timed(lambda: figures(store, period, zone=zone, now=now), args.repeat))
        print(f"one more full year to compare with (figures(), {args.repeat} runs): p50 {one['p50']:.1f} ms, "
              f"p95 {one['p95']:.1f} ms")
        report_files.report_pdf(report, lists=lists, sectors=sectors, today=today)  # fonts and imports, once
        pdf_times = timed(lambda: report_files.report_pdf(report, lists=lists, sectors=sectors, today=today),
                          args.files)
        xlsx_times = timed(lambda: report_files.report_xlsx(report, catalog=catalog, lists=lists, sectors=sectors),
                           args.files)
        csv_times = timed(lambda: report_csv(report, zone=zone, catalog=catalog, lists=lists, sectors=sectors), args.files)
        pdf = report_files.report_pdf(report, lists=lists, sectors=sectors, today=today)
        xlsx = report_files.report_xlsx(report, catalog=catalog, lists=lists, sectors=sectors)
        for name, samples, size in (("PDF", pdf_times, len(pdf)), ("workbook", xlsx_times, len(xlsx)),
                                    ("CSV", csv_times, None)):
            extra = f", {size / 1024:.0f} KiB" if size else ""
            print(f"{name} ({args.files} runs): median {statistics.median(samples) * 1000:.0f} ms, "
                  f"max {max(samples) * 1000:.0f} ms{extra}" + ("  (target < 2 s)" if size else ""))
        store.close()


if __name__ == "__main__":
    main()
