"""Hostile review of the click context and the role middleware (issue 22 step 2): every listener declared for a
role tapped by someone without it, forged click bodies, a role that changes while a click waits, Slack failing
on the refusal itself, and refusals in the language of who tapped. Each test was written to fail first."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.parse

import pytest
import test_review
from conftest import ADMIN, Clock, eventually, message_text
from test_series import START

from handlers import ids
from handlers.click import Only
from outreach import i18n, languages
from outreach import jobs as jobs_table
from outreach.roles import Role, set_role

night, snapshot = test_review.night, test_review.snapshot  # the fixture, and every row an action could change


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


# Action ids that only ever appear on coordinators' (or admins') views: each must be registered with its rule,
# so a new button for coordinators cannot be wired without saying who may use it.
FOR_COORDINATORS = {
    ids.SHIFT_EDIT, ids.SHIFT_DUPLICATE, ids.SHIFT_CANCEL, ids.HOME_WEEK, ids.SHIFT_NEW, ids.COORD_TRAIN_OPEN,
    ids.COORD_REPORT_OPEN, ids.COORD_EXPORT_OPEN, ids.COORD_EVERY_OPEN, ids.HOURS_ROSTER_OPEN,
    ids.HOURS_ROSTER_EXPORT, ids.HOURS_CORRECT_OPEN, ids.DRILL_OPEN, ids.ROTA_EDIT, ids.ROTA_TAKE,
    ids.INCIDENT_RESOLVE, ids.SOS_ACK, ids.PARTNER_ADD, ids.PARTNER_EDIT, ids.PARTNER_REMOVE, ids.PARTNER_REMOVE_YES,
    ids.SERIES_REPEAT, ids.SERIES_EDIT_LATER, ids.SERIES_CANCEL_LATER,
}
FOR_ADMINS = {
    ids.COORD_ROLE_OPEN, ids.SETUP_SHOW, ids.SETUP_CHANNEL, ids.SETUP_CHANNEL_CHECK, ids.SETUP_TRAININGS,
    ids.SETUP_HOTLINES, ids.SETUP_PARTNERS, ids.SETUP_FIRST_SHIFT, ids.SETUP_PARTNER_ADD,
}
# Forms whose submission only coordinators (or admins) may make.
FORMS_FOR_COORDINATORS = {ids.SHIFT_FORM, ids.SHIFT_CANCEL_FORM, ids.SERIES_REPEAT, ids.SERIES_CANCEL_FORM,
                          ids.DRILL_FORM, ids.ROTA_EDIT, ids.ROTA_TAKE, ids.PARTNER_FORM, "coord_train",
                          "coord_report", "coord_every", "hours_correct"}
FORMS_FOR_ADMINS = {ids.SETUP_TRAININGS, ids.SETUP_HOTLINES, ids.SETUP_PARTNERS, "coord_role", "coord_role_confirm"}


# Everything else anyone may tap or send (each listener checks what it must: the lead, the team, the person's own);
# a new id is in one list or the other, so nobody adds a coordinators' button without deciding its rule.
FOR_EVERYONE = {
    "action": {
        ids.CALENDAR_FEED, ids.CALENDAR_RESET, ids.COORD_PROFILE_OPEN, ids.COVER_DECLINE, ids.COVER_FIND,
        ids.COVER_STOP, ids.COVER_TAKE, ids.DEBRIEF_MORE, ids.DEBRIEF_OPEN, ids.DEBRIEF_VIEW, ids.DRILL_TAKE,
        ids.DURESS_OPEN, ids.DURESS_REMOVE, ids.FOLLOWUP_DONE, ids.HELP_TOPIC, ids.HOME_FIND, ids.HOME_FIND_PAGE,
        ids.HOME_MINE, ids.HOTLINE_DM, ids.HOTLINE_LANGUAGE, ids.HOTLINE_OPEN, ids.HOURS_OPEN, ids.NIGHT_NOT_HELD,
        ids.NIGHT_OUT, ids.PARTNER_FIND, ids.PARTNER_FIND_DM, ids.PARTNER_FIND_LANGUAGE, ids.PARTNER_FIND_PICK,
        ids.PARTNER_KEEP, ids.PHONE_OPEN, ids.PHONE_REMOVE, ids.READY_EVIDENCE, ids.READY_GO, ids.READY_HOTLINE,
        ids.READY_ONCALL, ids.READY_OPEN, ids.READY_PULL, ids.READY_REFRESH, ids.READY_SECTION, ids.READY_TICK,
        ids.REMINDER_CHECKLIST, ids.SAFETY_ACK, ids.SAFETY_CHECKIN, ids.SAFETY_CHECKOUT, ids.SAFETY_OK,
        ids.SAFETY_TEAM_IN, ids.SAFETY_TEAM_OUT, ids.SAFETY_TIMELINE, ids.SERIES_SIGNUP, ids.SERIES_WITHDRAW,
        ids.SHIFT_DETAILS, ids.SHIFT_GIVEBACK, ids.SHIFT_SIGNUP, ids.SHIFT_WITHDRAW, ids.SHIFTS_PAGE, ids.SOS_PRESS,
        ids.TEAM_MESSAGE_OPEN, ids.TRAINING_ATTENDANCE, ids.TRAINING_CLAIM_CONFIRM, ids.TRAINING_CLAIM_DECLINE,
        ids.WATCH_START, ids.WATCH_STOP, ids.WELLBEING_OPEN,
    },
    "view": {
        "coord_profile", ids.DEBRIEF_FORM, ids.DEBRIEF_MORE, ids.DURESS_WORD, "hours_mine", ids.PHONE_CODE,
        ids.PHONE_NUMBER, ids.READY_EVIDENCE, ids.SAFETY_CHECKOUT_FORM, ids.SAFETY_TEAM_IN, ids.SAFETY_TEAM_OUT,
        "team_message_form", "training_attendance_form", ids.WELLBEING_FORM,
    },
}
LINKS = {ids.CALENDAR_GOOGLE, ids.CALENDAR_OPEN, ids.HOTLINE_CARD}  # URL buttons and a block id: nothing to run


def rules(bot, kind: str) -> dict[str, Only]:
    """The listeners of a kind (action, view) registered with a role rule above a volunteer's."""
    return {name: rule for (k, name), rule in bot.kit.wired.items()
            if k == kind and rule is not None and rule.role > Role.VOLUNTEER}


