"""Prospect screening throughput: `partnermatch screen` on 10,000 prospects from CSV.

Sets up a store with a simulated ecosystem (partners and outcomes, so the top-performer
look-alike index has something to index), writes 10,000 simulated prospects (partner rows
without the performance columns) as CSV, then times the whole screening path: the look-alike
index build, CSV reading, validation, 4 C scoring, embedding each prospect for its look-alikes,
and writing the scored CSV. Target: under 60 s on the 2-core development machine.

    .venv/bin/python bench/screen_bench.py                  # 10k prospects, lexical look-alikes
    .venv/bin/python bench/screen_bench.py --looks-like model --prospects 1000  # sentence model

Writes bench/results/screen.json (lexical) or screen_<mode>.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from matcher.ingest import ingest
from matcher.ipp import MatrixConfig
from matcher.recruiting import prospect_scorer_for, screen_file
from matcher.settings import Settings
from matcher.store import Store
from training.simulate import generate_partners, simulate

RESULTS = Path(__file__).parent / "results"
TARGET_SECONDS = 60.0
PERFORMANCE_COLUMNS = ("deals_won_12m", "deals_lost_12m", "revenue_12m", "csat")


def write_prospects_csv(path: Path, count: int, seed: int) -> None:
    """Simulated partner rows without history: prospects as a recruiter's list holds them."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer: csv.DictWriter[str] | None = None
        for number, row in enumerate(generate_partners(count, seed), start=1):
            cells = {
                key: ";".join(map(str, value)) if isinstance(value, list) else value
                for key, value in row.items()
                if key not in PERFORMANCE_COLUMNS
            }
            cells["partner_id"] = f"X-{number:06d}"
            if writer is None:
                writer = csv.DictWriter(handle, fieldnames=list(cells))
                writer.writeheader()
            writer.writerow(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prospects", type=int, default=10_000)
    parser.add_argument("--partners", type=int, default=1_000)
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--looks-like", choices=("lexical", "model", "none"), default="lexical")
    parser.add_argument("--backend", default=None, help="embedding backend (default: settings)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        settings = Settings(
            home=work / "home", **({"embedding_backend": args.backend} if args.backend else {})
        )
        simulate(work / "ecosystem", args.partners, args.deals, n_judged=1)
        store = Store.from_settings(settings)
        ingest(store, "partners", work / "ecosystem" / "partners.csv")
        ingest(store, "outcomes", work / "ecosystem" / "outcomes.csv")
        prospects = work / "prospects.csv"
        write_prospects_csv(prospects, args.prospects, seed=7)

        started = time.perf_counter()
        embedder: object = None if args.looks_like == "none" else "lexical"
        if args.looks_like == "model":
            from matcher.embedding import get_embedder

            embedder = get_embedder(settings)
        loaded = time.perf_counter()
        scorer = prospect_scorer_for(
            store, MatrixConfig.load(), embedder, looks_like=embedder is not None
        )
        indexed = time.perf_counter()
        report = screen_file(prospects, work / "scored.csv", scorer)
        finished = time.perf_counter()
        with (work / "scored.csv").open(encoding="utf-8") as handle:
            bands: dict[str, int] = {}
            for row in csv.DictReader(handle):
                bands[row["band"]] = bands.get(row["band"], 0) + 1

    result = {
        "prospects": args.prospects,
        "scored": report.rows_scored,
        "problems": len(report.problems),
        "looks_like": args.looks_like,
        "embedder": getattr(scorer.embedder, "model_id", None),
        "lookalike_index_size": len(scorer.lookalikes) if scorer.lookalikes is not None else 0,
        "seconds_model_load": round(loaded - started, 2),
        "seconds_lookalike_index": round(indexed - loaded, 2),
        "seconds_screen": round(finished - indexed, 2),
        "seconds_total": round(finished - started, 2),
        "prospects_per_second": round(args.prospects / (finished - indexed), 1),
        "target_seconds": TARGET_SECONDS,
        "meets_target": (finished - started) < TARGET_SECONDS,
        "bands": bands,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "system": platform.platform(),
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "screen.json" if args.looks_like == "lexical" else f"screen_{args.looks_like}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
