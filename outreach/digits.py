"""The one way a number typed by a person (or carried in a button, form or setting) is read.

Only ASCII digits count: Python's `str.isdigit()` also accepts "²" (which `int()` then refuses) and
`int()` and the regex `\\d` accept "١٢" or full-width digits, so a number is read here and nowhere else.
"""

from __future__ import annotations

import re

MAX_DIGITS = 9
DIGITS = re.compile(r"[0-9]+")


def parse_number(text: object, *, max_digits: int = MAX_DIGITS) -> int | None:
    """A whole number of ASCII digits (surrounding spaces allowed, at most `max_digits`), or None.

    An int (as JSON carries one in a view's private_metadata) is taken as it is when in range.
    """
    if isinstance(text, int) and not isinstance(text, bool):
        return text if 0 <= text < 10**max_digits else None
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not 0 < len(text) <= max_digits or not DIGITS.fullmatch(text):
        return None
    return int(text)