def test_every_button_and_form_for_coordinators_is_registered_with_its_rule(bot):
    actions, forms = rules(bot, "action"), rules(bot, "view")
    assert {n for (k, n) in bot.kit.wired if k == "action"} >= FOR_COORDINATORS | FOR_ADMINS
    missing = sorted(FOR_COORDINATORS - set(actions)) + sorted(FOR_ADMINS - set(actions))
    assert not missing, f"registered without `only`: {missing}"
    assert {n for n in FOR_ADMINS if actions[n].role != Role.ADMIN} == set()
    assert sorted((FORMS_FOR_COORDINATORS | FORMS_FOR_ADMINS) - set(forms)) == []
    assert {n for n in FORMS_FOR_ADMINS if forms[n].role != Role.ADMIN} == set()
    for name, rule in {**actions, **forms}.items():  # each says what it is, as people know it
        assert rule.what, name
    for kind in ("action", "view"):  # every other listener is one anyone may use, on purpose
        assert {n for (k, n) in bot.kit.wired if k == kind} - set(rules(bot, kind)) == FOR_EVERYONE[kind], kind
    named_once = {v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)}
    assert named_once - {n for (_k, n) in bot.kit.wired} == LINKS


# ---------------------------------------------------------------- refused where they tapped, nothing changed

WHERE = {
    "message": {"type": "message", "channel_id": "CGENERAL", "message_ts": "1.1"},
    "home": {"type": "view", "view_id": "VHOME"},
    "modal": {"type": "view", "view_id": "VMODAL"},
}
VIEWS = {"home": {"id": "VHOME", "type": "home", "callback_id": "", "private_metadata": "", "state": {"values": {}}},
         "modal": {"id": "VMODAL", "type": "modal", "callback_id": ids.SHIFT_DETAILS, "private_metadata": "{}",
                   "state": {"values": {}}, "hash": "h"}}


def tap(bot, member: str, action_id: str, value: str, where: str, **extra: object) -> tuple[int, str]:
    """A tap as Slack sends it from a message (with a response_url), the App Home or a modal (without one)."""
    name = f"act{next(bot._names)}"
    payload: dict = {
        "type": "block_actions", "team": {"id": "T1"}, "user": {"id": member, "team_id": "T1"}, "api_app_id": "A1",
        "token": "legacy", "trigger_id": f"trig-{name}", "container": WHERE[where],
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                     "action_ts": f"{time.time():.6f}"}],
    }
    if where == "message":
        payload["channel"] = {"id": "CGENERAL"}
        payload["response_url"] = bot.fake.response_url(name)
    else:
        payload["view"] = VIEWS[where]
    payload.update(extra)
    payload = {k: v for k, v in payload.items() if v is not None}
    status, _body = bot.interactive(payload)
    return status, f"/response_url/{name}"


