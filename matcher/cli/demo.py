"""``partnermatch demo``: make the sample ecosystem ready to serve, doing only what is not done.

``make demo`` runs it, then ``partnermatch serve`` on the same port. It checks first that the
port is free, so a busy port fails in a second with one line and changes nothing. A second run
finds the sample loaded, the index current and the demo keys active, and keeps them: it
re-ingests nothing, revokes no key that was pasted into a shell, and says which keys exist and
how to make new ones.

The sample counts as loaded while the files are the ones the demo last loaded (their SHA-256
is kept in ``<home>/demo-sample.json``) into the same database, and the store still holds at
least the partners and outcomes it held then. Changes made since through the API or the CLI
(a paused partner, feedback) are kept; a changed ``data/sample``, another database or deleted
rows load the sample again (an upsert by id).
"""

from __future__ import annotations

import errno
import hashlib
import json
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from matcher.cli.console import console, ingest_with_progress, open_store, print_problems

if TYPE_CHECKING:
    from matcher.ingest import Kind
    from matcher.keys import ApiKey
    from matcher.settings import Settings
    from matcher.store import Store

SAMPLE_DIR = Path("data/sample")
SAMPLE_FILES: tuple[tuple[Kind, str], ...] = (
    ("partners", "partners.csv"),
    ("outcomes", "outcomes.csv"),
)
"""What the demo loads, in order (outcomes refer to partners): (kind, file name)."""
STAMP_NAME = "demo-sample.json"
DEMO_LABEL = "demo"
"""The label of the keys the demo makes (the same as ``partnermatch keys demo``)."""


class DemoError(Exception):
    """The demo cannot be prepared; the message is one line saying what to do."""


# -- the port ----------------------------------------------------------------------------------


def port_problem(host: str, port: int) -> str | None:
    """Why ``partnermatch serve`` could not listen on ``host:port`` now, or ``None`` if it can.

    Binds a socket the way uvicorn does (``SO_REUSEADDR``, so a port left in TIME_WAIT by a
    server that just stopped counts as free) and closes it at once.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        return f"cannot resolve the host {host!r}: {error.strerror}"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use (an earlier `make demo` still "
                    f"serving?): stop it, or choose another port: PORT={port + 1} make demo"
                )
            if error.errno == errno.EACCES:
                return f"port {port} needs privileges: choose one above 1023, e.g. PORT=8000"
            return f"cannot listen on {host}:{port}: {error.strerror or error}"
    return None


# -- the sample --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleStamp:
    """What the demo loaded last: the files' SHA-256, the database, and the counts after."""

    files: dict[str, str]
    database: str
    partners: int
    outcomes: int


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _database_id(settings: Settings) -> str:
    # a hash, so that a PostgreSQL password in the URL is never written to the stamp
    return hashlib.sha256(settings.resolved_database_url.encode()).hexdigest()[:16]


def stamp_path(settings: Settings) -> Path:
    """Where the demo keeps its :class:`SampleStamp`: ``<home>/demo-sample.json``."""
    return settings.home / STAMP_NAME


def read_stamp(path: Path) -> SampleStamp | None:
    """The stamp at ``path``; ``None`` if there is none or it is unreadable (load again)."""
    try:
        return SampleStamp(**json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def sample_files(sample_dir: Path) -> list[tuple[Kind, Path]]:
    """The sample's (kind, path) pairs, in load order; :class:`DemoError` if one is missing."""
    files = [(kind, sample_dir / name) for kind, name in SAMPLE_FILES]
    for _, path in files:
        if not path.is_file():
            raise DemoError(f"no sample file {path}: run `make demo` from the repository root")
    return files


def why_load(store: Store, settings: Settings, sample_dir: Path) -> str | None:
    """Why the sample must be (re)loaded into ``store``, or ``None`` when it is current."""
    stamp = read_stamp(stamp_path(settings))
    if stamp is None:
        return "not loaded by the demo yet"
    if stamp.database != _database_id(settings):
        return "the demo loaded it into another database"
    digests = {path.name: _sha256(path) for _, path in sample_files(sample_dir)}
    if stamp.files != digests:
        changed = sorted(name for name in digests if stamp.files.get(name) != digests[name])
        return f"{', '.join(changed)} changed since the demo loaded it"
    if store.count_partners() < stamp.partners or store.count_outcomes() < stamp.outcomes:
        return "the store holds fewer partners or outcomes than the demo loaded"
    return None


def load_sample(store: Store, settings: Settings, sample_dir: Path) -> SampleStamp:
    """Ingest the sample (all or nothing per file, an upsert by id) and write its stamp.

    Raises:
        DemoError: a sample file does not load (its problems are printed first).
    """
    from matcher.ingest import IngestError

    files = sample_files(sample_dir)
    for kind, path in files:
        try:
            report = ingest_with_progress(store, kind, path, chunk_rows=settings.ingest_chunk_rows)
        except IngestError as error:
            raise DemoError(f"{path}: {error}; nothing was loaded") from None
        if not report.committed:
            print_problems(path.name, report.warnings, report.problems)
            raise DemoError(f"{path} has {report.rows_rejected} bad rows; nothing was loaded")
        console.print(f"loaded {report.rows_loaded} {kind} from {path}")
    stamp = SampleStamp(
        files={path.name: _sha256(path) for _, path in files},
        database=_database_id(settings),
        partners=store.count_partners(),
        outcomes=store.count_outcomes(),
    )
    path = stamp_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(stamp), indent=2) + "\n", encoding="utf-8")
    return stamp


