"""Which FAISS index at 1M partners: recall@10 vs exact, latency, memory and build time.

Compares, each wrapped in ``IndexIDMap2`` and searched like ``matcher.engine.index.PartnerIndex``
(one query at a time on one OpenMP thread, filters through ``IDSelectorBitmap``):

- ``flat`` (exact ``IndexFlatIP``), ``sq8`` and ``fp16`` (``IndexScalarQuantizer``, exhaustive);
- ``ivf-flat`` (``IndexIVFFlat``, nlist ≈ √n, nprobe 16/64/256): a filtered search only sees
  the probed lists;
- ``hnsw-sq8`` (``IndexHNSWSQ`` 8 bit, M=32, faiss's default efConstruction 40, efSearch
  64/256/1024): ``IndexHNSWFlat`` builds about 1.4× slower (over ten minutes at 1M on two
  shared cores) for the same recall; efConstruction 200 raises recall but triples the build;
- a ``hybrid`` row on the same HNSW index: when a filter allows at most ``HYBRID_EXACT_MAX``
  rows, an exhaustive search of the HNSW's own 8-bit storage over the allowed rows (no second
  copy of the vectors), else HNSW.

Each is measured unfiltered and with random filters allowing 10 % and 1 % of the rows; ground
truth is a NumPy brute-force top-10 over the allowed rows of the float32 vectors.

Vectors: real all-MiniLM-L6-v2 embeddings of ``--base`` simulated partner profiles (a scratch
store under ``--work``; cached vectors are reused), replicated to ``--vectors`` rows with
N(0, 0.02) noise per dimension and re-normalised. Queries: real embeddings of simulated judged
deal texts. Results go to ``bench/results/index_choice.json`` (``--quick``:
``var/bench/quick-results/``); a Markdown table is printed.

Run::

    python -m bench.index_choice            # 1M vectors, 200 queries (about 15 minutes)
    python -m bench.index_choice --quick    # 100k vectors, 50 queries
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from bench.results import percentiles, provenance, results_path
from matcher.embedding import deal_text, embed_partners, get_embedder
from matcher.engine import bitmap_selector
from matcher.ingest import ingest
from matcher.settings import Settings
from matcher.store import Store
from training.evaluate import read_judged
from training.simulate import simulate

RESULTS = "index_choice.json"
K = 10
NOISE = 0.02
TRAIN_SAMPLE = 100_000
HYBRID_EXACT_MAX = 100_000
HNSW_EF = (64, 256, 1024)
WARMUP = 5

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filter:
    """A strict filter over row ids: ``mask[row_id]`` says whether the row may be returned."""

    name: str
    mask: np.ndarray | None
    selector: faiss.IDSelector | None


Searcher = Callable[[np.ndarray, Filter], np.ndarray]


@dataclass(frozen=True)
class Kind:
    """An index kind: how to make its (untrained) inner index and how to search the built one."""

    name: str
    make: Callable[[int, int], faiss.Index]
    searchers: Callable[[faiss.IndexIDMap2], dict[str, Searcher]]


def replicate(base: np.ndarray, n: int, noise: float = NOISE, seed: int = 0) -> np.ndarray:
    """``n`` unit vectors: the base vectors in turn (exact for the first ``len(base)``), the
    others with N(0, ``noise``) added per dimension, then L2-normalised."""
    rng = np.random.default_rng(seed)
    vectors = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        chunk = base[np.arange(start, stop) % len(base)]
        noisy = np.arange(start, stop) >= len(base)
        chunk[noisy] += noise * rng.standard_normal(chunk[noisy].shape, dtype=np.float32)
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        vectors[start:stop] = chunk
    return vectors


def random_filters(row_ids: np.ndarray, shares: Sequence[float], seed: int = 1) -> list[Filter]:
    """No filter, then one random filter per share of allowed rows (exactly that many rows)."""
    rng = np.random.default_rng(seed)
    filters = [Filter("none", None, None)]
    for share in shares:
        mask = np.zeros(int(row_ids.max()) + 1, dtype=bool)
        mask[rng.choice(row_ids, size=max(1, round(share * len(row_ids))), replace=False)] = True
        filters.append(Filter(f"{share:.0%}", mask, bitmap_selector(mask)))
    return filters


def exact_topk(
    vectors: np.ndarray, row_ids: np.ndarray, queries: np.ndarray, filt: Filter, k: int = K
) -> np.ndarray:
    """Per query, the row ids of the ``k`` highest inner products among the allowed rows,
    best first: NumPy brute force over the float32 vectors, in blocks of 200k rows."""
    positions = np.arange(len(row_ids)) if filt.mask is None else np.flatnonzero(filt.mask[row_ids])
    best_scores = np.empty((len(queries), 0), dtype=np.float32)
    best_positions = np.empty((len(queries), 0), dtype=np.int64)
    for lo in range(0, len(positions), 200_000):
        rows = positions[lo : lo + 200_000]
        block = vectors[lo : lo + len(rows)] if filt.mask is None else vectors[rows]
        scores = np.concatenate([best_scores, queries @ block.T], axis=1)
        candidates = np.concatenate(
            [best_positions, np.broadcast_to(rows, (len(queries), len(rows)))], axis=1
        )
        top = np.argpartition(-scores, min(k, scores.shape[1]) - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(scores, top, axis=1)
        best_positions = np.take_along_axis(candidates, top, axis=1)
    order = np.argsort(-best_scores, axis=1)
    return row_ids[np.take_along_axis(best_positions, order, axis=1)]


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of the true top-k ids among those found (a missing result counts as a miss)."""
    return len(set(found[found >= 0].tolist()) & set(truth.tolist())) / len(truth)


