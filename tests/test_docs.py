"""The README is the front door and docs/ holds the rest (issue 22): the README stays short, its links
lead to pages that exist, and docs/architecture.md's module map names exactly the modules there are."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README_MOST = 12 * 1024


def docs_text() -> str:
    """The README and every page of docs/, as one text (what the tests of settings and commands read)."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(page.read_text() for page in pages)


def test_the_readme_is_a_front_door():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) <= README_MOST
    for heading in ("## Run it", "## Run the tests", "## Set up the Slack app", "## Read more"):
        assert heading in readme
    for link in re.findall(r"\]\(([^)#]+)\)", readme):
        if not link.startswith("http"):
            assert (ROOT / link).exists(), link


def test_the_module_map_names_every_module_and_no_other():
    text = (ROOT / "docs" / "architecture.md").read_text()
    mapped = set(re.findall(r"^- `((?:outreach|handlers)/\w+\.py)`:", text, re.M))
    present = {p.relative_to(ROOT).as_posix() for folder in ("outreach", "handlers")
               for p in (ROOT / folder).glob("*.py") if p.as_posix() != (ROOT / "outreach" / "__init__.py").as_posix()}
    assert mapped - present == set(), "the map names modules that do not exist"
    assert present - mapped == set(), "modules missing from docs/architecture.md's map"


def test_the_docs_links_lead_somewhere():
    for page in (ROOT / "docs").glob("*.md"):
        for link in re.findall(r"\]\(([^)#]+)\)", page.read_text()):
            if not link.startswith("http"):
                assert (page.parent / link).exists(), f"{page.name}: {link}"
