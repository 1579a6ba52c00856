"""Embedding throughput (profiles/s) and one-query latency of each backend on real profile texts.

Run::

    python -m bench.embed_throughput --partners data/sample/partners.csv

Writes ``bench/results/embed_throughput.json``. ONNX models are exported on first use into
``--home`` (a scratch ``PARTNERMATCH_HOME``), as in production.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from matcher.embedding import BACKENDS, get_embedder, partner_text
from matcher.schemas import Partner
from matcher.settings import Settings

RESULTS = Path("bench/results/embed_throughput.json")


def main(argv: list[str] | None = None) -> None:
    """Time every backend on the same texts and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=Path, default=Path("data/sample/partners.csv"))
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--home", type=Path, default=Path("var/bench/embed"))
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    with args.partners.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[: args.limit]
    texts = [partner_text(Partner.model_validate(row)) for row in rows]
    queries = [text[:120] for text in texts[:100]]
    runs = []
    reference = None
    for backend in args.backends:
        embedder = get_embedder(Settings(home=args.home, embedding_backend=backend))
        embedder.embed(texts[:32])  # warm-up
        started = time.perf_counter()
        vectors = embedder.embed(texts)
        seconds = time.perf_counter() - started
        latencies = []
        for query in queries:
            started = time.perf_counter()
            embedder.embed([query])
            latencies.append((time.perf_counter() - started) * 1000)
        if reference is None:
            reference = vectors
        runs.append(
            {
                "backend": backend,
                "model_id": embedder.model_id,
                "profiles": len(texts),
                "profiles_per_s": round(len(texts) / seconds, 1),
                "query_p50_ms": round(float(np.percentile(latencies, 50)), 2),
                "query_p99_ms": round(float(np.percentile(latencies, 99)), 2),
                "mean_cosine_to_first_backend": round(
                    float((vectors * reference).sum(1).mean()), 4
                ),
            }
        )
        print(json.dumps(runs[-1]))
    result = {
        "command": "python -m bench.embed_throughput",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
