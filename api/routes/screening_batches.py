"""Saved screening batches: a recruiter's pipeline of screened prospects, a status for each.

A thin layer over :mod:`matcher.recruiting.batches` and the recruiting service: create a batch
from the same bodies as `POST /v1/prospects/screen`, read it a page at a time (search, filter,
order), move a prospect along new → contacted → onboarding (or declined), re-weight it, export
it as CSV, delete it. Recruiters and admins; batches are shared by the recruiting team.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import RecruiterKey, RecruitingDep, SettingsDep, StoreDep
from api.errors import Problem, problem_responses
from api.responses import ScreenedProspect
from api.routes.prospects import Weight, _weights, prospect_rows_body, read_prospect_rows
from matcher.ingest import IngestReport
from matcher.recruiting import SCREEN_COLUMNS, BatchQuery, batches
from matcher.recruiting.batches import BATCH_SORTS
from matcher.recruiting.tables import MAX_NOTE_CHARS, PROSPECT_STATUSES
from matcher.spreadsheet import SafeDictWriter

router = APIRouter(
    prefix="/screening-batches",
    tags=["screening batches"],
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422),
)
BatchIdPath = Annotated[
    str, PathParam(pattern=r"^b_[0-9a-f]{16}$", description="The batch id, `b_` + 16 hex.")
]
ProspectIdPath = Annotated[str, PathParam(max_length=64, description="The prospect's id.")]
Status = Literal[PROSPECT_STATUSES]  # type: ignore[valid-type]
Band = Literal["strong_fit", "possible_fit", "weak_fit"]
Sort = Literal[BATCH_SORTS]  # type: ignore[valid-type]


class StatusCounts(BaseModel):
    """How many prospects of the batch are at each status."""

    new: int
    contacted: int
    onboarding: int
    declined: int


class HistogramBin(BaseModel):
    """Prospects whose overall score is in ``[low, high)``, by band."""

    low: float
    high: float
    strong_fit: int
    possible_fit: int
    weak_fit: int


class BatchProblem(BaseModel):
    """A row that was not kept: its line (CSV header = line 1), column and problem."""

    line: int
    column: str
    message: str


class BatchListed(BaseModel):
    """A batch in the list: name, time, weights, rows, prospects per status."""

    batch_id: str
    name: str
    created_at: str
    key_id: str | None
    weights: dict[str, float]
    rows_read: int
    rows_scored: int
    problem_count: int
    status_counts: StatusCounts


class BatchList(BaseModel):
    """The newest batches first, one page."""

    batches: list[BatchListed]
    total: int
    offset: int
    limit: int


class Batch(BaseModel):
    """A batch's summary: its rows, problems, statuses, bands and score histogram."""

    batch_id: str
    name: str
    created_at: str
    key_id: str | None
    weights: dict[str, float] = Field(description="The C weights it was scored with; {} = matrix")
    rows_read: int
    rows_scored: int
    problems: list[BatchProblem]
    status_counts: StatusCounts
    band_counts: dict[str, int]
    histogram: list[HistogramBin]


class BatchProspect(ScreenedProspect):
    """A prospect of a batch: its score (DESIGN.md 3.5), line, status and note."""

    line: int
    status: Status
    status_changed_at: str | None
    note: str | None


class BatchProspectPage(BaseModel):
    """One page of a batch's prospects and how many match the query in all."""

    prospects: list[BatchProspect]
    total: int
    offset: int
    limit: int


class StatusChange(BaseModel):
    """Where a prospect now stands, and an optional note (an empty note clears it)."""

    model_config = ConfigDict(extra="forbid")

    status: Status
    note: Annotated[str, Field(max_length=MAX_NOTE_CHARS)] | None = None


class BatchWeights(BaseModel):
    """The evaluation matrix weight of each C (0–100); a C left out keeps the matrix's."""

    model_config = ConfigDict(extra="forbid")

    capacity: float | None = Field(None, ge=0, le=100)
    capability: float | None = Field(None, ge=0, le=100)
    commitment: float | None = Field(None, ge=0, le=100)
    customer_fit: float | None = Field(None, ge=0, le=100)


def _batch_or_404(store: Any, batch_id: str) -> dict[str, Any]:
    batch = batches.get_batch(store, batch_id)
    if batch is None:
        raise Problem(404, f"no screening batch with id {batch_id!r}")
    return batch


@router.post(
    "",
    status_code=201,
    response_model=Batch,
    openapi_extra=prospect_rows_body(
        "As for `POST /v1/prospects/screen`: a JSON list of prospects or a multipart upload of "
        "a CSV/JSONL file in the field `file`"
    ),
)
async def create_batch(
    request: Request,
    response: Response,
    recruiting: RecruitingDep,
    settings: SettingsDep,
    store: StoreDep,
    key: RecruiterKey,
    name: Annotated[str | None, Query(max_length=200, description="default: the file's")] = None,
    capacity: Weight = None,
    capability: Weight = None,
    commitment: Weight = None,
    customer_fit: Weight = None,
) -> dict[str, Any]:
    """Screen prospects and keep them as a saved batch, every prospect `new`.

    Bad rows (and a `partner_id` repeated in the file) are kept as the batch's problems with
    their line and column. The answer is the batch's summary; `Location` names it.
    """
    weights = _weights(
        capacity=capacity, capability=capability, commitment=commitment, customer_fit=customer_fit
    )
    report = IngestReport(kind="prospects", path=Path("upload"))
    records, filename = await read_prospect_rows(request, settings.ingest_chunk_rows, report)
    label = (name or "").strip() or filename or "prospects (JSON)"
    try:
        batch_id = await run_in_threadpool(
            recruiting.save_batch, label, records, weights, report.problems, key.key_id
        )
    except ValueError as error:
        raise Problem(413, str(error)) from None
    response.headers["Location"] = f"/v1/screening-batches/{batch_id}"
    return await run_in_threadpool(_batch_or_404, store, batch_id)  # SQL: off the event loop


