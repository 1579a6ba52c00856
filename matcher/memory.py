"""Giving memory back to the operating system after a bulk load.

Loading the engine or the outcome histories allocates and frees gigabytes at a million
partners; glibc keeps the freed heap for reuse, so the process stays that large although it
no longer uses it.
"""

from __future__ import annotations

import contextlib
import ctypes


def return_freed_memory() -> None:
    """Return the freed heap to the OS (``malloc_trim``); a no-op where libc is not glibc.

    Measured after loading a 100k-partner engine: 617 MB resident before, 459 MB after.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
