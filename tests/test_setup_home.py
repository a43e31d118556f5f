"""The first run, guided (issue 23): the admin's setup checklist on the App Home, the coordinators' channel
problem told once, and a locked shift that points to the training shift that unlocks it."""

from __future__ import annotations

import json
from datetime import timedelta

from conftest import ADMIN, COORD_CHANNEL, eventually, message_text, shift_fields

HOME = {"type": "view", "view_id": "VHOME"}
ITEMS = ("channel", "coordinators", "trainings", "partners", "hotlines", "first_shift")
CSV = ("name,categories,languages,hours,phone,contact,notes,verified_on\n"
       "Casa Segura,housing-emergency,es,24/7,+1 555 010 0101,,,\n"
       "Legal Aid North,legal-immigration,en,Mon-Fri 9-17,+1 555 010 0102,,,\n")


def home_for(bot, user: str) -> dict:
    """Open the App Home as `user` and return the view published for them."""
    before = len([c for c in bot.fake.calls_to("views.publish") if c.params.get("user_id") == user])
    bot.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"})
    calls = bot.fake.wait_for("views.publish", count=before + 1, where=lambda c: c.params.get("user_id") == user)
    return calls[-1].params["view"]


def setup_lines(view: dict) -> dict[str, dict]:
    """The checklist's item blocks by item id."""
    return {b["block_id"].split(":", 1)[1]: b for b in view["blocks"] if str(b.get("block_id", "")).startswith("setup:")}


def state(view: dict) -> dict[str, bool]:
    """Each item: done (a check mark) or to do."""
    return {item: b["text"]["text"].startswith(":white_check_mark:") for item, b in setup_lines(view).items()}


def opened(bot, count: int) -> dict:
    """The `count`-th view opened."""
    return bot.fake.wait_for("views.open", count=count)[count - 1].params["view"]


def submit_state(bot, user: str, callback_id: str, values: dict) -> tuple[int, dict]:
    """Submit a modal whose state.values are given as Slack sends them; the answer's JSON ({} when it closed)."""
    name = f"viewstate{len(bot.fake.calls)}"
    payload = {
        "type": "view_submission", "team": {"id": "T1"}, "user": {"id": user, "team_id": "T1"}, "api_app_id": "A1",
        "token": "legacy", "trigger_id": f"trig-{name}",
        "view": {"id": f"V{name}", "type": "modal", "callback_id": callback_id, "team_id": "T1",
                 "private_metadata": "{}", "hash": "h", "state": {"values": values}},
    }
    status, body = bot.interactive(payload)
    return status, json.loads(body or b"{}")


def submit_file(bot, user: str, file_ids: list[str]) -> tuple[int, dict]:
    """Submit the partner directory modal with files chosen in its file input."""
    files = [{"id": f, "name": "partners.csv"} for f in file_ids]
    return submit_state(bot, user, "setup_partners", {"csv": {"value": {"type": "file_input", "files": files}}})


def make_coordinator(bot, user: str, person: str) -> tuple[int, dict]:
    """Submit the Make coordinator modal (handlers/coord.py's, the one the checklist opens) for one person."""
    return submit_state(bot, user, "coord_role", {
        "person": {"value": {"type": "users_select", "selected_user": person}},
        "role": {"value": {"type": "static_select", "selected_option": {"value": "coordinator"}}}})


def test_an_empty_databases_admin_home_starts_with_the_checklist(bot):
    view = home_for(bot, ADMIN)
    assert state(view) == dict.fromkeys(ITEMS, False)
    words = message_text(view)
    assert "6 of 6 things to do" in words
    assert f"I'm not in <#{COORD_CHANNEL}>" in words  # Slack says channel_not_found: the bot cannot see it
    assert "nobody but the admins" in words and "no partners yet" in words
    buttons = {b["accessory"]["action_id"]: b["accessory"]["text"]["text"] for b in setup_lines(view).values()}
    assert buttons == {"setup_channel": "How to fix", "coord_role_open": "Make coordinator",
                       "setup_trainings": "Review trainings", "setup_partners": "Add partners",
                       "setup_hotlines": "Review hotline card", "setup_first_shift": "Plan a shift"}
    assert view["blocks"][1]["block_id"] == "setup_heading"  # first, under the title
    assert bot.fake.calls_to("conversations.info")[-1].params["channel"] == COORD_CHANNEL
    volunteer = home_for(bot, "UVOL")
    assert not setup_lines(volunteer) and "Set up Outreach" not in message_text(volunteer)
    assert bot.db["notifications"].count == 0  # looking is not telling: no DM queued by opening the home


