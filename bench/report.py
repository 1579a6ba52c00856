"""Benchmark report: every ``bench/results/*.json`` as Markdown tables in the README.

The README's figures are generated, never typed. Each results file that exists is rendered
with its command, the machine and when it was measured; the targets table gives a ✔ or ✘
for each target. A missing file or field renders as "not measured", so a partial run still
gives a true table. Rendering is deterministic (no clock of its own), so ``--check`` can
tell whether the README matches the results.

    python -m bench.report                      # rewrite README.md from bench/results
    python -m bench.report --check              # exit 1 if README.md is out of date
    python -m bench.report --results var/bench/quick-results --stdout   # a quick run

Rendering only: what the benchmarks share when they write (provenance, where results go,
percentiles) lives in ``bench.results``, and the default results folder comes from there.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.results import RESULTS, Record

README = Path("README.md")
START = "<!-- bench:start -->"
END = "<!-- bench:end -->"
NOT_MEASURED = "not measured"
TWO_GB_IN_MIB = 2e9 / 2**20


# --- reading results ---------------------------------------------------------------------


def load(results: Path) -> dict[str, Record]:
    """Every results file in ``results`` by name without ``.json``."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(results.glob("*.json"))
    }


def _get(record: object, *path: str) -> Any:
    """``record[path[0]][path[1]]...``, or None where a step is missing: a partial run or an
    older file lacks fields, and they render as not measured rather than failing."""
    for key in path:
        record = record.get(key) if isinstance(record, dict) else None
    return record


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _with_partners(entries: Iterable[Record], partners: int) -> Record | None:
    return next((entry for entry in entries if entry.get("partners") == partners), None)


def _scenarios(run: Record | None) -> list[tuple[str, Record]]:
    """(name, figures) of each deal kind or filter selectivity of one recommend run."""
    return list((_get(run, "scenarios") or {}).items())


def _slowest_p99(run: Record | None) -> float | None:
    """The recommend p99 of the run's slowest scenario: a target holds for every kind of deal."""
    p99s = [_get(scenario, "ours", "p99_ms") for _, scenario in _scenarios(run)]
    return max((p99 for p99 in p99s if _is_number(p99)), default=None)


def _speedup(scenario: Record) -> float | None:
    """How many times faster than the naive baseline a scenario's median recommend is."""
    return _get(scenario, "ratio_naive_over_ours", "p50_ms")


def _filters(row: Record) -> list[tuple[str, Record]]:
    """(filter, figures) of one index-choice row: recall and latency are per filter."""
    return list((_get(row, "filters") or {}).items())


# --- formatting --------------------------------------------------------------------------


def _number(value: object, spec: str = ",.1f", unit: str = "") -> str:
    """A figure as text, or "not measured" where the results lack it."""
    return f"{value:{spec}}{unit}" if _is_number(value) else NOT_MEASURED


def _ms(record: Record | None, *percentiles: str) -> str:
    """Latency percentiles as ``a / b / c ms``."""
    values = [_get(record, f"{p}_ms") for p in percentiles]
    if not any(_is_number(value) for value in values):
        return NOT_MEASURED
    return " / ".join(_number(value, ".1f") for value in values) + " ms"


def _mark(met: bool | None) -> str:
    return "—" if met is None else "✔" if met else "✘"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table, or "not measured" for a results file with nothing to tabulate."""
    if not rows:
        return [f"{', '.join(header)}: {NOT_MEASURED}."]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _machine(described: object) -> str:
    """The machine as recorded: a sentence, or (screen_bench) a dict of its parts."""
    if isinstance(described, dict):
        cpu, cores, python = (described.get(key) for key in ("cpu", "cores", "python"))
        return f"{cpu}, {cores} CPUs, Python {python}"
    return str(described) if described else "machine not recorded"


def _load_average(load: object) -> str:
    """How busy the shared machine was: at the start, or before → after."""
    if isinstance(load, dict):
        return f", 1-min load {_number(load.get('before'))} → {_number(load.get('after'))}"
    return f", 1-min load {load:.1f} at start" if _is_number(load) else ""


def _provenance_line(record: Record, default_command: str) -> str:
    """Command, time and machine of one results file."""
    command = record.get("command") or "; ".join(record.get("commands", [default_command]))
    when = record.get("measured_at") or "time not recorded"
    where = _machine(record.get("machine")) + _load_average(record.get("load_average_1min"))
    return f"`{command}` · measured {when} · {where}"


# --- targets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One target and the figure measured against it (``met`` is None when not measured)."""

    target: str
    measured: str
    met: bool | None
    source: str


