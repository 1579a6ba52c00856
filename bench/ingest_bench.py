"""Ingest throughput (rows/s): simulated partners from CSV into a fresh SQLite store, per size.

Measures the full `partnermatch ingest partners` path (chunked CSV reading, validation and
normalisation of every row, upsert with facets in one transaction). Each run ingests into a
new database; a size's figure is the median of its runs. Each size also records the process's
peak resident memory (VmHWM) while simulating and ingesting it: ingestion is chunked, so it
should not grow with the file.

    python -m bench.ingest_bench            # 10k and 100k (3 runs each), 1M (1 run, ~10 min)
    python -m bench.ingest_bench --quick    # 1k and 10k, 1 run each: a smoke run

Writes bench/results/ingest.json (with --quick: var/bench/quick-results/ingest.json).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.results import provenance, results_path
from matcher.ingest import ingest
from matcher.store import Store
from training.simulate import generate_partners

LARGE = 1_000_000


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


def reset_peak_rss() -> None:
    """Restart VmHWM from the current resident set, so that each size reports its own peak."""
    Path("/proc/self/clear_refs").write_text("5", encoding="ascii")


def peak_rss_mib() -> float:
    """The process's resident-memory high-water mark since the last reset, in MiB."""
    status = Path("/proc/self/status").read_text(encoding="ascii")
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    if match is None:
        raise RuntimeError("no VmHWM in /proc/self/status")
    return int(match.group(1)) / 1024


def time_ingest(source: Path, database: Path, partners: int) -> float:
    """Seconds to ingest ``source`` into a new database, which is then deleted (1M is ~1 GB)."""
    store = Store(f"sqlite:///{database}")
    started = time.perf_counter()
    report = ingest(store, "partners", source)
    seconds = time.perf_counter() - started
    store.engine.dispose()
    database.unlink()
    if not (report.committed and report.rows_loaded == partners):
        raise RuntimeError(f"ingest of {partners:,} rows failed: {report.problems[:3]}")
    return seconds


def measure(partners: int, runs: int, seed: int) -> dict[str, object]:
    """Median ingest time of ``runs`` runs of one size, and the peak memory meanwhile."""
    reset_peak_rss()
    with tempfile.TemporaryDirectory(prefix="partnermatch-bench-") as scratch:
        source = Path(scratch) / "partners.csv"
        write_partners_csv(source, partners, seed)
        seconds = []
        for run in range(runs):
            seconds.append(time_ingest(source, Path(scratch) / "store.db", partners))
            print(f"{partners:,} run {run + 1}: {seconds[-1]:.1f} s", file=sys.stderr)
        file_mb = source.stat().st_size / 1e6
    median = statistics.median(seconds)
    return {
        "partners": partners,
        "file_mb": round(file_mb, 1),
        "runs": runs,
        "runs_s": [round(s, 2) for s in seconds],
        "median_s": round(median, 2),
        "rows_per_s": round(partners / median),
        "peak_rss_mib": round(peak_rss_mib()),
    }


def main(argv: list[str] | None = None) -> None:
    """Measure each size, smallest first, and write the JSON results."""
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each")
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[1_000, 10_000] if quick else [10_000, 100_000, LARGE],
    )
    parser.add_argument("--runs", type=int, default=1 if quick else 3)
    parser.add_argument("--runs-large", type=int, default=1, help=f"runs at {LARGE:,} rows and up")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=results_path("ingest.json", quick))
    args = parser.parse_args(argv)

    sizes = [
        measure(size, args.runs_large if size >= LARGE else args.runs, args.seed)
        for size in sorted(args.sizes)
    ]
    result = {
        "benchmark": "ingest partners (CSV -> SQLite)",
        **provenance("bench.ingest_bench"),
        "target": "100k partners in under 60 s",
        "sizes": sizes,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(sizes, indent=2))


if __name__ == "__main__":
    main()
