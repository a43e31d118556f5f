"""How fast the privacy screen reads a long note: a 2,000-character debrief note, screened again and again.

Usage: python bench/privacy_speed.py [--repeat 200] [--chars 2000]

The note is made of the ordinary sentences of tests/privacy_corpus.py (streets, counts, times, hotline
numbers: everything the screen must read and let through, so nothing ends the reading early), cut at
--chars. Prints p50/p95/max of one screening (it runs inside a form submission, which Slack gives
3 s), then the same for a note of the same length with a personal detail at its very end, and for a
worst case: a note of nothing but digits, spaces and dashes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from common import percentiles  # noqa: E402
from privacy_corpus import ORDINARY, YEAR  # noqa: E402

from outreach.privacy import Screen  # noqa: E402


def timings(text: str, repeat: int) -> list[float]:
    """Seconds of each of `repeat` screenings of one text."""
    screen = Screen()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        screen(text, current_year=YEAR)
        out.append(time.perf_counter() - start)
    return out


def line(label: str, text: str, repeat: int) -> str:
    """One printed line: p50, p95 and max of screening a text."""
    ms = percentiles(timings(text, repeat))
    found = [f.kind for f in Screen()(text, current_year=YEAR)]
    return (f"{label:<32} {len(text):>5} chars  p50 {ms['p50']:5.1f} ms  p95 {ms['p95']:5.1f} ms  "
            f"max {ms['max']:5.1f} ms  found {found or 'nothing'}")


def main() -> None:
    """Print the screen's speed on a long ordinary note, one with a detail at its end, and a worst case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--chars", type=int, default=2000)
    args = parser.parse_args()
    note = ""
    for sentence in ORDINARY * 10:
        if len(note) + len(sentence) + 1 > args.chars:
            break
        note += sentence + " "
    note = note.ljust(args.chars, ".")[:args.chars]
    tail = " Her cell 555 2O1 3344."
    print(f"privacy screen, {args.repeat} runs each")
    print(line("ordinary note", note, args.repeat))
    print(line("personal detail at the end", note[:args.chars - len(tail)] + tail, args.repeat))
    print(line("digits, spaces and dashes only", ("12 345-6 78 " * 200)[:args.chars], args.repeat))


if __name__ == "__main__":
    main()