def _check(
    target: str,
    source: str,
    value: object,
    meets: Callable[[float], bool],
    describe: Callable[[float], str],
) -> Check:
    if not _is_number(value):
        return Check(target, NOT_MEASURED, None, source)
    return Check(target, describe(float(value)), meets(float(value)), source)


def _least(values: list[Any]) -> float | None:
    """The smallest of the figures measured among ``values`` (``None`` if none was)."""
    return min((value for value in values if _is_number(value)), default=None)


def _chosen_recalls(index_choice: Record | None, chosen: object) -> list[float]:
    """Recall@10 of the index kind in use under every filter (and every search setting)."""
    return [
        figures["recall_at_10"]
        for row in _get(index_choice, "rows") or []
        if row.get("index") == chosen
        for _, figures in _filters(row)
        if _is_number(figures.get("recall_at_10"))
    ]


def checks(results: dict[str, Record]) -> list[Check]:
    """Every target of the benchmarks issue against what the results hold."""
    ingest = _with_partners(_get(results, "ingest", "sizes") or [], 100_000)
    screen = results.get("screen")
    embed_runs = _get(results, "embed_throughput", "runs") or []
    fastest = max(embed_runs, key=lambda run: run.get("profiles_per_s") or 0, default=None)
    http = results.get("http_load")
    http_8 = next(
        (level for level in _get(http, "levels") or [] if level["concurrency"] == 8), None
    )
    http_8 = http_8 if _get(http, "partners") == 100_000 else None
    runs = _get(results, "recommend_latency", "runs") or []
    run_1m = _with_partners(runs, 1_000_000)
    index_kind = _get(run_1m, "index_kind")
    speedups = [_speedup(scenario) for _, scenario in _scenarios(run_1m)]
    load_1m = _with_partners(_get(results, "engine_load", "runs") or [], 1_000_000)
    shortlist = _get(results, "shortlist_recall", "run")
    shortlist_recalls = [row.get("recall_at_pool") for row in _get(shortlist, "filters") or []]
    return [
        _check(
            "ingest 100k partners < 60 s",
            "ingest",
            _get(ingest, "median_s"),
            lambda s: s < 60,
            lambda s: f"{s:.1f} s ({_number(_get(ingest, 'rows_per_s'), ',.0f')} rows/s)",
        ),
        _check(
            "screen 10k prospects < 60 s",
            "screen",
            _get(screen, "seconds_total") if _get(screen, "prospects") == 10_000 else None,
            lambda s: s < 60,
            lambda s: f"{s:.1f} s",
        ),
        _check(
            "embedding ≥ 250 profiles/s",
            "embed_throughput",
            _get(fastest, "profiles_per_s"),
            lambda rate: rate >= 250,
            lambda rate: f"{rate:.0f} profiles/s ({_get(fastest, 'backend')})",
        ),
        _check(
            "recommend in-process, 100k: p99 ≤ 30 ms (slowest scenario)",
            "recommend_latency",
            _slowest_p99(_with_partners(runs, 100_000)),
            lambda p99: p99 <= 30,
            lambda p99: f"p99 {p99:.1f} ms",
        ),
        _check(
            "HTTP, 100k, 8 clients: p99 ≤ 50 ms",
            "http_load",
            _get(http_8, "p99_ms"),
            lambda p99: p99 <= 50,
            lambda p99: f"p99 {p99:.1f} ms",
        ),
        _check(
            "HTTP, 100k, 8 clients: server CPU ≤ 12 ms a request",
            "http_load",
            _get(http_8, "server_cpu_ms_per_request"),
            lambda ms: ms <= 12,
            lambda ms: f"{ms:.1f} ms",
        ),
        _check(
            "HTTP, 100k, 8 clients: ≥ 150 req/s",
            "http_load",
            _get(http_8, "req_per_s"),
            lambda rate: rate >= 150,
            lambda rate: f"{rate:.1f} req/s",
        ),
        _check(
            "recommend in-process, 1M: p99 ≤ 100 ms (slowest scenario)",
            "recommend_latency",
            _slowest_p99(run_1m),
            lambda p99: p99 <= 100,
            lambda p99: f"p99 {p99:.1f} ms",
        ),
        _check(
            "1M: recall@10 ≥ 0.95 of the index in use (every filter)",
            "index_choice",
            min(_chosen_recalls(results.get("index_choice"), index_kind), default=None),
            lambda recall: recall >= 0.95,
            lambda recall: f"{recall:.3f} ({index_kind})",
        ),
        _check(
            "shortlist: ≥ 0.98 of the full scan's candidates, real vectors (every filter)",
            "shortlist_recall",
            _least(shortlist_recalls),
            lambda recall: recall >= 0.98,
            lambda recall: f"{recall:.3f} at {_number(_get(shortlist, 'partners'), ',.0f')}",
        ),
        _check(
            "1M: resident memory ≤ 2 GB",
            "recommend_latency",
            _get(run_1m, "rss_mib"),
            lambda mib: mib <= TWO_GB_IN_MIB,
            lambda mib: f"{mib:,.0f} MiB",
        ),
        _check(
            "1M: engine load from the snapshot ≤ 20 s",
            "engine_load",
            _get(load_1m, "medians", "snapshot", "wall_s"),
            lambda seconds: seconds <= 20,
            lambda seconds: f"{seconds:.1f} s",
        ),
        _check(
            "1M: ≥ 5× faster than naive (median, slowest scenario)",
            "recommend_latency",
            _least(speedups),
            lambda speedup: speedup >= 5,
            lambda speedup: f"{speedup:.1f}×",
        ),
    ]


