"""Recruiters: score one prospect or screen many (JSON list or CSV upload) against the IPP."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import RecruiterKey, RecruitingDep, SettingsDep
from api.errors import Problem, problem_responses
from api.responses import ProspectScore, ScreenResult
from matcher.ingest import IngestError, IngestReport, check_columns, read_records
from matcher.ipp.config import validate_weights
from matcher.recruiting import MAX_SCREEN_ROWS, SCREEN_COLUMNS, ScreenReport
from matcher.recruiting import ProspectScore as ProspectScoreResult
from matcher.schemas import Prospect
from matcher.spreadsheet import SafeDictWriter

router = APIRouter(
    prefix="/prospects",
    tags=["prospects"],
    responses=problem_responses(400, 401, 403, 413, 415, 422),
)
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
Weight = Annotated[float | None, Query(ge=0, le=100)]


def _weights(**weights: float | None) -> dict[str, float]:
    """The weights given, refused (422) when they leave no C with a weight above 0."""
    given = {name: value for name, value in weights.items() if value is not None}
    try:
        validate_weights(given)
    except ValueError as error:
        raise Problem(
            422, str(error), errors=[{"field": name, "message": str(error)} for name in given]
        ) from None
    return given


@router.post("/score", response_model=ProspectScore)
def score_prospect(
    prospect: Prospect,
    recruiting: RecruitingDep,
    _key: RecruiterKey,
    capacity: Weight = None,
    capability: Weight = None,
    commitment: Weight = None,
    customer_fit: Weight = None,
) -> dict[str, Any]:
    """Score one prospect: 4 Cs with evidence, overall, band, gaps, tier and look-alikes.

    The optional query parameters override the evaluation matrix weight of each C.
    """
    weights = _weights(
        capacity=capacity, capability=capability, commitment=commitment, customer_fit=customer_fit
    )
    return recruiting.score(prospect, weights)


def prospect_rows_body(description: str) -> dict[str, Any]:
    """The OpenAPI request body of the routes reading :func:`read_prospect_rows` (a JSON
    list or a multipart file), with its limits."""
    limits = f"; at most {MAX_SCREEN_ROWS:,} rows, {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
    return {
        "requestBody": {
            "description": description + limits,
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    }


@router.post(
    "/screen",
    response_model=ScreenResult,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}},
    openapi_extra=prospect_rows_body(
        "A JSON list of prospects (DESIGN.md 3.1 rows), or a multipart upload of a CSV/JSONL "
        "file in the field `file`"
    ),
)
async def screen_prospects(
    request: Request,
    recruiting: RecruitingDep,
    settings: SettingsDep,
    _key: RecruiterKey,
    output: Annotated[str, Query(alias="format", pattern="^(json|csv)$")] = "json",
    capacity: Weight = None,
    capability: Weight = None,
    commitment: Weight = None,
    customer_fit: Weight = None,
) -> Any:
    """Screen many prospects; bad rows are reported with line and column, the rest scored."""
    weights = _weights(
        capacity=capacity, capability=capability, commitment=commitment, customer_fit=customer_fit
    )
    ingest_report = IngestReport(kind="prospects", path=Path("upload"))
    records, _ = await read_prospect_rows(request, settings.ingest_chunk_rows, ingest_report)
    try:  # scoring 5,000 rows on the event loop stalled every other request for 2.3 s
        scored, report = await run_in_threadpool(
            recruiting.screen, records, weights, ingest_report.problems
        )
    except ValueError as error:
        raise Problem(413, str(error)) from None
    if output == "csv":
        return Response(await run_in_threadpool(_as_csv, scored), media_type="text/csv")
    # validating and encoding 5,000 scored rows on the event loop held /healthz ~150 ms
    return await run_in_threadpool(_as_json, scored, report)


def _as_json(scored: list[tuple[str, ProspectScoreResult]], report: ScreenReport) -> Response:
    """The screening answer as :class:`ScreenResult` JSON (CPU work: run off the loop)."""
    problems = [
        {"line": p.line, "column": p.column, "message": p.message}
        for p in sorted(report.problems, key=lambda p: p.line)
    ]
    answer = ScreenResult.model_validate(
        {
            "rows_read": report.rows_read,
            "rows_scored": report.rows_scored,
            "results": [{"name": name, **score.as_dict()} for name, score in scored],
            "problems": problems,
        }
    )
    return Response(answer.model_dump_json(by_alias=True), media_type="application/json")


async def read_prospect_rows(
    request: Request, chunk_rows: int, report: IngestReport
) -> tuple[list[tuple[int, dict[str, Any]]], str | None]:
    """The ``(line, values)`` rows of a JSON list or a multipart CSV/JSONL upload (field
    `file`), and the uploaded file's name; problems found while reading go to ``report``.
    Screening and saved screening batches take the same bodies."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return await _uploaded_records(request, chunk_rows, report)
    if content_type.startswith("application/json"):
        return _json_records(await _json_body(request)), None
    raise Problem(415, "send a JSON list of prospects or a multipart upload with field `file`")


async def _json_body(request: Request) -> Any:
    try:
        return await run_in_threadpool(json.loads, await request.body())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Problem(400, f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise Problem(400, "the body is not valid JSON: nested too deeply") from None


def _json_records(body: Any) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(body, list) or not all(isinstance(row, dict) for row in body):
        raise Problem(
            422,
            "expected a JSON list of prospect objects",
            errors=[{"field": "(body)", "message": "expected a list of objects"}],
        )
    return list(enumerate(body, start=1))


async def _uploaded_records(
    request: Request, chunk_rows: int, report: IngestReport
) -> tuple[list[tuple[int, dict[str, Any]]], str | None]:
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Problem(
            422,
            "upload the prospects as the multipart field `file`",
            errors=[{"field": "file", "message": "required"}],
        )
    content = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise Problem(413, f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    records = await run_in_threadpool(
        _parsed_upload, content, upload.filename or "upload", chunk_rows, report
    )
    if not records and not report.problems:
        raise Problem(
            422, "the file has no data rows", errors=[{"field": "file", "message": "empty"}]
        )
    return records, upload.filename


def _parsed_upload(
    content: bytes, filename: str, chunk_rows: int, report: IngestReport
) -> list[tuple[int, dict[str, Any]]]:
    """The uploaded file's rows; parsing is CPU work, run off the event loop by the caller."""
    suffix = Path(filename).suffix.lower() or ".csv"
    with tempfile.TemporaryDirectory(prefix="partnermatch-screen-") as scratch:
        path = Path(scratch) / f"prospects{suffix}"
        path.write_bytes(content)
        records: list[tuple[int, dict[str, Any]]] = []
        try:
            for number, chunk in enumerate(read_records(path, chunk_rows, report)):
                if number == 0:
                    check_columns("prospects", chunk.columns, path, report)
                records.extend((record.line, record.values) for record in chunk.records)
        except IngestError as error:
            message = str(error).replace(path.name, filename)
            raise Problem(422, message, errors=[{"field": "file", "message": message}]) from None
    return records


def _as_csv(scored: list[tuple[str, ProspectScoreResult]]) -> str:
    """The scored rows as the screening CSV of DESIGN.md 3.5 (the same columns as the CLI's)."""
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, fieldnames=list(SCREEN_COLUMNS))
    writer.writeheader()
    for name, score in scored:
        writer.writerow({"name": name, **score.csv_row()})
    return buffer.getvalue()
