"""Calendar: .ics invites checked field by field with two parsers, updates and cancels, the feed over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime

import icalendar
import pytest
import vobject
from conftest import ADMIN, SECRET, eventually, message_text, shift_fields
from fakeslack import dm_channel

from handlers.invites import FEED_PREFIX, feed_app
from handlers.web import WebServer, wsgi_app


def invites(bot, user):
    """Each .ics uploaded into the user's DM, in order, as bytes."""
    out = []
    for call in bot.fake.calls_to("files.completeUploadExternal"):
        if call.params.get("channel_id") != dm_channel(user):
            continue
        files = call.params.get("files")
        for f in json.loads(files) if isinstance(files, str) else files:
            out.append(bot.fake.uploads[f["id"]])
    return out


def both(data: bytes):
    """Parse with icalendar and with vobject (independent), returning the VEVENTs of each."""
    cal = icalendar.Calendar.from_ical(data)
    vcal = vobject.readOne(data.decode())
    return cal, cal.walk("VEVENT")[0], vcal, vcal.vevent


def signed_up(bot, **overrides):
    number = bot.create_shift(**overrides)
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    bot.kit.tick()
    return number


def test_invite_on_signup_field_by_field(bot):
    number = signed_up(bot)
    [data] = invites(bot, "UA")
    cal, event, vcal, vevent = both(data)
    assert str(cal["METHOD"]) == "REQUEST" and vcal.method.value == "REQUEST"
    uid = f"shift-{number}-ua@outreach-bot"
    assert str(event["UID"]) == uid and vevent.uid.value == uid
    assert int(event["SEQUENCE"]) == 0 and vevent.sequence.value == "0"
    start, end = event["DTSTART"].dt, event["DTEND"].dt
    assert event["DTSTART"].params["TZID"] == "America/Chicago"
    assert (start.hour, start.minute, str(start.tzinfo)) == (19, 0, "America/Chicago")
    assert start.astimezone(UTC) == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    assert vevent.dtstart.value.astimezone(UTC) == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert vevent.dtend.value.astimezone(UTC) == datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["America/Chicago"]
    assert vcal.vtimezone.tzid.value == "America/Chicago"
    assert str(event["SUMMARY"]) == f"Outreach #{number}: Direct outreach at Hotels and motels (Eastside)" == vevent.summary.value
    assert str(event["LOCATION"]) == "Eastside" == vevent.location.value
    description = vevent.description.value
    assert "Lead: Slack member ULEAD" in description and "1-888-373-7888" in description
    assert "/outreach help" in description and "Meet at the library." in description
    assert str(event["ORGANIZER"]) == "urn:slack:user:ULEAD" and vevent.organizer.value == "urn:slack:user:ULEAD"
    assert str(event["ATTENDEE"]) == "urn:slack:user:UA" and vevent.attendee.value == "urn:slack:user:UA"
    assert str(event["STATUS"]) == "CONFIRMED"
    [alarm] = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY" and alarm["TRIGGER"].dt.total_seconds() == -7200
    assert vevent.valarm.trigger.value.total_seconds() == -7200
    # The DM beside it says what it is, and carries the Google Calendar link.
    dm = [c for c in bot.dms("UA") if "Calendar invite" in message_text(c.params)]
    assert len(dm) == 1
    google = [e for b in dm[0].params["blocks"] if b["type"] == "actions" for e in b["elements"]][0]
    assert google["text"]["text"] == "Add to Google Calendar"
    query = urllib.parse.parse_qs(urllib.parse.urlparse(google["url"]).query)
    assert query["action"] == ["TEMPLATE"] and query["dates"] == ["20261124T010000Z/20261124T050000Z"]
    assert query["location"] == ["Eastside"] and query["ctz"] == ["America/Chicago"]


def test_move_sends_update_and_withdrawal_sends_cancel_with_same_uid(bot):
    number = signed_up(bot)
    later = shift_fields(bot.clock, start_date="2026-11-25", end_date="2026-11-25", area="Northside")
    bot.submit(ADMIN, "shift_form", later, metadata={"shift_id": number})
    bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == ADMIN)
    bot.kit.tick()
    first, second = invites(bot, "UA")
    _, e1, _, _ = both(first)
    cal2, e2, _, v2 = both(second)
    assert str(e1["UID"]) == str(e2["UID"]) and int(e2["SEQUENCE"]) == 1 and str(cal2["METHOD"]) == "REQUEST"
    assert e2["DTSTART"].dt.astimezone(UTC) == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    assert v2.location.value == "Northside"
    bot.command("UA", f"withdraw {number}").reply()
    bot.kit.tick()
    cancel = invites(bot, "UA")[2]
    cal3, e3, vcal3, v3 = both(cancel)
    assert str(cal3["METHOD"]) == "CANCEL" and vcal3.method.value == "CANCEL"
    assert str(e3["UID"]) == str(e1["UID"]) and int(e3["SEQUENCE"]) == 2 and str(e3["STATUS"]) == "CANCELLED"
    assert bot.db["invites"].get((number, "UA"))["sequence"] == 2


def test_cancelled_shift_sends_cancel_and_promotion_sends_invite(bot):
    number = signed_up(bot, capacity="2")
    bot.train("UB")
    bot.train("UC")
    bot.command("UB", f"signup {number}").reply()
    bot.command("UC", f"signup {number}").reply()  # waitlisted
    bot.kit.tick()
    assert invites(bot, "UC") == []
    bot.command("UB", f"withdraw {number}").reply()
    bot.kit.tick()
    [promoted] = invites(bot, "UC")
    assert str(both(promoted)[0]["METHOD"]) == "REQUEST"
    bot.command(ADMIN, f"cancel {number}").reply()
    bot.kit.tick()
    for user in ("UA", "UC"):
        last = invites(bot, user)[-1]
        cal, event, _, _ = both(last)
        assert str(cal["METHOD"]) == "CANCEL" and int(event["SEQUENCE"]) == 1