# --- sections ----------------------------------------------------------------------------


def _ingest(record: Record) -> list[str]:
    rows = [
        [
            _number(size.get("partners"), ",.0f"),
            _number(size.get("runs"), "d"),
            _number(size.get("median_s"), ".1f", " s"),
            _number(size.get("rows_per_s"), ",.0f"),
            _number(size.get("peak_rss_mib"), ",.0f", " MiB"),
        ]
        for size in record.get("sizes", [])
    ]
    return _table(["partners", "runs", "median", "rows/s", "peak RSS"], rows)


def _engine_load(record: Record) -> list[str]:
    rows = [
        [
            _number(run.get("partners"), ",.0f"),
            way,
            _number(run.get("runs_per_way"), "d"),
            _number(medians.get("wall_s"), ".1f", " s"),
            _number(medians.get("cpu_s"), ".1f", " s"),
            _number(medians.get("rss_mib"), ",.0f", " MiB"),
        ]
        for run in record.get("runs", [])
        for way, medians in (run.get("medians") or {}).items()
    ]
    about = (
        "A fresh process loading the saved index's engine (the embedding model not loaded): "
        "from the engine snapshot beside the index, or reading every partner from the store "
        "(the snapshot moved aside). Medians after one warm-up load."
    )
    header = ["partners", "from", "loads", "wall", "CPU", "resident"]
    return [about, "", *_table(header, rows)]


def _shortlist(record: Record) -> list[str]:
    run = record.get("run") or {}
    rows = [
        [
            _number(row.get("share"), ".0%"),
            f"{_number(row.get('recall_at_pool'), '.3f')} "
            f"({_number(row.get('min_recall_at_pool'), '.2f')})",
            _number(row.get("top10_agreement"), ".3f"),
            _ms(_get(row, "ms", "full scan"), "p50", "p99"),
            _ms(_get(row, "ms", "shortlist"), "p50", "p99"),
        ]
        for row in run.get("filters", [])
    ]
    about = (
        f"{_number(run.get('partners'), ',.0f')} partners embedded for real "
        f"({run.get('embedder', NOT_MEASURED)}), {_number(run.get('queries'), 'd')} judged deal "
        f"texts, the engine's pool of {_number(run.get('pool'), 'd')}: the wide search through "
        "the fast-scan shortlist against the full scan of the same 8-bit index, random filters."
    )
    header = ["filter passes", "recall (worst deal)", "first 10 agree", "full scan", "shortlist"]
    return [about, "", *_table(header, rows)]