def value_for(action_id: str, night: dict) -> str:
    """A value naming something real, so that a listener run without its check would change it."""
    if action_id == ids.SOS_ACK:
        return str(night["sos"])
    if action_id.startswith("series_"):
        return str(night["series"])
    if action_id.startswith("partner_"):
        return "1"
    return str(night["shift"])


def said_since(bot, mark: int) -> list:
    with bot.fake._cond:
        return list(bot.fake.calls[mark:])


def jobs_left(bot) -> int:
    return bot.db.execute("SELECT count(*) FROM jobs").fetchone()[0]


@pytest.mark.parametrize("where", ["message", "home", "modal"])
def test_every_button_for_a_role_tapped_by_a_volunteer_is_refused_where_they_tapped(bot, night, where):
    bot.settle()
    before = snapshot(bot)
    for action_id, rule in sorted(rules(bot, "action").items()):
        with i18n.speaking("en"):
            refusal = rule.text(bot.kit)
        bot.settle()
        mark = len(bot.fake.calls)
        status, path = tap(bot, "UB", action_id, value_for(action_id, night), where)
        assert status == 200, action_id
        bot.settle()
        calls = [c for c in said_since(bot, mark) if c.method not in ("users.info",)]
        if where == "message":
            assert [(c.method, c.path) for c in calls] == [("response_url", path)], (action_id, calls)
            assert calls[0].params.get("response_type") == "ephemeral" and not calls[0].params.get("replace_original")
        else:
            assert [(c.method, c.params.get("channel")) for c in calls] == [("chat.postMessage", "UB")], (action_id, calls)
        assert message_text(calls[0].params).strip() == refusal.strip(), action_id
        assert jobs_left(bot) == 0
    assert snapshot(bot) == before


def test_every_form_for_a_role_sent_by_a_volunteer_is_refused_in_the_form(bot, night):
    from conftest import submit_typed

    bot.settle()
    before = snapshot(bot)
    for callback_id, rule in sorted(rules(bot, "view").items()):
        with i18n.speaking("en"):
            refusal = rule.text(bot.kit)
        mark = len(bot.fake.calls)
        for fields, place in (({"note": "x", rule.field: "y"}, rule.field), ({"note": "x"}, "note")):
            if place is None:
                continue
            sent = submit_typed(bot, "UB", callback_id, fields, metadata={"shift_id": night["shift"]})
            assert sent.status == 200, callback_id
            assert sent.json() == {"response_action": "errors", "errors": {place: refusal}}, (callback_id, sent.body)
        bare = submit_typed(bot, "UB", callback_id, {}, metadata={"shift_id": night["shift"]})
        answer = bare.json()
        assert answer["response_action"] == "update" and refusal.strip() in message_text(answer["view"]), callback_id
        bot.settle()
        assert [c for c in said_since(bot, mark) if c.method not in ("users.info",)] == [], callback_id
    assert snapshot(bot) == before
    assert jobs_left(bot) == 0


def test_a_coordinator_tapping_an_admins_button_is_refused_too(bot, night):
    bot.make_coordinator("UCO")
    bot.settle()
    before = snapshot(bot)
    for action_id, rule in sorted(rules(bot, "action").items()):
        if rule.role != Role.ADMIN:
            continue
        bot.settle()
        mark = len(bot.fake.calls)
        assert tap(bot, "UCO", action_id, "", "home")[0] == 200
        bot.settle()
        calls = [c for c in said_since(bot, mark) if c.method not in ("users.info",)]
        assert [(c.method, c.params.get("channel")) for c in calls] == [("chat.postMessage", "UCO")], action_id
        assert "is for admins" in message_text(calls[0].params)
    assert snapshot(bot) == before


def submit_view(bot, user: str, view: dict) -> dict:
    """A view_submission of a view given whole (blocks and state as Slack sends them); its JSON answer."""
    payload = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": user, "team_id": "T1"},
               "api_app_id": "A1", "token": "legacy", "trigger_id": "trig-v", "view": view}
    status, body = bot.interactive(payload)
    assert status == 200, body
    return json.loads(body or b"{}")


