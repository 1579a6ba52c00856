"""What every ``partnermatch`` command shares: the stderr console, the progress bar, the store
the settings name, and one way of listing a file's problems.

Kept apart from the command tree so that command modules import it without importing each
other (stdout stays data; messages go to stderr). It imports nothing heavy: the store, the
settings and the progress bar load when a command first asks for them, so that
``partnermatch --help`` stays fast (``tests/cli/test_start.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress

    from matcher.store import Store

console = Console(stderr=True, soft_wrap=True)
MAX_PROBLEMS_SHOWN = 50


def progress_bar() -> Progress:
    """The progress bar every long-running command shows (on stderr, so stdout stays data)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )


def open_store() -> Store:
    """The store named by the settings (``PARTNERMATCH_HOME`` / ``PARTNERMATCH_DATABASE_URL``)."""
    from matcher.settings import get_settings
    from matcher.store import Store

    return Store.from_settings(get_settings())


def print_problems(file_name: str, warnings: Sequence[str], problems: Sequence[object]) -> None:
    """A file's warnings, then its first :data:`MAX_PROBLEMS_SHOWN` problems (each names the
    line and column), then how many more there were."""
    for warning in warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        console.print(f"{file_name}: {problem}", highlight=False)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        console.print(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more problems")
