"""Durations as people write them in settings: `24h`, `90m`, `2d`, `30s`, or lists like `24h,2h`."""

from __future__ import annotations

import re
from datetime import timedelta

from outreach.digits import parse_number

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
ONE = re.compile(r"^([0-9]{1,6})\s*([smhd])$")


def parse_duration(text: str) -> timedelta:
    """One positive duration like `90m`; ValueError when malformed or zero."""
    match = ONE.match(text.strip().lower())
    if not match:
        raise ValueError(f"{text.strip()!r} is not a duration like 90m, 2h or 1d")
    value = timedelta(**{UNITS[match.group(2)]: parse_number(match.group(1)) or 0})
    if value <= timedelta(0):
        raise ValueError(f"{text.strip()!r} must be longer than zero")
    return value


def parse_durations(text: str) -> tuple[timedelta, ...]:
    """A comma-separated list of durations, longest first and without repeats."""
    parts = [p for p in text.split(",") if p.strip()]
    if not parts:
        raise ValueError("the list is empty")
    return tuple(sorted({parse_duration(p) for p in parts}, reverse=True))


def format_duration(value: timedelta) -> str:
    """A duration back in the short form (`2h`, `90m`, `45s`)."""
    seconds = int(value.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
