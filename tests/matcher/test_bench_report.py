"""The benchmark report renders results files into the README (fixtures, not committed results)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.report import END, NOT_MEASURED, START, load, main, render, splice
from bench.results import QUICK_RESULTS, RESULTS, percentiles, provenance, results_path

HTTP_100K = {
    "command": "python -m bench.http_load",
    "measured_at": "2026-01-01T00:00:00+00:00",
    "machine": "test machine, 2 CPUs",
    "partners": 100_000,
    "levels": [
        {
            "concurrency": 1,
            "requests": 10,
            "errors": 0,
            "p50_ms": 20,
            "p99_ms": 30,
            "req_per_s": 40,
        },
        {
            "concurrency": 8,
            "requests": 10,
            "errors": 0,
            "p50_ms": 200,
            "p99_ms": 375,
            "req_per_s": 27,
        },
    ],
}
INGEST = {
    "command": "python -m bench.ingest_bench",
    "sizes": [{"partners": 100_000, "runs": 3, "median_s": 49.6, "rows_per_s": 2016}],
}


def _write(directory: Path, **results: dict[str, object]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, record in results.items():
        (directory / f"{name}.json").write_text(json.dumps(record), encoding="utf-8")
    return directory


def _target_row(rendered: str, target: str) -> list[str]:
    """The cells of the targets table row for ``target``."""
    line = next(line for line in rendered.splitlines() if line.startswith(f"| {target} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_a_missed_target_renders_a_cross(tmp_path: Path) -> None:
    rendered = render(load(_write(tmp_path, http_load=HTTP_100K)))

    assert _target_row(rendered, "HTTP, 100k, 8 clients: p99 ≤ 50 ms")[1:3] == [
        "p99 375.0 ms",
        "✘",
    ]


def test_a_met_target_renders_a_tick(tmp_path: Path) -> None:
    rendered = render(load(_write(tmp_path, ingest=INGEST)))

    assert _target_row(rendered, "ingest 100k partners < 60 s")[1:3] == [
        "49.6 s (2,016 rows/s)",
        "✔",
    ]


def test_a_missing_results_file_renders_not_measured(tmp_path: Path) -> None:
    rendered = render(load(_write(tmp_path, ingest=INGEST)))

    assert _target_row(rendered, "HTTP, 100k, 8 clients: ≥ 150 req/s")[1:3] == [NOT_MEASURED, "—"]
    section = rendered.split("### HTTP recommend on loopback")[1].split("###")[0]
    assert section.strip() == f"{NOT_MEASURED} (run `python -m bench.http_load`)"


def test_a_missing_field_renders_not_measured_in_its_cell(tmp_path: Path) -> None:
    rendered = render(load(_write(tmp_path, ingest=INGEST)))

    assert f"| 100,000 | 3 | 49.6 s | 2,016 | {NOT_MEASURED} |" in rendered  # no peak RSS


def test_http_targets_ignore_a_run_at_another_size(tmp_path: Path) -> None:
    rendered = render(load(_write(tmp_path, http_load={**HTTP_100K, "partners": 10_000})))

    assert _target_row(rendered, "HTTP, 100k, 8 clients: p99 ≤ 50 ms")[1:3] == [NOT_MEASURED, "—"]


def _scenario(ours_ms: float, naive_ms: float) -> dict[str, object]:
    return {
        "ours": {"p50_ms": ours_ms, "p95_ms": ours_ms, "p99_ms": ours_ms},
        "naive": {"p50_ms": naive_ms, "p95_ms": naive_ms, "p99_ms": naive_ms},
        "ratio_naive_over_ours": {"p50_ms": naive_ms / ours_ms},
    }


def test_the_naive_speedup_target_is_judged_on_the_slowest_scenario(tmp_path: Path) -> None:
    run_1m = {
        "partners": 1_000_000,
        "scenarios": {"mixed": _scenario(10, 200), "strict_5pct": _scenario(10, 40)},
    }
    rendered = render(load(_write(tmp_path, recommend_latency={"runs": [run_1m]})))

    target = _target_row(rendered, "1M: ≥ 5× faster than naive (median, slowest scenario)")
    assert target[1:3] == ["4.0×", "✘"]


def test_the_latency_target_is_judged_on_the_slowest_scenario(tmp_path: Path) -> None:
    run_100k = {
        "partners": 100_000,
        "scenarios": {"mixed": _scenario(20, 200), "strict_5pct": _scenario(35, 200)},
    }
    rendered = render(load(_write(tmp_path, recommend_latency={"runs": [run_100k]})))

    target = _target_row(rendered, "recommend in-process, 100k: p99 ≤ 30 ms (slowest scenario)")
    assert target[1:3] == ["p99 35.0 ms", "✘"]


def test_resident_memory_at_1m_is_judged_against_2_gb(tmp_path: Path) -> None:
    run_1m = {"partners": 1_000_000, "rss_mib": 1_500, "peak_rss_mib": 3_000}
    rendered = render(load(_write(tmp_path, recommend_latency={"runs": [run_1m]})))

    assert _target_row(rendered, "1M: resident memory ≤ 2 GB")[1:3] == ["1,500 MiB", "✔"]


def test_the_recall_target_reads_the_index_kind_used_at_1m(tmp_path: Path) -> None:
    def row(index: str, recall_1pct: float) -> dict[str, object]:
        filters = {"none": {"recall_at_10": 1.0}, "1%": {"recall_at_10": recall_1pct}}
        return {"index": index, "search": "exhaustive", "filters": filters}

    results = _write(
        tmp_path,
        index_choice={"rows": [row("sq8", 0.97), row("hnsw-sq8", 0.55)]},
        recommend_latency={"runs": [{"partners": 1_000_000, "index_kind": "sq8"}]},
    )

    rendered = render(load(results))
    target = _target_row(rendered, "1M: recall@10 ≥ 0.95 of the index in use (every filter)")
    assert target[1:3] == ["0.970 (sq8)", "✔"]


def test_splice_changes_only_the_text_between_the_markers() -> None:
    readme = f"# Title\n\nprose before\n{START}\nold table\n{END}\nprose after\n"

    spliced = splice(readme, "new table\n")

    assert spliced == f"# Title\n\nprose before\n{START}\nnew table\n{END}\nprose after\n"


def test_splice_refuses_a_readme_without_markers() -> None:
    with pytest.raises(ValueError, match="bench:start"):
        splice("# Title\n", "table\n")


def test_check_fails_on_a_stale_readme_and_passes_once_rewritten(tmp_path: Path) -> None:
    results = _write(tmp_path / "results", ingest=INGEST)
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{START}\nstale\n{END}\nafter\n", encoding="utf-8")
    arguments = ["--results", str(results), "--readme", str(readme)]

    assert main([*arguments, "--check"]) == 1
    assert main(arguments) == 0
    assert main([*arguments, "--check"]) == 0
    assert readme.read_text(encoding="utf-8").startswith(f"before\n{START}\n<!-- generated")


def test_benchmarks_share_where_results_go_their_provenance_and_percentiles() -> None:
    assert results_path("x.json", quick=False) == RESULTS / "x.json"
    assert results_path("x.json", quick=True) == QUICK_RESULTS / "x.json"
    assert set(provenance("bench.x")) == {"command", "measured_at", "machine", "load_average_1min"}
    samples = [float(ms) for ms in range(1, 101)]
    assert percentiles(samples) == {
        "p50_ms": 50.5,
        "p95_ms": 95.05,
        "p99_ms": 99.01,
        "mean_ms": 50.5,
        "n": 100,
    }
    assert percentiles(samples, (50, 99), digits=1, mean_and_count=False) == {
        "p50_ms": 50.5,
        "p99_ms": 99.0,
    }
    assert list(percentiles(samples, (50,), prefix="query_", mean_and_count=False)) == [
        "query_p50_ms"
    ]


def test_the_write_table_puts_the_older_code_first_and_says_why_a_size_was_skipped(
    tmp_path: Path,
) -> None:
    figures = {"p50_ms": 40.0, "p99_ms": 60.0, "max_ms": 80.0}
    record = {
        "command": "python -m bench.write_latency",
        "code": "new1234",
        "runs": [
            {
                "partners": 100_000,
                **{
                    part: figures
                    for part in (
                        "writes",
                        "lock_held_per_write",
                        "reads_alone",
                        "reads_during_writes",
                        "writes_during_reads",
                    )
                },
            },
            {"partners": 1_000_000, "skipped": "no bench home var/bench/home-1000000"},
        ],
        "before": {"code": "old5678", "runs": [{"partners": 100_000, "writes": figures}]},
    }
    rendered = render(load(_write(tmp_path, write_latency=record)))

    rows = [line for line in rendered.splitlines() if line.startswith(("| before", "| after"))]
    assert rows[0].startswith("| before (`old5678`) | 100,000 | 40.0 / 60.0 ms | not measured |")
    assert rows[1].startswith("| after (`new1234`) | 100,000 | 40.0 / 60.0 ms | 40.0 / 60.0 ms |")
    assert "no bench home var/bench/home-1000000" in rows[2]


def test_the_servers_cpu_per_request_is_checked_against_12_ms(tmp_path: Path) -> None:
    levels = [{**level, "server_cpu_ms_per_request": 9.5} for level in HTTP_100K["levels"]]  # type: ignore[attr-defined]
    rendered = render(load(_write(tmp_path, http_load={**HTTP_100K, "levels": levels})))

    assert _target_row(rendered, "HTTP, 100k, 8 clients: server CPU ≤ 12 ms a request")[1:3] == [
        "9.5 ms",
        "✔",
    ]


def test_the_engine_load_at_1m_is_judged_on_the_snapshot_against_20_s(tmp_path: Path) -> None:
    def run(partners: int, snapshot_s: float) -> dict[str, object]:
        medians = {"snapshot": {"wall_s": snapshot_s, "cpu_s": 1.0, "rss_mib": 900.0}}
        return {"partners": partners, "runs_per_way": 1, "medians": medians}

    slow = {"runs": [run(100_000, 1.5), run(1_000_000, 24.0)]}
    rendered = render(load(_write(tmp_path, engine_load=slow)))
    assert _target_row(rendered, "1M: engine load from the snapshot ≤ 20 s")[1:3] == [
        "24.0 s",
        "✘",
    ]
    assert "| 1,000,000 | snapshot | 1 | 24.0 s | 1.0 s | 900 MiB |" in rendered
    only_100k = {"runs": [run(100_000, 1.5)]}
    rendered = render(load(_write(tmp_path, engine_load=only_100k)))
    assert _target_row(rendered, "1M: engine load from the snapshot ≤ 20 s")[2] == "—"


def test_the_shortlist_is_judged_on_its_worst_filter_and_tabulated(tmp_path: Path) -> None:
    def row(share: float, recall: float) -> dict[str, object]:
        ms = {"p50_ms": 1.25, "p99_ms": 3.5}
        return {
            "share": share,
            "recall_at_pool": recall,
            "min_recall_at_pool": 0.9,
            "top10_agreement": 0.999,
            "ms": {"full scan": {"p50_ms": 6.0, "p99_ms": 9.0}, "shortlist": ms},
        }

    run = {"partners": 100_000, "embedder": "use", "queries": 200, "pool": 100}
    record = {"run": {**run, "filters": [row(1.0, 0.993), row(0.5, 0.975)]}}
    rendered = render(load(_write(tmp_path, shortlist_recall=record)))
    target = "shortlist: ≥ 0.98 of the full scan's candidates, real vectors (every filter)"
    assert _target_row(rendered, target)[1:3] == ["0.975 at 100,000", "✘"]
    assert "| 50% | 0.975 (0.90) | 0.999 | 6.0 / 9.0 ms | 1.2 / 3.5 ms |" in rendered
