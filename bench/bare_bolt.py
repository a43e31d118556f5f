"""A bare Bolt app whose listeners only ack, served like the bot (the benchmark's baseline).

With BARE_RESPOND=1 its slash command acks and then calls respond() (the answer benchmark's baseline).
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_bolt import Ack, App, Respond  # noqa: E402
from slack_bolt.adapter.wsgi import SlackRequestHandler  # noqa: E402
from slack_sdk import WebClient  # noqa: E402

from handlers.web import WebServer  # noqa: E402


def main() -> None:
    """Serve on PORT until SIGTERM."""
    app = App(
        client=WebClient(token="xoxb-bench", base_url=os.environ["SLACK_API_URL"]),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        token_verification_enabled=False,
    )

    answer = os.environ.get("BARE_RESPOND") == "1"

    @app.command("/outreach")
    def command(ack: Ack, respond: Respond) -> None:
        ack()
        if answer:
            respond(text="ok")

    @app.action(re.compile(".*"))
    def action(ack: Ack) -> None:
        ack()

    @app.view(re.compile(".*"))
    def view(ack: Ack) -> None:
        ack()

    bolt = SlackRequestHandler(app)  # Bolt's own handler, its own signature check; waitress like the bot

    def application(environ: dict, start_response: object) -> object:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])  # type: ignore[operator]
            return [b"ok"]
        return bolt(environ, start_response)  # type: ignore[arg-type]

    server = WebServer(application, host="127.0.0.1", port=int(os.environ["PORT"]))
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
