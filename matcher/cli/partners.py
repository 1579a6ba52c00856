"""CLI commands on single partners: ``partners pause ID --until DATE`` and ``--clear``.

Registered on the ``partnermatch`` command by :mod:`matcher.cli.app`; a thin layer over
:meth:`matcher.store.Store.set_paused_until`, which changes ``paused_until`` and nothing else.
"""

from __future__ import annotations

from datetime import date

import typer

from matcher.cli.console import console, open_store

partners_app = typer.Typer(help="Change single partners in the store.", no_args_is_help=True)


def _until(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        until = date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD") from None
    if until <= date.today():
        raise typer.BadParameter(
            f"{until} is not after today: a pause ends on its date (use --clear to unpause)"
        )
    return until


@partners_app.command("pause")
def pause(
    partner_id: str = typer.Argument(..., help="The partner's id, e.g. P-000042."),
    until: str | None = typer.Option(
        None, "--until", help="Take no new projects before this date (YYYY-MM-DD)."
    ),
    clear: bool = typer.Option(False, "--clear", help="End the pause now."),
) -> None:
    """Pause a partner (left out of recommendations until the date) or end its pause.

    Only ``paused_until`` changes. A running server sees the change after a re-index
    (``POST /v1/index/rebuild``) or a restart; ``PUT /v1/partners/{id}`` reaches it at once.
    """
    if clear == (until is not None):
        raise typer.BadParameter("give either --until DATE or --clear", param_hint="--until")
    from pydantic import ValidationError

    from matcher.schemas import field_problems

    store = open_store()
    try:
        partner = store.set_paused_until(partner_id, _until(until))
    except ValidationError as error:
        for problem in field_problems(error):
            console.print(
                f"[red]error:[/red] stored profile of {partner_id}: {problem.field}: "
                f"{problem.message}; nothing was changed",
                highlight=False,
            )
        raise typer.Exit(code=1) from None
    if partner is None:
        console.print(f"[red]error:[/red] no partner with id {partner_id!r}", highlight=False)
        raise typer.Exit(code=1)
    if partner.paused_until is None:
        typer.echo(f"{partner_id} is not paused")
    else:
        typer.echo(f"{partner_id} is paused until {partner.paused_until.isoformat()}")
    console.print(
        "the saved index is now behind the store: `partnermatch index build` (or "
        "`POST /v1/index/rebuild` on a running server) takes the change in"
    )


def register(app: typer.Typer) -> None:
    """Add ``partners`` to the ``partnermatch`` command."""
    app.add_typer(partners_app, name="partners")
