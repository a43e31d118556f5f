"""The referral network: the directory and its form, removal, CSV import/export, and /outreach refer."""

from __future__ import annotations

from conftest import ADMIN
from phone import Phone
from test_docs import docs_text
from test_readiness import DEFAULT_CATEGORIES, add_partner, make_ready
from test_settings import GOOD, run_bot

from outreach import partners as pt
from outreach import readiness as rd

FORM = {
    "name": "Casa Segura", "categories": ["housing-emergency", "crisis-intervention"], "languages": ["es"],
    "hours": "24 x 7", "phone": "+1 555 010 0199", "contact": "Intake desk", "notes": "Ask for the night line.",
    "verified_on": "2026-11-20",
}


def test_coordinator_adds_and_edits_a_partner_in_the_form(bot):
    bot.command(ADMIN, "partner add")
    view = bot.fake.wait_for("views.open")[-1].params["view"]
    assert view["callback_id"] == "partner_form"
    done = bot.submit(ADMIN, "partner_form", FORM, metadata={"partner_id": None})
    assert done.status == 200 and not done.body
    row = bot.db["partners"].get(1)
    assert row["hours"] == "24/7" and row["name"] == "Casa Segura" and row["verified_on"] == "2026-11-20"
    listed = bot.command("UV", "partners").text()
    assert "Casa Segura" in listed and "*24/7*" in listed and "Emergency housing" in listed and "Spanish" in listed
    assert "Edit" not in listed  # volunteers get no buttons
    coordinator = bot.command(ADMIN, "partners spanish").reply()
    edit = [e for b in coordinator["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "partner_edit"]
    assert edit
    bot.click(ADMIN, "partner_edit", edit[0]["value"])
    prefilled = bot.fake.wait_for("views.open", count=2)[-1].params["view"]
    assert "Casa Segura" in str(prefilled) and prefilled["private_metadata"] == '{"partner_id": 1}'
    bot.submit(ADMIN, "partner_form", dict(FORM, hours="Mon-Fri 9-17"), metadata={"partner_id": 1})
    assert bot.db["partners"].get(1)["hours"] == "Mon-Fri 9-17"
    assert "Partners matching “vietnamese”*: 0" in bot.command("UV", "partners vietnamese").text()


def test_form_errors_are_inline_and_nothing_is_half_written(bot):
    errors = bot.submit(ADMIN, "partner_form", dict(FORM, name="", categories=[], phone="call us", verified_on="2027-01-01"))
    found = errors.json()["errors"]
    assert set(found) == {"name", "categories", "phone", "verified_on"}
    bot.submit(ADMIN, "partner_form", FORM)
    clash = bot.submit(ADMIN, "partner_form", dict(FORM, name="casa segura"))
    assert "already in the directory" in clash.json()["errors"]["name"]
    assert bot.db["partners"].count == 1


def test_volunteers_cannot_add_edit_or_remove_partners(bot):
    partner = add_partner(bot, "Clinic", ["medical-care"])
    assert "is for coordinators" in bot.command("UV", "partner add").text()
    forged = bot.submit("UV", "partner_form", dict(FORM, name="Fake"), metadata={"partner_id": partner})
    assert forged.json()["response_action"] == "errors"
    for action in ("partner_edit", "partner_remove", "partner_remove_yes"):
        assert "is for coordinators" in bot.click("UV", action, str(partner)).reply()["text"]
    assert bot.db["partners"].get(partner)["name"] == "Clinic" and bot.db["partners"].count == 1
    assert not bot.fake.calls_to("views.open")


def test_removal_asks_for_confirmation_and_breaks_go_of_shifts_relying_on_it(bot):
    number = bot.create_shift()
    partner = make_ready(bot, number)
    add_partner(bot, "Other Line", ["food"])
    bot.command("ULEAD", f"go {number}").reply()
    listed = Phone(bot, ADMIN).command("partners").reply()
    asks = listed.button("Remove", near="Night Line")["confirm"]
    assert "Remove *Night Line*" in asks["text"]["text"] and f"#{number}" in asks["text"]["text"]
    assert asks["style"] == "danger" and asks["confirm"]["text"] == "Remove"
    assert bot.db["partners"].count == 3  # listing asks nothing yet (make_ready added the law enforcement agency)
    removed = listed.tap("Remove", near="Night Line", confirm=True).reply()
    assert "Removed *Night Line*" in removed.words and "Other Line" in removed.words  # the list, refreshed
    assert "Night Line*" not in removed.words.split("Removed *Night Line*")[1]
    assert bot.db["partners"].count == 2 and [r["category"] for r in bot.db["on_call"].rows] == ["law-enforcement"]
    assert bot.db["readiness"].get(number)["go_by"] is None
    bot.fake.wait_for("chat.postMessage", where=lambda c: "Go taken back" in str(c.params.get("text")))
    assert "Kept" in bot.click(ADMIN, "partner_keep", str(partner)).reply()["text"]  # an old two-step message
    assert "already removed" in bot.click(ADMIN, "partner_remove_yes", str(partner)).text()


def test_empty_directory_reads_right(bot):
    text = bot.command("UV", "partners").reply()["text"]
    assert text == "*The referral network*: no partners yet."
    coordinator = bot.command(ADMIN, "partners").reply()["text"]
    assert coordinator.startswith("*The referral network*: no partners yet.\nTap *Add a partner*")
    add_partner(bot, "Clinic", ["medical-care"])
    assert bot.command("UV", "partners").reply()["text"] == "*The referral network*: 1 partner"


# ---------------------------------------------------------------- CSV


def cli_env(bot):
    return {**GOOD, "SLACK_API_URL": bot.fake.url, "OUTREACH_DB": str(bot.settings.db_path)}


GOOD_CSV = (
    "name,categories,languages,hours,phone,contact,notes,verified_on\n"
    "Casa Segura,Emergency housing; crisis-intervention,es;English,24/7,+1 555 010 0199,Intake,,2026-11-01\n"
    "Legal Aid,legal-immigration,Spanish,Mon-Fri 9-17,555 0200,Ana,\"Walk-ins, Tuesdays\",\n"
)


def test_import_reports_bad_rows_by_line_and_imports_none(bot, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD_CSV + "Nowhere,teleportation,es,24/7,555 0300,,,\n,medical-care,,24/7,555,,,\n"
                   "Casa Segura,food,,24/7,555 0400,,,\n")
    result = run_bot("import-partners", str(bad), env=cli_env(bot), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "bad.csv, line 4: categories: Unknown service category 'teleportation'" in result.stderr
    assert "line 5: name" in result.stderr and "line 6: name: the same name is on line 2" in result.stderr
    assert "nothing imported" in result.stderr
    assert bot.db["partners"].count == 0


def test_import_names_the_categories_an_unknown_one_could_mean(bot, tmp_path):
    bad = tmp_path / "legal.csv"
    bad.write_text("name,categories,hours,phone\nLegal Aid,legal representation,Mon-Fri 9-17,555 0200\n"
                   "Shelter,shelter,24/7,555 0300\n")
    result = run_bot("import-partners", str(bad), env=cli_env(bot), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    line2 = next(x for x in result.stderr.splitlines() if "line 2" in x)
    assert "Unknown service category 'legal representation': it could mean legal-immigration" in line2
    for meant in ("legal-immigration (Legal representation (immigration))",
                  "legal-criminal (Legal representation (criminal))", "legal-civil (Legal representation (civil))"):
        assert meant in line2
    assert "did you mean housing-emergency (Emergency housing)?" in result.stderr
    assert bot.db["partners"].count == 0


def test_import_is_idempotent_and_export_round_trips(bot, tmp_path):
    good = tmp_path / "partners.csv"
    good.write_text("\ufeff" + GOOD_CSV, encoding="utf-8")
    first = run_bot("import-partners", str(good), env=cli_env(bot), cwd=tmp_path)
    assert first.returncode == 0 and "2 added, 0 updated, 0 unchanged" in first.stdout, first.stderr
    again = run_bot("import-partners", str(good), env=cli_env(bot), cwd=tmp_path)
    assert "0 added, 0 updated, 2 unchanged" in again.stdout
    rows = {r["name"]: r for r in bot.db.query("SELECT * FROM partners")}
    assert rows["Casa Segura"]["categories"] == '["housing-emergency", "crisis-intervention"]'
    assert rows["Casa Segura"]["languages"] == '["es", "en"]' and rows["Legal Aid"]["notes"] == "Walk-ins, Tuesdays"
    out = tmp_path / "out.csv"
    exported = run_bot("export-partners", str(out), env=cli_env(bot), cwd=tmp_path)
    assert exported.returncode == 0 and "2 partner(s)" in exported.stdout
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    back = run_bot("import-partners", str(out), env=cli_env(bot), cwd=tmp_path)
    assert "0 added, 0 updated, 2 unchanged" in back.stdout, back.stderr


def test_export_guards_cells_a_spreadsheet_would_run(bot):
    add_partner(bot, "=HYPERLINK(\"x\")", ["food"], phone="+1 555 0100")
    text = pt.export_csv(bot.store)
    assert "'=HYPERLINK" in text and ",+1 555 0100," in text
    report = pt.import_csv(bot.store, text, actor="t", catalog=bot.services.catalog,
                           categories=rd.load_protocol(bot.settings.data_dir).categories, today=bot.clock().date())
    assert (report.errors, report.added, report.unchanged) == ([], 0, 1)  # the apostrophe is undone on import
    assert bot.db["partners"].count == 1


# ---------------------------------------------------------------- refer


def test_refer_ranks_on_call_then_24_7_then_recently_verified(bot):
    add_partner(bot, "Old Shelter", ["housing-emergency"], hours="Mon-Fri", verified="2025-01-01", phone="555 0001")
    add_partner(bot, "Fresh Shelter", ["housing-emergency"], hours="Mon-Fri", verified="2026-11-20", phone="555 0002")
    add_partner(bot, "Always Shelter", ["housing-emergency"], hours="24/7", verified="2026-10-01", phone="555 0003")
    tonight = add_partner(bot, "Tonight Shelter", ["housing-emergency"], hours="Mon-Fri", verified="2026-09-01",
                          phone="555 0004")
    add_partner(bot, "Clinic", ["medical-care"], phone="555 0005")
    number = bot.create_shift(start_date=bot.clock().date().isoformat(), end_date=bot.clock().date().isoformat(),
                              start_time="20:00")
    rd.set_on_call(bot.store, rd.load_protocol(bot.settings.data_dir), shift_id=number, actor=ADMIN,
                   category="housing-emergency", partner_id=tonight)
    sent = bot.command("UV", "refer shelter")
    reply = sent.reply()
    assert reply["response_type"] == "ephemeral"
    text = reply["text"]
    order = [text.index(n) for n in ("Tonight Shelter", "Always Shelter", "Fresh Shelter", "Old Shelter")]
    assert order == sorted(order) and "Clinic" not in text
    assert "*555 0004*" in text and "on call tonight" in text and "not verified recently" in text


def test_refer_with_language_puts_speakers_first(bot):
    add_partner(bot, "English Clinic", ["medical-care"], languages=["en"], hours="24/7")
    add_partner(bot, "Clínica", ["medical-care"], languages=["es"], hours="Mon-Fri")
    text = bot.command("UV", "refer medical care Spanish").text()
    assert "in Spanish" in text and text.index("Clínica") < text.index("English Clinic")
    none = bot.command("UV", "refer medical vi").text()
    assert "No partner lists Vietnamese" in none


def test_refer_unknown_need_suggests_closest_categories(bot):
    text = bot.command("UV", "refer housin").text()  # a partial word still matches the housing categories
    assert "No partner in the directory covers this" in text and "Emergency housing" in text
    typo = bot.command("UV", "refer medicl").text()
    assert "I don't know the need “medicl”" in typo and "Did you mean *Medical care*" in typo
    assert "1-888-373-7888" in typo
    bot.command("UV", "refer")  # typed bare: the Find a partner modal opens (tests/test_journey_coordinator.py)
    assert bot.fake.wait_for("views.open")[0].params["view"]["callback_id"] == "partner_find"


def test_refer_answers_fast(bot):
    for n in range(40):
        add_partner(bot, f"Partner {n}", DEFAULT_CATEGORIES, hours="24/7")
    import time

    started = time.monotonic()
    text = bot.command("UV", "refer crisis").text()
    assert time.monotonic() - started < 2 and "…and 32 more" in text


def test_readme_documents_the_data_files():
    readme = docs_text()  # the README and docs/
    for name in ("data/checklist.yml", "data/service_categories.yml", "data/hotlines.yml", "import-partners", "export-partners"):
        assert name in readme
