"""Alembic environment: migrations run on the connection ``matcher.migrations`` hands in.

Tables are compared against ``matcher.store.metadata``, the one MetaData every table of the
service is defined on; a module that defines a table elsewhere must be imported here so that
``python -m matcher.migrations revision`` sees it.
"""

from __future__ import annotations

from alembic import context

import matcher.recruiting.tables  # noqa: F401  (the screening batches' tables)
from matcher.store import metadata

# batch mode so that ALTERs also work on SQLite (which rebuilds the table for them)
context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=metadata,
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
