"""In-process recommend latency per deal kind and filter selectivity, against a naive baseline.

For each size: simulate an ecosystem (``training.simulate``), ingest it into a scratch store,
make the engine ready (around the saved index when it is current, as a server starts; else
built and saved), build its naive twin (``bench/naive.py``: pandas boolean filtering, numpy
brute-force cosine, the same scoring) and time ``Recommender.recommend`` one deal at a time,
after a warm-up, per scenario:

* ``mixed``: the simulated judged deals as they are;
* ``description_only``: only their description; ``structured_only``: all but the description;
* ``strict_50pct``, ``strict_5pct``, ``strict_0.1pct``: the judged deals under strict
  constraints (country, languages, certifications, partner types) found in the data to allow
  about that share of the partners; the share achieved is recorded.

Per scenario and engine: p50/p95/p99 of ``recommend`` (query embedding included) and of
retrieval alone (filter + vector search for an embedded query), with the naive/ours ratio per
figure; per size: how the home was prepared (simulation, ingest rate), engine build time and
resident memory. Results go to ``bench/results/recommend_latency.json`` (``--quick``:
``var/bench/quick-results/``).

Run::

    PARTNERMATCH_EMBEDDING_BACKEND=onnx-int8 python -m bench.recommend_latency \
        --sizes 10000 100000 1000000
    python -m bench.recommend_latency --quick   # 10k partners, 30 deals per scenario

``--work DIR`` keeps the scratch stores (and their vector caches and indexes) between runs, so a
second run skips simulation, ingest and embedding.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import itertools
import json
import logging
import math
import os
import pstats
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from bench.naive import NaiveRecommender
from bench.results import percentiles, provenance, results_path
from bench.traffic import mixed_stream, widget_contexts
from matcher.embedding import Embedder, deal_text, embed_partners, get_embedder
from matcher.embedding.cache import CacheStats
from matcher.engine import (
    PartnerIndex,
    Recommender,
    assemble_engine,
    build_engine,
    engine_state,
    index_dir,
    load_engine,
    read_manifest,
)
from matcher.ingest import ingest
from matcher.ipp import default_scorer
from matcher.schemas import Deal, Partner
from matcher.settings import Settings
from matcher.store import Store
from training.evaluate import read_judged

_NOISE_CHUNK = 100_000  # rows of noise drawn at a time (float32), to bound peak memory
RESULTS = "recommend_latency.json"
SELECTIVITIES: dict[str, float] = {
    "strict_50pct": 0.5,
    "strict_5pct": 0.05,
    "strict_0.1pct": 0.001,
}
# the deal field constraining each facet of the naive engine's table
CONSTRAINT_FIELDS: dict[str, str] = {
    "country": "country",
    "language": "languages",
    "certification": "certifications",
    "partner_type": "partner_types",
}
FIGURES: tuple[str, ...] = ("p50_ms", "p95_ms", "p99_ms")
WARMUP = 10
MIX_REQUESTS_PER_QUERY = 3  # the realistic stream is this many times a scenario's deals

Constraints = dict[str, Any]


def _memory_mib() -> dict[str, float]:
    """Peak and current resident memory of this process (``VmHWM``, ``VmRSS``); the peak is
    the whole process's so far, earlier sizes and ingest included."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {
        "peak_rss_mib": round(int(status["VmHWM"].split()[0]) / 1024, 1),
        "rss_mib": round(int(status["VmRSS"].split()[0]) / 1024, 1),
    }


# -- the home: simulated ecosystem, store, index ---------------------------------------------------


