"""`python bot.py backup PATH`: a consistent copy while the bot writes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_backup_while_the_bot_writes(bot, tmp_path):
    number = bot.create_shift(capacity="40")
    users = [f"UB{i:02d}" for i in range(30)]
    with bot.store.write() as db:
        for user in users:
            db["trainings"].insert({"user_id": user, "training": "direct-outreach", "completed_on": "2026-01-01"})
    done = threading.Event()

    def sign_up():
        for user in users:
            bot.command(user, f"signup {number}").reply()
        done.set()

    writer = threading.Thread(target=sign_up)
    writer.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OUTREACH_"))}
    env["OUTREACH_DB"] = str(bot.settings.db_path)
    target = tmp_path / "backups" / "copy.db"
    result = subprocess.run([sys.executable, str(ROOT / "bot.py"), "backup", str(target)], env=env,
                            capture_output=True, text=True, timeout=60)
    writer.join()
    assert result.returncode == 0, result.stderr
    assert "integrity ok" in result.stdout
    assert target.stat().st_mode & 0o777 == 0o600
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM shifts").fetchone()[0] == 1
    copied = copy.execute("SELECT count(*) FROM signups").fetchone()[0]
    assert 0 <= copied <= 30  # a consistent snapshot from some moment of the burst
    statuses = {r[0] for r in copy.execute("SELECT status FROM signups")}
    assert statuses <= {"confirmed"}
    copy.close()


def test_backup_without_database_says_what_to_do(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OUTREACH_"))}
    env["OUTREACH_DB"] = str(tmp_path / "missing.db")
    result = subprocess.run([sys.executable, str(ROOT / "bot.py"), "backup", str(tmp_path / "x.db")], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "OUTREACH_DB" in result.stderr and "Traceback" not in result.stderr


def test_backup_is_private_from_its_first_byte(bot, tmp_path, monkeypatch):
    """The copy (and anything SQLite writes beside it) is 0600 at every step, even under a loose umask."""
    import argparse
    import stat

    import bot as entry

    bot.create_shift()
    target = tmp_path / "backups" / "copy.db"
    target.parent.mkdir()
    stale = target.with_name("copy.db.partial")
    stale.write_bytes(b"left by a backup that was killed")
    stale.chmod(0o644)
    monkeypatch.setenv("OUTREACH_DB", str(bot.settings.db_path))
    steps: list[tuple[str, dict[str, int]]] = []

    def modes(step: str) -> None:
        steps.append((step, {p.name: stat.S_IMODE(p.lstat().st_mode) for p in target.parent.iterdir()}))

    real_connect = sqlite3.connect

    class Source(sqlite3.Connection):
        def backup(self, target, **kwargs):
            modes("before the copy")
            super().backup(target, **kwargs)
            modes("after the copy")

    def spy(database, *args, **kwargs):
        if str(database).endswith(".partial"):
            modes("opening the copy")
            return real_connect(database, *args, **kwargs)
        return real_connect(database, *args, factory=Source, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", spy)
    umask = os.umask(0o022)
    try:
        assert entry.cmd_backup(argparse.Namespace(path=str(target))) == 0
    finally:
        os.umask(umask)
    modes("done")
    assert [s for s, _ in steps] == ["opening the copy", "before the copy", "after the copy", "done"]
    assert steps[0][1] == {"copy.db.partial": 0o600}  # exists, private and empty before SQLite opens it
    assert stale.exists() is False and steps[-1][1] == {"copy.db": 0o600}
    for step, seen in steps:
        assert all(mode == 0o600 for mode in seen.values()), (step, seen)
    copy = real_connect(target)
    assert copy.execute("SELECT count(*) FROM shifts").fetchone()[0] == 1
    copy.close()
