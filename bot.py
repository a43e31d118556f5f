"""outreach-bot: run the bot, or an admin subcommand (check, backup, export, report, manifest, test, ...).

On a machine without the dependencies, `python bot.py ...` first creates .venv beside this file,
installs the project into it (with the test extras for `test`), and runs itself again from there.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import venv
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from outreach.services import Services
    from outreach.settings import Settings

ROOT = Path(__file__).resolve().parent
RUNTIME = ("slack_bolt", "slack_sdk", "sqlite_utils", "jinja2", "yaml", "dotenv", "apscheduler", "icalendar", "matplotlib",
           "waitress", "phonenumbers", "reportlab", "openpyxl", "dateutil", "twilio")
TESTING = ("pytest", "ruff", "websockets", "hypothesis", "vobject", "pypdf")
log = logging.getLogger("outreach")
TICK_SECONDS = 20.0
SWITCH_INTERVAL = 0.0005
LEASE_SECONDS = 60.0
WORKER_STOP_SECONDS = 60.0
# sqlite-utils imports numpy and pandas whenever they are installed, only to accept their number types
# as column values, which the bot never stores. matplotlib brings numpy along, and loaded at start it
# would cost each of the bot's two processes 7-8 MB PSS (bench/README.md, Memory); the charts import it
# when they are first drawn, and tests/test_memory.py checks that nothing loads it before.
UNUSED_BY_STORE = ("numpy", "pandas")


def import_store_library() -> None:
    """Import sqlite-utils without the numpy and pandas it would load for nothing (UNUSED_BY_STORE)."""
    if "sqlite_utils" in sys.modules:
        return
    hidden = [name for name in UNUSED_BY_STORE if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # `import numpy` raises ImportError meanwhile
    try:
        import sqlite_utils  # noqa: F401
    except ImportError:
        pass  # not installed yet: ensure_dependencies installs it and runs this file again
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]


# First thing in both processes (the worker, started by multiprocessing's spawn, imports this file
# before anything else), before any module of the bot imports sqlite-utils.
import_store_library()


def ensure_dependencies(argv: Sequence[str]) -> None:
    """Install what is missing into ROOT/.venv and re-run from it (once)."""
    needed = RUNTIME + (TESTING if argv[:1] == ["test"] else ())
    missing = [m for m in needed if importlib.util.find_spec(m) is None]
    if not missing:
        return
    if os.environ.get("OUTREACH_BOOTSTRAPPED"):
        sys.exit(f"outreach-bot: still missing {', '.join(missing)} after installing; see the pip output above.")
    target = ROOT / ".venv"
    python = target / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not python.exists():
        print(f"outreach-bot: creating {target} and installing the dependencies (first run only)", file=sys.stderr)
        venv.create(target, with_pip=True)
    spec = f"{ROOT}[test]" if argv[:1] == ["test"] else str(ROOT)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-e", spec], check=True)
    os.environ["OUTREACH_BOOTSTRAPPED"] = "1"
    os.execv(str(python), [str(python), str(ROOT / "bot.py"), *argv])


class Fatal(Exception):
    """A problem that stops the bot before it connects (exit code 2)."""


def fail(message: str) -> int:
    """Print one clear line and return the exit code for a setup problem."""
    print(f"outreach-bot: {message}", file=sys.stderr)
    return 2


def open_services(settings: Settings) -> Services:
    """Load the data files and open the database (applying migrations)."""
    from outreach.catalog import Catalog, CatalogError
    from outreach.debriefs import lists_for
    from outreach.readiness import load_protocol
    from outreach.services import Services
    from outreach.store import Store, utcnow

    try:
        catalog = Catalog.load(settings.data_dir)
        load_protocol(settings.data_dir)
        lists_for(settings.data_dir)
    except CatalogError as exc:
        raise Fatal(f"{exc}. Fix the file and start again.") from None
    try:
        store = Store(settings.db_path)
    except (sqlite3.Error, OSError) as exc:
        raise Fatal(
            f"OUTREACH_DB: cannot open the database {settings.db_path} ({exc}). "
            "Point OUTREACH_DB at a writable file."
        ) from None
    return Services(settings=settings, store=store, catalog=catalog, clock=utcnow)


def cmd_manifest(_: argparse.Namespace) -> int:
    """Print the Slack app manifest."""
    from handlers.manifest import manifest_yaml

    sys.stdout.write(manifest_yaml())
    return 0


def cmd_check(_: argparse.Namespace) -> int:
    """Validate settings, data files and the database, and say what was found."""
    from outreach.settings import load_settings
    from outreach.setup_check import example_text, placeholders

    settings = load_settings()
    left = placeholders(os.environ, example_text())
    print(f"settings: {'ok' if not left else f'{len(left)} left as in .env.example'} "
          f"({'Socket Mode' if settings.socket_mode else f'HTTP on port {settings.port}'}, "
          f"time zone {settings.timezone}, {len(settings.admins)} admin(s), "
          f"coordinator channel {settings.coordinator_channel or 'not set'})")
    for placeholder in left.values():
        print(placeholder.line)
    services = open_services(settings)
    from outreach.debriefs import lists_for
    from outreach.readiness import load_protocol

    catalog, protocol, lists = services.catalog, load_protocol(settings.data_dir), lists_for(settings.data_dir)
    print(f"data files: ok ({len(catalog.venues)} venues, {len(catalog.trainings)} trainings, "
          f"{len(catalog.languages)} languages, {len(protocol.checklist)} checklist items, "
          f"{len(protocol.categories)} service categories, {len(protocol.hotlines)} local hotlines, "
          f"{len(lists.materials)} materials, {len(lists.indicators)} indicators in {settings.data_dir})")
    problems = len(left)
    with services.store.read() as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        counts = {t: db[t].count for t in ("shifts", "signups", "trainings", "roles")}
    pending = services.store.pending_migrations()
    print(f"database: {settings.db_path} (journal {mode}, integrity {integrity}, "
          f"{'schema up to date' if not pending else 'pending: ' + ', '.join(pending)}; "
          + ", ".join(f"{n} {t}" for t, n in counts.items()) + ")")
    problems += integrity != "ok"
    if not settings.admins:
        print("warning: OUTREACH_ADMINS is empty, so nobody can grant the coordinator role")
    if not settings.coordinator_channel:
        print("warning: OUTREACH_COORDINATOR_CHANNEL is not set, so coordinator alerts have nowhere to go")
    from handlers.phone import reach_line

    print(reach_line(settings))
    from handlers import make_client
    from handlers.setup_check import slack_findings

    if "SLACK_BOT_TOKEN" in left:
        print("slack: not tried (SLACK_BOT_TOKEN is still the placeholder)")
    else:
        skip = {value for placeholder in left.values() for value in placeholder.values}
        for finding in slack_findings(make_client(services), services, skip=skip):
            print(finding.line)
            problems += finding.problem
    services.store.close()
    print("check: ok" if not problems else f"check: {problems} problem(s)")
    return 0 if not problems else 1


def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the database consistently while the bot runs (SQLite's online backup API)."""
    source_path = Path(os.environ.get("OUTREACH_DB", "").strip() or "data/outreach.db")
    if not source_path.is_file():
        raise Fatal(f"OUTREACH_DB: there is no database at {source_path}. Set OUTREACH_DB to the bot's database file.")
    target = Path(args.path)
    if target.resolve() == source_path.resolve():
        raise Fatal("backup: the backup path is the database itself; choose another file.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)  # left by a backup that was killed; never written into as it is
    # The copy holds everything the coalition knows: it is the owner's alone from its first byte. The file
    # is created 0600 here (O_EXCL: never through a link someone left at that path), and the umask keeps
    # SQLite's own files beside it (its journal) just as private while it writes.
    try:
        os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        raise Fatal(f"backup: {partial} appeared while starting; is another backup running?") from None
    umask = os.umask(0o077)
    try:
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest, pages=1024)
            dest.execute("PRAGMA journal_mode = DELETE")
            check = dest.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dest.close()
            source.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        os.umask(umask)
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise Fatal(f"backup: the copy failed its integrity check ({check}); nothing was written.")
    os.replace(partial, target)
    print(f"backup: {source_path} copied to {target} ({target.stat().st_size} bytes, integrity ok)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write the CSV of a period's held nights (counts and names only), as /outreach export uploads it."""
    from outreach import report_files, reports
    from outreach.debriefs import Lists, load_sectors
    from outreach.settings import load_settings

    settings = load_settings(require_signing_secret=False)
    services = open_services(settings)
    try:
        period = reports.parse_period(args.period, today=services.now().astimezone(settings.zone).date())
        if period is None:
            raise Fatal(f"--period: {args.period!r} is not a period. Use {reports.PERIOD_HELP}.")
        data = report_files.csv_bytes(services.store, period, zone=settings.zone, now=services.now(),
                                      catalog=services.catalog, lists=Lists.load(settings.data_dir),
                                      sectors=load_sectors(settings.data_dir))
    finally:
        services.store.close()
    Path(args.out).write_bytes(data)
    rows = max(data.count(b"\n") - 1, 0)
    print(f"export: {rows} night(s) held in {period.label} written to {args.out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write a period's report as a PDF and a workbook, as /outreach report uploads them."""
    from outreach import report_files, reports
    from outreach.debriefs import Lists, load_sectors
    from outreach.settings import load_settings

    if not args.pdf and not args.xlsx:
        raise Fatal("report: give --pdf FILE, --xlsx FILE or both.")
    settings = load_settings(require_signing_secret=False)
    services = open_services(settings)
    try:
        today = services.now().astimezone(settings.zone).date()
        period, problem = reports.read_period(args.period, today=today)
        if period is None:
            raise Fatal(f"--period: {problem}. Use {reports.PERIOD_HELP}.")
        lists, sectors = Lists.load(settings.data_dir), load_sectors(settings.data_dir)
        report = reports.build_report(services.store, period, zone=settings.zone, now=services.now(),
                                      rate=settings.inkind_rate, currency=settings.currency,
                                      coalition=settings.coalition_name)
    finally:
        services.store.close()
    written = []
    if args.pdf:
        Path(args.pdf).write_bytes(report_files.report_pdf(report, lists=lists, sectors=sectors, today=today))
        written.append(args.pdf)
    if args.xlsx:
        Path(args.xlsx).write_bytes(report_files.report_xlsx(report, catalog=services.catalog, lists=lists,
                                                             sectors=sectors))
        written.append(args.xlsx)
    print(f"report: {period.label} ({report.current.total_nights} night(s), compared with {report.previous.label}) "
          f"written to {' and '.join(written)}")
    return 0


def _partner_services() -> Services:
    from outreach.settings import load_settings

    return open_services(load_settings(require_signing_secret=False))


def cmd_import_partners(args: argparse.Namespace) -> int:
    """Import partners from a CSV file: every row or none; report each bad row by line."""
    from outreach.partners import import_csv
    from outreach.readiness import load_protocol

    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return fail(f"cannot read {args.file} ({exc}). Give a CSV file saved as UTF-8.")
    services = _partner_services()
    today = services.now().astimezone(services.settings.zone).date()
    report = import_csv(services.store, text, actor="cli", catalog=services.catalog,
                        categories=load_protocol(services.settings.data_dir).categories, today=today)
    services.store.close()
    for line, problem in report.errors:
        print(f"{args.file}, line {line}: {problem}", file=sys.stderr)
    if report.errors:
        print(f"import-partners: nothing imported; fix the {len(report.errors)} problem(s) above and run it again",
              file=sys.stderr)
        return 1
    print(f"import-partners: {report.added} added, {report.updated} updated, {report.unchanged} unchanged")
    return 0


def cmd_export_partners(args: argparse.Namespace) -> int:
    """Write every partner to a CSV file that opens in a spreadsheet."""
    from outreach.partners import export_csv

    services = _partner_services()
    text = export_csv(services.store)
    services.store.close()
    Path(args.file).write_text(text, encoding="utf-8", newline="")
    print(f"export-partners: wrote {text.count(chr(10)) - 1} partner(s) to {args.file}")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    """Run the test suite (pytest), passing any further arguments on."""
    import pytest

    os.chdir(ROOT)
    return int(pytest.main(list(args.pytest_args)))


def start_scheduler(kit: object, services: Services) -> tuple[object, str]:
    """APScheduler runs kit.tick() every TICK_SECONDS, only while this process holds the lease."""
    from datetime import UTC, datetime, timedelta

    from apscheduler.schedulers.background import BackgroundScheduler

    from outreach import lease

    owner = lease.make_owner()
    ttl = timedelta(seconds=LEASE_SECONDS)

    def tick() -> None:
        try:
            if lease.acquire(services.store, owner=owner, now=services.now(), ttl=ttl):
                kit.tick()  # type: ignore[attr-defined]
            else:
                log.debug("another process holds the scheduler lease; not sending")
        except Exception:
            log.exception("timer tick failed")

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(tick, "interval", seconds=TICK_SECONDS, id="outreach-tick", replace_existing=True,
                      next_run_time=datetime.now(UTC), max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler, owner


def run_worker(wake: object, stop_flag: object, gate: object, parent: int) -> None:
    """The worker process: the jobs (requests acked by the main process) and the timer.

    The main process stops it through `stop_flag` (and a wake-up); signals are for the main process
    (Ctrl-C and a service manager's SIGTERM reach the whole process group).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    from handlers import create_app
    from handlers.connect import once_reached
    from handlers.worker import JobWorker, lower_priority
    from outreach import lease
    from outreach.settings import load_settings

    setup_logging("worker")
    lower_priority()
    # Hand the interpreter over between threads every 0.5 ms instead of 5 ms, so quick work (a list,
    # a click) is not held up behind a chart being drawn.
    sys.setswitchinterval(SWITCH_INTERVAL)
    settings = load_settings()
    services = open_services(settings)

    def stopping(seconds: float) -> bool:
        """Wait, unless the main process asks this one to stop; True when it did."""
        deadline = time.monotonic() + seconds
        while not stop_flag.value and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.1)
        return bool(stop_flag.value)  # type: ignore[attr-defined]

    reached, built = once_reached(lambda: create_app(services), api_url=settings.api_url, wait=stopping)
    if not reached or built is None:
        services.store.close()
        return
    app, kit = built
    worker = JobWorker(app, services.store, wake, owner=lease.make_owner(), gate=gate)  # type: ignore[arg-type]
    scheduler, owner = start_scheduler(kit, services)
    kit.requests_under_way = worker.active  # the timer's sending steps aside for people's requests
    # The main process gone (kill -9), this one finishes what it has and ends; the next worker
    # claims what is left.
    worker.serve(keep_going=lambda: not stop_flag.value and os.getppid() == parent)  # type: ignore[attr-defined]
    kit.notifier.stopping.set()  # a flush under way stops after the message it is sending
    scheduler.shutdown(wait=True)
    lease.release(services.store, owner=owner)
    services.store.close()
    log.info("worker stopped")


def cmd_run(_: argparse.Namespace) -> int:
    """Run the bot until SIGTERM or SIGINT: this process acks, a worker process does the work."""
    from outreach.settings import load_settings

    settings = load_settings()
    services = open_services(settings)
    from slack_bolt.error import BoltError

    from handlers import create_app
    from handlers.connect import once_reached
    from handlers.health import Alarm, Watch
    from handlers.worker import WorkerProcess

    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:  # Slack unreachable (DNS, refused): one line per try, waiting 1, 2, 4 ... 60 s, until it answers or SIGTERM
        reached, built = once_reached(lambda: create_app(services), api_url=settings.api_url, wait=stop.wait)
    except BoltError as exc:
        raise Fatal(f"SLACK_BOT_TOKEN: Slack did not accept the token ({exc}). Check the token and SLACK_API_URL.") from None
    if not reached or built is None:
        services.store.close()
        log.info("stopped before Slack could be reached")
        return 0
    app, kit = built

    worker = WorkerProcess(run_worker, stop_seconds=WORKER_STOP_SECONDS)
    kit.wake, app.gate = worker.wake.release, worker.gate
    watch = Watch(services.store, worker_alive=worker.alive)
    alarm = Alarm(watch, notifier=kit.notifier, admins=settings.admins)
    alarm.start()
    # What start-up built lives as long as the process: the garbage collector stops scanning it, so
    # its full collections (a pause for every thread) stay short while requests are acked.
    gc.freeze()
    feed_server = None
    from handlers.phone import reach_line
    from handlers.phone import routes as phone_routes

    log.info(reach_line(settings))

    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        from handlers.invites import FEED_PREFIX, feed_app
        from handlers.web import WebServer, wsgi_app

        try:
            feed_server = WebServer(wsgi_app(None, {FEED_PREFIX: feed_app(kit), **phone_routes(kit)},
                                             health=watch.check), port=settings.feed_port)
            feed_server.start()
            log.info("serving calendar feeds on port %s", feed_server.port)
        except OSError as exc:
            if settings.twilio:  # Twilio's replies and calls would go nowhere: do not pretend they work
                alarm.stop()
                worker.stop()
                raise Fatal(f"OUTREACH_FEED_PORT {settings.feed_port}: cannot serve Twilio's webhooks ({exc}). "
                            "Free the port or choose another one") from None
            log.warning("OUTREACH_FEED_PORT %s: cannot serve calendar feeds (%s)", settings.feed_port, exc)
        handler = SocketModeHandler(app, settings.app_token)

        def connect() -> None:
            handler.client.wss_uri = None  # a new Socket Mode address on each try
            handler.connect()

        if once_reached(connect, api_url=settings.api_url, wait=stop.wait)[0]:
            log.info("connected to Slack over Socket Mode")
            stop.wait()
        handler.close()
    else:
        from handlers.invites import FEED_PREFIX, feed_app
        from handlers.web import WebServer, wsgi_app

        server = WebServer(wsgi_app(app, {FEED_PREFIX: feed_app(kit), **phone_routes(kit)},
                                    signing_secret=settings.signing_secret, health=watch.check), port=settings.port)
        server.start()
        log.info("serving Slack requests on http://0.0.0.0:%s/slack/events", server.port)
        stop.wait()
        server.stop()
    alarm.stop()
    kit.runner.executor.shutdown(wait=True)  # forms under way finish (and delete their jobs) first
    kit.notifier.stopping.set()
    worker.stop()
    if feed_server is not None:
        feed_server.stop()
    services.store.close()
    log.info("stopped")
    return 0


def setup_logging(process: str = "bot") -> None:
    """One format for both processes; Slack's libraries only warn."""
    logging.basicConfig(
        level=logging.INFO, format=f"%(asctime)s %(levelname)s {process} %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in ("slack_bolt", "slack_sdk", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand."""
    parser = argparse.ArgumentParser(prog="bot.py", description="outreach-bot: Slack bot for outreach coalitions.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)").set_defaults(fn=cmd_run)
    sub.add_parser("check", help="validate settings, data files and the database").set_defaults(fn=cmd_check)
    sub.add_parser("manifest", help="print the Slack app manifest").set_defaults(fn=cmd_manifest)
    backup = sub.add_parser("backup", help="copy the database consistently, even while the bot runs")
    backup.add_argument("path", help="where to write the copy")
    backup.set_defaults(fn=cmd_backup)
    export = sub.add_parser("export", help="write a period's debriefs as CSV (counts only)")
    export.add_argument("--period", default="", help="2026-10, 2026-Q3, 2026 or 2026-07-01..2027-06-30 "
                        "(default: last full month)")
    export.add_argument("--out", required=True, help="the CSV file to write")
    export.set_defaults(fn=cmd_export)
    report = sub.add_parser("report", help="write a period's report as a PDF and an .xlsx workbook")
    report.add_argument("--period", default="", help="2026-10, 2026-Q3, 2026 or 2026-07-01..2027-06-30 "
                        "(default: last full month)")
    report.add_argument("--pdf", help="the PDF file to write")
    report.add_argument("--xlsx", help="the workbook (.xlsx) file to write")
    report.set_defaults(fn=cmd_report)
    imports = sub.add_parser("import-partners", help="import partners from a CSV file (all rows or none)")
    imports.add_argument("file", help="the CSV file")
    imports.set_defaults(fn=cmd_import_partners)
    exports = sub.add_parser("export-partners", help="write every partner to a CSV file")
    exports.add_argument("file", help="the CSV file to write")
    exports.set_defaults(fn=cmd_export_partners)
    tests = sub.add_parser("test", help="run the test suite (installs the test extras on first use)")
    tests.add_argument("pytest_args", nargs=argparse.REMAINDER, help="arguments passed on to pytest")
    tests.set_defaults(fn=cmd_test)
    argv = list(sys.argv[1:] if argv is None else argv)
    ensure_dependencies(argv)
    if argv[:1] == ["test"]:  # everything after `test` is pytest's, options such as -x included
        args = parser.parse_args(["test"])
        args.pytest_args = argv[1:]
    else:
        args = parser.parse_args(argv)
    setup_logging()
    from outreach.settings import SettingsError, load_dotenv_file

    load_dotenv_file(Path(".env"))
    try:
        return getattr(args, "fn", cmd_run)(args)
    except SettingsError as exc:
        return fail(str(exc))
    except Fatal as exc:
        return fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
