from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from matcher import migrations
from matcher.schemas import Partner
from matcher.store import Store, metadata
from tests.pg_cluster import Cluster

pytestmark = pytest.mark.both_databases


def test_a_new_database_is_migrated_to_head_and_matches_the_tables_in_code(store: Store) -> None:
    assert migrations.current_revision(store.engine) == migrations.head_revision()
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_opening_a_migrated_database_again_changes_nothing(store: Store) -> None:
    store.upsert_partners([Partner(partner_id="P-1", name="Acme", partner_type="reseller")])
    again = Store(store.url)
    assert migrations.current_revision(again.engine) == migrations.head_revision()
    assert again.count_partners() == 1


def test_a_sqlite_file_from_before_migrations_is_stamped_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url)
    # what Store created before there were migrations: the baseline's tables, unversioned
    with old.begin() as connection:
        command.upgrade(migrations._config(connection), migrations.BASELINE)
        connection.execute(text("DROP TABLE alembic_version"))
    with old.begin() as connection:
        connection.execute(
            metadata.tables["api_keys"].insert(),
            {
                "key_id": "k1",
                "key_hash": "h",
                "role": "admin",
                "created_at": datetime(2026, 1, 1, tzinfo=UTC),
            },
        )
    old.dispose()
    assert migrations.current_revision(create_engine(url)) is None
    store = Store(url)
    assert migrations.current_revision(store.engine) == migrations.head_revision()
    with store.engine.connect() as connection:
        assert connection.execute(metadata.tables["api_keys"].select()).all()[0].key_id == "k1"


def test_replicas_starting_at_once_on_an_empty_postgresql_database_all_come_up(
    postgres_cluster: Cluster,
) -> None:
    """Without the advisory lock several would race to CREATE TABLE and all but one fail."""
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=postgres_cluster.port, user=postgres_cluster.user,
        dbname="postgres", autocommit=True,
    ) as admin:  # fmt: skip
        admin.execute("DROP DATABASE IF EXISTS replicas_at_once")
        admin.execute("CREATE DATABASE replicas_at_once")
    url = postgres_cluster.url("replicas_at_once")
    with ThreadPoolExecutor(max_workers=6) as pool:
        stores = list(pool.map(lambda _: Store(url), range(6)))
    assert {migrations.current_revision(store.engine) for store in stores} == {
        migrations.head_revision()
    }
    for store in stores:
        store.engine.dispose()