def test_each_button_opens_its_modal(bot):
    expected = {"setup_channel": "setup_channel", "coord_role_open": "coord_role",
                "setup_trainings": "setup_trainings", "setup_partners": "setup_partners",
                "setup_hotlines": "setup_hotlines", "setup_first_shift": "shift_form"}
    for n, (action, callback) in enumerate(expected.items(), start=1):
        assert bot.click(ADMIN, action, "", container=HOME).status == 200
        assert opened(bot, n)["callback_id"] == callback, action
    _, answer = submit_state(bot, ADMIN, "setup_coordinators", {})  # the old copy of Make coordinator is gone
    assert answer == {"error": "unhandled request"}  # nothing listens for it any more
    words = {v["callback_id"]: message_text(v) for v in (c.params["view"] for c in bot.fake.calls_to("views.open"))}
    assert f"I'm not in <#{COORD_CHANNEL}>: invite me with `/invite @outreach` there" in words["setup_channel"]
    assert "Direct outreach training* (`direct-outreach`): valid 12 months" in words["setup_trainings"]
    assert "Community educator training* (`community-educator`): no expiry" in words["setup_trainings"]
    assert "1-888-373-7888" in words["setup_hotlines"] and "data/hotlines.yml" in words["setup_hotlines"]
    lead = next(b for b in opened(bot, 6)["blocks"] if b.get("block_id") == "lead")
    assert lead["element"]["initial_user"] == ADMIN
    partners = opened(bot, 4)
    assert any(b.get("element", {}).get("type") == "file_input" for b in partners["blocks"])


def test_the_channel_item_follows_what_slack_says(bot):
    bot.fake.add_channel(COORD_CHANNEL, is_member=False)
    assert "I'm not in" in message_text(home_for(bot, ADMIN))
    bot.click(ADMIN, "setup_channel", "", container=HOME)
    view_id = bot.fake.wait_for("views.open")[0].answer["view"]["id"]
    bot.fake.add_channel(COORD_CHANNEL, is_member=True)  # the admin typed /invite @outreach there
    modal = {"id": view_id, "type": "modal", "callback_id": "setup_channel"}
    bot.click(ADMIN, "setup_channel_check", "channel", container={"type": "view", "view_id": view_id}, view=modal)
    update = bot.fake.wait_for("views.update", where=lambda c: c.params.get("view_id") == view_id)[-1]
    assert "I'm a member of" in message_text(update.params["view"])
    assert state(home_for(bot, ADMIN))["channel"]


