"""Every CLI error as one clear line on stderr; the traceback only with ``partnermatch --debug``.

An unexpected exception used to print a traceback, and a full disk printed SQL with row data
in it. Expected errors (bad files, bad options) are handled by the commands; this is the net
under everything else.
"""

from __future__ import annotations

import errno
import sys
from typing import Any

import typer

DEBUG_FLAG = "--debug"
_DISK_FULL = "the disk is full: free some space and run the command again"


def describe(error: BaseException) -> str:
    """One line naming what went wrong, without SQL, parameters or row data."""
    cause = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's error
    if isinstance(cause, OSError) and cause.errno == errno.ENOSPC:
        return _DISK_FULL
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    if "disk is full" in text or "disk full" in text:
        return _DISK_FULL
    return f"{type(cause).__name__}: {text}"[:300] if text else type(cause).__name__


class OneLineErrors(typer.Typer):
    """A ``typer.Typer`` whose unexpected errors end the process with one line and status 1."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as error:
            if DEBUG_FLAG in sys.argv[1:]:
                raise
            typer.echo(f"error: {describe(error)} (run with {DEBUG_FLAG} for details)", err=True)
            raise SystemExit(1) from None