def _engine_with_replicated_vectors(
    store: Store, embedder: Embedder, settings: Settings, real_vectors: int
) -> Recommender:
    """An engine over every stored partner whose index holds real embeddings of the first
    ``real_vectors`` partners and, for the others, a real vector plus small Gaussian noise.

    Only the vectors are synthetic; profiles, filters and BM25 cover every partner. It keeps
    a 100k (or 1M) benchmark within minutes on two shared cores; search cost does not depend
    on what the vectors encode.
    """
    row_ids: list[int] = []
    first: list[tuple[int, Partner]] = []
    for batch in store.iter_partner_rows():  # streamed: a million profiles would not fit
        row_ids.extend(row_id for row_id, _ in batch)
        first.extend(batch[: max(0, real_vectors - len(first))])
    _, real = embed_partners(store, embedder, first)
    vectors = real[np.arange(len(row_ids)) % len(real)].astype(np.float32)
    rng = np.random.default_rng(0)
    for start in range(len(real), len(vectors), _NOISE_CHUNK):
        chunk = vectors[start : start + _NOISE_CHUNK]
        chunk += rng.normal(scale=0.02, size=chunk.shape).astype(np.float32)
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
    index = PartnerIndex.build(
        embedder.model_id,
        np.array(row_ids, dtype=np.int64),
        vectors,
        settings.index_exact_max,
        shortlist_min=settings.index_shortlist_min,
    )
    rows = (row for batch in store.iter_partner_rows() for row in batch)
    state = engine_state(rows)
    return assemble_engine(store, embedder, default_scorer(settings), settings, state, index)


def _simulated_store(
    size: int, work: Path, backend: str, judged: int
) -> tuple[Settings, Path, dict[str, object]]:
    """A home under ``work`` holding a simulated ecosystem of ``size`` partners (reused), and
    what preparing it took (simulation time, ingest rates) when this call had to."""
    from training.simulate import simulate

    data = work / f"eco-{size}"
    preparation: dict[str, object] = {}
    if not (data / "partners.csv").exists():
        started = time.perf_counter()
        simulate(data, n_partners=size, n_deals=size, n_judged=max(judged, 200), seed=7)
        preparation["simulate_s"] = round(time.perf_counter() - started, 1)
    settings = Settings(home=work / f"home-{size}", embedding_backend=backend)
    store = Store.from_settings(settings)
    if store.count_partners() != size:
        preparation["ingest"] = {
            kind: _timed_ingest(store, kind, data / f"{kind}.csv", settings.ingest_chunk_rows)
            for kind in ("partners", "outcomes")
        }
    return settings, data / "judged_deals.jsonl", preparation


def _timed_ingest(store: Store, kind: str, path: Path, chunk_rows: int) -> dict[str, float]:
    started = time.perf_counter()
    report = ingest(store, kind, path, chunk_rows=chunk_rows)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    logging.info("ingested %d %s in %.1f s", report.rows_loaded, kind, seconds)
    return {
        "rows": report.rows_loaded,
        "seconds": round(seconds, 1),
        "rows_per_s": round(report.rows_loaded / seconds),
    }


def _index_is_current(settings: Settings, store: Store, model_id: str | None = None) -> bool:
    """Whether the saved index matches the store's partners (and ``model_id``, if given)."""
    manifest = read_manifest(index_dir(settings), missing_ok=True)
    return (
        manifest is not None
        and manifest.store_fingerprint == store.partner_fingerprint()
        and model_id in (None, manifest.model_id)
    )


def _build(settings: Settings, real_vectors: int) -> Recommender:
    """The engine for the home, saved: real vectors up to ``real_vectors`` partners."""
    store = Store.from_settings(settings)
    embedder = get_embedder(settings)
    if store.count_partners() <= real_vectors:
        return build_engine(store, embedder, default_scorer(settings), settings, save=True)
    engine = _engine_with_replicated_vectors(store, embedder, settings, real_vectors)
    engine.save(index_dir(settings))
    return engine


def _ready_engine(settings: Settings, real_vectors: int) -> tuple[Recommender, str]:
    """The engine as a server would get it: around the saved index when it is current, else
    built (and saved); and which of the two happened."""
    store = Store.from_settings(settings)
    embedder = get_embedder(settings)
    if _index_is_current(settings, store, embedder.model_id):
        engine = load_engine(store, embedder, default_scorer(settings), settings)
        return engine, "loaded the saved index"
    return _build(settings, real_vectors), "built the index"


def prepare_home(size: int, work: Path, real_vectors: int) -> tuple[Path, Path]:
    """A home with ``size`` simulated partners and a saved, current index, for serving.

    Returns the home and the judged deals file. Reuses what an earlier run left under ``work``.
    """
    backend = os.environ.get("PARTNERMATCH_EMBEDDING_BACKEND", Settings().embedding_backend)
    settings, judged, _ = _simulated_store(size, work, backend, 200)
    if not _index_is_current(settings, Store.from_settings(settings)):
        _build(settings, real_vectors)
    return settings.home, judged


