"""Loading partner and outcome files (CSV or JSONL) into the store, all-or-nothing by default.

Every row is validated against the data contract; *all* problems are collected with the file
line and the column, so a person can fix the file in one pass. Rows stream through in chunks
inside one database transaction: if any row is bad and ``skip_invalid`` is off, the transaction
is rolled back and the store is left exactly as it was. With ``skip_invalid`` the good rows load
and the bad ones are written, with their reasons, to a rejects file.

Line numbers count the header as line 1 in a CSV (what a spreadsheet shows as the row number)
and the first record as line 1 in a JSONL file; they assume one record per line.
"""

from __future__ import annotations

import csv
import json
import logging
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ValidationError

from matcher.schemas import Outcome, Partner, Prospect, field_problems
from matcher.spreadsheet import safe_cells
from matcher.store import Store

logger = logging.getLogger(__name__)

Kind = Literal["partners", "outcomes"]
# What each kind of file holds; prospects are read and validated the same way, never stored.
MODELS: dict[str, type[BaseModel]] = {
    "partners": Partner,
    "outcomes": Outcome,
    "prospects": Prospect,
}
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "prospects": ("partner_id", "name", "partner_type"),
    "partners": ("partner_id", "name", "partner_type"),
    "outcomes": ("deal_id", "partner_id", "role", "won", "closed_on"),
}
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "partners": ("partner_id",),
    "outcomes": ("deal_id", "partner_id"),
}
SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class IngestError(Exception):
    """A problem with the file as a whole (format, encoding, header): nothing was loaded."""


@dataclass(frozen=True)
class RowProblem:
    """One problem in one row: the file line, the column, and what is wrong."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


@dataclass
class IngestReport:
    """What an ingestion did: counts, every problem, warnings, and where rejects went."""

    kind: str
    path: Path
    rows_read: int = 0
    rows_loaded: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rejects_path: Path | None = None
    committed: bool = False

    @property
    def rows_rejected(self) -> int:
        """How many distinct rows had at least one problem."""
        return len({problem.line for problem in self.problems})


class _Rollback(Exception):
    """Raised inside the transaction to undo an ingestion that found bad rows."""


@dataclass
class _Record:
    line: int
    values: dict[str, Any]


@dataclass
class _Chunk:
    columns: set[str]
    records: list[_Record]


def file_format(path: Path) -> str:
    """``csv`` or ``jsonl`` from the file suffix (``.gz`` etc. are not supported)."""
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise IngestError(f"{path.name}: unsupported file type {path.suffix!r}; use .csv or .jsonl")
    return fmt


def _csv_chunks(path: Path, chunk_rows: int, report: IngestReport) -> Iterator[_Chunk]:
    """Records from a CSV in chunks; malformed lines become problems, not exceptions."""
    with path.open("rb") as handle:
        try:
            reader = pd.read_csv(
                handle,
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
                chunksize=chunk_rows,
                on_bad_lines="warn",
                skipinitialspace=True,
            )
        except pd.errors.EmptyDataError:
            raise IngestError(f"{path.name}: the file is empty") from None
        skipped: list[int] = []
        next_line = 2
        with reader:
            while True:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", pd.errors.ParserWarning)
                    try:
                        frame = next(reader)
                    except StopIteration:
                        break
                for warning in caught:
                    skipped.extend(_bad_lines(str(warning.message), report))
                records = []
                for values in frame.to_dict("records"):
                    while next_line in skipped:
                        next_line += 1
                    records.append(_Record(next_line, values))
                    next_line += 1
                yield _Chunk({str(column) for column in frame.columns}, records)


def _bad_lines(message: str, report: IngestReport) -> list[int]:
    """Turn pandas' 'Skipping line 7: expected 5 fields, saw 6' warnings into row problems."""
    lines = []
    for text in message.strip().splitlines():
        text = text.strip().removeprefix("b'").removeprefix('b"')
        if text.startswith("Skipping line"):
            number, _, detail = text.removeprefix("Skipping line ").partition(":")
            line = int(number)
            lines.append(line)
            report.rows_read += 1
            report.problems.append(
                RowProblem(line, "(row)", f"malformed CSV row:{detail.rstrip(chr(92) + 'n')}")
            )
    return lines


