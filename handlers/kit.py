"""What every Slack surface needs: the domain services, the renderer and the notifier."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from handlers.render import Renderer
from outreach.services import Services

if TYPE_CHECKING:
    from handlers.notify import Notifier


@dataclass
class Kit:
    """Services plus the Slack-side helpers built on them."""

    services: Services
    render: Renderer
    notifier: Notifier = field(init=False)
    # Work to run on every tick of the bot's timer (about every 20 s), after the outbox is sent.
    periodic: list[Callable[[], None]] = field(default_factory=list)

    def tick(self) -> None:
        """Send what is due, then run each periodic job (one job's failure does not stop the rest)."""
        import logging

        self.notifier.flush()
        for job in self.periodic:
            try:
                job()
            except Exception:
                logging.getLogger(__name__).exception("periodic job %s failed", getattr(job, "__name__", job))
