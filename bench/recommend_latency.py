"""In-process recommend latency (p50/p95/p99, query embedding included) at 10k and 100k partners.

For each size: simulate an ecosystem (``training.simulate``), ingest it into a scratch store,
build the index (timed: profiles/s of the embedding backend) and time ``Recommender.recommend``
on the simulated judged deals, one at a time, after a warm-up. Results go to
``bench/results/recommend_latency.json``.

Run::

    PARTNERMATCH_EMBEDDING_BACKEND=onnx-int8 python -m bench.recommend_latency --sizes 10000 100000

``--work DIR`` keeps the scratch stores (and their vector caches) between runs, so a second run
skips the embedding.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from matcher.embedding import Embedder, embed_partners, get_embedder
from matcher.index import PartnerIndex, read_manifest
from matcher.ingest import ingest
from matcher.recommender import (
    Recommender,
    assemble_engine,
    build_engine,
    default_scorer,
    index_dir,
)
from matcher.schemas import Deal
from matcher.settings import Settings
from matcher.store import Store
from training.evaluate import read_judged

RESULTS = Path("bench/results/recommend_latency.json")


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    values = np.array(samples_ms)
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p95_ms": round(float(np.percentile(values, 95)), 2),
        "p99_ms": round(float(np.percentile(values, 99)), 2),
        "mean_ms": round(float(values.mean()), 2),
        "n": len(samples_ms),
    }


def _engine_with_replicated_vectors(
    store: Store, embedder: Embedder, settings: Settings, real_vectors: int
) -> Recommender:
    """An engine over every stored partner whose index holds real embeddings of the first
    ``real_vectors`` partners and, for the others, a real vector plus small Gaussian noise.

    Only the vectors are synthetic; profiles, filters and BM25 cover every partner. It keeps
    a 100k benchmark within minutes on two shared cores; search cost does not depend on what
    the vectors encode.
    """
    rows = [row for batch in store.iter_partner_rows() for row in batch]
    _, real = embed_partners(store, embedder, rows[:real_vectors])
    rng = np.random.default_rng(0)
    vectors = real[np.arange(len(rows)) % len(real)].copy()
    vectors[len(real) :] += rng.normal(scale=0.02, size=vectors[len(real) :].shape)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    row_ids = np.array([row_id for row_id, _ in rows], dtype=np.int64)
    index = PartnerIndex.build(
        embedder.model_id, row_ids, vectors.astype(np.float32), settings.index_exact_max
    )
    return assemble_engine(store, embedder, default_scorer(settings), settings, rows, index)


def _simulated_store(size: int, work: Path, backend: str, judged: int) -> tuple[Settings, Path]:
    """A home under ``work`` holding a simulated ecosystem of ``size`` partners (reused)."""
    from training.simulate import simulate

    data = work / f"eco-{size}"
    if not (data / "partners.csv").exists():
        simulate(data, n_partners=size, n_deals=size, n_judged=max(judged, 200), seed=7)
    settings = Settings(home=work / f"home-{size}", embedding_backend=backend)
    store = Store.from_settings(settings)
    if store.count_partners() != size:
        started = time.perf_counter()
        ingest(store, "partners", data / "partners.csv", chunk_rows=settings.ingest_chunk_rows)
        ingest(store, "outcomes", data / "outcomes.csv", chunk_rows=settings.ingest_chunk_rows)
        logging.info("ingested %d partners in %.1f s", size, time.perf_counter() - started)
    return settings, data / "judged_deals.jsonl"


def _build(settings: Settings, real_vectors: int) -> Recommender:
    """The engine for the home, saved: real vectors up to ``real_vectors`` partners."""
    store = Store.from_settings(settings)
    embedder = get_embedder(settings)
    if store.count_partners() <= real_vectors:
        return build_engine(store, embedder, default_scorer(settings), settings, save=True)
    engine = _engine_with_replicated_vectors(store, embedder, settings, real_vectors)
    engine.save(index_dir(settings))
    return engine


def prepare_home(size: int, work: Path, real_vectors: int) -> tuple[Path, Path]:
    """A home with ``size`` simulated partners and a saved, current index, for serving.

    Returns the home and the judged deals file. Reuses what an earlier run left under ``work``.
    """
    backend = os.environ.get("PARTNERMATCH_EMBEDDING_BACKEND", Settings().embedding_backend)
    settings, judged = _simulated_store(size, work, backend, 200)
    store = Store.from_settings(settings)
    manifest = read_manifest(index_dir(settings), missing_ok=True)
    if manifest is None or manifest.store_fingerprint != store.partner_fingerprint():
        _build(settings, real_vectors)
    return settings.home, judged


def measure(
    size: int, work: Path, backend: str, queries: int, real_vectors: int
) -> dict[str, object]:
    """Simulate, ingest, index and time recommendations for one ecosystem size."""
    settings, judged = _simulated_store(size, work, backend, queries)
    embedder = get_embedder(settings)
    started = time.perf_counter()
    engine = _build(settings, real_vectors)
    build_s = time.perf_counter() - started
    replicated = size > real_vectors
    deals: list[Deal] = [judged.deal for judged in read_judged(judged)]
    deals = deals[:queries]
    for deal in deals[:20]:  # warm-up: caches, allocator, first-call paths
        engine.recommend(deal)
    samples = []
    embed_samples = []
    for deal in deals:
        started = time.perf_counter()
        engine.recommend(deal)
        samples.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        embedder.embed([deal.description or "x"])
        embed_samples.append((time.perf_counter() - started) * 1000)
    return {
        "partners": size,
        "index_kind": engine.index.kind,
        "embedder": embedder.model_id,
        "ipp_scorer": engine.scorer.version,
        "index_build_s": round(build_s, 1),
        "vectors": "real"
        if not replicated
        else f"real for {real_vectors}, the rest replicated from them with N(0, 0.02) noise",
        "recommend": _percentiles(samples),
        "query_embedding_only": _percentiles(embed_samples),
    }


def main(argv: list[str] | None = None) -> None:
    """Measure each size and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--real-vectors",
        type=int,
        default=20_000,
        help="Embed at most this many partners; replicate their vectors (with noise) beyond.",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    backend = os.environ.get("PARTNERMATCH_EMBEDDING_BACKEND", Settings().embedding_backend)
    load_before = os.getloadavg()[0]
    runs = [
        measure(size, args.work, backend, args.queries, args.real_vectors) for size in args.sizes
    ]
    result = {
        "command": "python -m bench.recommend_latency --sizes "
        + " ".join(str(s) for s in args.sizes),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
        "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "note": "in-process Recommender.recommend, one deal at a time, query embedding included; "
        "see each run's `vectors` for whether every vector is a real embedding",
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