def test_a_refused_form_shows_its_error_under_an_input_block_of_the_view_it_came_from(bot):
    """The refusal went under the rule's field, or the first value of the state, whether or not the view had such
    an input: Slack refuses errors under a block id that is not an input of the view, and the volunteer saw
    "We had some trouble connecting" instead of why not."""
    with i18n.speaking("en"):
        refusal = rules(bot, "view")["coord_every"].text(bot.kit)
    view = {"id": "VF", "type": "modal", "callback_id": "coord_every", "private_metadata": "{}", "hash": "h",
            "blocks": [{"type": "actions", "block_id": "pick", "elements": []},
                       {"type": "input", "block_id": "note", "element": {"type": "plain_text_input"}}],
            "state": {"values": {"pick": {"p": {"type": "static_select", "selected_option": None}},
                                 "note": {"value": {"type": "plain_text_input", "value": "x"}}}}}
    assert submit_view(bot, "UB", view) == {"response_action": "errors", "errors": {"note": refusal}}
    view["blocks"] = view["blocks"][:1]  # no input at all: the refusal takes the modal's place
    answer = submit_view(bot, "UB", view)
    assert answer["response_action"] == "update" and refusal in message_text(answer["view"])
    bot.settle()
    assert jobs_left(bot) == 0


# ---------------------------------------------------------------- forged click bodies


def button(action_id: str, value: object = "1", **extra: object) -> dict:
    return {"type": "button", "action_id": action_id, "block_id": "b", "value": value, "action_ts": "1.1", **extra}


FORGED = {  # name: what replaces the body's keys (None: the key is removed)
    "no actions": {"actions": None},
    "actions a string": {"actions": "shift_edit"},
    "actions an object": {"actions": {"action_id": ids.SHIFT_EDIT, "value": "5"}},
    "actions empty": {"actions": []},
    "an action a number": {"actions": [5]},
    "an action without id or value": {"actions": [{"type": "button"}]},
    "an action id a number": {"actions": [button(5)]},
    "a value a number": {"actions": [button(ids.SHIFT_EDIT, 5)]},
    "a value a list": {"actions": [button(ids.SHIFT_SIGNUP, [5])]},
    "a value an object": {"actions": [button(ids.SHIFT_DETAILS, {"id": 5})]},
    "a huge value": {"actions": [button(ids.SHIFT_DETAILS, "5" * 200_000)]},
    "a negative page": {"actions": [button(ids.HOME_FIND_PAGE, "12:-3")]},
    "a huge number": {"actions": [button(ids.SHIFT_CANCEL, "999999999999999999999")]},
    "a selected option a string": {"actions": [button(ids.HOTLINE_LANGUAGE, None, selected_option="es")]},
    "a selected option's value a number": {"actions": [button(ids.PARTNER_FIND_LANGUAGE, None,
                                                              selected_option={"value": 5})]},
    "selected options not a list": {"actions": [button(ids.READY_TICK, None, selected_options="x")]},
    "a view a string": {"view": "modal"},
    "a view a list": {"view": [1]},
    "a modal without id": {"view": {"type": "modal", "callback_id": ids.SHIFT_DETAILS}},
    "a modal whose state is a string": {"view": {"id": "V1", "type": "modal", "state": "x", "private_metadata": 5}},
    "a modal whose values are a list": {"view": {"id": "V1", "type": "modal", "state": {"values": [1]}}},
    "a modal whose inputs are a string": {"view": {"id": "V1", "type": "modal", "state": {"values": {"a": "x"}}}},
    "a container of a view without a view": {"container": {"type": "view", "view_id": "V1"}, "view": None},
    "a message container without response_url": {"response_url": None},
    "a response_url a number": {"response_url": 5},
    "a channel a string": {"channel": "CGENERAL"},
    "a team a string": {"team": "T1"},
    "a container a string": {"container": "message"},
    "a follow-up done from a container string": {"container": "x", "actions": [button(ids.FOLLOWUP_DONE, "1")]},
    "a check-out from a container string": {"container": "x", "actions": [button(ids.SAFETY_CHECKOUT, "5")]},
    "a view a string from the App Home": {"view": "x", "response_url": None, "container": {"type": "view"}},
    "a home view a list": {"view": [], "response_url": None, "container": {"type": "view"}},
    "no trigger": {"trigger_id": None},
    "a trigger a number": {"trigger_id": 5},
    "a user a string": {"user": "UB"},
}


def forged(bot, user: str, changes: dict, action: dict) -> int:
    name = f"act{next(bot._names)}"
    payload: dict = {
        "type": "block_actions", "team": {"id": "T1"}, "user": {"id": user, "team_id": "T1"}, "api_app_id": "A1",
        "token": "legacy", "trigger_id": f"trig-{name}", "channel": {"id": "CGENERAL"},
        "container": {"type": "message", "channel_id": "CGENERAL", "message_ts": "1.1"},
        "response_url": bot.fake.response_url(name), "actions": [action],
    }
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return bot.interactive(payload)[0]