def test_confirming_each_item_changes_its_state_until_setup_is_complete(bot):
    bot.fake.add_channel(COORD_CHANNEL, is_member=True)
    assert state(home_for(bot, ADMIN)) == dict(dict.fromkeys(ITEMS, False), channel=True)

    _, answer = make_coordinator(bot, ADMIN, ADMIN)
    assert answer["response_action"] == "errors" and "admin" in answer["errors"]["person"]
    status, answer = make_coordinator(bot, ADMIN, "UCOORD")
    assert status == 200 and answer["view"]["callback_id"] == "coord_role_confirm"
    meta = answer["view"]["private_metadata"]
    sent = bot.interactive({"type": "view_submission", "team": {"id": "T1"}, "user": {"id": ADMIN, "team_id": "T1"},
                            "api_app_id": "A1", "token": "legacy", "trigger_id": "trig-sure",
                            "view": {"id": "VSURE", "type": "modal", "callback_id": "coord_role_confirm",
                                     "team_id": "T1", "private_metadata": meta, "hash": "h", "state": {"values": {}}}})
    assert sent[0] == 200
    assert bot.services.role("UCOORD").label == "coordinator"
    assert bot.db.execute("SELECT actor, action FROM audit WHERE subject = 'user:UCOORD'").fetchall() == [
        (ADMIN, "role.coordinator")]

    for item in ("trainings", "hotlines"):
        sent = bot.submit(ADMIN, f"setup_{item}", {})
        assert sent.status == 200 and not sent.body
    eventually(lambda: bot.db["setup_confirmations"].count == 2)
    row = bot.db["setup_confirmations"].get("hotlines")
    assert (row["confirmed_by"], row["confirmed_at"]) == (ADMIN, bot.clock().isoformat())

    fid = bot.fake.add_file("partners.csv", CSV.encode())
    status, answer = submit_file(bot, ADMIN, [fid])
    assert status == 200 and answer["response_action"] == "update", answer
    assert "2 added, 0 updated, 0 unchanged" in message_text(answer["view"])

    bot.settle()  # the forms' own publishes of the home (after their answers) are done before it is opened
    view = home_for(bot, ADMIN)
    assert state(view) == dict(dict.fromkeys(ITEMS, True), first_shift=False)
    words = message_text(view)
    assert "*Trainings*: reviewed by <@UADMIN>" in words and "*Partner directory*: 2 partners." in words
    assert "*Coordinators*: 1 besides the admins." in words

    bot.create_shift()
    view = home_for(bot, ADMIN)
    assert not setup_lines(view)
    assert "*Setup complete.*" in message_text(view) and "Set up Outreach" not in message_text(view)
    heading = next(b for b in view["blocks"] if b.get("block_id") == "setup_heading")
    assert heading["accessory"]["action_id"] == "setup_show"
    bot.click(ADMIN, "setup_show", "", container=HOME)
    shown = bot.fake.wait_for("views.open", where=lambda c: c.params["view"]["callback_id"] == "setup_checklist")
    assert state(shown[-1].params["view"]) == dict.fromkeys(ITEMS, True)
    view_id = shown[-1].answer["view"]["id"]  # an item tapped there opens in its place (Slack stacks only three)
    bot.click(ADMIN, "setup_hotlines", "hotlines", container={"type": "view", "view_id": view_id},
              view={"id": view_id, "type": "modal", "callback_id": "setup_checklist"})
    update = bot.fake.wait_for("views.update", where=lambda c: c.params.get("view_id") == view_id)[-1]
    assert update.params["view"]["callback_id"] == "setup_hotlines"
    assert "_Reviewed by <@UADMIN> on" in message_text(update.params["view"])


def test_a_csv_file_is_imported_all_or_nothing_with_each_problem_said(bot):
    bad = CSV + "Nowhere,not-a-category,es,24/7,+1 555 010 0103,,,\n"
    fid = bot.fake.add_file("partners.csv", bad.encode())
    status, answer = submit_file(bot, ADMIN, [fid])
    assert answer["response_action"] == "errors"
    assert "Nothing imported from partners.csv: 1 problem" in answer["errors"]["csv"]
    assert "line 4: categories" in answer["errors"]["csv"]
    assert bot.db["partners"].count == 0
    download = bot.fake.calls_to("file_download")[-1]
    assert download.headers["authorization"] == "Bearer xoxb-test"
    assert bot.fake.calls_to("files.info")[-1].params["file"] == fid

    sheet = bot.fake.add_file("partners.xlsx", b"PK\x03\x04", filetype="xlsx")
    _, answer = submit_file(bot, ADMIN, [sheet])
    assert "is not a CSV file" in answer["errors"]["csv"]
    _, answer = submit_file(bot, ADMIN, [])
    assert "Choose a CSV file" in answer["errors"]["csv"]
    _, answer = submit_file(bot, ADMIN, ["FGONE"])
    assert "file_not_found" in answer["errors"]["csv"]
    assert bot.db["partners"].count == 0


