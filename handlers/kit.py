"""What every Slack surface needs: the domain services, the renderer and the notifier."""

from __future__ import annotations

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