def rows_people_change(bot) -> dict:
    """With UCO a coordinator and nothing under way: the rows a forged request could change (not the log of
    what was sent, nor the audit)."""
    bot.settle()
    rows = snapshot(bot)
    rows.pop("notifications"), rows.pop("audit")
    return rows


@pytest.fixture
def forging(bot, night, caplog) -> dict:
    """UCO made a coordinator; warnings logged from here are read by the test."""
    bot.make_coordinator("UCO")
    caplog.set_level(logging.WARNING)
    caplog.clear()
    return night


@pytest.mark.parametrize("case", list(FORGED))
def test_a_forged_click_body_is_never_a_crash_nor_a_half_written_row(bot, forging, case, caplog):
    night, before = forging, rows_people_change(bot)
    for user, action in (("UB", button(ids.SHIFT_SIGNUP, str(night["shift"]))),
                         ("UCO", button(ids.SHIFT_CANCEL, str(night["shift"])))):
        assert forged(bot, user, FORGED[case], action) == 200
        bot.settle()
    crashes = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not crashes, [r.getMessage() for r in crashes]
    assert jobs_left(bot) == 0
    after = rows_people_change(bot)
    signed = after.pop("signups") != before.pop("signups")  # a signup is the one change a tap may make whole
    assert after == before, case
    if signed:
        assert bot.db.execute("SELECT count(*) FROM signups WHERE user_id = 'UB'").fetchone()[0] == 1


def test_a_signed_body_that_is_not_an_object_is_answered_not_a_crash(bot, caplog):
    caplog.set_level(logging.WARNING)
    """A signed JSON body that was a list, a payload that was not JSON, or `authorizations` a number made Bolt
    raise while it built the request: a 500 with a traceback, instead of an answer saying it cannot be read."""
    for body in ("[1]", "5", '"x"', "null", '{"authorizations": 5, "type": "block_actions"}'):
        status, _answer = bot.post(body, content_type="application/json")
        assert status in (200, 400), body
    for payload in ("[1]", "{not json", "5"):
        body = urllib.parse.urlencode({"payload": payload})
        assert bot.post(body, content_type="application/x-www-form-urlencoded")[0] in (200, 400), payload
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    bot.settle()


# ---------------------------------------------------------------- a role that changes while a click waits


@pytest.fixture
def held(monkeypatch):
    """Cleared, the worker takes no job until it is set again (a click acked, waiting in the jobs table)."""
    release = threading.Event()
    release.set()
    claim = jobs_table.claim
    monkeypatch.setattr(jobs_table, "claim", lambda *a, **k: claim(*a, **k) if release.is_set() else [])
    return release


def test_a_coordinator_demoted_while_their_tap_waits_is_refused_when_it_is_done(bot, night, held):
    bot.make_coordinator("UCO")
    bot.settle()
    held.clear()
    mark = len(bot.fake.calls)
    assert tap(bot, "UCO", ids.SOS_ACK, str(night["sos"]), "home")[0] == 200
    assert jobs_left(bot) == 1  # acked, waiting
    assert set_role(bot.store, actor=ADMIN, user_id="UCO", role="volunteer")
    held.set()
    bot.settle()
    assert bot.db.execute("SELECT acked_by FROM sos").fetchone()[0] is None
    dms = [message_text(c.params) for c in said_since(bot, mark) if c.method == "chat.postMessage"
           and c.params.get("channel") == "UCO"]
    assert any("is for coordinators" in d for d in dms), dms


def test_a_volunteer_made_coordinator_while_their_tap_waits_is_let_through(bot, night, held):
    bot.settle()
    held.clear()
    assert tap(bot, "UB", ids.SOS_ACK, str(night["sos"]), "home")[0] == 200
    assert set_role(bot.store, actor=ADMIN, user_id="UB", role="coordinator")
    held.set()
    bot.settle()
    assert bot.db.execute("SELECT acked_by FROM sos").fetchone()[0] == "UB"


# ---------------------------------------------------------------- Slack failing on the refusal itself


def to_ub(params: dict) -> bool:
    return params.get("channel") == "UB"


