"""Schema migrations (Alembic) for SQLite and PostgreSQL, run by every ``Store`` on open.

A database created before migrations existed (tables, no ``alembic_version``) holds exactly the
baseline schema, so it is stamped at the baseline and then upgraded like any other. On
PostgreSQL an advisory lock serialises the upgrade, so that several workers or replicas starting
at once do not race to create the same tables.

Adding or changing a table: define it on ``matcher.store.metadata`` (import that MetaData in
your own module if the table lives elsewhere, and import the module in ``env.py``), then run
``python -m matcher.migrations revision "what changed"`` and review the generated file in
``versions/``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine

BASELINE = "0001"
_SCRIPTS = Path(__file__).resolve().parent
# any number that no other part of the service takes as an advisory lock key
MIGRATION_LOCK = 0x70_6D_6D_67


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema (creating it when empty)."""
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
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision in ``versions/``: what ``upgrade`` brings a database to."""
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return ScriptDirectory.from_config(config).get_current_head()


def revision(message: str) -> None:
    """Write a new migration: the difference between ``head`` and ``matcher.store.metadata``."""
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/head.db")
        with engine.begin() as connection:
            config = _config(connection)
            command.upgrade(config, "head")
            # numbered ids (0001, 0002, ...) so that the files sort in the order they apply
            number = len(list((_SCRIPTS / "versions").glob("[0-9]*.py"))) + 1
            command.revision(config, message=message, autogenerate=True, rev_id=f"{number:04d}")
        engine.dispose()