# -- scenarios -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selectivity:
    """Strict constraints found to allow about ``target`` of the partners, and what they do."""

    target: float
    constraints: Constraints
    allowed: int
    share: float


def _common_values(facets: pd.DataFrame, per_field: int) -> list[tuple[str, str]]:
    """The ``per_field`` commonest values of each constraint field, as (field, value) pairs,
    counted in the naive engine's one-hot facet table (certifications by key, which a deal
    takes as a name); the table's other columns (``partner_id``, ``paused_until``, ``full``)
    are no facet value."""
    one_hot = [column for column in facets.columns if "=" in str(column)]
    counts = facets[one_hot].sum().sort_values(ascending=False, kind="stable")
    by_field: dict[str, list[str]] = defaultdict(list)
    for column, _ in counts.items():
        facet, value = str(column).split("=", 1)
        by_field[CONSTRAINT_FIELDS[facet]].append(value)
    return [(name, value) for name, values in by_field.items() for value in values[:per_field]]


def _with(constraints: Constraints, name: str, value: str) -> Constraints | None:
    """The constraints plus one value (``None`` when that adds nothing new)."""
    if name == "country":
        return None if "country" in constraints else {**constraints, "country": value}
    values = constraints.get(name, [])
    return None if value in values else {**constraints, name: sorted([*values, value])}


def find_selectivity(
    engine: Recommender,
    target: float,
    values: list[tuple[str, str]],
    beam: int = 8,
    depth: int = 4,
) -> Selectivity:
    """A beam search over constraint combinations (adding one value at a time) for the one
    whose strict filter allows the share of partners nearest ``target`` (on a log scale),
    counted with the engine's own ``filter``."""

    def allowed(constraints: Constraints) -> int:
        return engine.filter(Deal(description="probe", strict=True, **constraints)).count

    total = allowed({})

    def miss(count: int) -> float:
        return abs(math.log(max(count, 0.5) / (target * total)))

    best: tuple[float, Constraints, int] = (miss(total), {}, total)
    frontier: list[Constraints] = [{}]
    seen: set[str] = set()
    for _ in range(depth):
        scored = []
        for constraints in frontier:
            for name, value in values:
                candidate = _with(constraints, name, value)
                if candidate is None or (key := json.dumps(candidate, sort_keys=True)) in seen:
                    continue
                seen.add(key)
                count = allowed(candidate)
                scored.append((miss(count), key, candidate, count))
        scored.sort(key=lambda entry: entry[:2])
        frontier = [constraints for _, _, constraints, _ in scored[:beam]]
        if scored and scored[0][0] < best[0]:
            best = (scored[0][0], scored[0][2], scored[0][3])
    _, constraints, count = best
    return Selectivity(target, constraints, count, round(count / total, 5))


def _variant(deal: Deal, **changes: object) -> Deal | None:
    """The deal with these fields changed; ``None`` when that leaves nothing to match."""
    try:
        return Deal.model_validate({**deal.model_dump(), **changes})
    except ValidationError:
        return None


def _description_only(deal: Deal) -> Deal | None:
    return Deal(description=deal.description, top_k=deal.top_k) if deal.description else None


def _structured_only(deal: Deal) -> Deal | None:
    return _variant(deal, description=None)


def _under(selectivity: Selectivity) -> Callable[[Deal], Deal | None]:
    """The deal with its own constraints replaced by the selectivity's, strict."""
    cleared: Constraints = {name: [] for name in CONSTRAINT_FIELDS.values()} | {"country": None}
    return lambda deal: _variant(deal, **(cleared | selectivity.constraints), strict=True)


def _deals(judged: list[Deal], make: Callable[[Deal], Deal | None], n: int) -> list[Deal]:
    """``n`` deals made from the judged ones (cycling through them when too few are valid)."""
    made = [deal for deal in map(make, judged) if deal is not None]
    return list(itertools.islice(itertools.cycle(made), n))


# -- timing ----------------------------------------------------------------------------------------