def problems(caplog) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize(("status", "retry_after"), [(429, 120), (500, None)], ids=["rate-limited", "server-error"])
def test_a_refusal_slack_will_not_take_for_minutes_ends_its_job_and_is_logged_once(bot, night, caplog, status,
                                                                                  retry_after):
    """A refusal by DM that Slack rate-limited with Retry-After: 120 held its job (and a worker thread) for six
    minutes: the client slept out every Retry-After, three times, in the job."""
    bot.settle()
    caplog.set_level(logging.INFO)
    caplog.clear()
    bot.fake.fail("chat.postMessage", status=status, retry_after=retry_after, times=100, where=to_ub)
    mark = len(bot.fake.calls)
    assert tap(bot, "UB", ids.HOME_WEEK, "", "home")[0] == 200
    bot.settle(timeout=15)
    tries = [c for c in said_since(bot, mark) if c.method == "chat.postMessage" and to_ub(c.params)]
    assert 1 <= len(tries) <= 4 and all(c.failed for c in tries)
    said = problems(caplog)
    assert len(said) == 1 and "home_week" in said[0], said
    assert jobs_left(bot) == 0


def failing(bot, caplog, method: str) -> None:
    """From now on Slack answers `method` with a 500; the log is read from here."""
    bot.settle()
    caplog.set_level(logging.INFO)
    caplog.clear()
    bot.fake.fail(method, status=500, times=100)


def test_a_refusal_whose_response_url_fails_is_logged_once(bot, night, caplog):
    """A refusal beside a message whose response_url answered 500 went nowhere and left no trace in the log."""
    failing(bot, caplog, "response_url")
    assert tap(bot, "UB", ids.SHIFT_EDIT, str(night["shift"]), "message")[0] == 200
    bot.settle()
    said = problems(caplog)
    assert len(said) == 1 and "shift_edit" in said[0] and "500" in said[0], said


def test_a_details_modal_that_cannot_be_updated_ends_the_job_and_is_logged_once(bot, night, caplog):
    bot.make_coordinator("UCO")
    failing(bot, caplog, "views.update")
    assert tap(bot, "UCO", ids.SHIFT_EDIT, str(night["shift"]), "modal")[0] == 200
    bot.settle()
    said = problems(caplog)
    assert len(said) == 1 and "shift_edit" in said[0], said
    assert jobs_left(bot) == 0


# ---------------------------------------------------------------- in the language of who tapped


def test_a_refusal_and_an_error_answer_are_in_the_language_of_who_tapped(bot, night):
    from conftest import submit_typed

    languages.choose_language(bot.store, "UB", "es", now=bot.clock())
    rule = rules(bot, "action")[ids.SHIFT_EDIT]
    with i18n.speaking("es"):
        refusal, form_refusal = rule.text(bot.kit), rules(bot, "view")[ids.SHIFT_CANCEL_FORM].text(bot.kit)
        error = bot.kit.render("common/error.j2")
    assert "coordinador" in refusal and "is for" not in refusal
    for where in ("message", "home"):
        mark = len(bot.fake.calls)
        tap(bot, "UB", ids.SHIFT_EDIT, str(night["shift"]), where)
        bot.settle()
        said = [message_text(c.params) for c in said_since(bot, mark) if c.method in ("response_url", "chat.postMessage")]
        assert [s.strip() for s in said] == [refusal.strip()], where
    sent = submit_typed(bot, "UB", ids.SHIFT_CANCEL_FORM, {"reason": "x"}, metadata={"shift_id": night["shift"]})
    assert sent.json()["errors"] == {"reason": form_refusal} and "coordinadores" in form_refusal, form_refusal
    bot.settle()
    bot.fake.fail("views.open", status=500, times=100)  # an error on a tap UB may make: the answer in Spanish
    mark = len(bot.fake.calls)
    tap(bot, "UB", ids.HOURS_OPEN, "", "message")
    bot.settle()
    said = [message_text(c.params) for c in said_since(bot, mark) if c.method == "response_url"]
    assert [s.strip() for s in said] == [error.strip()]


def test_a_refusal_to_someone_the_bot_never_met_is_in_their_slack_language(bot):
    bot.fake.add_user("UZ", real_name="Zoe", locale="es-ES")
    with i18n.speaking("es"):
        refusal = rules(bot, "action")[ids.HOME_WEEK].text(bot.kit)
    mark = len(bot.fake.calls)
    tap(bot, "UZ", ids.HOME_WEEK, "", "home")
    bot.settle()
    said = [message_text(c.params) for c in said_since(bot, mark) if c.method == "chat.postMessage"]
    assert [s.strip() for s in said] == [refusal.strip()]


