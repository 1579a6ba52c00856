"""``partnermatch audit export|purge``: the log of served recommendations out to a file, and
its retention limit applied."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from matcher.cli.console import console, open_store

audit_app = typer.Typer(help="Export or purge the audit log.", no_args_is_help=True)


def _since(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO date or time, e.g. 2026-12-01") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@audit_app.command("export")
def export(
    since: str = typer.Option(..., help="ISO date or time: records served from then on."),
    output: Path = typer.Option(..., "-o", "--output", help="The JSON Lines file to write."),
) -> None:
    """Write every audit record since a date as JSON Lines, oldest first."""
    from matcher.audit import records_since

    start, count = _since(since), 0
    with output.open("w", encoding="utf-8") as lines:
        for record in records_since(open_store(), start):
            lines.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    console.print(f"{count} audit records written to {output}")


@audit_app.command("purge")
def purge() -> None:
    """Delete the records older than PARTNERMATCH_AUDIT_RETENTION_DAYS (default 365)."""
    from matcher.audit import purge_before
    from matcher.settings import get_settings

    days = get_settings().audit_retention_days
    deleted = purge_before(open_store(), datetime.now(UTC) - timedelta(days=days))
    console.print(f"{deleted} audit records older than {days} days deleted")


def register(app: typer.Typer) -> None:
    """Add the ``audit`` command group to the ``partnermatch`` CLI."""
    app.add_typer(audit_app, name="audit")
