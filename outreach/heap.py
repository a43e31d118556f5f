"""Give the memory a report, a chart or a workbook used back to the system once it is built.

Drawing a chart, laying out a PDF or writing a workbook allocates tens of MB in the C heap (matplotlib's
renderer, reportlab's and openpyxl's many small objects). Python frees them, but glibc's allocator keeps
the freed pages for the process, so the worker grew by about 5 MB with each report on a large database
(bench/README.md, "Memory"). `hands_memory_back` collects the cycles a figure leaves (a matplotlib Figure
and its canvas refer to each other) and asks glibc to return its free pages (`malloc_trim`). The collection is the costly part (about 45 ms
with the report libraries loaded, the interpreter held meanwhile), so builders called from a wrapped
function (the report's chart, PDF and workbook) release once, when the outermost one returns.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")
_depth = threading.local()  # how many wrapped functions this thread is inside


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where the C library has none (musl, macOS, Windows)."""
    try:
        import ctypes

        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError, TypeError):
        return None


def release() -> bool:
    """Collect unreachable objects and return the C heap's free pages to the system; False if it cannot."""
    gc.collect()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def hands_memory_back(fn: Callable[P, T]) -> Callable[P, T]:
    """Run fn, then release() what it freed, whether it returned or raised (once, by the outermost)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        depth = getattr(_depth, "value", 0)
        _depth.value = depth + 1
        try:
            return fn(*args, **kwargs)
        finally:
            _depth.value = depth
            if depth == 0:
                release()

    return wrapper
