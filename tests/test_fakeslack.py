"""Tests for the fake Slack server, using the real slack_sdk / slack_bolt clients."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

try:
    from tests.fakeslack import FakeSlack
except ImportError:  # tests/ is not a package: pytest puts tests/ itself on sys.path
    from fakeslack import FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """Yield a running FakeSlack and close it afterwards."""
    with FakeSlack() as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    """Return a WebClient pointed at the fake."""
    return WebClient(token="xoxb-test", base_url=fake.url, timeout=5)


def test_url_shape(fake: FakeSlack) -> None:
    """The base URL is loopback and ends with /api/."""
    assert fake.url.startswith("http://127.0.0.1:")
    assert fake.url.endswith("/api/")


def test_auth_test(fake: FakeSlack, client: WebClient) -> None:
    """auth.test answers with the configured bot identity."""
    resp = client.auth_test()
    assert resp["ok"] is True
    assert resp["user_id"] == "UBOT"
    assert resp["team_id"] == "T1"
    assert resp["bot_id"] == "B1"
    call = fake.calls_to("auth.test")[0]
    assert call.headers["Authorization"] == "Bearer xoxb-test"
    assert call.path == "/api/auth.test"


def test_post_message_with_blocks(fake: FakeSlack, client: WebClient) -> None:
    """chat.postMessage records params and returns a message with unique ts."""
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    r1 = client.chat_postMessage(channel="C1", text="hi", blocks=blocks)
    r2 = client.chat_postMessage(channel="U42", text="dm")
    assert r1["channel"] == "C1"
    assert r2["channel"] == "D42"
    assert r1["ts"] != r2["ts"] and float(r1["ts"]) < float(r2["ts"])
    assert r1["message"]["blocks"] == blocks
    calls = fake.wait_for("chat.postMessage", count=2)
    assert calls[0].params["blocks"] == blocks
    assert calls[0].params["text"] == "hi"
    assert [c.failed for c in calls] == [False, False]


def test_form_encoded_blocks_are_decoded(fake: FakeSlack) -> None:
    """Form bodies with JSON-string blocks/view/payload fields are decoded."""
    body = "channel=C1&blocks=%5B%7B%22type%22%3A%22divider%22%7D%5D&payload=%7B%22a%22%3A1%7D&x=1"
    req = urllib.request.Request(
        fake.url + "chat.update?extra=q",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.loads(resp.read())["ok"] is True
    call = fake.calls_to("chat.update")[0]
    assert call.params == {
        "channel": "C1",
        "blocks": [{"type": "divider"}],
        "payload": {"a": 1},
        "x": "1",
        "extra": "q",
    }


def test_views_and_users(fake: FakeSlack, client: WebClient) -> None:
    """views.open echoes the view with an id; users.info and conversations.open answer."""
    view = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    resp = client.views_open(trigger_id="123.456", view=view)
    assert resp["view"]["id"].startswith("V")
    assert resp["view"]["type"] == "modal"
    assert fake.calls_to("views.open")[0].params["view"] == view
    fake.add_user("U9", real_name="Nine Example", display_name="nine", locale="es-ES")
    user = client.users_info(user="U9")["user"]
    assert user["id"] == "U9" and user["tz"] == "America/New_York"
    assert user["profile"]["real_name"] == "Nine Example" and "locale" not in user
    assert client.users_info(user="U9", include_locale=True)["user"]["locale"] == "es-ES"
    with pytest.raises(SlackApiError) as unknown:
        client.users_info(user="U8")
    assert unknown.value.response["error"] == "user_not_found"
    fake.missing_scopes.add("users:read")
    with pytest.raises(SlackApiError) as lacking:
        client.users_info(user="U9")
    assert lacking.value.response["error"] == "missing_scope" and lacking.value.response["needed"] == "users:read"
    assert client.conversations_open(users="U9")["channel"]["id"] == "D9"
    assert client.api_call("something.else")["ok"] is True


def test_files_upload_v2(fake: FakeSlack, client: WebClient) -> None:
    """files_upload_v2 goes through all three steps and the bytes arrive."""
    content = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n\x00\xff"
    resp = client.files_upload_v2(content=content, filename="x.ics", channel="D1", initial_comment="here")
    assert resp["ok"] is True
    file_id = resp["file"]["id"]
    assert file_id.startswith("F")
    assert resp["file"]["name"] == "x.ics"
    assert fake.uploads == {file_id: content}
    methods = [c.method for c in fake.calls]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    get_url = fake.calls_to("files.getUploadURLExternal")[0]
    assert get_url.params["filename"] == "x.ics"
    assert get_url.params["length"] == str(len(content))
    complete = fake.calls_to("files.completeUploadExternal")[0]
    assert complete.params["channel_id"] == "D1"
    assert complete.params["initial_comment"] == "here"
    assert json.loads(complete.params["files"])[0]["id"] == file_id


def test_multipart_upload(fake: FakeSlack) -> None:
    """A multipart POST to an upload URL stores just the file part's bytes."""
    url = fake.url + "files.getUploadURLExternal"
    req = urllib.request.Request(url, data=b"filename=a.txt&length=3", method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        answer = json.loads(resp.read())
    upload_url, file_id = answer["upload_url"], answer["file_id"]
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\nabc\r\n--XyZ--\r\n"
    )
    req = urllib.request.Request(
        upload_url, data=body, headers={"Content-Type": "multipart/form-data; boundary=XyZ"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.read() == b"OK - 3"
    assert fake.uploads[file_id] == b"abc"
    assert fake.calls_to("upload")[0].params == {"note": "hello"}


def test_fail_500_then_ok(fake: FakeSlack, client: WebClient) -> None:
    """fail() with status 500 makes one call fail, then calls succeed again."""
    fake.fail("chat.postMessage", status=500)
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C1", text="x")
    assert info.value.response.status_code == 500
    assert client.chat_postMessage(channel="C1", text="y")["ok"] is True
    assert [c.failed for c in fake.calls_to("chat.postMessage")] == [True, False]


def test_fail_error(fake: FakeSlack, client: WebClient) -> None:
    """fail() with an error answers ok=false with that error, `times` times."""
    fake.fail("chat.update", error="message_not_found", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as info:
            client.chat_update(channel="C1", ts="1.2", text="x")
        assert info.value.response["error"] == "message_not_found"
    assert client.chat_update(channel="C1", ts="1.2", text="x")["ts"] == "1.2"


def test_fail_429_retried(fake: FakeSlack) -> None:
    """A 429 with Retry-After is retried by RateLimitErrorRetryHandler and then succeeds."""
    client = WebClient(
        token="xoxb-test",
        base_url=fake.url,
        timeout=5,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    fake.fail("chat.postMessage", status=429, retry_after=0)
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    calls = fake.calls_to("chat.postMessage")
    assert [c.failed for c in calls] == [True, False]


def test_fail_delay_times_out(fake: FakeSlack) -> None:
    """fail() with a delay makes the client time out."""
    client = WebClient(token="xoxb-test", base_url=fake.url, timeout=0.2)
    fake.fail("chat.postMessage", delay=0.6)
    with pytest.raises(TimeoutError):
        client.chat_postMessage(channel="C1", text="x")
    assert fake.calls_to("chat.postMessage")[0].failed is True


def test_wait_for_timeout_lists_methods(fake: FakeSlack, client: WebClient) -> None:
    """wait_for raises AssertionError naming the methods seen."""
    client.auth_test()
    with pytest.raises(AssertionError, match="auth.test"):
        fake.wait_for("chat.postMessage", timeout=0.1)
    assert fake.wait_for("auth.test", where=lambda c: c.path.endswith("auth.test"))


def test_response_url(fake: FakeSlack) -> None:
    """POSTs to a response_url are recorded with their JSON body."""
    url = fake.response_url("cmd1")
    body = json.dumps({"text": "later", "response_type": "ephemeral"}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200
    call = fake.wait_for("response_url")[0]
    assert call.params == {"text": "later", "response_type": "ephemeral"}
    assert call.path.endswith("/cmd1")


def test_reset(fake: FakeSlack, client: WebClient) -> None:
    """reset() clears calls and uploads."""
    client.files_upload_v2(content=b"x", filename="x.txt", channel="C1")
    fake.reset()
    assert fake.calls == [] and fake.uploads == {}


def test_bolt_app_calls_auth_test(fake: FakeSlack) -> None:
    """A Bolt App with token verification calls auth.test on the fake at start."""
    app = App(client=WebClient(token="xoxb-test", base_url=fake.url), signing_secret="x")
    assert app.client.base_url == fake.url
    assert fake.calls_to("auth.test")


def test_socket_mode_round_trip(fake: FakeSlack) -> None:
    """Bolt over Socket Mode receives a slash command and its ack payload comes back."""
    app = App(
        client=WebClient(token="xoxb-test", base_url=fake.url),
        token_verification_enabled=False,
        signing_secret="x",
    )

    @app.command("/ping")
    def ping(ack, say) -> None:
        ack(text="pong")
        say("said")

    handler = SocketModeHandler(app, "xapp-test")
    handler.connect()
    try:
        fake.socket_connected()
        assert fake.calls_to("apps.connections.open")[0].headers["authorization"] == "Bearer xapp-test"
        payload = {
            "token": "t",
            "team_id": "T1",
            "team_domain": "test",
            "channel_id": "C1",
            "channel_name": "general",
            "user_id": "U1",
            "user_name": "u",
            "command": "/ping",
            "text": "",
            "api_app_id": "A1",
            "response_url": fake.response_url(),
            "trigger_id": "1.2.3",
        }
        ack = fake.socket_send("slash_commands", payload)
        assert ack["payload"]["text"] == "pong"
        said = fake.wait_for("chat.postMessage")[0]
        assert said.params["text"] == "said" and said.params["channel"] == "C1"
        # a second envelope on the same connection still works
        assert fake.socket_send("slash_commands", payload)["payload"]["text"] == "pong"
    finally:
        handler.close()
