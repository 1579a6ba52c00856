"""Partner write latency in-process, and what writes do to the requests served meanwhile.

For each size whose bench home exists (``var/bench/home-<size>``, made by
``bench.recommend_latency``; never built here), the home is copied to a scratch one (the
writes must not make the shared saved index stale) and a :class:`MatchingService` starts on
it as a server does (loading the saved index). Then, after a warm-up (first model call,
FAISS position map):

* ``writes``: ``--writes`` partner upserts one after another through
  ``MatchingService.upsert_partner``, each a distinct partner: half existing ones with a
  changed description, half new ids (copies of existing profiles). Timed end to end (store
  transaction with its change-log row, embedding the new text, engine update, webhook queue);
  beside it how long each write held a lock that requests wait on (the service's or the
  engine's exclusive lock);
* ``reads_alone``: one thread recommending the judged deals one after another, no writes;
* ``reads_during_writes`` / ``writes_during_reads``: the same reader while the writer does
  another ``--writes`` distinct upserts: the reader's latency then, and the writes'.

On two cores the reader and the writer also share the CPU (the writer embeds), so reader
latency during writes rises a little even when no lock is held; the lock-hold figures say how
much of it is waiting.

Run::

    python -m bench.write_latency                       # 100k (and 1M if its home exists)
    python -m bench.write_latency --before var/bench/write_latency_before.json

``--before`` embeds a results file this benchmark wrote on the previous code (run from a
checkout of it, ``--out`` elsewhere), so one results file holds before and after.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.results import percentiles, provenance, results_path, write_results
from matcher.embedding import get_embedder
from matcher.engine import MatchingService
from matcher.engine.locks import ReadWriteLock
from matcher.ipp import default_scorer
from matcher.schemas import Deal, Partner
from matcher.settings import Settings
from matcher.store import Store
from training.evaluate import read_judged

RESULTS = "write_latency.json"
WARMUP_WRITES = 3
WARMUP_READS = 10
POINTS = (50, 99)


class TimedLock(ReadWriteLock):
    """A readers–writer lock that records how long each exclusive hold lasted (ms)."""

    def __init__(self) -> None:
        super().__init__()
        self.held_ms: list[float] = []

    @contextmanager
    def writing(self) -> Iterator[None]:
        with super().writing():
            started = time.perf_counter()
            try:
                yield
            finally:
                self.held_ms.append((time.perf_counter() - started) * 1000)


def _scratch_home(home: Path, scratch: Path) -> None:
    """A consistent copy of ``home`` (SQLite through its backup API, then the index files)."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    source = sqlite3.connect(home / "partnermatch.db")
    target = sqlite3.connect(scratch / "partnermatch.db")
    with target:
        source.backup(target)
    source.close()
    target.close()
    shutil.copytree(home / "index", scratch / "index")


