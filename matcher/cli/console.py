"""What every ``partnermatch`` command shares: the stderr console, the progress bar, the store
the settings name, and one way of listing a file's problems.

Kept apart from the command tree so that command modules import it without importing each
other (stdout stays data; messages go to stderr). It imports nothing heavy: the store, the
settings and the progress bar load when a command first asks for them, so that
``partnermatch --help`` stays fast (``tests/cli/test_start.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress

    from matcher.ingest import IngestReport, Kind
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


def expected_rows(path: Path) -> int | None:
    """About how many records a CSV or JSONL file holds (its non-blank lines, less a CSV's
    header), for the progress bar's total; ``None`` when the file cannot be read. A quoted CSV
    field spanning lines makes it an over-estimate: the bar is completed at the end anyway."""
    try:
        with path.open("rb") as lines:
            count = sum(1 for line in lines if line.strip())
    except OSError:
        return None
    return max(count - (path.suffix.lower() == ".csv"), 0)


def ingest_with_progress(store: Store, kind: Kind, path: Path, **options: Any) -> IngestReport:
    """:func:`matcher.ingest.ingest` with a progress bar of records read out of the file's
    :func:`expected_rows`; raises its ``IngestError`` (nothing loaded) as it does."""
    from matcher.ingest import ingest

    with progress_bar() as progress:
        task = progress.add_task(f"ingest {kind}", total=expected_rows(path))
        report = ingest(
            store,
            kind,
            path,
            progress=lambda rows: progress.update(task, completed=rows),
            **options,
        )
        progress.update(task, total=report.rows_read, completed=report.rows_read)
    return report
