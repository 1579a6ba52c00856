"""Embedding throughput (profiles/s) and one-query latency of each backend on real profile texts.

Every backend (MiniLM through torch, ONNX fp32 and ONNX int8; the multilingual Universal
Sentence Encoder, the default) embeds the same partner profiles; its throughput is the median
of ``--runs`` passes, because a shared machine makes single passes noisy. Its vectors are
compared with those of the first backend of the same model (mean cosine), so a speed-up that
costs accuracy shows; the first backend of a model has nothing to compare with.

    python -m bench.embed_throughput            # 1,000 profiles, 3 runs per backend
    python -m bench.embed_throughput --quick    # 200 profiles, 1 run: a smoke run

Writes ``bench/results/embed_throughput.json`` (with --quick: under var/bench/quick-results).
ONNX models are exported on first use into ``--home`` (a scratch ``PARTNERMATCH_HOME``), as in
production.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from bench.results import percentiles, provenance, results_path
from matcher.embedding import BACKENDS, Embedder, get_embedder, partner_text
from matcher.schemas import Partner
from matcher.settings import Settings


def profiles_per_s(
    embedder: Embedder, texts: list[str], runs: int
) -> tuple[list[float], np.ndarray]:
    """Throughput of each run, and the vectors (the same every run, up to batch noise)."""
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        vectors = embedder.embed(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    return rates, vectors


def query_latencies_ms(embedder: Embedder, queries: list[str]) -> list[float]:
    """One short text at a time, as a deal's description is embedded on the request path."""
    latencies = []
    for query in queries:
        started = time.perf_counter()
        embedder.embed([query])
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def measure(
    backend: str, home: Path, texts: list[str], runs: int, references: dict[str, np.ndarray]
) -> dict[str, object]:
    """One backend's figures; its vectors become ``references[model]`` if it is the first
    backend of its model (``all-MiniLM-L6-v2/onnx`` is of ``all-MiniLM-L6-v2``)."""
    embedder = get_embedder(Settings(home=home, embedding_backend=backend))
    embedder.embed(texts[:32])  # warm-up
    rates, vectors = profiles_per_s(embedder, texts, runs)
    latencies = query_latencies_ms(embedder, [text[:120] for text in texts[:100]])
    model = embedder.model_id.split("/")[0]
    reference = references.get(model)
    references.setdefault(model, vectors)
    cosine = None if reference is None else round(float((vectors * reference).sum(1).mean()), 4)
    return {
        "backend": backend,
        "model_id": embedder.model_id,
        "profiles": len(texts),
        "profiles_per_s": round(statistics.median(rates), 1),
        "profiles_per_s_runs": [round(rate, 1) for rate in rates],
        **percentiles(latencies, (50, 99), prefix="query_", mean_and_count=False),
        "mean_cosine_to_first_backend": cosine,
    }


def main(argv: list[str] | None = None) -> None:
    """Time every backend on the same texts and write the JSON results."""
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer profiles, one run")
    parser.add_argument("--partners", type=Path, default=Path("data/sample/partners.csv"))
    parser.add_argument("--limit", type=int, default=200 if quick else 1000)
    parser.add_argument("--runs", type=int, default=1 if quick else 3)
    parser.add_argument("--home", type=Path, default=Path("var/bench/embed"))
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS))
    parser.add_argument("--out", type=Path, default=results_path("embed_throughput.json", quick))
    args = parser.parse_args(argv)
    with args.partners.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[: args.limit]
    texts = [partner_text(Partner.model_validate(row)) for row in rows]
    runs = []
    references: dict[str, np.ndarray] = {}
    for backend in args.backends:
        run = measure(backend, args.home, texts, args.runs, references)
        runs.append(run)
        print(json.dumps(run))
    result = {**provenance("bench.embed_throughput"), "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