def _rss_bytes() -> int:
    """Resident memory of this process, after handing freed heap pages back to the system
    (glibc keeps them otherwise, and the next index would reuse them unseen)."""
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _faiss_searcher(index: faiss.IndexIDMap2, **params: int) -> Searcher:
    """Plain filtered search of the whole index with the given search parameters."""
    parameter_class = (
        faiss.SearchParametersHNSW  # type: ignore[attr-defined]
        if "efSearch" in params
        else faiss.SearchParametersIVF
        if "nprobe" in params
        else faiss.SearchParameters
    )

    def search(query: np.ndarray, filt: Filter) -> np.ndarray:
        extra = {"sel": filt.selector} if filt.selector is not None else {}
        _, ids = index.search(query, K, params=parameter_class(**params, **extra))
        return ids[0]

    return search


def _hybrid_searcher(index: faiss.IndexIDMap2, ef: int) -> Searcher:
    """Exhaustive search of the HNSW's own storage when the filter allows at most
    ``HYBRID_EXACT_MAX`` rows, HNSW otherwise: no second copy of the vectors."""
    storage = faiss.downcast_index(faiss.downcast_index(index.index).storage)  # type: ignore[attr-defined]
    id_of_position = faiss.vector_to_array(index.id_map)
    approximate = _faiss_searcher(index, efSearch=ef)

    def search(query: np.ndarray, filt: Filter) -> np.ndarray:
        if (
            filt.mask is None
            or filt.selector is None
            or np.count_nonzero(filt.mask) > HYBRID_EXACT_MAX
        ):
            return approximate(query, filt)
        translated = faiss.IDSelectorTranslated(index.id_map, filt.selector)  # type: ignore[arg-type]
        params = faiss.SearchParameters(sel=translated)  # type: ignore[call-arg]
        _, positions = storage.search(query, K, params=params)
        found = positions[0]
        return np.where(found >= 0, id_of_position[np.maximum(found, 0)], -1)

    return search


def _nlist(n: int) -> int:
    """IVF lists: the power of two nearest √n (1024 at 1M)."""
    return 2 ** round(math.log2(math.sqrt(n)))