@router.get("", response_model=BatchList)
def list_batches(
    store: StoreDep,
    _key: RecruiterKey,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """The saved batches, newest first."""
    found, total = batches.list_batches(store, offset, limit)
    return {"batches": found, "total": total, "offset": offset, "limit": limit}


@router.get("/{batch_id}", response_model=Batch)
def get_batch(batch_id: BatchIdPath, store: StoreDep, _key: RecruiterKey) -> dict[str, Any]:
    """A batch's summary: problems, prospects per status and band, the score histogram."""
    return _batch_or_404(store, batch_id)


@router.delete("/{batch_id}", status_code=204)
def delete_batch(batch_id: BatchIdPath, store: StoreDep, _key: RecruiterKey) -> Response:
    """Delete a batch and its prospects."""
    if not batches.delete_batch(store, batch_id):
        raise Problem(404, f"no screening batch with id {batch_id!r}")
    return Response(status_code=204)


QueryText = Annotated[str | None, Query(max_length=200, description="name or id contains")]
StatusFilter = Annotated[Status | None, Query(description="one status only")]
BandFilter = Annotated[Band | None, Query(description="one band only")]
Order = Annotated[Literal["asc", "desc"], Query()]


def _batch_filters(
    q: QueryText = None,
    status: StatusFilter = None,
    band: BandFilter = None,
    sort: Sort = "overall",
    order: Order = "desc",
) -> BatchQuery:
    """The search, filters and order the batch page and its CSV share."""
    return BatchQuery(q, status, band, sort, order == "desc")


BatchFilters = Annotated[BatchQuery, Depends(_batch_filters)]


@router.get("/{batch_id}/prospects", response_model=BatchProspectPage)
def batch_prospects(
    batch_id: BatchIdPath,
    store: StoreDep,
    _key: RecruiterKey,
    filters: BatchFilters,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 25,
) -> dict[str, Any]:
    """One page of the batch's prospects: searched by name or id, filtered by status and
    band, ordered by a column (ties in file order)."""
    _batch_or_404(store, batch_id)
    query = replace(filters, offset=offset, limit=limit)
    found, total = batches.batch_page(store, batch_id, query)
    return {"prospects": found, "total": total, "offset": offset, "limit": limit}


@router.get(
    "/{batch_id}/csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The scored CSV"}},
)
def batch_csv(
    batch_id: BatchIdPath, store: StoreDep, _key: RecruiterKey, filters: BatchFilters
) -> Response:
    """The batch's prospects (those the filters keep, in that order) as the screening CSV
    of DESIGN.md 3.5 plus each prospect's `status` and `note`."""
    batch = _batch_or_404(store, batch_id)
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, fieldnames=[*SCREEN_COLUMNS, "status", "note"])
    writer.writeheader()
    for prospect in batches.batch_prospects(store, batch_id, filters):
        writer.writerow(batches.csv_row(prospect))
    stem = Path(batch["name"]).stem if batch["name"].endswith((".csv", ".jsonl")) else batch["name"]
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": _attachment(f"scored-{stem or 'batch'}.csv")},
    )


def _attachment(filename: str) -> str:
    """A ``Content-Disposition`` naming the download ``filename`` (RFC 6266): an ASCII
    ``filename`` for every client and the exact one, UTF-8, as ``filename*``. HTTP headers are
    Latin-1: a batch named "Åland leads" sent raw failed the download with a 500."""
    kept = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in filename)
    ascii_name = "".join(ch if ch.isascii() else "-" for ch in kept)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(kept, safe='')}"


@router.patch("/{batch_id}/prospects/{partner_id}", response_model=BatchProspect)
def change_status(
    batch_id: BatchIdPath,
    partner_id: ProspectIdPath,
    change: StatusChange,
    store: StoreDep,
    _key: RecruiterKey,
) -> dict[str, Any]:
    """Move a prospect along the pipeline (new, contacted, onboarding, declined)."""
    _batch_or_404(store, batch_id)
    changed = batches.set_status(store, batch_id, partner_id, change.status, change.note)
    if changed is None:
        raise Problem(404, f"no prospect {partner_id!r} in batch {batch_id!r}")
    return changed


@router.put("/{batch_id}/weights", response_model=Batch)
async def reweight_batch(
    batch_id: BatchIdPath,
    weights: Annotated[BatchWeights, Body()],
    recruiting: RecruitingDep,
    store: StoreDep,
    _key: RecruiterKey,
) -> dict[str, Any]:
    """Score the batch again with these C weights; statuses and notes stay."""
    given = _weights(**weights.model_dump())
    if not await run_in_threadpool(recruiting.rescore_batch, batch_id, given):
        raise Problem(404, f"no screening batch with id {batch_id!r}")
    return await run_in_threadpool(_batch_or_404, store, batch_id)
