"""The change log: every write a serving process follows appends a version, in commit order."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select

from matcher import keys
from matcher.embedding.base import FakeEmbedder
from matcher.engine.build import build_engine, index_dir
from matcher.engine.index import read_manifest
from matcher.ingest import ingest
from matcher.ipp.matrix import MatrixScorer
from matcher.ipp.registry import ModelRegistry
from matcher.schemas import Outcome, Partner
from matcher.settings import Settings
from matcher.store import (
    API_KEY_CREATED,
    API_KEY_REVOKED,
    CHANGES_CHANNEL,
    INDEX_REBUILT,
    MODEL_PROMOTED,
    MODEL_ROLLED_BACK,
    OUTCOMES_INGESTED,
    PARTNER_DELETED,
    PARTNER_UPSERTED,
    Store,
    change_log,
)

pytestmark = pytest.mark.both_databases

REPO = Path(__file__).resolve().parents[2]


def partner(partner_id: str, **fields: object) -> Partner:
    return Partner(
        partner_id=partner_id, name=f"Partner {partner_id}", partner_type="isv", **fields
    )


def logged(store: Store, since: int = 0) -> list[tuple[str, str | None]]:
    return [(change.kind, change.subject) for change in store.changes_since(since)]


def test_partner_writes_append_one_version_each_in_order(store: Store) -> None:
    store.upsert_partners([partner("P-1"), partner("P-2")])
    store.delete_partner("P-1")
    store.delete_partner("P-1")  # nothing deleted: nothing logged
    store.set_paused_until("P-2", None)
    assert logged(store) == [
        (PARTNER_UPSERTED, "P-1"),
        (PARTNER_UPSERTED, "P-2"),
        (PARTNER_DELETED, "P-1"),
        (PARTNER_UPSERTED, "P-2"),
    ]
    versions = [change.version for change in store.changes_since(0)]
    assert versions == sorted(versions) and len(set(versions)) == 4
    assert store.change_version() == versions[-1]


def test_an_ingested_file_is_logged_with_its_rows_and_a_rejected_one_not_at_all(
    store: Store, tmp_path: Path
) -> None:
    good = tmp_path / "partners.csv"
    good.write_text("partner_id,name,partner_type\nP-1,Acme,isv\nP-2,Beta,reseller\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("partner_id,name,partner_type\nP-3,Gamma,isv\nP-4,Delta,not-a-type\n")
    ingest(store, "partners", good)
    version = store.change_version()
    report = ingest(store, "partners", bad)
    assert not report.committed
    assert store.change_version() == version  # rolled back with the rows it described
    assert logged(store) == [(PARTNER_UPSERTED, "P-1"), (PARTNER_UPSERTED, "P-2")]


def test_a_failed_transaction_appends_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as connection:
        store.upsert_partners([partner("P-1")], connection)
        raise RuntimeError("the write fails after the upsert")
    assert store.change_version() == 0
    assert store.get_partner("P-1") is None


def test_outcomes_are_logged_once_per_batch(store: Store) -> None:
    store.upsert_partners([partner("P-1")])
    version = store.change_version()
    outcome = {"partner_id": "P-1", "role": "sourced", "won": True, "closed_on": "2026-01-05"}
    store.upsert_outcomes([Outcome(deal_id=f"D-{i}", **outcome) for i in range(3)])
    assert logged(store, version) == [(OUTCOMES_INGESTED, "3")]


def test_api_keys_created_and_revoked_are_logged(store: Store) -> None:
    record, _ = keys.create_key(store, "seller")
    keys.revoke_key(store, record.key_id)
    keys.revoke_key(store, record.key_id)  # already revoked: nothing logged
    assert logged(store) == [(API_KEY_CREATED, record.key_id), (API_KEY_REVOKED, record.key_id)]


def test_a_promotion_and_a_rollback_given_the_store_are_logged(
    store: Store, tmp_path: Path
) -> None:
    registry = ModelRegistry(tmp_path / "models")
    for version in ("ipp-0001", "ipp-0002"):
        shutil.copytree(REPO / "models" / "ipp-0001", registry.root / version)
    registry.promote("ipp-0001", store=store)
    registry.promote("ipp-0002", store=store)
    assert registry.rollback(store=store) == "ipp-0001"
    assert logged(store) == [
        (MODEL_PROMOTED, "ipp-0001"),
        (MODEL_PROMOTED, "ipp-0002"),
        (MODEL_ROLLED_BACK, "ipp-0001"),
    ]


def test_a_saved_index_is_announced_and_knows_the_version_it_reflects(
    store: Store, settings: Settings
) -> None:
    store.upsert_partners([partner("P-1", description="data migration")])
    before = store.change_version()
    engine = build_engine(store, FakeEmbedder(), MatrixScorer(), settings)
    manifest = read_manifest(index_dir(settings))
    assert manifest is not None
    assert manifest.change_version == before == engine.index.change_version
    assert logged(store, before) == [(INDEX_REBUILT, engine.index.index_version)]
    build_engine(store, FakeEmbedder(), MatrixScorer(), settings, announce=False)
    assert store.change_version() == before + 1  # saved, not announced


def test_the_same_change_twice_in_one_transaction_is_one_version(store: Store) -> None:
    with store.transaction() as connection:
        store.upsert_partners([partner("P-1")], connection)
        store.upsert_partners([partner("P-1", description="again")], connection)
    assert logged(store) == [(PARTNER_UPSERTED, "P-1")]


def test_partners_changed_names_each_partner_once_in_the_order_last_changed(
    store: Store,
) -> None:
    store.upsert_partners([partner("P-1"), partner("P-2")])
    keys.create_key(store, "admin")
    store.upsert_partners([partner("P-1", description="changed")])
    store.delete_partner("P-2")
    assert store.partners_changed(0, store.change_version()) == ["P-1", "P-2"]
    assert store.partners_changed(2, store.change_version()) == ["P-1", "P-2"]
    assert store.partners_changed(store.change_version(), store.change_version()) == []


def test_an_unknown_change_kind_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match=r"partner\.upserted"):
        store.record_change("partner.renamed", "P-1")


def test_a_version_waits_for_the_commit_of_every_lower_one(store: Store) -> None:
    """Versions are visible in commit order: while a writer holding version n has not
    committed, a second writer cannot commit n+1 (a follower reading n+1 would skip n)."""
    first_appended = threading.Event()
    seen_during_first: list[int] = []

    def slow_writer() -> None:
        with store.engine.begin() as connection:  # not a Store.transaction: appends at once
            store.record_change(PARTNER_UPSERTED, "slow", connection)
            first_appended.set()
            time.sleep(0.5)
            seen_during_first.append(store.change_version())

    thread = threading.Thread(target=slow_writer)
    thread.start()
    first_appended.wait(5)
    if store.engine.dialect.name == "sqlite":
        time.sleep(0.05)
    store.record_change(PARTNER_UPSERTED, "fast")
    thread.join()
    assert seen_during_first == [0]
    assert logged(store) == [(PARTNER_UPSERTED, "slow"), (PARTNER_UPSERTED, "fast")]


def test_a_commit_with_changes_notifies_postgresql_listeners_and_a_rollback_does_not(
    store: Store,
) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    url = store.engine.url
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
    ) as listener:
        listener.execute(f"LISTEN {CHANGES_CHANNEL}")
        with pytest.raises(RuntimeError), store.transaction() as connection:
            store.upsert_partners([partner("P-0")], connection)
            raise RuntimeError("rolled back")
        assert list(listener.notifies(timeout=0.3)) == []
        store.upsert_partners([partner("P-1")])
        assert [n.channel for n in listener.notifies(timeout=2, stop_after=1)] == [CHANGES_CHANNEL]


def test_the_change_log_is_a_table_of_the_migrated_schema(store: Store) -> None:
    with store.engine.connect() as connection:
        assert connection.execute(select(change_log)).all() == []