def _screen(record: Record) -> list[str]:
    row = [
        _number(record.get("prospects"), ",.0f"),
        str(record.get("looks_like", NOT_MEASURED)),
        _number(record.get("seconds_lookalike_index"), ".1f", " s"),
        _number(record.get("seconds_screen"), ".1f", " s"),
        _number(record.get("seconds_total"), ".1f", " s"),
        _number(record.get("prospects_per_second"), ",.0f"),
    ]
    header = ["prospects", "look-alikes", "look-alike index", "screening", "total", "prospects/s"]
    return _table(header, [row])


def _embed(record: Record) -> list[str]:
    rows = [
        [
            str(run.get("backend")),
            _number(run.get("profiles"), ",.0f"),
            _number(len(run.get("profiles_per_s_runs", [])) or None, "d"),
            _number(run.get("profiles_per_s"), ".1f"),
            _ms(run, "query_p50", "query_p99"),
            _number(run.get("mean_cosine_to_first_backend"), ".3f"),
        ]
        for run in record.get("runs", [])
    ]
    header = ["backend", "profiles", "runs", "profiles/s", "one query p50 / p99", "cosine*"]
    note = "*mean cosine to the vectors of the first backend of the same model (none for that one)"
    return [*_table(header, rows), "", note]


def _recommend(record: Record) -> list[str]:
    runs = record.get("runs", [])
    sizes = [
        [
            _number(run.get("partners"), ",.0f"),
            str(run.get("index_kind", NOT_MEASURED)),
            str(run.get("vectors", NOT_MEASURED)),
            _number(run.get("engine_ready_s"), ",.1f", " s"),
            str(run.get("engine_from", NOT_MEASURED)),
            _number(run.get("rss_mib"), ",.0f", " MiB"),
            _number(run.get("peak_rss_mib"), ",.0f", " MiB"),
            f"{run.get('embedder', NOT_MEASURED)}, {run.get('measured_at') or 'as above'}",
        ]
        for run in runs
    ]
    header = ["partners", "index", "vectors", "engine ready", "how", "resident", "peak so far"]
    header += ["embedder, measured"]
    scenarios = [
        [
            _number(run.get("partners"), ",.0f"),
            name,
            _number(_get(scenario, "filter", "share"), ".1%") if "filter" in scenario else "all",
            _ms(scenario.get("ours"), "p50", "p95", "p99"),
            _ms(scenario.get("naive"), "p50", "p95", "p99"),
            _number(_speedup(scenario), ".1f", "×"),
            _number(_get(scenario, "retrieval", "ratio_naive_over_ours", "p50_ms"), ".1f", "×"),
            _number(_get(scenario, "ours", "cpu_ms"), ".1f", " ms"),
        ]
        for run in runs
        for name, scenario in _scenarios(run)
    ]
    columns = ["partners", "scenario", "allowed", "ours p50 / p95 / p99", "naive p50 / p95 / p99"]
    columns += ["speed-up p50", "retrieval speed-up p50", "CPU / request"]
    return [*_table(header, sizes), "", *_table(columns, scenarios), *_mixes(runs)]


def _mixes(runs: list[Record]) -> list[str]:
    """The realistic traffic mix of each run that has one: query-cache hits, latency, CPU."""
    lines = []
    for run in runs:
        mix = run.get("traffic_mix")
        if not mix:
            continue
        widget, seller = (_get(mix, "channels", name) or {} for name in ("widget", "seller"))
        lines += [
            "",
            f"Traffic mix at {_number(run.get('partners'), ',.0f')} partners "
            f"({_number(mix.get('requests'), ',.0f')} requests, {mix.get('stream')}): query "
            f"texts found in the cache {_number(mix.get('query_hit_rate'), '.0%')} (widget "
            f"{_number(widget.get('query_hit_rate'), '.0%')}, seller "
            f"{_number(seller.get('query_hit_rate'), '.0%')}; every text a request embeds "
            f"{_number(_get(mix, 'lookups', 'hit_rate'), '.0%')}); p50 / p99 "
            f"{_ms(mix, 'p50', 'p99')}, CPU {_number(mix.get('cpu_ms'), '.1f', ' ms')} a request.",
        ]
    return lines


