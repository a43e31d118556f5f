"""A bare Bolt app whose listeners only ack, served like the bot (the benchmark's baseline)."""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_bolt import Ack, App  # noqa: E402
from slack_sdk import WebClient  # noqa: E402

from handlers.web import WebServer, wsgi_app  # noqa: E402


def main() -> None:
    """Serve on PORT until SIGTERM."""
    app = App(
        client=WebClient(token="xoxb-bench", base_url=os.environ["SLACK_API_URL"]),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        token_verification_enabled=False,
    )

    @app.command("/outreach")
    def command(ack: Ack) -> None:
        ack()

    @app.action(re.compile(".*"))
    def action(ack: Ack) -> None:
        ack()

    @app.view(re.compile(".*"))
    def view(ack: Ack) -> None:
        ack()

    server = WebServer(wsgi_app(app), host="127.0.0.1", port=int(os.environ["PORT"]))
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