def _jsonl_chunks(path: Path, chunk_rows: int, report: IngestReport) -> Iterator[_Chunk]:
    """Records from a JSONL file in chunks; a line that is not a JSON object is a problem."""
    records: list[_Record] = []
    with path.open("rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8-sig" if line_number == 1 else "utf-8").strip()
            except UnicodeDecodeError as error:
                raise IngestError(
                    f"{path.name}: line {line_number} is not UTF-8 ({error.reason}); "
                    "save the file as UTF-8"
                ) from None
            if not text:
                continue
            try:
                values = json.loads(text)
            except json.JSONDecodeError as error:
                report.rows_read += 1
                report.problems.append(
                    RowProblem(line_number, "(row)", f"invalid JSON: {error.msg}")
                )
                continue
            if not isinstance(values, dict):
                report.rows_read += 1
                report.problems.append(
                    RowProblem(line_number, "(row)", "each line must be a JSON object")
                )
                continue
            records.append(_Record(line_number, values))
            if len(records) >= chunk_rows:
                yield _jsonl_chunk(records)
                records = []
    if records:
        yield _jsonl_chunk(records)


def _jsonl_chunk(records: list[_Record]) -> _Chunk:
    """JSONL has no header: a chunk's columns are the keys its records use."""
    return _Chunk({key for record in records for key in record.values}, records)


def read_records(path: Path, chunk_rows: int, report: IngestReport) -> Iterator[_Chunk]:
    """Chunks of raw records from a CSV or JSONL file, with file-level errors made readable."""
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise IngestError(f"{path.name}: the file is empty")
    chunks = _csv_chunks if file_format(path) == "csv" else _jsonl_chunks
    try:
        yield from chunks(path, chunk_rows, report)
    except UnicodeDecodeError as error:
        raise IngestError(
            f"{path.name}: not UTF-8 encoded (byte 0x{error.object[error.start]:02x} cannot be "
            "decoded); save the file as UTF-8"
        ) from None
    except pd.errors.ParserError as error:
        raise IngestError(f"{path.name}: cannot be parsed as CSV: {error}") from None


def check_columns(kind: str, columns: set[str], path: Path, report: IngestReport) -> None:
    """Refuse a file lacking a required column; warn about columns that will be ignored."""
    missing = [column for column in REQUIRED_COLUMNS[kind] if column not in columns]
    if missing:
        raise IngestError(
            f"{path.name}: required column(s) missing: {', '.join(missing)} "
            f"(found: {', '.join(sorted(columns)) or 'none'})"
        )
    model = MODELS[kind]
    unknown = sorted(columns - set(model.model_fields))
    if unknown:
        report.warnings.append(f"ignored unknown column(s): {', '.join(unknown)}")


