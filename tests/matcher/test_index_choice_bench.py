"""The index-choice benchmark's measuring core on a tiny synthetic set (no embedding model)."""

from __future__ import annotations

import numpy as np

from bench.index_choice import (
    default_kinds,
    exact_topk,
    measure,
    random_filters,
    replicate,
)


def _unit(n: int, dim: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_measure_reports_exact_recall_for_flat_and_valid_recalls_for_all() -> None:
    vectors = replicate(_unit(200, 32, seed=0), 2_000)
    row_ids = np.arange(1, len(vectors) + 1, dtype=np.int64) * 3  # ids are not positions
    queries = _unit(5, 32, seed=1)
    filters = random_filters(row_ids, (0.10, 0.01))

    rows = measure(vectors, row_ids, queries, filters, default_kinds())

    assert {row["index"] for row in rows} == {"flat", "sq8", "fp16", "ivf-flat", "hnsw-sq8"}
    flat = next(row for row in rows if row["index"] == "flat")
    assert all(result["recall_at_10"] == 1.0 for result in flat["filters"].values())
    for row in rows:
        assert set(row["filters"]) == {"none", "10%", "1%"}
        for result in row["filters"].values():
            assert 0.0 <= result["min_recall_at_10"] <= result["recall_at_10"] <= 1.0
            assert result["p99_ms"] >= result["p50_ms"] >= 0.0
        assert row["serialized_mb"] > 0
    hybrid = next(row for row in rows if row["search"] == "hybrid ef 1024")
    assert hybrid["filters"]["1%"]["recall_at_10"] >= 0.9  # exhaustive over the allowed rows


def test_filtered_ground_truth_holds_only_allowed_ids_best_first() -> None:
    vectors = _unit(2_000, 32, seed=2)
    row_ids = np.arange(1, len(vectors) + 1, dtype=np.int64) * 3
    queries = _unit(5, 32, seed=3)
    for filt in random_filters(row_ids, (0.10, 0.01)):
        truth = exact_topk(vectors, row_ids, queries, filt)
        assert truth.shape == (5, 10)
        if filt.mask is not None:
            assert filt.mask[truth].all()
            assert np.count_nonzero(filt.mask) == round(len(row_ids) * float(filt.name[:-1]) / 100)
        position = {row_id: i for i, row_id in enumerate(row_ids.tolist())}
        for query, ids in zip(queries, truth, strict=True):
            scores = vectors[[position[row_id] for row_id in ids.tolist()]] @ query
            assert np.all(np.diff(scores) <= 0)
            allowed = vectors if filt.mask is None else vectors[filt.mask[row_ids]]
            assert np.isclose(scores[0], (allowed @ query).max())


def test_replicate_keeps_the_base_and_returns_unit_vectors() -> None:
    base = _unit(10, 8, seed=4)
    vectors = replicate(base, 35)
    assert vectors.shape == (35, 8)
    np.testing.assert_allclose(vectors[:10], base, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(vectors[10:20], base)
