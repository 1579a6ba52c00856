"""What the fast-scan shortlist loses and saves on real embeddings: the wide search through it
against the full scan of the same 8-bit index.

A simulated home of ``--partners`` partners, every one embedded for real with the default
embedder (prepared and cached under ``--work``, apart from the latency benchmarks' homes, whose
vectors are mostly replicated; the vectors come from the store's cache), is indexed twice with
``PartnerIndex.build``: 8-bit codes alone, and with the shortlist
(``matcher/engine/shortlist.py``). The queries are the embedded texts of the simulated judged
deals. Each is searched with random filters passing 100 %, 50 % and 30 % of the partners (the
shortlist serves only filters passing 30 % or more; narrower ones scan either way), for the
engine's candidate pool (``recommend_candidates``, 100) as the engine asks for it
(``search_allowed``). Reported: recall of the full scan's pool (mean and worst deal), agreement
of the first 10, and the search time of each (one thread, medians and p99).

The 1M benchmark (``bench.recommend_latency``) replicates 10k real vectors with noise, whose
neighbours differ by noise alone: recall is measured here, on real vectors, and time there.

Run::

    python -m bench.shortlist_recall --partners 100000     # about 5 minutes the first time
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

from bench.results import Record, percentiles, provenance, results_path, write_results

SHARES = (1.0, 0.5, 0.3)


def measure(partners: int, work: Path, queries: int) -> Record:
    """Recall and search time of the shortlisted wide search against the full scan."""
    from bench.recommend_latency import prepare_home
    from matcher.embedding import deal_text, embed_partners, get_embedder
    from matcher.engine.index import PartnerIndex
    from matcher.schemas import Deal
    from matcher.settings import Settings
    from matcher.store import Store

    home, judged = prepare_home(partners, work, partners)
    settings = Settings(home=home)
    store = Store.from_settings(settings)
    embedder = get_embedder(settings)
    rows = [row for batch in store.iter_partner_rows() for row in batch]
    row_ids, vectors = embed_partners(store, embedder, rows)
    lines = judged.read_text("utf-8").splitlines()[:queries]
    texts = [deal_text(Deal.model_validate(json.loads(line)["deal"])) for line in lines]
    query_vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    built: dict[str, float] = {}
    indexes: dict[str, PartnerIndex] = {}
    for name, shortlist_min in (("full scan", None), ("shortlist", 1)):
        started = time.perf_counter()
        indexes[name] = PartnerIndex.build(
            embedder.model_id, row_ids, vectors, exact_max=1, shortlist_min=shortlist_min
        )
        built[name] = round(time.perf_counter() - started, 1)
    pool = settings.recommend_candidates
    rng = np.random.default_rng(1)
    filters = []
    for share in SHARES:
        mask = rng.random(int(row_ids.max()) + 1) < share
        packed, allowed = np.packbits(mask, bitorder="little"), int(mask[row_ids].sum())
        found: dict[str, list[np.ndarray]] = {name: [] for name in indexes}
        times: dict[str, list[float]] = {name: [] for name in indexes}
        for query in query_vectors:
            for name, index in indexes.items():
                started = time.perf_counter()
                rows_found, _ = index.search_allowed(query, pool, packed, allowed)
                times[name].append((time.perf_counter() - started) * 1000)
                found[name].append(rows_found)
        recall = [
            len(set(short.tolist()) & set(full.tolist())) / max(1, len(full))
            for full, short in zip(found["full scan"], found["shortlist"], strict=True)
        ]
        top10 = [
            len(set(short[:10].tolist()) & set(full[:10].tolist())) / max(1, len(full[:10]))
            for full, short in zip(found["full scan"], found["shortlist"], strict=True)
        ]
        filters.append(
            {
                "share": share,
                "recall_at_pool": round(float(np.mean(recall)), 4),
                "min_recall_at_pool": round(float(np.min(recall)), 2),
                "top10_agreement": round(float(np.mean(top10)), 4),
                "ms": {name: percentiles(values) for name, values in times.items()},
            }
        )
    return {
        "partners": len(row_ids),
        "embedder": embedder.model_id,
        "dim": embedder.dim,
        "queries": len(query_vectors),
        "pool": pool,
        "build_s": built,
        "filters": filters,
    }


def render(record: Record) -> str:
    """The results as a markdown table."""
    run = record["run"]
    lines = [
        "# Shortlist recall",
        "",
        f"`{record['command']}` · {record['measured_at']} · {record['machine']} · "
        f"load {record['load_average_1min']}",
        "",
        f"{run['partners']:,} partners, real {run['embedder']} vectors ({run['dim']} dims), "
        f"{run['queries']} judged deal texts, pool {run['pool']}; build "
        f"{run['build_s']['full scan']} s (8-bit codes) / {run['build_s']['shortlist']} s "
        "(with the shortlist).",
        "",
        "| filter passes | recall of the pool (worst deal) | first 10 agree | full scan p50 / p99 "
        "| shortlist p50 / p99 |",
        "|---|---|---|---|---|",
    ]
    for row in run["filters"]:
        full, short = row["ms"]["full scan"], row["ms"]["shortlist"]
        lines.append(
            f"| {row['share']:.0%} | {row['recall_at_pool']:.3f} ({row['min_recall_at_pool']}) "
            f"| {row['top10_agreement']:.3f} | {full['p50_ms']} / {full['p99_ms']} ms "
            f"| {short['p50_ms']} / {short['p99_ms']} ms |"
        )
    return "\n".join([*lines, ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    # not var/bench: its homes hold replicated vectors, and each reuses the index it finds
    parser.add_argument("--work", type=Path, default=Path("var/bench/real-vectors"))
    parser.add_argument("--out", type=Path, default=results_path("shortlist_recall.json", False))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    record: Record = provenance("bench.shortlist_recall")
    record["run"] = measure(args.partners, args.work, args.queries)
    write_results(args.out, record, render(record))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
