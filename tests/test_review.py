"""Review of issues 12-15: retention of a series' words, SOS first on a coordinator's home, forged payloads
refused with a reason, user text escaped in what is sent, and Block Kit limits on views that grow."""

from __future__ import annotations

import json

import pytest
from conftest import ADMIN, Clock, eventually, message_text
from phone import Phone
from test_series import START, plan


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


# ---------------------------------------------------------------- retention


def test_an_ended_series_loses_its_template_notes_after_the_retention_period(bot):
    numbers = plan(bot, end="2", notes="Meet at the side door of the library.")
    assert len(numbers) == 2
    row = bot.db.execute("SELECT status, notes FROM series").fetchone()
    assert row == ("ended", "Meet at the side door of the library.")
    bot.clock.advance(days=30)
    bot.kit.tick()
    assert bot.db.execute("SELECT notes FROM series").fetchone()[0].startswith("Meet")  # still within the period
    bot.clock.advance(days=100)
    bot.kit.tick()
    assert bot.db.execute("SELECT notes FROM series").fetchone()[0] == ""
    assert {r[0] for r in bot.db.execute("SELECT notes FROM shifts")} == {""}


def test_an_active_series_keeps_its_notes_for_the_shifts_it_still_makes(bot):
    plan(bot, end="", notes="Meet at the side door of the library.")
    bot.clock.advance(days=200)
    bot.kit.tick()
    assert bot.db.execute("SELECT status, notes FROM series").fetchone() == (
        "active", "Meet at the side door of the library.")
    newest = bot.db.execute("SELECT notes FROM shifts ORDER BY starts_at DESC LIMIT 1").fetchone()[0]
    assert newest.startswith("Meet at the side door")


def test_a_cancel_this_and_later_reason_is_not_kept_in_the_outbox(bot):
    numbers = plan(bot, end="4")
    bot.train("UA")
    bot.command("UA", f"series {numbers[0]}").reply()
    sent = bot.submit(ADMIN, "series_cancel_form", {"reason": "The church hall closes for repairs"},
                      metadata={"shift_id": numbers[1]})
    assert sent.status == 200
    eventually(lambda: any("closes for repairs" in message_text(c.params) for c in bot.dms("UA")))
    contexts = [json.loads(r[0]) for r in bot.db.execute(
        "SELECT context FROM notifications WHERE template = 'series/cancelled'")]
    assert contexts and not any("reason" in c for c in contexts)
    # a row written before this change, with the reason in its context, loses it after the period
    bot.db.execute("UPDATE notifications SET context = json_set(context, '$.reason', 'The church hall closes') "
                   "WHERE template = 'series/cancelled'")
    bot.db.conn.commit()
    bot.clock.advance(days=120)
    bot.kit.tick()
    contexts = [json.loads(r[0]) for r in bot.db.execute(
        "SELECT context FROM notifications WHERE template = 'series/cancelled'")]
    assert contexts and not any(c.get("reason") for c in contexts)
    assert {r[0] for r in bot.db.execute("SELECT cancel_reason FROM shifts WHERE status = 'cancelled'")} == {""}


# ---------------------------------------------------------------- an open SOS first on a coordinator's home


def test_an_open_sos_comes_first_of_all_on_a_coordinators_home_and_is_taken_on_there(fake, tmp_path):
    from datetime import UTC, datetime

    from conftest import Bot

    bot = Bot(fake, tmp_path, Clock())
    try:
        number = bot.create_shift()
        bot.make_coordinator("UCO")
        bot.train("UA")
        volunteer, coordinator = Phone(bot, "UA"), Phone(bot, "UCO")
        assert "signed up" in volunteer.command(f"signup {number}").reply().words
        bot.clock.now = datetime(2026, 11, 24, 3, 12, tzinfo=UTC)  # 21:12 in Chicago, the shift under way
        bot.kit.tick()
        assert "Sending your alert" in volunteer.command("sos").reply().words
        bot.clock.now = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
        bot.kit.tick()  # an escalation is open too: the SOS still comes first

        home = coordinator.home()
        first = home.blocks[1]  # under the header
        assert first["block_id"].startswith("sos_open:") and f"SOS from shift #{number}" in home.words
        assert home.buttons[:2] == ["I'm on it", "Details"]
        assert f"Shift #{number}" in home.tap("Details", near="SOS from shift").modal().words
        after = home.tap("I'm on it", near="SOS from shift").home()
        assert "nobody is on it yet" not in after.words and "I'm on it" not in after.buttons
        assert bot.db.execute("SELECT acked_by FROM sos").fetchone()[0] == "UCO"
        assert "SOS from shift" not in Phone(bot, ADMIN).home().words  # every coordinator's home is clear now
        assert "nobody is on it yet" not in volunteer.home().words  # a volunteer never sees the list
    finally:
        bot.close()