def _elapsed_ms(call: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    call(*args)
    return (time.perf_counter() - started) * 1000


def _embedded(embedder: Embedder, deals: list[Deal]) -> tuple[np.ndarray, list[float]]:
    """The deals' query vectors (retrieval is timed with them), and how long each took."""
    vectors, samples = [], []
    for deal in deals:
        started = time.perf_counter()
        vectors.append(embedder.embed([deal_text(deal)])[0])
        samples.append((time.perf_counter() - started) * 1000)
    return np.array(vectors), samples


def _retrieve(engine: Recommender, deal: Deal, query: np.ndarray) -> None:
    """What the naive engine replaces: the hard filter and the vector search."""
    filtered = engine.filter(deal)
    if filtered.count:
        engine.semantic_search(query, max(engine.candidates, deal.top_k), filtered)


def _time_engine(
    engine: Recommender, deals: list[Deal], queries: np.ndarray
) -> dict[str, dict[str, Any]]:
    """Recommend and retrieval latencies over ``deals``, one at a time, after a warm-up; with
    the recommend figures, the process's CPU time per deal (every thread: BM25 scores on a
    worker) and the query-embedding cache's hits and misses."""
    engine.queries.clear()  # every scenario starts cold: queries and phrases new to it
    for deal in deals[:WARMUP]:
        engine.recommend(deal)
    before = engine.queries.stats()
    cpu = time.process_time()
    recommend = [_elapsed_ms(engine.recommend, deal) for deal in deals]
    cpu_ms = (time.process_time() - cpu) * 1000 / len(deals)
    retrieval = [
        _elapsed_ms(_retrieve, engine, deal, query)
        for deal, query in zip(deals, queries, strict=True)
    ]
    figures = percentiles(recommend) | {"cpu_ms": round(cpu_ms, 2)}
    return {
        "recommend": figures | {"query_cache": _cache_delta(before, engine.queries.stats())},
        "retrieval": percentiles(retrieval),
    }


def _cache_delta(before: CacheStats, after: CacheStats) -> dict[str, float]:
    """Hits and misses of the query-embedding cache between two readings, and the hit rate
    (a deal's query text and each of its phrases is one lookup)."""
    hits, misses = after.hits - before.hits, after.misses - before.misses
    lookups = hits + misses
    return {
        "hits": hits,
        "misses": misses,
        "hit_rate": round(hits / lookups, 3) if lookups else 0.0,
    }


def traffic_mix(engine: Recommender, judged: list[Deal], n: int) -> dict[str, object]:
    """The query-embedding cache on a realistic stream (``bench/traffic.py``: half seller
    deals, each new, half widget contexts by popularity), from an empty cache: per channel,
    the share of requests whose query text was a hit, and latency and CPU per request."""
    stream = mixed_stream(judged, n)
    engine.queries.clear()
    latencies: dict[str, list[float]] = defaultdict(list)
    query_hits: dict[str, int] = defaultdict(int)
    before = engine.queries.stats()
    cpu = time.process_time()
    for request in stream:
        query_hits[request.channel] += deal_text(request.deal) in engine.queries
        latencies[request.channel].append(_elapsed_ms(engine.recommend, request.deal))
    cpu_ms = (time.process_time() - cpu) * 1000 / len(stream)
    channels = {
        channel: {
            "requests": len(samples),
            "query_hit_rate": round(query_hits[channel] / len(samples), 3),
            **percentiles(samples, (50, 99), mean_and_count=False),
        }
        for channel, samples in sorted(latencies.items())
    }
    every = [ms for samples in latencies.values() for ms in samples]
    return {
        "stream": "bench/traffic.py mixed_stream: half widget contexts (Zipf 1.1 over "
        f"{len(widget_contexts())} pages), half seller deals (each text new); empty cache first",
        "requests": len(stream),
        "query_hit_rate": round(sum(query_hits.values()) / len(stream), 3),
        "lookups": _cache_delta(before, engine.queries.stats()),
        "cpu_ms": round(cpu_ms, 2),
        **percentiles(every, (50, 99), mean_and_count=False),
        "channels": channels,
    }


def _compared(ours: dict[str, float], naive: dict[str, float]) -> dict[str, object]:
    """Both engines' figures and naive / ours for each."""
    return {
        "ours": ours,
        "naive": naive,
        "ratio_naive_over_ours": {f: round(naive[f] / ours[f], 2) for f in FIGURES if ours[f]},
    }


def _scenario(
    engine: Recommender, naive: NaiveRecommender, deals: list[Deal], naive_n: int
) -> dict[str, object]:
    """One scenario timed on both engines (the naive on the first ``naive_n`` deals)."""
    queries, embedding = _embedded(engine.embedder, deals)
    ours = _time_engine(engine, deals, queries)
    theirs = _time_engine(naive, deals[:naive_n], queries[:naive_n])
    return {
        "query_embedding": percentiles(embedding),
        **_compared(ours["recommend"], theirs["recommend"]),
        "retrieval": _compared(ours["retrieval"], theirs["retrieval"]),
    }


def _scenarios(
    engine: Recommender, naive: NaiveRecommender, judged: list[Deal], n: int, naive_n: int
) -> dict[str, dict[str, object]]:
    """Every scenario: deal kinds, then strict filters of decreasing selectivity."""
    values = _common_values(naive.facets, per_field=12)
    makers: dict[str, tuple[Callable[[Deal], Deal | None], dict[str, object]]] = {
        "mixed": (lambda deal: deal, {}),
        "description_only": (_description_only, {}),
        "structured_only": (_structured_only, {}),
    }
    for name, target in SELECTIVITIES.items():
        found = find_selectivity(engine, target, values)
        logging.info("%s: %s allows %d (%.4f)", name, found.constraints, found.allowed, found.share)
        makers[name] = (_under(found), {"filter": asdict(found)})
    results = {}
    for name, (make, about) in makers.items():
        logging.info("timing %s", name)
        results[name] = about | _scenario(engine, naive, _deals(judged, make, n), naive_n)
    return results


def measure(
    size: int, work: Path, backend: str, queries: int, naive_queries: int, real_vectors: int
) -> dict[str, object]:
    """Prepare the home, make both engines ready and time every scenario for one size."""
    settings, judged_path, preparation = _simulated_store(size, work, backend, queries)
    started = time.perf_counter()
    engine, engine_from = _ready_engine(settings, real_vectors)
    engine_s = time.perf_counter() - started
    engine_memory = _memory_mib()
    started = time.perf_counter()
    naive = NaiveRecommender.of(engine)
    naive_s = time.perf_counter() - started
    judged = [item.deal for item in read_judged(judged_path)]
    return {
        "partners": size,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "index_kind": engine.index.kind,
        "embedder": engine.embedder.model_id,
        "ipp_scorer": engine.scorer.version,
        "vectors": "real"
        if size <= real_vectors
        else f"real for {real_vectors}, the rest replicated from them with N(0, 0.02) noise",
        "naive_vectors": "the index's vectors, decoded from 8 bits (as the engine scores them)"
        if engine.index.kind == "sq8"
        else "the index's vectors (exact)",
        "preparation": preparation or "reused the simulated, ingested home under --work",
        "engine_from": engine_from,
        "engine_ready_s": round(engine_s, 1),
        **engine_memory,
        "naive_engine": {"build_s": round(naive_s, 1), "after_it": _memory_mib()},
        "scenarios": _scenarios(engine, naive, judged, queries, min(naive_queries, queries)),
        "traffic_mix": traffic_mix(engine, judged, MIX_REQUESTS_PER_QUERY * queries),
    }


# -- report ----------------------------------------------------------------------------------------


def kept_runs(out: Path, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs of ``out`` (an earlier results file) at the sizes not measured again, each
    stamped with when and by what it was measured: ``--sizes 100000`` replaces the 100k run
    and leaves the others' figures as they were."""
    if not out.exists():
        return []
    previous = json.loads(out.read_text(encoding="utf-8"))
    measured = {run["partners"] for run in runs}
    return [
        {"measured_at": previous.get("measured_at"), **run}
        for run in previous.get("runs", [])
        if run.get("partners") not in measured
    ]


def write_profile(
    size: int, work: Path, backend: str, real_vectors: int, deals: int, path: Path
) -> Path:
    """cProfile of ``deals`` mixed deals on a ready engine of ``size`` partners, first
    sightings (empty query cache), as the mixed scenario times them; the listing by
    cumulative and by own time is written beside ``path``. Times are the calling thread's CPU
    time, not the wall clock (the machine is shared): BM25's scoring, on a worker thread,
    is not in it."""
    settings, judged_path, _ = _simulated_store(size, work, backend, deals)
    engine, _ = _ready_engine(settings, real_vectors)
    judged = [item.deal for item in read_judged(judged_path)][:deals]
    for deal in judged[:WARMUP]:
        engine.recommend(deal)
    engine.queries.clear()
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    for deal in judged:
        engine.recommend(deal)
    profile.disable()
    listing = io.StringIO()
    print(f"{len(judged)} mixed deals, {size} partners, {engine.embedder.model_id}", file=listing)
    stats = pstats.Stats(profile, stream=listing)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    target = path.with_name(f"{path.stem}-{size}{path.suffix}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(listing.getvalue(), encoding="utf-8")
    print(f"profile in {target}")
    return target


def table(runs: list[dict[str, Any]]) -> str:
    """The recommend and retrieval figures as a plain text table (ms; ratio naive/ours)."""
    header = f"{'partners':>9} {'scenario':<17} {'part':<9} {'n':>7} "
    header += f"{'ours p50/p95/p99':>22} {'naive p50/p95/p99':>24} {'ratio p50/p95/p99':>19}"
    lines = [header]
    for run in runs:
        for name, scenario in run["scenarios"].items():
            for part, figures in (("recommend", scenario), ("retrieval", scenario["retrieval"])):
                ours, naive = figures["ours"], figures["naive"]
                ratio = figures["ratio_naive_over_ours"]
                lines.append(
                    f"{run['partners']:>9} {name:<17} {part:<9} {ours['n']:>3}/{naive['n']:<3} "
                    f"{_figures(ours):>22} {_figures(naive):>24} {_figures(ratio, 'x'):>19}"
                )
    return "\n".join(lines)


def _figures(values: dict[str, float], unit: str = "") -> str:
    return "/".join(f"{values[f]:g}{unit}" for f in FIGURES if f in values)


def main(argv: list[str] | None = None) -> None:
    """Measure each size and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument("--queries", type=int, default=200, help="Deals per scenario (ours).")
    parser.add_argument(
        "--naive-queries", type=int, default=100, help="Deals per scenario for the naive engine."
    )
    parser.add_argument("--out", type=Path, help="Default: bench/results (quick: var/bench).")
    parser.add_argument(
        "--real-vectors",
        type=int,
        default=10_000,
        help="Embed at most this many partners; replicate their vectors (with noise) beyond.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="Smoke run: 10k partners, 30 deals per scenario."
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="Profile the mixed deals (cold caches) with cProfile, write the listing to this "
        "file (one per size: -<size> added) and time nothing.",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.queries, args.naive_queries = [10_000], 30, 30
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    backend = os.environ.get("PARTNERMATCH_EMBEDDING_BACKEND", Settings().embedding_backend)
    record = provenance("bench.recommend_latency")
    started = time.perf_counter()
    if args.profile is not None:
        for size in args.sizes:
            write_profile(size, args.work, backend, args.real_vectors, args.queries, args.profile)
        return
    runs = []
    for size in args.sizes:
        runs.append(
            measure(size, args.work, backend, args.queries, args.naive_queries, args.real_vectors)
        )
        gc.collect()  # the engines of one size are gone before the next is built
    out = args.out or results_path(RESULTS, args.quick)
    runs = sorted(kept_runs(out, runs) + runs, key=lambda run: run["partners"])
    result = {
        **record,
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "wall_s": round(time.perf_counter() - started, 1),
        "note": "in-process recommend, one deal at a time, query embedding included; retrieval "
        "is filter + vector search alone. naive = pandas boolean filtering over one-hot facet "
        "columns + numpy brute-force cosine on one BLAS thread (matrix[allowed] @ query under "
        "10% allowed, else (matrix @ query)[allowed]), the same scoring (bench/naive.py); it "
        "runs on the first n of the same deals. See each run's `vectors` for whether every "
        "vector is a real embedding; rss_mib / peak_rss_mib: the process once the engine is "
        "ready (the peak so far, ingest and earlier sizes included), before the naive twin",
        "runs": runs,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(table(runs))
    print(f"results in {out}; {result['wall_s']} s in all")


if __name__ == "__main__":
    main()