def _http(record: Record) -> list[str]:
    rows = [
        [
            _number(level.get("concurrency"), "d"),
            f"{_number(level.get('requests'), ',.0f')} × {_number(level.get('runs'), 'd')}",
            _number(level.get("errors"), ",.0f"),
            _number(level.get("shed"), ",.0f"),
            _ms(level, "p50", "p99"),
            _number(level.get("req_per_s"), ".1f"),
            _number(level.get("server_cpu_ms_per_request"), ".1f", " ms"),
            _number(level.get("client_cpu_ms_per_request"), ".1f", " ms"),
        ]
        for level in record.get("levels", [])
    ]
    about = (
        f"{_number(record.get('partners'), ',.0f')} partners "
        f"({record.get('vectors', 'vectors not recorded')}); {record.get('server', '')}."
    )
    header = ["clients", "requests × runs", "errors", "shed (503)", "answered p50 / p99"]
    header += ["answered/s"]
    header += ["server CPU / request", "client CPU / request"]
    return [about, "", *_table(header, rows)]


def _writes(record: Record) -> list[str]:
    """Partner write latency before and after a change, and the reads served meanwhile."""
    before = _get(record, "before") or {}
    versions = [(f"before (`{before.get('code')}`)", run) for run in before.get("runs") or []]
    versions += [(f"after (`{record.get('code')}`)", run) for run in record.get("runs", [])]
    rows = [
        [label, _number(run.get("partners"), ",.0f"), str(run["skipped"]), "", "", "", ""]
        if "skipped" in run
        else [
            label,
            _number(run.get("partners"), ",.0f"),
            _ms(run.get("writes"), "p50", "p99"),
            _ms(run.get("lock_held_per_write"), "p50", "p99"),
            _ms(run.get("reads_alone"), "p50", "p99"),
            _ms(run.get("reads_during_writes"), "p50", "p99", "max"),
            _ms(run.get("writes_during_reads"), "p50", "p99"),
        ]
        for label, run in versions
    ]
    header = ["code", "partners", "write p50 / p99", "lock held p50 / p99", "reads alone p50 / p99"]
    header += ["reads during writes p50 / p99 / max", "writes during reads p50 / p99"]
    about = str(record.get("note", ""))
    if before:
        about += f". Before measured {before.get('measured_at')} (`{before.get('command')}`)"
    return [about + ".", "", *_table(header, rows)]


def _index_choice(record: Record) -> list[str]:
    rows = record.get("rows", [])
    filters = list(dict.fromkeys(name for row in rows for name, _ in _filters(row)))
    table = []
    for row in rows:
        figures = dict(_filters(row))
        table.append(
            [
                str(row.get("index")),
                str(row.get("search")),
                *(_number(_get(figures, name, "recall_at_10"), ".3f") for name in filters),
                *(_ms(figures.get(name), "p50", "p99") for name in filters),
                _number(row.get("build_s"), ",.1f", " s"),
                _number(row.get("serialized_mb"), ",.0f", " MB"),
                _number(row.get("rss_growth_mb"), ",.0f", " MB"),
            ]
        )
    header = ["index", "search"]
    header += [f"recall@10 {name}" for name in filters]
    header += [f"p50 / p99 {name}" for name in filters]
    header += ["build", "index size", "RSS growth"]
    about = f"{record.get('vectors', 'vectors not recorded')}. {record.get('latency', '')}."
    return [about, "", *_table(header, table)]


