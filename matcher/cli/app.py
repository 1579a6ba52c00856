"""The ``partnermatch`` command line: a thin layer over :mod:`matcher`.

Commands from the other packages (``simulate`` and ``train`` from ``training``, ``serve`` from
``api``) plug in through the ``partnermatch.commands`` entry-point group, so the core library
never imports them (DESIGN.md section 2).

Every command module imports only typer and rich at the top; what a command works with (the
store, ingestion, the engine, torch, FAISS, pandas, scikit-learn) is imported inside the
command, so that ``--help`` and the light commands start in well under a second
(``bench/cli_start.py``; ``tests/cli/test_start.py`` fails if a heavy library creeps back).
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from matcher.cli import audit, demo, engine, ipp, partners
from matcher.cli.console import console, ingest_with_progress, open_store, print_problems
from matcher.cli.errors import DEBUG_FLAG, OneLineErrors

if TYPE_CHECKING:
    from matcher.ingest import IngestReport, Kind

ROLES_HELP = "One of: admin, seller, recruiter, widget."
"""The ``--role`` help, written out so that ``--help`` need not import the store; a test
checks it names every role of :data:`matcher.keys.ROLES`."""

app = OneLineErrors(
    help="partnermatch: find the right partner for a deal, a customer or a recruiting drive.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global_options(
    debug: bool = typer.Option(
        False, DEBUG_FLAG, help="On an unexpected error, show the full traceback."
    ),
) -> None:
    """``--debug`` is read by :class:`OneLineErrors`; declared here so the CLI accepts it."""


ingest_app = typer.Typer(
    help="Load partner or outcome files (CSV or JSONL) into the store.", no_args_is_help=True
)
app.add_typer(ingest_app, name="ingest")
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _ingest_command(kind: Kind, path: Path, skip_invalid: bool, rejects: Path | None) -> None:
    from matcher.ingest import IngestError
    from matcher.settings import get_settings

    store = open_store()
    try:
        report = ingest_with_progress(
            store,
            kind,
            path,
            skip_invalid=skip_invalid,
            rejects_path=rejects,
            chunk_rows=get_settings().ingest_chunk_rows,
        )
    except IngestError as error:
        console.print(f"[red]error:[/red] {error}. Nothing was loaded.")
        raise typer.Exit(code=2) from None
    _print_report(report, skip_invalid)
    if not report.committed:
        raise typer.Exit(code=1)


def _print_report(report: IngestReport, skip_invalid: bool) -> None:
    print_problems(report.path.name, report.warnings, report.problems)
    if report.rejects_path:
        console.print(f"rejected rows and their reasons: {report.rejects_path}")
    if not report.committed:
        console.print(
            f"[red]{report.rows_rejected} of {report.rows_read} rows have problems; nothing was "
            "loaded.[/red] Fix them, or load the good rows with --skip-invalid."
        )
    else:
        skipped = f", {report.rows_rejected} rejected" if skip_invalid and report.problems else ""
        console.print(f"loaded {report.rows_loaded} {report.kind} from {report.path.name}{skipped}")


@ingest_app.command("partners")
def ingest_partners(
    path: Path = typer.Argument(..., help="partners.csv or partners.jsonl (DESIGN.md 3.1)"),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Load good rows, reject bad ones."
    ),
    rejects: Path | None = typer.Option(None, help="Write rejected rows with reasons here."),
) -> None:
    """Load or update partners (by partner_id). A file with any bad row changes nothing."""
    _ingest_command("partners", path, skip_invalid, rejects)


@ingest_app.command("outcomes")
def ingest_outcomes(
    path: Path = typer.Argument(..., help="outcomes.csv or outcomes.jsonl (DESIGN.md 3.2)"),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Load good rows, reject bad ones."
    ),
    rejects: Path | None = typer.Option(None, help="Write rejected rows with reasons here."),
) -> None:
    """Load or update deal outcomes (by deal_id + partner_id); partners must be loaded first."""
    _ingest_command("outcomes", path, skip_invalid, rejects)


@app.command()
def status() -> None:
    """Where the state lives and what it holds."""
    from matcher.settings import get_settings

    settings = get_settings()
    store = open_store()
    typer.echo(f"home: {settings.home.resolve()}")
    typer.echo(f"database: {settings.resolved_database_url}")
    typer.echo(f"partners: {store.count_partners()}")
    typer.echo(f"outcomes: {store.count_outcomes()}")


@keys_app.command("create")
def keys_create(
    role: str = typer.Option(..., help=ROLES_HELP),
    label: str | None = typer.Option(None, help="Who or what the key is for."),
) -> None:
    """Create an API key. The key is printed once, alone on the last line; store it safely."""
    from matcher import keys

    try:
        record, secret = keys.create_key(open_store(), role, label)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--role") from None
    typer.echo(f"created {record.role} key {record.key_id}" + (f" ({label})" if label else ""))
    typer.echo(secret)


@keys_app.command("list")
def keys_list() -> None:
    """Every key: id, role, label, created, revoked."""
    from matcher import keys

    for record in keys.list_keys(open_store()):
        state = f"revoked {record.revoked_at:%Y-%m-%d}" if record.revoked_at else "active"
        typer.echo(
            f"{record.key_id}\t{record.role}\t{record.label or ''}\t"
            f"{record.created_at:%Y-%m-%d}\t{state}"
        )


@keys_app.command("revoke")
def keys_revoke(key_id: str = typer.Argument(..., help="The key id shown by `keys list`.")) -> None:
    """Revoke a key: requests with it are refused from now on."""
    from matcher import keys

    if not keys.revoke_key(open_store(), key_id):
        console.print(f"[red]error:[/red] no active key with id {key_id!r}")
        raise typer.Exit(code=1)
    typer.echo(f"revoked {key_id}")


@keys_app.command("demo")
def keys_demo() -> None:
    """Replace the demo keys with a fresh one per role and print them as shell variables
    (the keys printed before stop working)."""
    from matcher import keys

    for role, secret in keys.rotate_demo_keys(open_store()).items():
        typer.echo(f"export {role.upper()}_KEY={secret}")


def _load_plugins() -> None:
    """Add the commands other packages register under ``partnermatch.commands`` (``training``
    and ``api``: the core library never imports them)."""
    for entry_point in sorted(entry_points(group="partnermatch.commands"), key=lambda e: e.name):
        try:
            register = entry_point.load()
        except ImportError as error:  # a broken plugin must not take the core commands down
            logging.getLogger(__name__).warning(
                "commands from %s unavailable: %s", entry_point.name, error
            )
            continue
        register(app)


logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
engine.register(app)
demo.register(app)
ipp.register(app)
partners.register(app)
audit.register(app)
_load_plugins()
