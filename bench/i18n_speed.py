"""What speaking Spanish costs: the App Home built in English and in Spanish, and the look-up of a
person's language that every request now makes.

Usage: python bench/i18n_speed.py [--db PATH] [--repeat 60]

On a large database (bench/generate.py: 10,000 shifts, 2,000 volunteers, 100,000 signups; written to a
temporary file when --db is not given), for the volunteer with the most upcoming shifts: p50/p95 of
building their App Home (handlers/home.py `home_view`: every section, every template, every button) in
English and in Spanish (the catalogues merged and compiled once, on the first Spanish word), and of
`languages.language_of` (one query: their choice, else Slack's locale). Nothing is sent to Slack.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import percentiles  # noqa: E402

from handlers import create_app  # noqa: E402
from handlers.home import home_view  # noqa: E402
from outreach import i18n, languages  # noqa: E402
from outreach.catalog import Catalog  # noqa: E402
from outreach.services import Services  # noqa: E402
from outreach.settings import load_settings  # noqa: E402
from outreach.store import Store, utcnow  # noqa: E402


def busiest(store: Store) -> str:
    """The volunteer with the most upcoming confirmed shifts."""
    with store.read() as db:
        return db.execute("SELECT g.user_id FROM signups g JOIN shifts s ON s.id = g.shift_id WHERE s.starts_at > "
                          "datetime('now') AND g.status = 'confirmed' GROUP BY g.user_id ORDER BY count(*) DESC "
                          "LIMIT 1").fetchone()[0]


def timed(fn: object, repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    db_path = args.db or Path(tempfile.mkdtemp(prefix="i18n-bench-")) / "outreach.db"
    if args.db is None:
        import subprocess

        subprocess.run([sys.executable, str(Path(__file__).parent / "generate.py"), str(db_path)], check=True)
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "s",
                              "SLACK_API_URL": "http://127.0.0.1:9/api/", "OUTREACH_DB": str(db_path),
                              "OUTREACH_ADMINS": "UADMIN", "OUTREACH_TIMEZONE": "America/Chicago"})
    store = Store(settings.db_path)
    services = Services(settings=settings, store=store, catalog=Catalog.load(settings.data_dir), clock=utcnow)
    i18n.translations.cache_clear()
    started = time.perf_counter()
    i18n.translations("es")
    compiled = (time.perf_counter() - started) * 1000
    _, kit = create_app(services, verify_token=False)  # it reads and compiles them once more, at start-up
    user = busiest(store)
    print(f"user {user}; the Spanish catalogues read and compiled (once a process, at start-up): {compiled:.1f} ms")
    for language in ("en", "es"):
        with i18n.speaking(language):
            figures = timed(lambda: home_view(kit, user), args.repeat)
        print(f"App Home in {language}: p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms, "
              f"max {figures['max']:.1f} ms ({args.repeat} runs)")

    def look_up() -> None:
        with store.read() as db:
            languages.language_of(db, user)

    figures = timed(look_up, args.repeat * 20)
    print(f"language_of (per request): p50 {figures['p50']:.3f} ms, p95 {figures['p95']:.3f} ms")


if __name__ == "__main__":
    main()
