"""Hostile review of the session's merged work (issue 20 §3-5, issue 23 §1, §2, §4): each test a bug found."""

from __future__ import annotations

from conftest import ADMIN
from test_setup_home import CSV, submit_file


def test_a_csv_with_a_huge_cell_is_refused_with_a_reason_not_a_crash(bot):
    huge = CSV + "x" * 200_000 + ",housing-emergency,es,24/7,+1 555 010 0103,,,\n"
    fid = bot.fake.add_file("partners.csv", huge.encode())
    status, answer = submit_file(bot, ADMIN, [fid])
    assert status == 200 and answer["response_action"] == "errors"
    assert "Nothing imported from partners.csv" in answer["errors"]["csv"]
    assert "line 4" in answer["errors"]["csv"] and "too long" in answer["errors"]["csv"]
    assert bot.db["partners"].count == 0
