"""The HTTP server under abuse: huge bodies, unsigned requests, idle connections (issue 11, §2)."""

from __future__ import annotations

import socket

from conftest import SECRET

from handlers import web
from handlers.web import WebServer, wsgi_app


def raw_request(port: int, head: bytes, body: bytes = b"", timeout: float = 5.0) -> bytes:
    """Send bytes on a fresh connection and read the answer until the server closes or answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(head + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_a_body_over_1_mib_gets_413_before_it_is_read(bot):
    head = (b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 300000000\r\n\r\n")
    answer = raw_request(bot.server.port, head, b"{")  # 300 MB announced, one byte sent: no wait for the rest
    assert answer.startswith(b"HTTP/1.1 413")
    assert bot.db["jobs"].count == 0


def test_no_request_is_parsed_before_its_signature_is_checked(bot, monkeypatch):
    built = []
    original = web.BoltRequest

    def spy(*args, **kwargs):
        built.append(kwargs.get("body"))
        return original(*args, **kwargs)

    monkeypatch.setattr(web, "BoltRequest", spy)
    body = '{"type": "event_callback", "event": {"type": "app_home_opened", "user": "U1"}}' + " " * 900_000
    assert bot.post(body, content_type="application/json", sign=False)[0] == 401
    assert bot.post(body, content_type="application/json", secret="forged")[0] == 401
    assert built == []  # never parsed
    assert bot.command("UV", "help").status == 200
    assert len(built) == 1


def test_idle_connections_are_closed(bot):
    server = WebServer(wsgi_app(bot.app, signing_secret=SECRET), host="127.0.0.1", port=0, idle_seconds=1)
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
            conn.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")  # and then nothing more
            assert conn.recv(1024) == b""  # closed by the server (our own timeout, 10 s, would raise)
    finally:
        server.stop()


def test_a_signed_request_is_answered_with_300_idle_connections_open(bot):
    idle = []
    try:
        for _ in range(300):
            conn = socket.create_connection(("127.0.0.1", bot.server.port), timeout=10)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # a request begun and never finished
            idle.append(conn)
        sent = bot.command("UV", "help")  # the client gives up after 10 s: a server out of threads would fail
        assert sent.status == 200
        assert "/outreach shifts" in sent.text()
    finally:
        for conn in idle:
            conn.close()