def ingest(
    store: Store,
    kind: Kind,
    path: Path,
    *,
    skip_invalid: bool = False,
    rejects_path: Path | None = None,
    chunk_rows: int = 5_000,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Validate and load a partners or outcomes file; see the module docstring for guarantees.

    Args:
        store: where the rows go.
        kind: ``"partners"`` or ``"outcomes"``.
        path: a ``.csv`` (``;``-separated lists) or ``.jsonl`` file.
        skip_invalid: load the good rows and reject the bad ones instead of loading nothing.
        rejects_path: where to write rejected rows with reasons (default with ``skip_invalid``:
            ``<path>.rejects.csv``).
        progress: called with the number of records read after each chunk.

    Raises:
        IngestError: the file as a whole cannot be read (nothing is loaded).
    """
    if kind not in ("partners", "outcomes"):
        raise ValueError(f"kind must be 'partners' or 'outcomes', not {kind!r}")
    path = Path(path)
    report = IngestReport(kind=kind, path=path)
    model = MODELS[kind]
    keys = KEY_COLUMNS[kind]
    seen: dict[tuple[str, ...], int] = {}
    rejected: list[tuple[_Record, list[RowProblem]]] = []
    try:
        with store.transaction() as connection:
            known_partners = store.partner_ids(connection) if kind == "outcomes" else set()
            checked_header = False
            for chunk in read_records(path, chunk_rows, report):
                if not checked_header:
                    check_columns(kind, chunk.columns, path, report)
                    checked_header = True
                valid = []
                for record in chunk.records:
                    report.rows_read += 1
                    instance, row_problems = _validate(model, record, keys, seen, known_partners)
                    if row_problems:
                        report.problems.extend(row_problems)
                        rejected.append((record, row_problems))
                    else:
                        valid.append(instance)
                if valid and (skip_invalid or not report.problems):
                    writer = store.upsert_partners if kind == "partners" else store.upsert_outcomes
                    report.rows_loaded += writer(valid, connection)  # type: ignore[arg-type]
                if progress is not None:
                    progress(report.rows_read)
            if report.rows_read == 0:
                raise IngestError(f"{path.name}: the file has no data rows")
            if report.problems and not skip_invalid:
                raise _Rollback
    except _Rollback:
        report.rows_loaded = 0
    else:
        report.committed = True
    report.problems.sort(key=lambda problem: problem.line)
    if rejected or (report.problems and skip_invalid):
        target = rejects_path or (
            path.with_name(path.name + ".rejects.csv") if skip_invalid else None
        )
        if target is not None:
            _write_rejects(target, rejected, report.problems)
            report.rejects_path = target
    logger.info(
        "ingest %s %s: %d read, %d loaded, %d problems",
        kind,
        path,
        report.rows_read,
        report.rows_loaded,
        len(report.problems),
    )
    return report


def _validate(
    model: type[BaseModel],
    record: _Record,
    keys: tuple[str, ...],
    seen: dict[tuple[str, ...], int],
    known_partners: set[str],
) -> tuple[BaseModel | None, list[RowProblem]]:
    """The validated record and all its problems: field errors, duplicate keys, unknown partners."""
    problems: list[RowProblem] = []
    try:
        instance = model.model_validate(record.values)
    except ValidationError as error:
        return None, [RowProblem(record.line, p.field, p.message) for p in field_problems(error)]
    key = tuple(str(getattr(instance, column)) for column in keys)
    if key in seen:
        problems.append(
            RowProblem(
                record.line,
                keys[-1] if len(keys) == 1 else "+".join(keys),
                f"duplicate {'/'.join(keys)} {'/'.join(key)!r} (first on line {seen[key]})",
            )
        )
    else:
        seen[key] = record.line
    if isinstance(instance, Outcome) and instance.partner_id not in known_partners:
        problems.append(
            RowProblem(
                record.line,
                "partner_id",
                f"unknown partner {instance.partner_id!r}; ingest its partner row first",
            )
        )
    return instance, problems


def _write_rejects(
    target: Path, rejected: list[tuple[_Record, list[RowProblem]]], problems: list[RowProblem]
) -> None:
    """Rejected rows with their line and reasons; malformed rows get a line of their own."""
    columns: list[str] = []
    for record, _ in rejected:
        columns.extend(column for column in record.values if column not in columns)
    rejected_lines = {record.line for record, _ in rejected}
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "problems", *columns])
        rows: list[tuple[int, list[str]]] = [
            (
                record.line,
                ["; ".join(f"{p.column}: {p.message}" for p in row_problems)]
                + [_cell(record.values.get(column)) for column in columns],
            )
            for record, row_problems in rejected
        ]
        rows.extend(
            (problem.line, [f"{problem.column}: {problem.message}"] + [""] * len(columns))
            for problem in problems
            if problem.line not in rejected_lines
        )
        for line, cells in sorted(rows, key=lambda row: row[0]):
            writer.writerow([line, *safe_cells(cells)])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return str(value)
