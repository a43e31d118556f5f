"""The domain's shared pieces, built once at start-up and handed to every surface."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from outreach.catalog import Catalog
from outreach.privacy import Screen, screen_for
from outreach.roles import Role, coordinators, role_of
from outreach.settings import Settings
from outreach.store import Clock, Store


@dataclass
class Services:
    """Settings, store, catalog and clock."""

    settings: Settings
    store: Store
    catalog: Catalog
    clock: Clock

    def now(self) -> datetime:
        """The current time from the injected clock."""
        return self.clock()

    def privacy_screen(self) -> Screen:
        """The screen for free text: the coalition's phone region and the hotline numbers teams hand out."""
        return screen_for(self.settings.region, self.settings.data_dir)

    def role(self, user_id: str) -> Role:
        """The role a user holds now."""
        return role_of(self.store, self.settings.admins, user_id)

    def coordinators(self) -> list[str]:
        """Admins and coordinators."""
        return coordinators(self.store, self.settings.admins)