# ---------------------------------------------------------------- forged payloads


def snapshot(bot) -> dict:
    """Everything a refused action could have changed: the rows people's actions write."""
    tables = ("shifts", "series", "series_members", "signups", "sos", "cover_requests", "cover_offers",
              "shift_watches", "member_checkins", "safety", "safety_steps", "team_messages", "trainings",
              "readiness_items", "audit", "partners", "notifications")
    return {t: bot.db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


@pytest.fixture
def night(bot):
    """A series, a shift under way with an open SOS and UA on its team, an offer of UA's place on a later
    shift to UC; UB is a plain volunteer on none of them."""
    from datetime import UTC, datetime

    numbers = plan(bot, end="3")
    for user in ("UA", "UB", "UC"):
        bot.train(user)
    later = bot.create_shift(start_date="2027-02-18", end_date="2027-02-18")
    tonight = bot.create_shift()  # 2027-02-16, 19:00-23:00 in Chicago
    assert "signed up" in bot.command("UA", f"signup {tonight}").text()
    assert "signed up" in bot.command("UA", f"signup {later}").text()
    assert "asked" in bot.command("UA", f"cover {later}").text()
    offer = bot.db.execute("SELECT id FROM cover_offers WHERE user_id = 'UC'").fetchone()[0]
    bot.clock.now = datetime(2027, 2, 17, 2, 0, tzinfo=UTC)
    bot.kit.tick()
    assert "Sending your alert" in bot.command("UA", "sos").text()
    bot.kit.tick()
    sos_id = bot.db.execute("SELECT id FROM sos").fetchone()[0]
    return {"series": numbers[0], "shift": tonight, "offer": offer, "sos": sos_id}


ACTIONS = [  # action_id, value (from the night's ids), words of the refusal
    ("sos_ack", "{sos}", "is for coordinators"),
    ("series_edit_later", "{series}", "is for coordinators"),
    ("series_cancel_later", "{series}", "is for coordinators"),
    ("series_repeat", "repeat", "is for coordinators"),
    ("shift_cancel", "{shift}", "is for coordinators"),
    ("shift_duplicate", "{shift}", "is for coordinators"),
    ("shift_edit", "{shift}", "is for coordinators"),
    ("home_week", "", "is for coordinators"),
    ("shift_new", "", "is for coordinators"),
    ("safety_team_in", "{shift}", "Only the lead or a coordinator"),
    ("safety_team_out", "{shift}", "Only the lead or a coordinator"),
    ("team_message_open", "{shift}", "Only the lead of shift"),
    ("training_attendance", "{shift}", "not a training"),
    ("ready_go", "{shift}", "Only the shift's lead and coordinators"),
    ("ready_open", "{shift}", "Only the shift's lead and coordinators"),
    ("ready_section", "{shift}:team-safety", "Only the shift's lead and coordinators"),
    ("sos_press", "{shift}", "Only the lead or a confirmed member"),
    ("cover_take", "{offer}", "isn't yours"),
    ("cover_decline", "{offer}", "isn't yours"),
    ("partner_remove_yes", "1", "is for coordinators"),
]


def answer_after(bot, user: str, mark: int, words: str) -> str:
    """The refusal a person got after `mark`: a reply, a DM or a modal holding `words`."""
    found: list[str] = []

    def said() -> bool:
        with bot.fake._cond:
            calls = list(bot.fake.calls[mark:])
        for call in calls:
            if call.method == "response_url" or (call.method == "chat.postMessage"
                                                 and call.params.get("channel") in (user, f"D{user}")):
                found.append(message_text(call.params))
            elif call.method in ("views.open", "views.push", "views.update"):
                found.append(message_text(call.params.get("view") or {}))
        return any(words in f for f in found)

    eventually(said, timeout=10)
    return next(f for f in found if words in f)


@pytest.mark.parametrize(("action_id", "value", "words"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_a_forged_tap_by_a_plain_volunteer_changes_nothing_and_says_why(bot, night, action_id, value, words):
    before = snapshot(bot)
    mark = len(bot.fake.calls)
    view = {"id": "VFORGED", "type": "modal", "callback_id": "shift_form", "private_metadata": "{}",
            "state": {"values": {}}} if action_id == "series_repeat" else None
    sent = bot.click("UB", action_id, value.format(**night), view=view)
    assert sent.status == 200
    assert words in answer_after(bot, "UB", mark, words)
    assert snapshot(bot) == before


FORMS = [  # callback_id, fields, metadata (from the night's ids), the input whose error says why, its words
    ("series_cancel_form", {"reason": ""}, {"shift_id": "{series}"}, "reason", "Only coordinators"),
    ("series_repeat", {"repeats": "weekly", "repeat_end": ""}, {}, "repeats", "Only coordinators"),
    ("shift_cancel_form", {"reason": ""}, {"shift_id": "{shift}"}, "reason", "Only coordinators"),
    ("team_message_form", {"message": "We meet at 8"}, {"shift_id": "{shift}"}, "message", "Only the lead of shift"),
    ("training_attendance_form", {"attended": ["UB"]}, {"shift_id": "{shift}"}, "attended", "not a training"),
    ("safety_team_in", {"out": ["UA"]}, {"shift_id": "{shift}"}, "out", "Only the lead or a coordinator"),
    ("safety_team_out", {"back": ["UA"]}, {"shift_id": "{shift}"}, "back", "Only the lead or a coordinator"),
    ("ready_evidence", {"evidence": "Library steps"}, {"shift_id": "{shift}", "item": "meeting-point"}, "evidence",
     "Only the shift's lead and coordinators"),
]


@pytest.mark.parametrize(("callback_id", "fields", "meta", "field", "words"), FORMS, ids=[f[0] for f in FORMS])
def test_a_forged_form_by_a_plain_volunteer_changes_nothing_and_says_why(bot, night, callback_id, fields, meta,
                                                                          field, words):
    from conftest import DEBRIEF_TYPES, submit_typed

    for name in ("out", "back"):
        DEBRIEF_TYPES.setdefault(name, "multi_users_select")
    before = snapshot(bot)
    metadata = {k: (int(v.format(**night)) if "{" in str(v) else v) for k, v in meta.items()}
    sent = submit_typed(bot, "UB", callback_id, fields, metadata=metadata)
    assert sent.status == 200
    errors = sent.json().get("errors") or {}
    assert words in errors.get(field, ""), sent.body
    assert snapshot(bot) == before


# ---------------------------------------------------------------- user text escaped in what is sent

SENT = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.push", "views.update",
        "views.publish", "response_url")


def everything_sent(bot) -> list[str]:
    """The words of every message and view the bot sent."""
    out = []
    for call in list(bot.fake.calls):
        if call.method in SENT:
            out.append(message_text(call.params) + "\n" + message_text(call.params.get("view") or {}))
    return out


def test_mentions_and_ampersands_typed_by_people_reach_slack_escaped(bot):
    numbers = plan(bot, end="3", area="Eastside <!here> & Main", notes="Meet <!channel> & bring cards")
    bot.train("UA")
    bot.command("UA", f"series {numbers[0]}").reply()
    sent = bot.command(ADMIN, f"message {numbers[0]} Change <!channel> & meet at the side door")
    assert "told" in sent.text() or "sent" in sent.text().lower(), sent.text()
    cancel = bot.submit(ADMIN, "series_cancel_form", {"reason": "Hall closed <!channel> & locked"},
                        metadata={"shift_id": numbers[1]})
    assert cancel.status == 200 and b"errors" not in cancel.body, cancel.body
    eventually(lambda: any("Hall closed" in message_text(c.params) for c in bot.dms("UA")))
    eventually(lambda: any("meet at the side door" in message_text(c.params) for c in bot.dms("UA")))
    Phone(bot, "UA").home()
    Phone(bot, "UA").command("shifts").reply()

    words = everything_sent(bot)
    assert not [w for w in words if "<!channel>" in w or "<!here>" in w], "a mention typed by someone was sent raw"
    joined = "\n".join(words)
    for escaped in ("Eastside &lt;!here&gt; &amp; Main", "Change &lt;!channel&gt; &amp; meet",
                    "Hall closed &lt;!channel&gt; &amp; locked"):
        assert escaped in joined, escaped
    dm = "\n".join(message_text(c.params) for c in bot.dms("UA"))
    assert "Change &lt;!channel&gt; &amp; meet" in dm and "Hall closed &lt;!channel&gt; &amp; locked" in dm


# ---------------------------------------------------------------- Block Kit limits on views that grow


def within_limits(blocks: list[dict], *, most: int) -> None:
    """At most `most` blocks, and every button and option text within Slack's 75 characters."""
    assert len(blocks) <= most, len(blocks)

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "button" or "value" in node and isinstance(node.get("text"), dict):
                assert len(node["text"]["text"]) <= 75, node["text"]["text"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)


def test_the_busiest_week_stays_within_slacks_limits_on_every_list(bot):
    from datetime import timedelta

    from outreach import shifts as sh

    bot.make_coordinator("UCO")
    bot.train("UCO")
    template = dict(bot.db["shifts"].get(bot.create_shift(area="A" * 60, notes="N" * 400)))
    for key in ("id", "status", "created_by", "created_at", "updated_at", "message_ts", "channel", "series_id",
                "occurrence", "cancel_reason"):
        template.pop(key, None)
    from outreach.store import from_iso, iso

    start, end = from_iso(template["starts_at"]), from_iso(template["ends_at"])
    numbers = []
    for n in range(60):  # sixty shifts over the next week: twenty led by UCO, the rest with UCO on or waiting
        later = timedelta(hours=2 * n)
        values = dict(template, starts_at=iso(start + later), ends_at=iso(end + later), capacity=1,
                      lead="UCO" if n < 20 else "ULEAD", area=f"Area {n} " + "x" * 50)
        numbers.append(sh.create_shift(bot.store, actor=ADMIN, values=values).id)
    for number in numbers[20:]:
        sh.signup(bot.store, shift_id=number, user="UB" if int(number) % 2 else "UA")
        sh.signup(bot.store, shift_id=number, user="UCO")

    coordinator = Phone(bot, "UCO")
    home = coordinator.home()
    within_limits(home.blocks, most=100)
    for button in ("My shifts", "Find a shift", "This week"):
        modal = home.tap(button).modal()
        within_limits(modal.blocks, most=100)
    find = home.tap("Find a shift").modal()
    while "Later ▶" in find.buttons:
        find = find.tap("Later ▶").modal()
        within_limits(find.blocks, most=100)
    listing = coordinator.command("shifts").reply()
    within_limits(listing.blocks, most=50)
    within_limits(coordinator.command("mine").reply().blocks, most=50)


def test_a_checklist_with_many_partners_and_a_debrief_with_every_category_stay_within_limits(bot):
    from outreach import partners as pt
    from outreach import readiness as rd

    protocol = rd.load_protocol(bot.settings.data_dir)
    every = "; ".join(c.id for c in protocol.categories)
    rows = "".join(f"Partner {n:03d} with a rather long name for a select option,{every},es,24/7,"
                   f"+1 555 010 {n:04d},Intake,,\n" for n in range(130))
    report = pt.import_csv(bot.store, "name,categories,languages,hours,phone,contact,notes,verified_on\n" + rows,
                           actor="t", catalog=bot.services.catalog, categories=protocol.categories,
                           today=bot.clock().date())
    assert not report.errors and report.added == 130
    number = bot.create_shift()
    lead = Phone(bot, "ULEAD")
    checklist = lead.home().tap("Open checklist", near=f"#{number}").modal()
    within_limits(checklist.blocks, most=100)
    for block in checklist.blocks:
        accessory = block.get("accessory") or {}
        assert len(accessory.get("options") or []) <= 100

    from handlers.debriefs import details_form
    from outreach import shifts as sh

    shift = sh.load_shift(bot.store, number)
    view = details_form(bot.kit, shift, None, actor="ULEAD", root="VROOT", picked=[], draft=None)  # every category
    within_limits(view["blocks"], most=100)
    assert len([b for b in view["blocks"] if b["type"] == "input"]) <= 100


# ---------------------------------------------------------------- checks made again inside the write


def test_a_team_message_is_refused_in_its_own_transaction_once_the_sender_no_longer_leads(bot):
    from outreach import team_messages as tm
    from outreach.roles import Role

    number = bot.create_shift()
    assert tm.send(bot.store, shift_id=number, sender="UEX", role=Role.VOLUNTEER, text="We meet at 8",
                   waitlist=False, request_key=None) is None  # the form was opened while UEX led it
    assert bot.db["team_messages"].count == 0
    sent = tm.send(bot.store, shift_id=number, sender="ULEAD", role=Role.VOLUNTEER, text="We meet at 8",
                   waitlist=False, request_key=None)
    assert sent is not None and bot.db["team_messages"].count == 1