def test_unsent_invite_is_dropped_not_cancelled(bot):
    number = bot.create_shift()
    bot.train("UA")
    bot.command("UA", f"signup {number}").reply()
    bot.command("UA", f"withdraw {number}").reply()  # before any tick: the invite never left
    bot.kit.tick()
    assert invites(bot, "UA") == []


def test_user_text_is_escaped_in_the_dm_and_raw_in_the_ics(bot):
    number = signed_up(bot, area="<!channel> & co")
    dm = [c for c in bot.dms("UA") if "Calendar invite" in message_text(c.params)][0]
    assert "<!channel>" not in message_text(dm.params) and "&lt;!channel&gt; &amp; co" in message_text(dm.params)
    _, event, _, vevent = both(invites(bot, "UA")[0])
    assert vevent.location.value == "<!channel> & co" and f"#{number}" in str(event["SUMMARY"])


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type"), exc.read()


@pytest.fixture
def feed_server(bot):
    server = WebServer(feed_app(bot.kit), host="127.0.0.1", port=0)
    server.start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


def test_feed_link_reset_and_404_over_loopback(bot, feed_server):
    number = signed_up(bot)
    reply = bot.command("UA", "calendar").reply()
    text = message_text(reply)
    assert "webcal://localhost:3000/calendar/" in text  # HTTP mode without OUTREACH_PUBLIC_URL
    https = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]][0]["url"]
    token_path = urllib.parse.urlparse(https).path
    assert token_path.startswith(FEED_PREFIX) and token_path.endswith(".ics") and len(token_path) > 40
    status, ctype, body = fetch(feed_server + token_path)
    assert status == 200 and ctype.startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(body)
    vcal = vobject.readOne(body.decode())
    assert str(cal["METHOD"]) == "PUBLISH"
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == [f"shift-{number}-ua@outreach-bot"]
    assert vcal.vevent.dtstart.value.astimezone(UTC) == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    # Asking again gives the same address; Reset kills it.
    again = bot.command("UA", "calendar").reply()
    assert token_path in message_text(again)
    reset = bot.click("UA", "calendar_reset", "reset")
    new_text = message_text(reset.reply())
    assert "no longer works" in new_text and token_path not in new_text
    status, _, body = fetch(feed_server + token_path)
    assert status == 404 and body == b"not found"
    new_path = urllib.parse.urlparse(
        [e for b in reset.reply()["blocks"] if b["type"] == "actions" for e in b["elements"]][0]["url"]).path
    assert fetch(feed_server + new_path)[0] == 200
    for bad in ("/calendar/guess-guess-guess-guess.ics", "/calendar/", "/calendar/../x", "/other"):
        assert fetch(feed_server + bad)[:1] == (404,), bad
    # Another person's feed shows only their own shifts.
    other = bot.command("UB", "calendar").reply()
    other_path = urllib.parse.urlparse(
        [e for b in other["blocks"] if b["type"] == "actions" for e in b["elements"]][0]["url"]).path
    assert icalendar.Calendar.from_ical(fetch(feed_server + other_path)[2]).walk("VEVENT") == []


def test_feed_is_routed_beside_slack_events_in_http_mode(bot):
    server = WebServer(wsgi_app(bot.app, {FEED_PREFIX: feed_app(bot.kit)}, signing_secret=SECRET), host="127.0.0.1", port=0)
    server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        assert fetch(base + "/calendar/nope-nope-nope-nope.ics")[0] == 404
        reply = bot.command("UA", "calendar").reply()
        path = urllib.parse.urlparse(
            [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]][0]["url"]).path
        assert fetch(base + path)[0] == 200
        assert fetch(base + "/healthz")[2] == b"ok"
    finally:
        server.stop()


def test_one_occurrence_of_a_series_gets_its_own_invite_and_a_member_one_for_the_series(bot):
    sent = bot.submit(ADMIN, "shift_form", dict(shift_fields(bot.clock), end_date=None),
                      metadata={"channel": "CGENERAL", "repeat": {"freq": "weekly", "end": "3"}})
    assert sent.status == 200 and not sent.body
    eventually(lambda: bot.db.execute("SELECT count(*) FROM shifts WHERE message_ts IS NOT NULL").fetchone()[0] == 1)
    first = bot.db.execute("SELECT min(id) FROM shifts").fetchone()[0]
    bot.train("UA")
    bot.train("UB")
    bot.command("UA", f"signup {first + 1}").reply()  # one occurrence only: a shift's own invite
    bot.command("UB", f"series {first}").reply()  # every occurrence: one invite for the series
    bot.kit.tick()
    [single] = invites(bot, "UA")
    [series] = invites(bot, "UB")
    _, event, _, vevent = both(single)
    assert str(event["UID"]) == f"shift-{first + 1}-ua@outreach-bot" and "RRULE" not in event
    cal, event, vcal, vevent = both(series)
    assert str(event["UID"]).startswith("series-") and vevent.rrule.value == "FREQ=WEEKLY;COUNT=3"
    assert "EXDATE" not in event
    # leaving the series cancels its invite
    bot.command("UB", f"series {first} withdraw").reply()
    bot.kit.tick()
    cancel = invites(bot, "UB")[-1]
    cal, event, vcal, vevent = both(cancel)
    assert str(cal["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1