# -- the index ---------------------------------------------------------------------------------


def index_is_current(store: Store, settings: Settings) -> bool:
    """Whether a saved index exists and was built from the partners the store holds now.

    Built with another embedding model it still counts: the server rebuilds it at start, from
    the vector cache where it can.
    """
    from matcher.engine.build import index_dir
    from matcher.engine.index import IndexLoadError, read_manifest

    try:
        manifest = read_manifest(index_dir(settings), missing_ok=True)
    except IndexLoadError:
        return False
    return manifest is not None and manifest.store_fingerprint == store.partner_fingerprint()


# -- the keys ----------------------------------------------------------------------------------


def demo_keys(store: Store) -> tuple[dict[str, str], list[ApiKey]]:
    """Active demo keys are kept; a key is made for each role that has none.

    Returns the new keys' secrets by role (shown only now) and the kept keys' records.
    """
    from matcher import keys

    kept = [key for key in keys.list_keys(store) if key.label == DEMO_LABEL and key.active]
    held = {key.role for key in kept}
    created = {
        role: keys.create_key(store, role, DEMO_LABEL)[1] for role in keys.ROLES if role not in held
    }
    return created, kept


def _print_keys(created: dict[str, str], kept: list[ApiKey]) -> None:
    if kept:
        console.print(
            "demo keys kept, one per role (made earlier; only their hashes are stored, so the "
            "secrets are the ones printed then): "
            + ", ".join(f"{key.role} {key.key_id}" for key in kept),
            highlight=False,
        )
        console.print(
            "new ones: `partnermatch keys demo` replaces all of them (the old ones stop "
            "working); `partnermatch keys create --role seller` adds one"
        )
    if created:
        console.print("New demo API keys (paste these lines into your shell):")
        for role, secret in created.items():
            typer.echo(f"export {role.upper()}_KEY={secret}")


# -- the command -------------------------------------------------------------------------------


def demo(
    host: str = typer.Option("127.0.0.1", help="The interface `serve` will listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="The port `serve` will listen on."),
    sample: Path = typer.Option(SAMPLE_DIR, help="The folder with partners.csv, outcomes.csv."),
) -> None:
    """Make the sample ecosystem ready to serve (what `make demo` runs before `serve`).

    The port is checked first; then the sample, the index and one demo key per role are each
    made only when they are not already current.
    """
    problem = port_problem(host, port)
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(code=1)
    from matcher.cli import engine as engine_commands
    from matcher.settings import get_settings

    settings = get_settings()
    store = open_store()
    try:
        reason = why_load(store, settings, sample)
        if reason is None:
            console.print(
                f"sample: current ({store.count_partners()} partners, "
                f"{store.count_outcomes()} outcomes), not loaded again"
            )
        else:
            console.print(f"sample: loading {sample} ({reason})")
            load_sample(store, settings, sample)
    except DemoError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from None
    if index_is_current(store, settings):
        console.print("index: current, not rebuilt")
    else:
        engine_commands.index_build()
    _print_keys(*demo_keys(store))
    console.print(f"serving on http://{host}:{port}/ (the API manual at /docs); Ctrl-C stops it")


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the ``partnermatch`` command."""
    app.command("demo")(demo)