def test_a_volunteers_forged_taps_and_submissions_are_refused(bot):
    for action in ("setup_trainings", "setup_partners", "setup_channel", "setup_show",
                   "setup_hotlines", "setup_first_shift", "setup_channel_check", "setup_partner_add"):
        bot.click("UVOL", action, "", container=HOME)
    eventually(lambda: len(bot.dms("UVOL")) == 8)
    assert all("is for admins" in c.params["text"] for c in bot.dms("UVOL"))
    assert not bot.fake.calls_to("views.open")
    _, answer = make_coordinator(bot, "UVOL", "UVOL")
    assert "is for admins" in answer["errors"]["person"]
    sent = bot.submit("UVOL", "setup_trainings", {})
    assert "is for admins" in message_text(json.loads(sent.body)["view"])
    fid = bot.fake.add_file("partners.csv", CSV.encode())
    _, answer = submit_file(bot, "UVOL", [fid])
    assert "is for admins" in answer["errors"]["csv"]
    bot.settle()
    assert bot.services.role("UVOL").label == "volunteer"
    assert bot.db["setup_confirmations"].count == 0 and bot.db["partners"].count == 0
    assert not bot.fake.calls_to("files.info")


def test_a_shift_the_bot_cannot_post_in_the_coordinators_channel_says_why_and_tells_the_admins_once(bot):
    bot.fake.fail("chat.postMessage", error="not_in_channel", times=100,
                  where=lambda p: p.get("channel") == COORD_CHANNEL)
    for n in (1, 2):  # planned from the App Home: no channel of its own, so the coordinators' channel
        sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock), metadata={"channel": None})
        assert sent.status == 200 and not sent.body
        told = bot.fake.wait_for("chat.postMessage", count=n,
                                 where=lambda c: c.params.get("channel") == ADMIN and "is planned" in c.params["text"])
        text = told[-1].params["text"]
        assert f"I'm not in <#{COORD_CHANNEL}>: invite me with `/invite @outreach` there." in text, text
        assert "There is no coordinator channel" not in text
    bot.settle()
    alerts = [c for c in bot.dms(ADMIN) if "I cannot post in" in message_text(c.params)]
    assert len(alerts) == 1 and "/invite @outreach" in message_text(alerts[0].params)
    with bot.store.read() as db:
        assert db.execute("SELECT channel, error, ended_at FROM reach").fetchall() == [
            (COORD_CHANNEL, "not_in_channel", None)]
        # the posts are not dropped: each shift is in the planner's DM to share
        assert [r[0] for r in db.execute("SELECT channel FROM shifts ORDER BY id")] == ["DADMIN", "DADMIN"]
    bot.fake.add_channel(COORD_CHANNEL, is_member=False)
    assert f"I'm not in <#{COORD_CHANNEL}>" in message_text(home_for(bot, ADMIN))


def test_no_coordinator_channel_set_is_said_as_such(fake, tmp_path, clock):
    from conftest import Bot

    bot = Bot(fake, tmp_path, clock, env={"OUTREACH_COORDINATOR_CHANNEL": ""})
    try:
        bot.submit(ADMIN, "shift_form", shift_fields(clock), metadata={"channel": None})
        told = fake.wait_for("chat.postMessage", where=lambda c: "is planned" in str(c.params.get("text")))
        assert "There is no coordinator channel to post it in" in told[-1].params["text"]
        assert "none is set (OUTREACH_COORDINATOR_CHANNEL)" in message_text(home_for(bot, ADMIN))
    finally:
        bot.close()