def _partners_to_write(store: Store, count: int) -> list[Partner]:
    """``count`` distinct partners spread over the store: updates of stored ones (a changed
    description) alternating with new ids copied from stored profiles."""
    stride = max(1, store.count_partners() // (count + 1))
    stored = store.get_partners_by_row(list(range(stride, stride * (count + 1), stride)))
    writes = []
    for number, partner in enumerate(list(stored.values())[:count]):
        text = f"{partner.description or ''} Now also runs onboarding workshop {number}."
        if number % 2:
            partner_id, name = f"BENCH-W-{number:05d}", f"{partner.name} (copy)"
        else:
            partner_id, name = partner.partner_id, partner.name
        writes.append(
            partner.model_copy(update={"partner_id": partner_id, "name": name, "description": text})
        )
    return writes


def _timed_writes(
    service: MatchingService, partners: list[Partner], locks: list[TimedLock]
) -> tuple[list[float], list[float]]:
    """Each write's latency, and the longest any of ``locks`` was held exclusively by it (ms)."""
    latency, held = [], []
    for partner in partners:
        for lock in locks:
            lock.held_ms.clear()
        started = time.perf_counter()
        service.upsert_partner(partner)
        latency.append((time.perf_counter() - started) * 1000)
        held.append(max((ms for lock in locks for ms in lock.held_ms), default=0.0))
    return latency, held


def _reader(service: MatchingService, deals: list[Deal], stop: threading.Event) -> list[float]:
    """Recommend the deals in turn until ``stop`` is set; the latency of each (ms)."""
    samples: list[float] = []
    while not stop.is_set():
        deal = deals[len(samples) % len(deals)]
        started = time.perf_counter()
        service.recommend(deal)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _reads_alone(service: MatchingService, deals: list[Deal], count: int) -> list[float]:
    samples = []
    for number in range(count):
        started = time.perf_counter()
        service.recommend(deals[number % len(deals)])
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _figures(samples: list[float]) -> dict[str, float]:
    return percentiles(samples, POINTS) | {"max_ms": round(max(samples), 2)}


def measure(size: int, work: Path, writes: int, reads: int) -> dict[str, Any]:
    """Every phase for one size, on a scratch copy of its bench home."""
    home = work / f"home-{size}"
    judged_path = work / f"eco-{size}" / "judged_deals.jsonl"
    if not (home / "partnermatch.db").exists() or not judged_path.exists():
        return {"partners": size, "skipped": f"no bench home {home} (bench.recommend_latency)"}
    scratch = work / f"write-home-{size}"
    _scratch_home(home, scratch)
    settings = Settings(home=scratch)
    store = Store.from_settings(settings)
    service = MatchingService(
        store, settings, get_embedder(settings), lambda: default_scorer(settings)
    )
    locks = [TimedLock(), TimedLock()]
    service._lock = locks[0]  # before start: nothing holds it yet
    started = time.perf_counter()
    service.start()
    ready_s = time.perf_counter() - started
    engine = service._engine
    assert engine is not None, "the bench home's index did not load"
    engine._lock = locks[1]
    deals = [item.deal for item in read_judged(judged_path)]
    partners = _partners_to_write(store, WARMUP_WRITES + 2 * writes)
    _timed_writes(service, partners[:WARMUP_WRITES], locks)
    _reads_alone(service, deals, WARMUP_READS)

    alone, held_alone = _timed_writes(
        service, partners[WARMUP_WRITES : WARMUP_WRITES + writes], locks
    )
    reads_alone = _reads_alone(service, deals, reads)

    stop = threading.Event()
    reader_samples: list[float] = []
    reader = threading.Thread(
        target=lambda: reader_samples.extend(_reader(service, deals, stop)), daemon=True
    )
    reader.start()
    time.sleep(0.5)  # the reader is in its stride before the first write
    contended, held_contended = _timed_writes(service, partners[WARMUP_WRITES + writes :], locks)
    stop.set()
    reader.join()
    return {
        "partners": size,
        "index_kind": engine.index.kind,
        "embedder": engine.embedder.model_id,
        "engine_ready_s": round(ready_s, 1),
        "writes": _figures(alone),
        "lock_held_per_write": _figures(held_alone),
        "reads_alone": _figures(reads_alone),
        "writes_during_reads": _figures(contended),
        "lock_held_during_reads": _figures(held_contended),
        "reads_during_writes": _figures(reader_samples),
    }


def table(record: dict[str, Any]) -> str:
    """Markdown: one row per code version and size."""
    lines = [
        "| code | partners | write p50 / p99 | lock held p99 | reads alone p50 / p99 "
        "| reads during writes p50 / p99 / max |",
        "|---|---|---|---|---|---|",
    ]
    versions = [("before", run) for run in _get_runs(record.get("before"))]
    versions += [("after", run) for run in record.get("runs", [])]
    for label, run in versions:
        if "skipped" in run:
            lines.append(f"| {label} | {run['partners']:,} | {run['skipped']} | | | |")
            continue
        write, held = run["writes"], run["lock_held_per_write"]
        alone, during = run["reads_alone"], run["reads_during_writes"]
        lines.append(
            f"| {label} | {run['partners']:,} "
            f"| {write['p50_ms']:,.1f} / {write['p99_ms']:,.1f} ms | {held['p99_ms']:,.2f} ms "
            f"| {alone['p50_ms']:.1f} / {alone['p99_ms']:.1f} ms "
            f"| {during['p50_ms']:.1f} / {during['p99_ms']:.1f} / {during['max_ms']:,.1f} ms |"
        )
    return "\n".join(lines) + "\n"


def _get_runs(before: object) -> list[dict[str, Any]]:
    return list(before.get("runs", [])) if isinstance(before, dict) else []


def _commit() -> str:
    """The checked-out commit (and whether the tree differs from it), for the record."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "matcher"],
            capture_output=True,
        )
        return head + (" + uncommitted changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument("--writes", type=int, default=50, help="Distinct upserts per phase.")
    parser.add_argument("--reads", type=int, default=200, help="Deals read with no writes.")
    parser.add_argument("--before", type=Path, help="Results of this benchmark on older code.")
    parser.add_argument("--out", type=Path, help="Default: bench/results (quick: var/bench).")
    parser.add_argument("--quick", action="store_true", help="10k partners, 10 writes.")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.writes, args.reads = [10_000], 10, 30
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    record: dict[str, Any] = {
        **provenance("bench.write_latency"),
        "code": _commit(),
        "note": "in-process, one write at a time through MatchingService.upsert_partner "
        "(store + change log, embedding, engine, webhook queue), each a distinct partner, "
        "after a warm-up; lock held = how long a write held an exclusive lock requests wait "
        "on; reads = MatchingService.recommend of the judged deals by one thread, alone and "
        "while the writes run (the two share two cores)",
        "runs": [measure(size, args.work, args.writes, args.reads) for size in args.sizes],
    }
    if args.before is not None:
        before = json.loads(args.before.read_text(encoding="utf-8"))
        record["before"] = {k: before.get(k) for k in ("code", "measured_at", "command", "runs")}
    out = args.out or results_path(RESULTS, args.quick)
    write_results(out, record, table(record))


if __name__ == "__main__":
    main()
