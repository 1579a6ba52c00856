"""Screening a batch of prospects: rows in, scored rows and per-row problems out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from matcher.recruiting.prospects import SCREEN_COLUMNS, ProspectScore, ProspectScorer

if TYPE_CHECKING:
    from matcher.schemas import Prospect


@dataclass
class ScreenReport:
    """What a screening did: rows read, scored, and each bad row's line, column and problem."""

    rows_read: int = 0
    rows_scored: int = 0
    problems: list[Any] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def screen_prospects(
    records: Sequence[tuple[int, Mapping[str, Any]]], scorer: ProspectScorer, report: ScreenReport
) -> list[tuple[int, Prospect, ProspectScore]]:
    """Validate ``(line, values)`` records as prospects and score the valid ones.

    Invalid rows become ``RowProblem`` entries of ``report`` (line and column), never exceptions.
    Returns ``(line, prospect, score)`` per valid row, in input order.
    """
    from pydantic import ValidationError

    from matcher.ingest import RowProblem
    from matcher.schemas import Prospect, field_problems

    valid: list[tuple[int, Prospect]] = []
    for line, values in records:
        report.rows_read += 1
        try:
            valid.append((line, Prospect.model_validate(values)))
        except ValidationError as error:
            report.problems.extend(
                RowProblem(line, p.field, p.message) for p in field_problems(error)
            )
    scores = scorer.score_many([prospect for _, prospect in valid])
    report.rows_scored += len(scores)
    return [(line, prospect, score) for (line, prospect), score in zip(valid, scores, strict=True)]


def screen_records(
    records: Sequence[tuple[int, Mapping[str, Any]]], scorer: ProspectScorer, report: ScreenReport
) -> list[tuple[str, ProspectScore]]:
    """:func:`screen_prospects`, answering ``(name, score)`` per valid row, in input order."""
    return [
        (prospect.name, score) for _, prospect, score in screen_prospects(records, scorer, report)
    ]


def screen_file(
    path: Any,
    output: Any,
    scorer: ProspectScorer,
    chunk_rows: int = 2_000,
    progress: Callable[[int], None] | None = None,
) -> ScreenReport:
    """Score every prospect of a CSV/JSONL file (DESIGN.md 3.1 columns) into a scored CSV.

    Bad rows are reported with their line and column and left out of the output; the file as a
    whole failing (not UTF-8, no ``partner_id`` column ...) raises ``IngestError``.
    """
    from pathlib import Path

    from matcher.ingest import IngestReport, check_columns, read_records
    from matcher.spreadsheet import SafeDictWriter

    path, output = Path(path), Path(output)
    report = ScreenReport()
    ingest_report = IngestReport(kind="prospects", path=path)
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(f".{output.name}.partial")
    checked = False
    try:
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = SafeDictWriter(handle, fieldnames=list(SCREEN_COLUMNS))
            writer.writeheader()
            for chunk in read_records(path, chunk_rows, ingest_report):
                if not checked:
                    check_columns("prospects", chunk.columns, path, ingest_report)
                    checked = True
                records = [(record.line, record.values) for record in chunk.records]
                for name, score in screen_records(records, scorer, report):
                    writer.writerow({"name": name, **score.csv_row()})
                if progress is not None:
                    progress(report.rows_read)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    report.problems = [*ingest_report.problems, *report.problems]
    report.warnings = [*ingest_report.warnings, *report.warnings]
    report.rows_read += ingest_report.rows_read
    temporary.replace(output)
    return report