def test_a_locked_shift_points_to_the_next_training_shift_with_sign_up(bot):
    day = bot.clock().date()
    direct = bot.create_shift(start_date=(day + timedelta(days=3)).isoformat(),
                              end_date=(day + timedelta(days=3)).isoformat())
    refusal = bot.command("UVOL", f"signup {direct}").reply()
    assert "No training shift that gives it is planned yet" in message_text(refusal) and not refusal.get("blocks")
    cancelled = bot.create_shift(kind="training", venue="community-venue", min_team="1", languages=[],
                                 start_date=(day + timedelta(days=1)).isoformat(),
                                 end_date=(day + timedelta(days=1)).isoformat(), start_time="08:00", end_time="09:00")
    assert "cancelled" in bot.command(ADMIN, f"cancel {cancelled}").text().lower()
    full = bot.create_shift(kind="training", venue="community-venue", min_team="1", capacity="1", languages=[],
                            start_date=(day + timedelta(days=1)).isoformat(), end_date=(day + timedelta(days=1)).isoformat(),
                            start_time="10:00", end_time="12:00")
    course = bot.create_shift(kind="training", venue="community-venue", min_team="1", languages=[],
                              start_date=(day + timedelta(days=2)).isoformat(),
                              end_date=(day + timedelta(days=2)).isoformat(), start_time="10:00", end_time="12:00")
    assert "You're signed up" in bot.command("UFIRST", f"signup {full}").text()  # no training needed to take one

    refusal = bot.command("UVOL", f"signup {direct}").reply()
    words = message_text(refusal)
    assert "requires *Direct outreach training*" in words
    assert f"The next training shift that gives it: *#{course}*" in words  # #cancelled is off, #full has no place
    assert "Tap *Sign up for #" in words
    button = refusal["blocks"][1]["elements"][0]
    assert (button["action_id"], button["value"], button["text"]["text"]) == ("shift_signup", str(course),
                                                                             f"Sign up for #{course}")
    bot.click("UVOL", "shift_signup", str(course))
    eventually(lambda: bot.db.execute("SELECT count(*) FROM signups WHERE shift_id = ? AND user_id = 'UVOL' "
                                      "AND status = 'confirmed'", [course]).fetchone()[0] == 1)

    bot.click("UNEW", "home_find", "", container=HOME)
    found = bot.fake.wait_for("views.open", where=lambda c: c.params["view"]["callback_id"] == "home_find")[-1]
    blocks = found.params["view"]["blocks"]
    locked = next(b for b in blocks if b.get("block_id") == f"listed:{direct}")["text"]["text"]
    assert f"The next training shift that gives it: *#{course}*" in locked and f"Sign up for #{course}" in locked
    actions = next(b for b in blocks if b.get("block_id") == f"shift:{direct}")["elements"]
    assert [(e["action_id"], e["value"]) for e in actions][0] == ("shift_signup", str(course))
    training_lines = next(b for b in blocks if b.get("block_id") == f"listed:{course}")["text"]["text"]
    assert "gives Direct outreach training" in training_lines and "requires" not in training_lines

    bot.click("UNEW", "shift_details", str(direct), container=HOME)
    details = bot.fake.wait_for("views.open", where=lambda c: c.params["view"]["callback_id"] == "shift_details")[-1]
    assert f"*#{course}*" in message_text(details.params["view"])
    assert any(b.get("block_id") == "details_course_actions" for b in details.params["view"]["blocks"])
    bot.click("UVOL", "shift_details", str(direct), container=HOME)  # already on the training shift: told so
    mine = bot.fake.wait_for("views.open", count=2, where=lambda c: c.params["view"]["callback_id"] == "shift_details")
    words = message_text(mine[-1].params["view"])
    assert f"You're signed up for training shift *#{course}*" in words
    assert not any(b.get("block_id") == "details_course_actions" for b in mine[-1].params["view"]["blocks"])

    bot.click("UNEW", "shift_details", str(course), container=HOME)
    details = bot.fake.wait_for("views.open", count=3,
                                where=lambda c: c.params["view"]["callback_id"] == "shift_details")[-1]
    words = message_text(details.params["view"])
    assert "*Gives:* Direct outreach training" in words and "Required training" not in words
    post = next(c for c in bot.fake.calls_to("chat.postMessage") if f"Shift #{course}:" in message_text(c.params)
                or f"New shift #{course}:" in message_text(c.params))
    assert "requires" not in message_text(post.params) and "gives Direct outreach training" in message_text(post.params)