FORGED_FORMS = {
    "a view without callback id": {"view": {"id": "V1", "type": "modal", "state": {"values": {}}}},
    "a view a string": {"view": "shift_cancel_form"},
    "a callback id a number": {"view": {"id": "V1", "type": "modal", "callback_id": 5}},
    "a state a string": {"view": {"id": "V1", "type": "modal", "callback_id": ids.SHIFT_CANCEL_FORM, "state": "x"}},
    "values a list": {"view": {"id": "V1", "type": "modal", "callback_id": ids.SHIFT_CANCEL_FORM,
                               "state": {"values": [1]}, "private_metadata": "[1]"}},
    "an input a string": {"view": {"id": "V1", "type": "modal", "callback_id": ids.SHIFT_CANCEL_FORM,
                                   "state": {"values": {"reason": "x"}}, "private_metadata": 5}},
    "blocks a string": {"view": {"id": "V1", "type": "modal", "callback_id": ids.SHIFT_CANCEL_FORM, "blocks": "x",
                                 "state": {"values": {"reason": {"v": {"type": "plain_text_input", "value": "x"}}}}}},
    "no user": {"user": None},
    "a user without id": {"user": {"name": "x"}},
}


@pytest.mark.parametrize("case", list(FORGED_FORMS))
def test_a_forged_form_body_is_never_a_crash(bot, forging, case, caplog):
    night, before = forging, rows_people_change(bot)
    for user in ("UB", "UCO"):
        view = {"id": "V1", "type": "modal", "callback_id": ids.SHIFT_CANCEL_FORM, "hash": "h",
                "private_metadata": json.dumps({"shift_id": night["shift"]}),
                "state": {"values": {"reason": {"v": {"type": "plain_text_input", "value": "x"}}}}}
        payload: dict = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": user, "team_id": "T1"},
                         "api_app_id": "A1", "token": "legacy", "trigger_id": "trig-v", "view": view}
        for key, value in FORGED_FORMS[case].items():
            if value is None:
                payload.pop(key)
            else:
                payload[key] = value
        status, _body = bot.interactive(payload)
        assert status == 200, (case, user)
        bot.settle()
    assert not problems(caplog), problems(caplog)
    assert jobs_left(bot) == 0
    assert rows_people_change(bot) == before


@pytest.mark.parametrize("user", [None, {"name": "x"}, 5], ids=["no user", "a user without id", "a user a number"])
def test_a_tap_without_a_member_is_not_answered_to_nobody(bot, user, caplog):
    caplog.set_level(logging.WARNING)
    mark = len(bot.fake.calls)
    status, _path = tap(bot, "UB", ids.HOME_WEEK, "", "home", **{"user": user})
    assert status in (200, 400)
    bot.settle()
    assert not problems(caplog), problems(caplog)
    assert not [c for c in said_since(bot, mark) if c.method == "chat.postMessage"]


# ---------------------------------------------------------------- an answer where one is due


def test_edit_on_the_details_of_a_shift_cancelled_meanwhile_says_so_in_the_modal(bot):
    """Coordinator A had a shift's Details open while B cancelled it; A's Edit did nothing at all (Cancel shift
    said why in the modal, Edit did not)."""
    number = bot.create_shift()
    bot.make_coordinator("UCO")
    assert bot.submit(ADMIN, ids.SHIFT_CANCEL_FORM, {"reason": "Rain"}, metadata={"shift_id": number}).status == 200
    eventually(lambda: bot.db.execute("SELECT status FROM shifts WHERE id = ?", [number]).fetchone()[0] == "cancelled")
    bot.settle()
    mark = len(bot.fake.calls)
    tap(bot, "UCO", ids.SHIFT_EDIT, str(number), "modal")
    bot.settle()
    updates = [c for c in said_since(bot, mark) if c.method == "views.update"]
    assert len(updates) == 1 and updates[0].params["view_id"] == "VMODAL"
    assert f"Shift #{number} was cancelled, so it can't be changed." in message_text(updates[0].params["view"])
    mark = len(bot.fake.calls)
    tap(bot, "UCO", ids.SHIFT_DUPLICATE, "4242", "modal")  # no such shift: said, not silence
    bot.settle()
    said = [message_text(c.params) for c in said_since(bot, mark) if c.method == "chat.postMessage"]
    assert said == ["There is no shift #4242. See `/outreach shifts` for the shift numbers."]


