"""Ingest throughput: simulated partners from CSV into a fresh SQLite store.

Measures the full `partnermatch ingest partners` path (chunked CSV reading, validation and
normalisation of every row, upsert with facets in one transaction). Each run ingests into a
new database; the figure is the median of the runs.

    .venv/bin/python bench/ingest_bench.py                 # 100k partners, 3 runs
    .venv/bin/python bench/ingest_bench.py --partners 10000 --runs 1   # quick

Writes bench/results/ingest.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

from matcher.ingest import ingest
from matcher.store import Store
from training.simulate import generate_partners

RESULTS = Path(__file__).parent / "results"
TARGET_SECONDS_100K = 60.0


def write_partners_csv(path: Path, count: int, seed: int) -> None:
    """The simulator's partner rows as a DESIGN.md 3.1 CSV (lists `;`-separated)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer: csv.DictWriter[str] | None = None
        for row in generate_partners(count, seed):
            cells = {
                key: ";".join(map(str, value)) if isinstance(value, list) else value
                for key, value in row.items()
            }
            if writer is None:
                writer = csv.DictWriter(handle, fieldnames=list(cells))
                writer.writeheader()
            writer.writerow(cells)


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    import os

    return {
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "system": platform.platform(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="partnermatch-bench-") as scratch:
        source = Path(scratch) / "partners.csv"
        write_partners_csv(source, args.partners, args.seed)
        seconds = []
        for run in range(args.runs):
            store = Store(f"sqlite:///{scratch}/run{run}.db")
            started = time.perf_counter()
            report = ingest(store, "partners", source)
            seconds.append(time.perf_counter() - started)
            assert report.committed and report.rows_loaded == args.partners, report.problems[:3]
            print(f"run {run + 1}: {seconds[-1]:.1f} s ({args.partners / seconds[-1]:,.0f} rows/s)")
        median = statistics.median(seconds)
        result = {
            "benchmark": "ingest partners (CSV -> SQLite)",
            "command": (
                f"python bench/ingest_bench.py --partners {args.partners} --runs {args.runs}"
            ),
            "partners": args.partners,
            "file_mb": round(source.stat().st_size / 1e6, 1),
            "runs_s": [round(s, 2) for s in seconds],
            "median_s": round(median, 2),
            "rows_per_s": round(args.partners / median),
            "target": f"100k partners in under {TARGET_SECONDS_100K:.0f} s",
            "machine": machine(),
        }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"median {median:.1f} s = {result['rows_per_s']:,} rows/s -> bench/results/ingest.json")


if __name__ == "__main__":
    main()
