"""The database a fresh start migrates to is the one `schema.sql` describes (issue 22): a migration that
changes the schema must come with schema.sql written again (`python -m outreach.migrations > schema.sql`),
and nothing changes the schema behind the migrations' back."""

from __future__ import annotations

import ast
from pathlib import Path

from outreach import migrations as mig
from outreach.store import Store

ROOT = Path(__file__).resolve().parent.parent


def test_a_fresh_database_has_the_checked_in_schema(tmp_path):
    store = Store(tmp_path / "fresh.db")
    with store.read() as db:
        got = mig.schema(db)
    want = (ROOT / "schema.sql").read_text()
    assert got == want, "the schema differs from schema.sql: python -m outreach.migrations > schema.sql"
    assert store.pending_migrations() == []


def test_each_migration_is_registered_once_and_uses_nothing_of_the_app():
    names = [m.name for m in mig.migrations._migrations]  # the order they run in (m021 to m024 landed out of order)
    numbers = [name.split("_")[0] for name in names]
    assert len(set(numbers)) == len(numbers) == int(max(numbers)[1:])
    tree = ast.parse((ROOT / "outreach" / "migrations.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {name for name in imported if name and name.split(".")[0] in ("outreach", "handlers")}
