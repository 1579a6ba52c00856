"""The ``partnermatch simulate`` command: write a simulated partner ecosystem to a folder.

Loaded by the main CLI through the ``partnermatch.commands`` entry-point group; see
:func:`register`. The simulator is imported when the command runs, not when every
``partnermatch`` call loads this module.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.progress import TaskID


class FileFormat(StrEnum):
    """File format of partners and outcomes (judged deals are always JSONL)."""

    csv = "csv"
    jsonl = "jsonl"


def _at_least(minimum: int, option: str) -> Callable[[int | None], int | None]:
    """A typer callback refusing values below ``minimum`` with a clear message."""

    def check(value: int | None) -> int | None:
        if value is not None and value < minimum:
            raise typer.BadParameter(f"must be at least {minimum}, got {value}", param_hint=option)
        return value

    return check


def simulate_command(
    partners: int = typer.Option(
        ..., "--partners", help="Number of partners.", callback=_at_least(1, "--partners")
    ),
    deals: int = typer.Option(
        ...,
        "--deals",
        help="Number of historical deals (= outcome rows unless --outcomes is given).",
        callback=_at_least(0, "--deals"),
    ),
    out: Path = typer.Option(..., "--out", help="Folder to write the files to (created)."),
    seed: int = typer.Option(42, "--seed", help="Random seed.", callback=_at_least(0, "--seed")),
    outcomes: int | None = typer.Option(
        None,
        "--outcomes",
        help="Outcome rows, between DEALS and 2 x DEALS: extra rows add a co-selling partner.",
        callback=_at_least(0, "--outcomes"),
    ),
    judged: int = typer.Option(
        200, "--judged", help="Judged deal requests.", callback=_at_least(0, "--judged")
    ),
    file_format: FileFormat = typer.Option(
        FileFormat.csv, "--format", help="Format of partners and outcomes."
    ),
) -> None:
    """Write a simulated partner ecosystem: partners, outcomes and judged deals.

    The same seed gives byte-identical files; data/README.md describes the hidden process.
    """
    if outcomes is not None and not deals <= outcomes <= 2 * deals:
        raise typer.BadParameter(
            f"must be between --deals and twice --deals ({deals}..{2 * deals}), got {outcomes}",
            param_hint="--outcomes",
        )
    if out.exists() and not out.is_dir():
        raise typer.BadParameter(f"{out} exists and is not a folder", param_hint="--out")
    from matcher.cli.console import console, progress_bar
    from training.simulate import simulate

    with progress_bar() as bar:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        try:
            summary = simulate(
                out,
                partners,
                deals,
                n_outcomes=outcomes,
                n_judged=judged,
                seed=seed,
                fmt=file_format.value,
                progress=report,
            )
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
        except OSError as error:
            console.print(f"[red]error:[/red] cannot write to {out}: {error.strerror or error}")
            raise typer.Exit(code=1) from None
    typer.echo(f"partners: {summary.n_partners} -> {summary.partners_path}")
    win_rate = f", win rate {summary.win_rate:.1%}" if summary.n_deals else ""
    typer.echo(
        f"outcomes: {summary.n_outcomes} rows, {summary.n_deals} deals{win_rate} "
        f"-> {summary.outcomes_path}"
    )
    typer.echo(f"judged deals: {summary.n_judged} -> {summary.judged_path}")
    typer.echo(f"seed {summary.seed}, {summary.seconds:.1f} s")


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to the ``partnermatch`` app."""
    app.command("simulate")(simulate_command)
