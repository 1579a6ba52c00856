"""The in-memory cache of query embeddings: same vectors, fewer model calls, bounded."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.embedding.base import FakeEmbedder
from matcher.embedding.cache import QueryCache, normalised, query_cache


class CountingEmbedder(FakeEmbedder):
    """The fake, recording each model call's texts."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def embed(self, texts, progress=None):  # type: ignore[no-untyped-def]
        self.calls.append(list(texts))
        return super().embed(texts, progress)


def test_a_hit_returns_the_vector_the_model_gave_without_calling_it() -> None:
    embedder = CountingEmbedder()
    cache = QueryCache(embedder.model_id)
    first = cache.vectors(["ERP rollout for a German car-parts maker"], embedder)
    again = cache.vectors(["ERP rollout for a German car-parts maker"], embedder)

    np.testing.assert_array_equal(again, first)
    np.testing.assert_array_equal(
        again, FakeEmbedder().embed(["ERP rollout for a German car-parts maker"])
    )
    assert len(embedder.calls) == 1
    assert (cache.stats().hits, cache.stats().misses) == (1, 1)


def test_the_texts_a_call_misses_are_embedded_in_one_model_call() -> None:
    embedder = CountingEmbedder()
    cache = QueryCache(embedder.model_id)
    cache.vectors(["portfolio management"], embedder)

    vectors = cache.vectors(
        ["Roll out portfolio management", "portfolio management", "data migration"], embedder
    )

    assert embedder.calls[1:] == [["Roll out portfolio management", "data migration"]]
    np.testing.assert_array_equal(
        vectors,
        FakeEmbedder().embed(
            ["Roll out portfolio management", "portfolio management", "data migration"]
        ),
    )


def test_texts_differing_only_in_whitespace_share_an_entry() -> None:
    embedder = CountingEmbedder()
    cache = QueryCache(embedder.model_id)
    cache.vectors(["CRM  rollout\nfor retail "], embedder)

    cache.vectors(["CRM rollout for retail"], embedder)

    assert normalised(" CRM  rollout\nfor retail ") == "CRM rollout for retail"
    assert len(embedder.calls) == 1


def test_case_is_a_different_text() -> None:
    embedder = CountingEmbedder()
    cache = QueryCache(embedder.model_id)
    cache.vectors(["ERP"], embedder)

    cache.vectors(["erp"], embedder)

    assert len(embedder.calls) == 2


def test_the_cache_holds_at_most_its_capacity_and_drops_the_least_recently_used() -> None:
    embedder = CountingEmbedder()
    cache = QueryCache(embedder.model_id, capacity=2)
    cache.vectors(["one"], embedder)
    cache.vectors(["two"], embedder)
    cache.vectors(["one"], embedder)  # "two" is now the least recently used

    cache.vectors(["three"], embedder)

    assert cache.stats().entries == 2
    assert "one" in cache and "three" in cache and "two" not in cache
    cache.vectors(["two"], embedder)
    assert embedder.calls[-1] == ["two"]


def test_a_cache_refuses_another_models_embedder() -> None:
    cache = QueryCache("fake-bow-64")

    with pytest.raises(ValueError, match="fake-bow-32"):
        cache.vectors(["ERP"], FakeEmbedder(dim=32, model_id="fake-bow-32"))


def test_one_embedder_has_one_process_wide_cache() -> None:
    embedder = FakeEmbedder()

    assert query_cache(embedder) is query_cache(embedder)
    assert query_cache(embedder) is not query_cache(FakeEmbedder())
