from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matcher.engine.index import (
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexStaleError,
    PartnerIndex,
    bitmap_selector,
    packed_selector,
    read_manifest,
)

DIM = 16


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _index(n: int = 200, exact_max: int = 10_000) -> tuple[PartnerIndex, np.ndarray, np.ndarray]:
    row_ids = np.arange(1, n + 1, dtype=np.int64) * 3  # ids are store row ids, not positions
    vectors = _vectors(n)
    return PartnerIndex.build("model-a", row_ids, vectors, exact_max=exact_max), row_ids, vectors


def _mask(allowed_ids: list[int], size: int = 2_000) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[allowed_ids] = True
    return mask


def test_exact_search_returns_the_nearest_row_id() -> None:
    index, row_ids, vectors = _index()
    ids, scores = index.search(vectors[7], k=1)
    assert ids.tolist() == [row_ids[7]]
    assert scores[0] == pytest.approx(1.0, abs=1e-5)


def test_filtered_search_only_returns_allowed_rows() -> None:
    index, row_ids, vectors = _index()
    allowed = [int(row_ids[i]) for i in (3, 50, 120)]
    ids, _ = index.search(vectors[0], k=10, allowed=bitmap_selector(_mask(allowed)))
    assert sorted(ids.tolist()) == sorted(allowed)


