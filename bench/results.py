"""What every benchmark shares: where its results go, the provenance each results file records
(command, machine, time, load) and the latency percentiles.

The benchmarks write with these and ``bench.report`` reads what they wrote, so writer and
reader agree on the folders and fields.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path("bench/results")
"""The committed, full-size results the README's tables are rendered from."""
QUICK_RESULTS = Path("var/bench/quick-results")
"""Where a quick (``--quick``) run writes, so it never overwrites the full results."""

Record = dict[str, Any]


def machine() -> str:
    """The machine in words: figures compare only on the same hardware."""
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
    memory_kb = re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.MULTILINE)
    memory = f"{int(memory_kb.group(1)) / 2**20:.0f} GiB RAM" if memory_kb else "RAM unknown"
    return (
        f"{model.group(1) if model else platform.machine()}, {os.cpu_count()} CPUs, {memory}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def provenance(module: str) -> Record:
    """The command as invoked, when, on what and how busy the machine was (it is shared)."""
    return {
        "command": shlex.join(["python", "-m", module, *sys.argv[1:]]),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def results_path(name: str, quick: bool) -> Path:
    """Where a benchmark writes by default: a quick run never overwrites the full results."""
    return (QUICK_RESULTS if quick else RESULTS) / name


def write_results(path: Path, record: Record, markdown: str) -> None:
    """Write ``record`` as ``path`` (JSON) and its rendering beside it (``.md``), and print
    the rendering: what a benchmark measured, for ``bench.report`` and for a reader."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    path.with_suffix(".md").write_text(markdown, encoding="utf-8")
    print(markdown)


def percentiles(
    samples_ms: Iterable[float],
    points: Sequence[int] = (50, 95, 99),
    *,
    digits: int = 2,
    prefix: str = "",
    mean_and_count: bool = True,
) -> dict[str, float]:
    """Latency percentiles of millisecond samples as ``{prefix}p50_ms``, ... (numpy's linear
    interpolation), rounded to ``digits``; with ``mean_and_count`` also ``mean_ms`` and ``n``.

    Example:
        >>> percentiles([1.0, 2.0, 3.0, 4.0], (50,), mean_and_count=False)
        {'p50_ms': 2.5}
    """
    values = np.array(list(samples_ms), dtype=float)
    figures: dict[str, float] = {
        f"{prefix}p{point}_ms": round(float(np.percentile(values, point)), digits)
        for point in points
    }
    if mean_and_count:
        figures[f"{prefix}mean_ms"] = round(float(values.mean()), digits)
        figures[f"{prefix}n"] = len(values)
    return figures
