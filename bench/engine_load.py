"""How long a process takes to load the engine of a saved index, and what it holds resident:
from the engine snapshot beside the index, and reading every partner from the store instead.

Each load runs in a fresh Python process (what a starting worker or replica pays; the
embedding model is not loaded, that is the same either way), ``--runs`` times a way, after one
uncounted warm-up load that fills the page cache. Reading the store is measured by loading
with the snapshot moved aside for the run and put back after. Medians are quoted, of wall
time, of the process's CPU time and of its resident memory once the engine is ready.

The home must hold a saved, current index (``python -m bench.recommend_latency --sizes N``
leaves one under ``var/bench/home-N``); an index saved before snapshots existed gets one with
``--save-snapshot`` (the engine read from the store, saved again under the same version).

Run::

    python -m bench.engine_load --homes var/bench/home-100000 var/bench/home-1000000 --runs 3 1
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.results import Record, provenance, results_path, write_results

_PROBE = """
import json, resource, sys, time
from pathlib import Path
from matcher.embedding.base import FakeEmbedder
from matcher.engine.build import load_engine, index_dir
from matcher.engine.index import read_manifest
from matcher.ipp.base import NeutralScorer
from matcher.settings import Settings
from matcher.store import Store
settings = Settings(home=Path(sys.argv[1]))
store = Store.from_settings(settings)
manifest = read_manifest(index_dir(settings))
embedder = FakeEmbedder(dim=manifest.dim, model_id=manifest.model_id)
started, cpu = time.perf_counter(), time.process_time()
engine = load_engine(store, embedder, NeutralScorer(), settings)
wall, cpu = time.perf_counter() - started, time.process_time() - cpu
rss = int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) / 1024
if sys.argv[2] == "save":
    engine.save(index_dir(settings), store.partner_fingerprint())
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "rss_mib": rss, "partners": len(engine.columns)}))
"""


def _load(home: Path, then: str = "") -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(home), then],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {
        name: round(statistics.median(run[name] for run in runs), 2)
        for name in ("wall_s", "cpu_s", "rss_mib")
    }


def measure(home: Path, runs: int, save_snapshot: bool) -> Record:
    """Median loads of one home's engine from its snapshot and from its store."""
    from matcher.engine.index import read_manifest
    from matcher.engine.snapshot import snapshot_path

    index = home / "index"
    manifest = read_manifest(index)
    assert manifest is not None
    snapshot = snapshot_path(index, manifest.index_version)
    if save_snapshot or not snapshot.is_dir():
        _load(home, "save")
    ways: dict[str, list[dict[str, Any]]] = {"snapshot": [], "store": []}
    aside = snapshot.with_name(snapshot.name + ".aside")
    for way, loads in ways.items():
        if way == "store":
            snapshot.rename(aside)
        try:
            _load(home)  # warm-up: the page cache
            loads.extend(_load(home) for _ in range(runs))
        finally:
            if aside.exists():
                aside.rename(snapshot)
    return {
        "home": str(home),
        "partners": ways["snapshot"][0]["partners"],
        "index_kind": manifest.kind,
        "runs_per_way": runs,
        "medians": {way: _medians(loads) for way, loads in ways.items()},
        "loads": ways,
    }


def render(record: Record) -> str:
    """The results as a markdown table."""
    lines = [
        "# Engine load",
        "",
        f"`{record['command']}` · {record['measured_at']} · {record['machine']} · "
        f"load {record['load_average_1min']}",
        "",
        "| partners | from | loads | wall s (median) | CPU s | resident MiB |",
        "|---|---|---|---|---|---|",
    ]
    for run in record["runs"]:
        for way, m in run["medians"].items():
            lines.append(
                f"| {run['partners']:,} | {way} | {run['runs_per_way']} | {m['wall_s']} | "
                f"{m['cpu_s']} | {m['rss_mib']:,.0f} |"
            )
    return "\n".join([*lines, ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=Path, nargs="+", required=True)
    parser.add_argument(
        "--runs", type=int, nargs="+", default=[3], help="Loads a way, per home (one: all)."
    )
    parser.add_argument("--save-snapshot", action="store_true")
    parser.add_argument("--out", type=Path, default=results_path("engine_load.json", False))
    args = parser.parse_args(argv)
    runs = args.runs * len(args.homes) if len(args.runs) == 1 else args.runs
    if len(runs) != len(args.homes):
        parser.error("--runs takes one count, or one per home")
    record: Record = provenance("bench.engine_load")
    record["runs"] = [
        measure(home, count, args.save_snapshot)
        for home, count in zip(args.homes, runs, strict=True)
    ]
    write_results(args.out, record, render(record))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