def test_every_refusal_has_its_spanish_words(bot):
    untranslated = []
    for (kind, name), rule in sorted(bot.kit.wired.items()):
        if rule is None or rule.role == Role.VOLUNTEER:
            continue
        with i18n.speaking("es"):
            spanish = rule.text(bot.kit)
        with i18n.speaking("en"):
            english = rule.text(bot.kit)
        if spanish == english or rule.what and f"`{rule.what}`" in spanish:
            untranslated.append((kind, name, spanish))
    assert not untranslated


def test_no_listener_is_registered_around_the_wiring_table_nor_twice(bot):
    """A listener registered with app.action/app.view directly escapes its rule; one registered twice is never
    reached (Bolt runs the first that matches)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "handlers"
    direct = sorted(f"{p.name}: {m.group(0)}" for p in root.glob("*.py")
                    for m in re.finditer(r"app\.(action|view|command|shortcut|options)\(([^)]*)\)", p.read_text()))
    assert direct == ["invites.py: app.action(ids.CALENDAR_GOOGLE)", "invites.py: app.action(ids.CALENDAR_OPEN)"]
    with pytest.raises(ValueError, match="registered twice"):
        bot.kit.wire(bot.app, actions={ids.SHIFT_EDIT: lambda kit, click: None})


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_modal_slack_will_not_open_for_an_expired_or_missing_trigger_says_tap_again(bot, caplog, language):
    """A tap's work is done by the worker after the ack; a trigger older than 3 s (the worker busy, or started
    again) made views.open fail: from the App Home the person saw nothing at all, and the log an 'unhandled'
    error with its traceback."""
    languages.choose_language(bot.store, "UB", language, now=bot.clock())
    with i18n.speaking(language):
        again = bot.kit.render("common/not_opened.j2")
    caplog.set_level(logging.INFO)
    bot.fake.fail("views.open", error="expired_trigger_id")
    for extra in ({}, {"trigger_id": None}):
        caplog.clear()
        mark = len(bot.fake.calls)
        tap(bot, "UB", ids.HOURS_OPEN, "", "home", **extra)
        bot.settle()
        said = [message_text(c.params) for c in said_since(bot, mark) if c.method == "chat.postMessage"]
        assert [s.strip() for s in said] == [again.strip()], extra
        assert len(problems(caplog)) == 1 and "hours_open" in problems(caplog)[0]
    assert bot.fake.calls_to("views.open") and len(bot.fake.calls_to("views.open")) == 1  # none without a trigger


@pytest.mark.parametrize(("action_id", "what"), [(ids.DEBRIEF_OPEN, "shift"), (ids.READY_OPEN, "shift"),
                                                 (ids.WELLBEING_OPEN, "shift"), (ids.HELP_TOPIC, "coordinators")])
def test_every_modal_a_tap_opens_says_tap_again_when_its_trigger_expired(bot, night, caplog, action_id, what):
    """The debrief form, the checklist, the wellbeing note and a help topic were opened with the client directly,
    not through the click's context: an expired trigger was an unhandled error there, and nothing said."""
    bot.settle()
    value = str(night["shift"]) if what == "shift" else what
    with i18n.speaking("en"):
        again = bot.kit.render("common/not_opened.j2")
    caplog.set_level(logging.INFO)
    caplog.clear()
    bot.fake.fail("views.open", error="expired_trigger_id")
    mark = len(bot.fake.calls)
    tap(bot, ADMIN, action_id, value, "home")
    bot.settle()
    assert [c.method for c in said_since(bot, mark) if c.method.startswith("views.")] == ["views.open"]
    said = [message_text(c.params) for c in said_since(bot, mark) if c.method == "chat.postMessage"]
    assert [s.strip() for s in said] == [again.strip()]
    assert len(problems(caplog)) == 1, problems(caplog)


@pytest.mark.parametrize("status", [500, 429])
def test_a_refusal_to_someone_new_while_slack_cannot_say_who_they_are_goes_out_in_the_coalitions_language(
        bot, caplog, status):
    bot.fake.add_user("UZ", real_name="Zoe", locale="es-ES")
    bot.fake.fail("users.info", status=status, retry_after=60 if status == 429 else None, times=100)
    with i18n.speaking("en"):
        refusal = rules(bot, "action")[ids.HOME_WEEK].text(bot.kit)
    caplog.set_level(logging.INFO)
    caplog.clear()
    mark = len(bot.fake.calls)
    tap(bot, "UZ", ids.HOME_WEEK, "", "home")
    bot.settle()
    said = [message_text(c.params) for c in said_since(bot, mark) if c.method == "chat.postMessage"]
    assert [s.strip() for s in said] == [refusal.strip()]
    assert len(problems(caplog)) <= 1, problems(caplog)
