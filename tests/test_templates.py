"""Every template compiles: a broken one would otherwise show up only when someone reaches its message."""

from __future__ import annotations

import pytest

from handlers.render import TEMPLATES, Renderer
from outreach.catalog import Catalog
from outreach.settings import load_settings

NAMES = sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.j2"))


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    return Renderer(Catalog.load(settings.data_dir))


@pytest.mark.parametrize("name", NAMES)
def test_template_compiles(renderer, name):
    assert renderer.env.get_template(name).name == name