def default_kinds() -> list[Kind]:
    """Every index kind compared, in the order measured."""
    ip = faiss.METRIC_INNER_PRODUCT
    quantiser = faiss.ScalarQuantizer

    def flat(dim: int, n: int) -> faiss.Index:
        return faiss.IndexFlatIP(dim)

    def sq8(dim: int, n: int) -> faiss.Index:
        return faiss.IndexScalarQuantizer(dim, quantiser.QT_8bit, ip)

    def fp16(dim: int, n: int) -> faiss.Index:
        return faiss.IndexScalarQuantizer(dim, quantiser.QT_fp16, ip)

    def ivf(dim: int, n: int) -> faiss.Index:
        return faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, _nlist(n), ip)

    def hnsw(dim: int, n: int) -> faiss.Index:
        return faiss.IndexHNSWSQ(dim, quantiser.QT_8bit, 32, ip)  # type: ignore[arg-type]

    def exhaustive(index: faiss.IndexIDMap2) -> dict[str, Searcher]:
        return {"exhaustive": _faiss_searcher(index)}

    def probes(index: faiss.IndexIDMap2) -> dict[str, Searcher]:
        return {f"nprobe {p}": _faiss_searcher(index, nprobe=p) for p in (16, 64, 256)}

    def graph(index: faiss.IndexIDMap2) -> dict[str, Searcher]:
        searchers = {f"ef {ef}": _faiss_searcher(index, efSearch=ef) for ef in HNSW_EF}
        return searchers | {f"hybrid ef {HNSW_EF[-1]}": _hybrid_searcher(index, HNSW_EF[-1])}

    return [
        Kind("flat", flat, exhaustive),
        Kind("sq8", sq8, exhaustive),
        Kind("fp16", fp16, exhaustive),
        Kind("ivf-flat", ivf, probes),
        Kind("hnsw-sq8", hnsw, graph),
    ]


def build(kind: Kind, vectors: np.ndarray, row_ids: np.ndarray) -> faiss.IndexIDMap2:
    """The kind's index over the vectors (trained on a random sample of at most 100k)."""
    inner = kind.make(vectors.shape[1], len(vectors))
    if not inner.is_trained:
        sample = np.random.default_rng(0).permutation(len(vectors))[:TRAIN_SAMPLE]
        inner.train(vectors[np.sort(sample)])
    index = faiss.IndexIDMap2(inner)
    index.add_with_ids(vectors, row_ids)
    return index


def measure(
    vectors: np.ndarray,
    row_ids: np.ndarray,
    queries: np.ndarray,
    filters: Sequence[Filter],
    kinds: Sequence[Kind],
) -> list[dict[str, Any]]:
    """One row per index kind and search setting: build time, memory, and per filter
    recall@10 against exact search and single-query single-thread latency."""
    truths = {filt.name: exact_topk(vectors, row_ids, queries, filt) for filt in filters}
    rows: list[dict[str, Any]] = []
    for kind in kinds:
        gc.collect()
        rows += _measure_kind(kind, vectors, row_ids, queries, filters, truths)
    return rows


def _measure_kind(
    kind: Kind,
    vectors: np.ndarray,
    row_ids: np.ndarray,
    queries: np.ndarray,
    filters: Sequence[Filter],
    truths: dict[str, np.ndarray],
) -> list[dict[str, Any]]:
    """Build one kind (its memory is freed on return) and measure each search setting."""
    rss_before = _rss_bytes()
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    started = time.perf_counter()
    index = build(kind, vectors, row_ids)
    build_s = time.perf_counter() - started
    rss_growth = _rss_bytes() - rss_before
    serialized = len(faiss.serialize_index(index))
    log.info("%s: built in %.1f s, %.0f MB", kind.name, build_s, serialized / 1e6)
    faiss.omp_set_num_threads(1)
    rows: list[dict[str, Any]] = []
    for setting, search in kind.searchers(index).items():
        results: dict[str, dict[str, float]] = {}
        for filt in filters:
            for query in queries[:WARMUP]:
                search(query[None, :], filt)
            samples: list[float] = []
            recalls: list[float] = []
            for query, truth in zip(queries, truths[filt.name], strict=True):
                started = time.perf_counter()
                found = search(query[None, :], filt)
                samples.append((time.perf_counter() - started) * 1000)
                recalls.append(recall(found, truth))
            results[filt.name] = {
                "recall_at_10": round(float(np.mean(recalls)), 4),
                "min_recall_at_10": round(float(np.min(recalls)), 4),
                **percentiles(samples),
            }
        log.info("%s %s: %s", kind.name, setting, results)
        rows.append(
            {
                "index": kind.name,
                "search": setting,
                "vectors": len(vectors),
                "build_s": round(build_s, 1),
                "serialized_mb": round(serialized / 1e6, 1),
                "rss_growth_mb": round(rss_growth / 1e6, 1),
                "filters": results,
            }
        )
    return rows