def _e2e(record: Record) -> list[str]:
    rows = [
        [step.replace("_", " "), f"{seconds:,}"]
        for step, seconds in record.get("seconds", {}).items()
    ]
    about = f"{record.get('what', '')}. {record.get('result', '')}".strip()
    return [about, "", *_table(["step", "seconds"], rows)]


def _quality(record: Record) -> list[str]:
    rows = [
        [system] + [_number(scores.get(m), ".3f") for m in ("ndcg@10", "recall@10", "mrr")]
        for system, scores in record.get("evaluation", {}).items()
    ]
    about = (
        f"{_number(_get(record, 'deals', 'evaluation'), 'd')} judged deals of the "
        f"evaluation split of `{record.get('data')}`; {record.get('embedder')}, IPP "
        f"{record.get('ipp_scorer')}. Full beats every baseline: "
        f"{_mark(record.get('full_beats_every_baseline'))}."
    )
    return [about, "", *_table(["system", "nDCG@10", "recall@10", "MRR"], rows)]


@dataclass(frozen=True)
class Section:
    """One results file: its heading, how to produce it and how to tabulate it."""

    source: str
    title: str
    command: str
    body: Callable[[Record], list[str]]


SECTIONS = (
    Section("ingest", "Ingest (CSV → SQLite, validated)", "python -m bench.ingest_bench", _ingest),
    Section("screen", "Screen prospects (CSV)", "python bench/screen_bench.py", _screen),
    Section("embed_throughput", "Embedding throughput", "python -m bench.embed_throughput", _embed),
    Section(
        "recommend_latency",
        "Recommend in-process (query embedding included)",
        "python -m bench.recommend_latency",
        _recommend,
    ),
    Section(
        "write_latency",
        "Partner writes in-process (store, embedding, engine) and the reads meanwhile",
        "python -m bench.write_latency",
        _writes,
    ),
    Section("engine_load", "Engine load", "python -m bench.engine_load", _engine_load),
    Section(
        "shortlist_recall",
        "Shortlist against the full scan",
        "python -m bench.shortlist_recall",
        _shortlist,
    ),
    Section("http_load", "HTTP recommend on loopback", "python -m bench.http_load", _http),
    Section("index_choice", "FAISS index choice", "python -m bench.index_choice", _index_choice),
    Section("e2e_100k", "CLI end to end, 100k partners", "see the JSON", _e2e),
    Section(
        "quality", "Ranking quality", "python -m training.evaluate --data data/sample", _quality
    ),
)


def render(results: dict[str, Record], source: Path = RESULTS) -> str:
    """The generated Markdown: the targets table, then one section per results file."""
    lines = [
        f"<!-- generated by `python -m bench.report` from {source.as_posix()}/*.json -->",
        "",
        "### Targets",
        "",
        *_table(
            ["target", "measured", "met", "from"],
            [[c.target, c.measured, _mark(c.met), f"`{c.source}.json`"] for c in checks(results)],
        ),
    ]
    for section in SECTIONS:
        record = results.get(section.source)
        lines += ["", f"### {section.title}", ""]
        if record is None:
            lines.append(f"{NOT_MEASURED} (run `{section.command}`)")
        else:
            lines += [_provenance_line(record, section.command), "", *section.body(record)]
    return "\n".join(lines) + "\n"


def splice(readme: str, generated: str) -> str:
    """``readme`` with the text between the markers replaced by ``generated``."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the README needs {START} followed by {END}")
    return readme[: start + len(START)] + "\n" + generated + readme[end:]


def main(argv: list[str] | None = None) -> int:
    """Render the results into the README (or stdout); with ``--check``, only compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--readme", type=Path, default=README)
    parser.add_argument("--stdout", action="store_true", help="print; leave the README alone")
    parser.add_argument("--check", action="store_true", help="exit 1 if the README is stale")
    args = parser.parse_args(argv)
    generated = render(load(args.results), args.results)
    if args.stdout:
        print(generated, end="")
        return 0
    readme = args.readme.read_text(encoding="utf-8")
    updated = splice(readme, generated)
    if args.check:
        if updated != readme:
            print(f"{args.readme} is out of date: run python -m bench.report", file=sys.stderr)
            return 1
        return 0
    args.readme.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
