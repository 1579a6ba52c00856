"""Schema migrations (Alembic) for SQLite and PostgreSQL, run by every ``Store`` on open.

A database created before migrations existed (tables, no ``alembic_version``) holds exactly the
baseline schema, so it is stamped at the baseline and then upgraded like any other. On
PostgreSQL an advisory lock serialises the upgrade, so that several workers or replicas starting
at once do not race to create the same tables.

Adding or changing a table: define it on ``matcher.store.metadata`` (import that MetaData in
your own module if the table lives elsewhere, and import the module in ``env.py``), then run
``python -m matcher.migrations revision "what changed"`` and review the generated file in
``versions/``.

Alembic takes a quarter of a second to import, and every ``partnermatch`` command that opens
the store would pay it: a database already at the newest revision (the usual case) is told
apart with one query against the revisions written in ``versions/``, and Alembic is imported
only when there is something to do.
"""

from __future__ import annotations

import ast
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from alembic.config import Config

BASELINE = "0001"
_SCRIPTS = Path(__file__).resolve().parent
# any number that no other part of the service takes as an advisory lock key
MIGRATION_LOCK = 0x70_6D_6D_67


def _config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["connection"] = connection
    return config


def _declared_head() -> str | None:
    """The newest revision, read from the ``revision``/``down_revision`` lines of the files in
    ``versions/`` without importing Alembic; ``None`` unless there is exactly one head.

    Parsed once per process and set of files (``ast`` objects must not be built by two threads
    at once on Python 3.11, and replicas open their stores in parallel threads in the tests).
    """
    files = sorted((_SCRIPTS / "versions").glob("*.py"))
    key = tuple((path.name, path.stat().st_mtime_ns) for path in files)
    with _HEAD_LOCK:
        if key not in _HEADS:
            _HEADS[key] = _head_of(files)
        return _HEADS[key]


_HEAD_LOCK = threading.Lock()
_HEADS: dict[tuple[tuple[str, int], ...], str | None] = {}


def _head_of(files: list[Path]) -> str | None:
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in files:
        for name, value in _assignments(path):
            if name == "revision" and isinstance(value, str):
                revisions.add(value)
            elif name == "down_revision" and isinstance(value, str):
                revised.add(value)
            elif name == "down_revision" and isinstance(value, tuple | list):
                revised.update(str(parent) for parent in value)
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def _assignments(path: Path) -> list[tuple[str, object]]:
    """The module-level ``name = literal`` assignments of a migration file."""
    found: list[tuple[str, object]] = []
    for node in ast.parse(path.read_text("utf-8")).body:
        targets: list[ast.expr]
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        elif isinstance(node, ast.Assign):
            targets, value = list(node.targets), node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                try:
                    found.append((target.id, ast.literal_eval(value)))
                except ValueError:
                    continue
    return found


def _at_head(engine: Engine) -> bool:
    """Whether the database records exactly the newest revision (nothing to migrate)."""
    head = _declared_head()
    if head is None:
        return False
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        current = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return [row[0] for row in current] == [head]


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema (creating it when empty)."""
    if _at_head(engine):
        return
    from alembic import command
    from alembic.migration import MigrationContext

    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config = _config(connection)
        unversioned = MigrationContext.configure(connection).get_current_revision() is None
        if unversioned and inspect(connection).has_table("partners"):
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None``: never migrated)."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision in ``versions/``: what ``upgrade`` brings a database to."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return ScriptDirectory.from_config(config).get_current_head()


def revision(message: str) -> None:
    """Write a new migration: the difference between ``head`` and ``matcher.store.metadata``."""
    from alembic import command

    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/head.db")
        with engine.begin() as connection:
            config = _config(connection)
            command.upgrade(config, "head")
            # numbered ids (0001, 0002, ...) so that the files sort in the order they apply
            number = len(list((_SCRIPTS / "versions").glob("[0-9]*.py"))) + 1
            command.revision(config, message=message, autogenerate=True, rev_id=f"{number:04d}")
        engine.dispose()
