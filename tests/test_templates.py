"""Every template compiles with the filters the app registers: a broken one would otherwise show up only
when someone reaches its message."""

from __future__ import annotations

from jinja2 import TemplateSyntaxError

from handlers.render import TEMPLATES


def test_every_template_compiles(bot):
    names = sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.j2"))
    assert len(names) > 100
    broken = {}
    for name in names:
        try:
            bot.kit.render.env.get_template(name)
        except TemplateSyntaxError as exc:
            broken[name] = f"line {exc.lineno}: {exc.message}"
    assert broken == {}
