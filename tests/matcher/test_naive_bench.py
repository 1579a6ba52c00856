"""The benchmark's naive baseline answers exactly as the engine does on the sample ecosystem.

That makes the latency comparison fair (same work, same answers) and checks the engine's bitmap
filters and FAISS search against an independent pandas and numpy implementation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from bench.naive import NaiveRecommender, vector_matrix
from matcher.embedding.base import Embedder
from matcher.engine.build import build_engine
from matcher.engine.index import PartnerIndex
from matcher.engine.recommender import Recommender
from matcher.ingest import ingest
from matcher.ipp.matrix import MatrixScorer
from matcher.schemas import Deal
from matcher.settings import Settings
from matcher.store import Store
from training.evaluate import read_judged

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"

DEALS = {
    "strict": Deal(
        description="ERP data migration for a manufacturer",
        country="DE",
        languages=["de"],
        partner_types=["system_integrator", "consultancy"],
    ),
    "strict_certified": Deal(
        description="portfolio management rollout",
        languages=["en"],
        certifications=["Certified Solution Partner"],
        industry="manufacturing",
    ),
    "non_strict": Deal(
        description="CRM implementation for a retailer in France",
        country="FR",
        languages=["fr", "en"],
        certifications=["Certified Administrator"],
        strict=False,
    ),
    "structured_only": Deal(industry="healthcare", segment="enterprise", country="US"),
    "emptied": Deal(description="cloud migration", country="DE", languages=["ja", "pt", "sv"]),
}


@pytest.fixture(scope="module")
def engines(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder
) -> tuple[Recommender, NaiveRecommender]:
    """The engine over the sample partners and outcomes (real model, exact flat index) and
    its naive twin."""
    # the naive baseline has no near-tie rotation: compare the ranking without it
    settings = Settings(
        home=tmp_path_factory.mktemp("naive-home"), embedding_backend="torch", exposure_tolerance=0
    )
    store = Store.from_settings(settings)
    ingest(store, "partners", SAMPLE / "partners.csv")
    ingest(store, "outcomes", SAMPLE / "outcomes.csv")
    engine = build_engine(store, real_embedder, MatrixScorer(), settings, save=False)
    assert engine.index.kind == "flat"
    return engine, NaiveRecommender.of(engine)


def _results(answer: dict[str, object]) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], answer["results"])


def _same_answer(engine: Recommender, naive: NaiveRecommender, deal: Deal) -> None:
    ours, theirs = engine.recommend(deal), naive.recommend(deal)
    assert theirs["funnel"] == ours["funnel"]
    assert theirs.get("emptied_by") == ours.get("emptied_by")
    assert [r["partner_id"] for r in _results(theirs)] == [r["partner_id"] for r in _results(ours)]
    assert [r["score"] for r in _results(theirs)] == pytest.approx(
        [r["score"] for r in _results(ours)], abs=1e-4
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(DEALS))
def test_naive_filter_matches_the_bitmap_columns(
    engines: tuple[Recommender, NaiveRecommender], kind: str
) -> None:
    engine, naive = engines
    deal = DEALS[kind]
    ours, theirs = engine.filter(deal), naive.filter(deal)
    assert theirs.funnel == ours.funnel
    assert theirs.emptied_by == ours.emptied_by
    assert theirs.allowed_rows().tolist() == ours.allowed_rows().tolist()


@pytest.mark.slow
def test_the_deals_exercise_what_they_are_named_for(
    engines: tuple[Recommender, NaiveRecommender],
) -> None:
    engine, _ = engines
    strict = engine.filter(DEALS["strict"])
    assert 0 < strict.count < strict.funnel["country"] < strict.funnel["total"]
    non_strict = engine.filter(DEALS["non_strict"])
    funnel = non_strict.funnel
    assert funnel["total"] == 1_000 and non_strict.count == 1_000 - funnel["at_capacity"]
    assert engine.filter(DEALS["emptied"]).emptied_by == "languages"


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(DEALS))
def test_naive_recommends_the_same_partners(
    engines: tuple[Recommender, NaiveRecommender], kind: str
) -> None:
    _same_answer(*engines, DEALS[kind])


@pytest.mark.slow
def test_exclusions_are_honoured_alike(engines: tuple[Recommender, NaiveRecommender]) -> None:
    engine, naive = engines
    for kind in ("strict", "non_strict"):
        top = [r["partner_id"] for r in _results(engine.recommend(DEALS[kind]))[:3]]
        deal = DEALS[kind].model_copy(update={"exclude": top})
        allowed = naive.facets.loc[naive.filter(deal).allowed_rows(), "partner_id"]
        assert len(allowed) and not set(allowed) & set(top)
        _same_answer(engine, naive, deal)


@pytest.mark.slow
def test_naive_answers_the_judged_sample_deals_alike(
    engines: tuple[Recommender, NaiveRecommender],
) -> None:
    for judged in read_judged(SAMPLE / "judged_deals.jsonl")[:40]:
        _same_answer(*engines, judged.deal)


@pytest.mark.slow
def test_brute_force_search_finds_the_faiss_neighbours(
    engines: tuple[Recommender, NaiveRecommender],
) -> None:
    engine, naive = engines
    for deal in DEALS.values():
        query = engine.embedder.embed([deal.description or "healthcare"])[0]
        filtered = engine.filter(deal)
        rows, scores = engine.semantic_search(query, 25, filtered)
        naive_rows, naive_scores = naive.semantic_search(query, 25, filtered)
        assert naive_rows.tolist() == rows.tolist()
        np.testing.assert_allclose(naive_scores, scores, atol=1e-5)


def test_vector_matrix_puts_each_decoded_vector_at_its_row_id() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(40, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    row_ids = rng.permutation(100)[:40].astype(np.int64)
    index = PartnerIndex.build("m", row_ids, vectors, exact_max=10)  # scalar-quantised
    assert index.kind == "sq8"
    index.remove(int(row_ids[0]))
    matrix, indexed = vector_matrix(index, rows=120)
    assert matrix.shape == (120, 16)
    assert set(np.flatnonzero(indexed)) == set(row_ids[1:].tolist())
    for row_id in row_ids[1:]:
        np.testing.assert_array_equal(matrix[row_id], index.vector(int(row_id)))
    np.testing.assert_allclose(matrix[row_ids[1:]], vectors[1:], atol=0.05)
