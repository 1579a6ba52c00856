"""Two serving processes on one database converge: each follows the change log."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from matcher.embedding.base import FakeEmbedder, partner_text
from matcher.engine.build import build_engine
from matcher.engine.follower import ChangeFollower
from matcher.engine.service import MatchingService
from matcher.ipp.base import IppScorer
from matcher.ipp.matrix import MatrixScorer
from matcher.ipp.registry import ModelRegistry, default_scorer
from matcher.schemas import Deal, Partner
from matcher.settings import Settings
from matcher.store import Store

pytestmark = pytest.mark.both_databases

REPO = Path(__file__).resolve().parents[2]


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, remembering the texts it embeds (a follower embeds no partner's)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        self.texts.extend(texts)
        return super().embed(texts, progress)

    @property
    def embedded(self) -> int:
        """How many partner texts it embedded (deal texts and phrases do not count)."""
        return len(PARTNER_TEXTS & set(self.texts))


def partner(partner_id: str, description: str = "data migration for retailers") -> Partner:
    written = Partner(
        partner_id=partner_id,
        name=f"Partner {partner_id}",
        partner_type="system_integrator",
        description=f"{description} ({partner_id})",
        countries=["DE"],
    )
    PARTNER_TEXTS.add(partner_text(written))
    return written


PARTNER_TEXTS: set[str] = set()


def process(
    settings: Settings, scorer_factory: Callable[[], IppScorer] = MatrixScorer
) -> MatchingService:
    """A service as one serving process holds it: its own store connection pool, embedder."""
    return MatchingService(
        Store(settings.resolved_database_url), settings, CountingEmbedder(), scorer_factory
    )


@pytest.fixture
def indexed(settings: Settings, store: Store) -> Settings:
    """Ten partners in the store and a saved index of them."""
    store.upsert_partners([partner(f"P-{i}") for i in range(10)])
    build_engine(store, FakeEmbedder(), MatrixScorer(), settings)
    return settings


@pytest.fixture
def pair(indexed: Settings) -> Iterator[tuple[MatchingService, MatchingService]]:
    first, second = process(indexed), process(indexed)
    first.start()
    second.start()
    yield first, second
    for service in (first, second):
        service.store.engine.dispose()


def served(service: MatchingService, partner_id: str) -> bool:
    answer = service.recommend(Deal(description="data migration", top_k=50))
    return partner_id in {result["partner_id"] for result in answer["results"]}


def test_a_write_through_one_process_is_served_by_the_other_once_it_catches_up(
    pair: tuple[MatchingService, MatchingService],
) -> None:
    first, second = pair
    assert first.index_version == second.index_version
    first.upsert_partner(partner("P-new"))
    assert served(first, "P-new")  # the writer sees its own write at once
    assert not served(second, "P-new")
    assert second.catch_up() == first.version
    assert served(second, "P-new")
    assert second.index_version == first.index_version
    assert isinstance(second.embedder, CountingEmbedder)
    assert second.embedder.embedded == 0  # the writer stored the vector: nobody re-embeds


def test_a_delete_through_one_process_is_not_served_by_the_other_once_it_catches_up(
    pair: tuple[MatchingService, MatchingService],
) -> None:
    first, second = pair
    assert served(second, "P-3")
    assert first.delete_partner("P-3")
    assert not served(first, "P-3")
    second.catch_up()
    assert not served(second, "P-3")
    assert second.version == first.version


def test_a_model_promoted_through_one_process_is_used_by_the_other(
    indexed: Settings,
) -> None:
    registry = ModelRegistry(indexed.resolved_models_dir)
    for version in ("ipp-0001", "ipp-0002"):
        shutil.copytree(REPO / "models" / "ipp-0001", registry.root / version)
    registry.promote("ipp-0001")
    first, second = (process(indexed, lambda: default_scorer(indexed)) for _ in range(2))
    first.start()
    second.start()
    assert second.model_version == "ipp-0001"
    registry.promote("ipp-0002", store=first.store)  # as POST /v1/models/{v}/promote does
    first.catch_up()
    assert first.model_version == "ipp-0002"
    second.catch_up()
    assert second.model_version == "ipp-0002"
    assert second.recommend(Deal(description="data migration"))["model_version"] == "ipp-0002"


def test_an_index_rebuilt_by_one_process_is_loaded_by_the_other_with_its_version(
    pair: tuple[MatchingService, MatchingService],
) -> None:
    first, second = pair
    first.upsert_partner(partner("P-new"))
    before = second.index_version
    rebuilt = first.rebuild()
    assert rebuilt != before
    second.catch_up()
    assert second.index_version == rebuilt == first.index_version
    assert served(second, "P-new") and second.version == first.version
    assert isinstance(second.embedder, CountingEmbedder)
    assert second.embedder.embedded == 0


def test_a_process_starting_late_catches_up_from_the_saved_index_and_the_log(
    pair: tuple[MatchingService, MatchingService], indexed: Settings
) -> None:
    first, _ = pair
    first.upsert_partner(partner("P-new"))
    first.delete_partner("P-0")
    late = process(indexed)
    late.start()
    assert late.index_version == first.index_version  # the saved index, not a rebuild
    assert late.version == first.version
    assert served(late, "P-new") and not served(late, "P-0")
    assert isinstance(late.embedder, CountingEmbedder)
    assert late.embedder.embedded == 0


def test_a_bulk_ingest_without_vectors_is_served_after_the_index_build_embeds_it(
    pair: tuple[MatchingService, MatchingService], indexed: Settings, store: Store
) -> None:
    first, second = pair
    store.upsert_partners([partner("P-bulk")])  # as `partnermatch ingest` does: no vector
    second.catch_up()
    assert not served(second, "P-bulk")  # a follower does not embed it
    assert isinstance(second.embedder, CountingEmbedder)
    assert second.embedder.embedded == 0
    build_engine(store, FakeEmbedder(), MatrixScorer(), indexed)  # `partnermatch index build`
    second.catch_up()
    first.catch_up()
    assert served(second, "P-bulk") and served(first, "P-bulk")
    assert first.index_version == second.index_version


def wait_until(condition: Callable[[], bool], seconds: float) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.02)
    return time.monotonic() - started


def test_the_follower_applies_another_process_s_write_on_its_own(
    pair: tuple[MatchingService, MatchingService],
) -> None:
    first, second = pair
    follower = ChangeFollower(second, refresh_s=0.2)
    follower.start()
    try:
        first.upsert_partner(partner("P-new"))
        wait_until(lambda: second.version == first.version, 2)
        assert served(second, "P-new")
    finally:
        follower.stop()


def test_a_notified_follower_needs_no_poll_and_survives_its_connection_being_killed(
    pair: tuple[MatchingService, MatchingService],
) -> None:
    first, second = pair
    if not ChangeFollower(second).listens:
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    follower = ChangeFollower(second, refresh_s=60)  # a poll would come far too late
    follower.start()
    try:
        wait_until(lambda: _listeners(first.store) == 1, 5)
        first.upsert_partner(partner("P-new"))
        assert wait_until(lambda: second.version == first.version, 2) < 2
        with first.store.engine.begin() as connection:  # the server drops the follower
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name LIKE 'partnermatch follower%'"
                )
            )
        first.upsert_partner(partner("P-after-kill"))
        wait_until(lambda: second.version == first.version, 5)
        assert served(second, "P-after-kill")
        assert follower.notifications >= 1
    finally:
        follower.stop()


def _listeners(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE application_name LIKE 'partnermatch follower%'"
                )
            ).scalar_one()
        )