def test_post_filter_starvation_regression_the_one_allowed_weaker_match_is_returned() -> None:
    # 100 near-duplicates of the query fail the filter; one weaker match passes it.
    rng = np.random.default_rng(1)
    query = _vectors(1, seed=5)[0]
    duplicates = query + rng.normal(scale=0.01, size=(100, DIM)).astype(np.float32)
    weaker = _vectors(1, seed=9)
    vectors = np.vstack([duplicates, weaker]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    row_ids = np.arange(101, dtype=np.int64)
    index = PartnerIndex.build("m", row_ids, vectors)
    ids, _ = index.search(query, k=5, allowed=bitmap_selector(_mask([100])))
    assert ids.tolist() == [100]


def test_upserted_vector_is_findable_immediately() -> None:
    index, _, _ = _index()
    new_vector = _vectors(1, seed=42)[0]
    index.upsert(9_999, new_vector)
    assert index.search(new_vector, k=1)[0].tolist() == [9_999]


def test_upsert_replaces_rather_than_duplicates() -> None:
    index, row_ids, _ = _index()
    before = len(index)
    index.upsert(int(row_ids[0]), _vectors(1, seed=43)[0])
    assert len(index) == before


def test_removed_row_never_comes_back() -> None:
    index, row_ids, vectors = _index()
    assert index.remove(int(row_ids[7]))
    ids, _ = index.search(vectors[7], k=len(index))
    assert int(row_ids[7]) not in ids.tolist()
    assert not index.remove(int(row_ids[7]))


@pytest.mark.parametrize("exact_max", [10_000, 100])  # flat, then sq8 (codes written in place)
def test_random_upserts_and_removes_store_what_faiss_remove_then_add_would(exact_max: int) -> None:
    index, row_ids, _ = _index(n=300, exact_max=exact_max)
    twin, _, _ = _index(n=300, exact_max=exact_max)  # the same codec, changed by FAISS' own calls
    live = set(row_ids.tolist())
    rng = np.random.default_rng(5)
    fresh = _vectors(400, seed=6)
    for step in range(400):
        row_id = int(rng.choice(row_ids)) if rng.random() < 0.7 else 2_000 + step
        ids = np.array([row_id], dtype=np.int64)
        if rng.random() < 0.2:
            assert index.remove(row_id) == (row_id in live)
            twin._index.remove_ids(ids)
            live.discard(row_id)
        else:
            index.upsert(row_id, fresh[step])
            twin._index.remove_ids(ids)
            twin._index.add_with_ids(fresh[step : step + 1], ids)
            live.add(row_id)
    rows = np.array(sorted(live))
    assert len(index) == len(live) and sorted(index.row_ids().tolist()) == rows.tolist()
    assert np.array_equal(index.vectors(rows), twin.vectors(rows))
    for row_id in rows[::25].tolist():
        assert index.search(twin.vectors(np.array([row_id]))[0], k=1)[0].tolist() == [row_id]


def test_scalar_quantised_index_is_used_above_the_exact_size_and_still_filters() -> None:
    index, row_ids, vectors = _index(n=500, exact_max=100)
    assert index.kind == "sq8"
    allowed = [int(row_ids[i]) for i in (10, 20)]
    ids, _ = index.search(vectors[10], k=5, allowed=bitmap_selector(_mask(allowed)))
    assert ids.tolist()[0] == row_ids[10]
    assert sorted(ids.tolist()) == sorted(allowed)


def test_save_load_round_trip_gives_identical_results(tmp_path: Path) -> None:
    index, _, vectors = _index()
    index.save(tmp_path, "fingerprint-1")
    loaded, manifest = PartnerIndex.load(tmp_path, "model-a", "fingerprint-1")
    assert manifest.count == len(index) and manifest.model_id == "model-a"
    assert loaded.index_version == index.index_version
    for query in vectors[:5]:
        ids_a, scores_a = index.search(query, k=10)
        ids_b, scores_b = loaded.search(query, k=10)
        assert ids_a.tolist() == ids_b.tolist()
        np.testing.assert_array_equal(scores_a, scores_b)


def test_corrupted_index_file_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    index, _, _ = _index()
    manifest = index.save(tmp_path, "fp")
    path = tmp_path / manifest.file
    payload = bytearray(path.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    path.write_bytes(bytes(payload))
    with pytest.raises(IndexCorruptError, match="checksum"):
        PartnerIndex.load(tmp_path, "model-a", "fp")


def test_half_written_index_file_is_refused(tmp_path: Path) -> None:
    index, _, _ = _index()
    manifest = index.save(tmp_path, "fp")
    path = tmp_path / manifest.file
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(IndexCorruptError, match="half written"):
        PartnerIndex.load(tmp_path)


def test_damaged_manifest_is_refused(tmp_path: Path) -> None:
    index, _, _ = _index()
    index.save(tmp_path, "fp")
    (tmp_path / "manifest.json").write_text('{"format_version": 1, "file": ')
    with pytest.raises(IndexCorruptError, match="manifest"):
        PartnerIndex.load(tmp_path)


def test_missing_index_says_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="index build"):
        PartnerIndex.load(tmp_path)


def test_index_built_with_another_model_is_refused(tmp_path: Path) -> None:
    index, _, _ = _index()
    index.save(tmp_path, "fp")
    with pytest.raises(IndexMismatchError, match="model-a"):
        PartnerIndex.load(tmp_path, "model-b", "fp")


def test_index_stale_against_the_store_is_refused(tmp_path: Path) -> None:
    index, _, _ = _index()
    index.save(tmp_path, "fp-old")
    with pytest.raises(IndexStaleError, match="stale"):
        PartnerIndex.load(tmp_path, "model-a", "fp-new")


def test_saving_again_keeps_the_previous_file_for_readers_and_drops_older_ones(
    tmp_path: Path,
) -> None:
    index, _, _ = _index()
    first = index.save(tmp_path, "fp")
    second = PartnerIndex.build("model-a", np.array([1]), _vectors(1)).save(tmp_path, "fp")
    third = PartnerIndex.build("model-a", np.array([2]), _vectors(1)).save(tmp_path, "fp")
    files = sorted(path.name for path in tmp_path.glob("index-*.faiss"))
    assert files == sorted([second.file, third.file])
    assert first.file not in files
    assert read_manifest(tmp_path) == third


@pytest.mark.parametrize("exact_max", [10_000, 100])  # flat, then SQ8
def test_search_allowed_equals_the_restricted_search(exact_max: int) -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(3000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    row_ids = np.arange(5, 3005, dtype=np.int64)
    index = PartnerIndex.build("m", row_ids, vectors, exact_max=exact_max)
    query = vectors[0]
    worst_first = row_ids[np.argsort(vectors @ query)]
    masks = {share: rng.random(3005) < share for share in (0.95, 0.5, 0.31, 0.05)}
    # allowed rows are the 40 % least similar: the wide search finds too few and falls back
    masks["far"] = np.isin(np.arange(3005), worst_first[:1200])
    for name, mask in masks.items():
        mask[:5] = False  # rows that do not exist are never set
        packed = np.packbits(mask, bitorder="little")
        expected, expected_scores = index.search(query, 50, allowed=packed_selector(packed))
        rows, scores = index.search_allowed(query, 50, packed, int(mask.sum()))
        assert rows.tolist() == expected.tolist(), name
        np.testing.assert_allclose(scores, expected_scores, rtol=1e-6)
        assert mask[rows].all()
