"""Settings errors, the check and manifest subcommands, and the docs that must stay true."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_docs import docs_text

from handlers.commands import REGISTRY
from handlers.manifest import BOT_SCOPES, build_manifest, manifest_yaml
from outreach.catalog import Catalog, CatalogError
from outreach.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def run_bot(*args, env=None, cwd=None, timeout=60):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OUTREACH_"))}
    full.update(env or {})
    return subprocess.run([sys.executable, str(ROOT / "bot.py"), *args], env=full, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("env, name", [
    ({}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "abc"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
    ({**GOOD, "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN"),
    ({**GOOD, "PORT": "http"}, "PORT"),
    ({**GOOD, "OUTREACH_ADMINS": "bob"}, "OUTREACH_ADMINS"),
    ({**GOOD, "OUTREACH_TIMEZONE": "Mars/Olympus"}, "OUTREACH_TIMEZONE"),
    ({**GOOD, "OUTREACH_COORDINATOR_CHANNEL": "#coordinators"}, "OUTREACH_COORDINATOR_CHANNEL"),
    ({**GOOD, "SLACK_API_URL": "slack.com"}, "SLACK_API_URL"),
])
def test_each_bad_setting_is_named(env, name):
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert info.value.name == name


def test_socket_mode_needs_no_signing_secret():
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert settings.socket_mode and settings.port == 3000 and settings.db_path == Path("data/outreach.db")


def test_bad_setting_stops_the_process_with_exit_2_and_no_traceback(tmp_path):
    result = run_bot(env={**GOOD, "OUTREACH_TIMEZONE": "Nowhere"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "OUTREACH_TIMEZONE" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_dotenv_file_is_read_and_environment_wins(tmp_path):
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-file\nSLACK_SIGNING_SECRET=s\nOUTREACH_TIMEZONE=Nowhere/Else\n")
    result = run_bot("check", env={"OUTREACH_TIMEZONE": "Also/Wrong"}, cwd=tmp_path)
    assert result.returncode == 2 and "Also/Wrong" in result.stderr  # the environment wins over .env
    from_file = run_bot("check", cwd=tmp_path)
    assert from_file.returncode == 2 and "Nowhere/Else" in from_file.stderr  # the token came from .env too


def test_check_reports_what_it_found(tmp_path, fake):
    fake.add_user("U1")  # check looks every admin up
    env = {**GOOD, "SLACK_API_URL": fake.url, "OUTREACH_DB": str(tmp_path / "db" / "o.db"), "OUTREACH_ADMINS": "U1"}
    result = run_bot("check", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "integrity ok" in result.stdout and "schema up to date" in result.stdout
    assert "slack: ok" in result.stdout and "check: ok" in result.stdout
    assert (tmp_path / "db" / "o.db").stat().st_mode & 0o777 == 0o600
    again = run_bot("check", env=env, cwd=tmp_path)  # start-up is idempotent
    assert again.returncode == 0
    fake.fail("auth.test", error="invalid_auth")
    refused = run_bot("check", env=env, cwd=tmp_path)
    assert refused.returncode == 1 and "invalid_auth" in refused.stdout


def test_malformed_data_file_names_file_and_line(tmp_path):
    for name in ("venues", "trainings", "languages"):
        (tmp_path / f"{name}.yml").write_text((ROOT / "data" / f"{name}.yml").read_text())
    (tmp_path / "venues.yml").write_text("- id: motel\n  name: Motels\n- id: farm\n")
    with pytest.raises(CatalogError) as info:
        Catalog.load(tmp_path)
    assert "venues.yml, line 3" in str(info.value) and "name" in str(info.value)
    (tmp_path / "venues.yml").write_text("- id: motel\n  name: [unclosed\n")
    with pytest.raises(CatalogError, match="line"):
        Catalog.load(tmp_path)
    result = run_bot("check", env={**GOOD, "OUTREACH_DATA_DIR": str(tmp_path)}, cwd=tmp_path)
    assert result.returncode == 2 and "venues.yml" in result.stderr and "Traceback" not in result.stderr


def test_manifest_is_committed_and_complete():
    assert (ROOT / "manifest.yml").read_text() == manifest_yaml()
    assert run_bot("manifest").stdout == manifest_yaml()
    manifest = yaml.safe_load(manifest_yaml())
    assert manifest == build_manifest()
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/outreach"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened", "user_change"]
    assert manifest["oauth_config"]["scopes"]["bot"] == BOT_SCOPES  # the one list
    assert "users:read" in BOT_SCOPES
    assert {"channels:read", "groups:read"} <= set(BOT_SCOPES)  # conversations.info, public and private channels


# The scope each Web API method the code calls needs (none: views.*, auth.test, api.test).
METHOD_SCOPES = {"chat_postMessage": "chat:write", "chat_update": "chat:write", "files_upload_v2": "files:write",
                 "users_info": "users:read", "conversations_info": "channels:read", "files_info": "files:read", "views_open": None,
                 "views_update": None, "views_publish": None, "views_push": None, "api_test": None}


def test_scopes_match_the_web_api_methods_the_code_calls():
    methods = set()
    for path in list((ROOT / "handlers").glob("*.py")) + [ROOT / "bot.py"]:
        methods |= set(re.findall(r"client\.(\w+)\(", path.read_text()))
        methods |= set(re.findall(r"\.(chat_\w+|views_\w+|files_\w+|users_\w+|conversations_\w+)\(", path.read_text()))
    methods.discard("auth_test")
    assert methods <= set(METHOD_SCOPES), methods - set(METHOD_SCOPES)
    assert {METHOD_SCOPES[m] for m in methods} - {None} <= set(BOT_SCOPES)


def test_readme_documents_every_subcommand_and_setting():
    readme = docs_text()  # the README and docs/
    for name in REGISTRY:
        assert f"/outreach {name}" in readme, name
    settings_source = (ROOT / "outreach" / "settings.py").read_text()
    for name in set(re.findall(r'"((?:SLACK|OUTREACH|TWILIO)_[A-Z_]+|PORT)"', settings_source)):
        assert f"`{name}`" in readme, name
        assert name in (ROOT / ".env.example").read_text() or name == "OUTREACH_DATA_DIR", name
    for command in ("python bot.py", "python bot.py test", "python bot.py check", "python bot.py manifest"):
        assert command in readme
    assert "python bot.py test" in (ROOT / ".ci" / "run").read_text()


def test_malformed_debrief_list_stops_start_up_with_exit_2(tmp_path):
    for path in (ROOT / "data").glob("*.yml"):
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / "indicators.yml").write_text("- id: debt\n  name: Debt\n- id: debt\n  name: Again\n")
    result = run_bot("check", env={**GOOD, "OUTREACH_DATA_DIR": str(tmp_path)}, cwd=tmp_path)
    assert result.returncode == 2 and "indicators.yml, line 3" in result.stderr and "Traceback" not in result.stderr