def real_vectors(
    base: int, queries: int, work: Path, backend: str
) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings of ``base`` simulated partner profiles and of ``queries`` judged deal texts.

    The ecosystem is simulated and ingested under ``work`` once; later runs reuse the store and
    its vector cache, so only the first run embeds the profiles.
    """
    data = work / f"eco-{base}"
    if not (data / "partners.csv").exists():
        simulate(data, n_partners=base, n_deals=base, n_judged=max(queries, 200), seed=7)
    settings = Settings(home=work / f"home-{base}", embedding_backend=backend)
    store = Store.from_settings(settings)
    if store.count_partners() == 0:
        ingest(store, "partners", data / "partners.csv", chunk_rows=settings.ingest_chunk_rows)
    embedder = get_embedder(settings)
    rows = [row for batch in store.iter_partner_rows() for row in batch][:base]
    started = time.perf_counter()
    _, partner_vectors = embed_partners(store, embedder, rows)
    log.info("%d partner vectors in %.1f s", len(rows), time.perf_counter() - started)
    texts = [deal_text(item.deal) for item in read_judged(data / "judged_deals.jsonl")][:queries]
    return partner_vectors, embedder.embed(texts)


def markdown(rows: Sequence[dict[str, Any]], filters: Sequence[str]) -> str:
    """The results as a Markdown table: recall@10 and p99 per filter, build and memory."""
    header = ["index", "search"]
    header += [f"R@10 {name}" for name in filters] + [f"p99 ms {name}" for name in filters]
    header += ["p50 ms none", "build s", "index MB", "RSS +MB"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        results = row["filters"]
        cells = [str(row["index"]), str(row["search"])]
        cells += [f"{results[name]['recall_at_10']:.3f}" for name in filters]
        cells += [f"{results[name]['p99_ms']:.1f}" for name in filters]
        cells += [f"{results['none']['p50_ms']:.1f}"]
        cells += [str(row["build_s"]), str(row["serialized_mb"]), str(row["rss_growth_mb"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Embed, replicate, measure every kind and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--base", type=int, default=10_000, help="Real partner embeddings.")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="100k vectors, 50 queries.")
    parser.add_argument("--kinds", nargs="+", help="Measure only these index kinds (default: all).")
    parser.add_argument("--work", type=Path, default=Path("var/bench/index-choice"))
    parser.add_argument("--out", type=Path, help="Default: bench/results (quick: var/bench).")
    args = parser.parse_args(argv)
    if args.quick:
        args.vectors, args.queries = 100_000, 50
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    backend = os.environ.get("PARTNERMATCH_EMBEDDING_BACKEND", Settings().embedding_backend)
    kinds = [kind for kind in default_kinds() if not args.kinds or kind.name in args.kinds]
    record = provenance("bench.index_choice")
    started = time.perf_counter()
    base, queries = real_vectors(args.base, args.queries, args.work, backend)
    vectors = replicate(base, args.vectors)
    row_ids = np.arange(1, len(vectors) + 1, dtype=np.int64)  # store row ids start at 1
    filters = random_filters(row_ids, (0.10, 0.01))
    rows = measure(vectors, row_ids, queries, filters, kinds)
    result = {
        **record,
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "wall_s": round(time.perf_counter() - started, 1),
        "faiss": faiss.__version__,
        "vectors": f"{len(base)} real {backend} embeddings of simulated partner profiles, "
        f"replicated to {len(vectors)} rows with N(0, {NOISE}) noise per dimension and "
        "re-normalised",
        "queries": f"{len(queries)} real embeddings of simulated judged deal texts",
        "filters": "random row sets allowing 10 % and 1 % of rows (seed 1), through "
        "IDSelectorBitmap; ground truth: NumPy brute force over the allowed float32 vectors",
        "latency": "one query at a time, one OpenMP thread, after 5 warm-up queries; "
        "build on all CPUs",
        "caveat": "the replicated vectors form tight clusters of near-duplicates (each real "
        "vector and its noisy copies); graph (HNSW) and clustering (IVF) indexes lose more recall "
        "on them than on real embeddings, exhaustive ones do not",
        "hnsw": "IndexHNSWSQ 8 bit, M=32, efConstruction 40 (faiss default)",
        "rss_growth": "resident memory after build minus before (freed heap trimmed first)",
        "hybrid": f"exhaustive search of the HNSW's 8-bit storage when a filter allows at "
        f"most {HYBRID_EXACT_MAX} rows, else HNSW",
        "rows": rows,
    }
    out = args.out or results_path(RESULTS, args.quick)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(markdown(rows, [filt.name for filt in filters]))
    print(f"\nwall time {result['wall_s']} s; results in {out}")


if __name__ == "__main__":
    main()
