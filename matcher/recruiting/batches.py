"""Saved screening batches: a recruiter's pipeline of scored prospects, a status for each.

A batch is one screened file kept in the store: its name, the weights it was scored with, the
rows read and the problems found, and per prospect the profile as uploaded, its score
(DESIGN.md 3.5 shape) and where it stands: ``new`` → ``contacted`` → ``onboarding``, or
``declined``. A batch is read a page at a time, searched, filtered and ordered in SQL, so a
page never holds 1,000 rows; re-weighting re-scores the stored profiles and keeps the statuses.
Batches belong to the recruiting team: every recruiter (and admin) key sees every batch.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from matcher.ipp.base import FOUR_CS
from matcher.recruiting.lookalikes import LookAlike
from matcher.recruiting.prospects import BANDS, ProspectScore, looks_like_text
from matcher.recruiting.tables import (
    MAX_NOTE_CHARS,
    PROSPECT_STATUSES,
    screening_batches,
    screening_prospects,
)
from matcher.schemas import Prospect
from matcher.store import Store

BATCH_SORTS: tuple[str, ...] = ("overall", "name", *FOUR_CS, "band", "status", "gaps", "line")
HISTOGRAM_BINS = 10


@dataclass(frozen=True)
class BatchQuery:
    """Which prospects of a batch to read, in which order, and which page.

    ``q`` matches the name or id (case-insensitive, anywhere); ``status`` and ``band`` keep
    one value each. Raises ``ValueError`` naming the allowed values for an unknown one.
    """

    q: str | None = None
    status: str | None = None
    band: str | None = None
    sort: str = "overall"
    descending: bool = True
    offset: int = 0
    limit: int = 25

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("status", self.status, PROSPECT_STATUSES),
            ("band", self.band, BANDS),
            ("sort", self.sort, BATCH_SORTS),
        ):
            if value is not None and value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _score_columns(score: ProspectScore) -> dict[str, Any]:
    shape = score.as_dict()
    return {
        "overall": shape["overall"],
        "band": score.band,
        **shape["four_cs"],
        "gap_count": len(score.gaps),
        "score": shape,
    }


def save_batch(
    store: Store,
    name: str,
    scored: Sequence[tuple[int, Prospect, ProspectScore]],
    rows_read: int,
    problems: Sequence[dict[str, Any]],
    weights: dict[str, float],
    key_id: str | None = None,
) -> str:
    """Store a screened file as a new batch (every prospect ``new``); returns its id.

    ``scored`` is ``(line, prospect, score)`` per valid row; a ``partner_id`` seen before in
    the file is left out and reported as a problem of its line (the first row is kept).
    """
    batch_id = f"b_{secrets.token_hex(8)}"
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    problems = list(problems)
    for line, prospect, score in scored:
        if prospect.partner_id in seen:
            problems.append(
                {
                    "line": line,
                    "column": "partner_id",
                    "message": f"{prospect.partner_id!r} appears earlier in the file; "
                    "the first row is kept",
                }
            )
            continue
        seen.add(prospect.partner_id)
        rows.append(
            {
                "batch_id": batch_id,
                "line": line,
                "partner_id": prospect.partner_id,
                "name": prospect.name,
                "status": "new",
                "profile": prospect.model_dump(mode="json"),
                **_score_columns(score),
            }
        )
    with store.transaction() as connection:
        connection.execute(
            screening_batches.insert().values(
                batch_id=batch_id,
                name=name[:200],
                created_at=datetime.now(UTC),
                key_id=key_id,
                weights=dict(weights),
                rows_read=rows_read,
                problems=sorted(problems, key=lambda p: p["line"]),
            )
        )
        if rows:
            connection.execute(screening_prospects.insert(), rows)
    return batch_id


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _histogram(connection: Connection, batch_id: str) -> list[dict[str, Any]]:
    """Overall scores in :data:`HISTOGRAM_BINS` bins of 10 points, counted per band."""
    width = 100 / HISTOGRAM_BINS
    bin_of: Any = func.min(HISTOGRAM_BINS - 1, func.floor(screening_prospects.c.overall / width))
    if connection.dialect.name == "postgresql":
        bin_of = func.least(HISTOGRAM_BINS - 1, func.floor(screening_prospects.c.overall / width))
    counts = connection.execute(
        select(bin_of.label("bin"), screening_prospects.c.band, func.count())
        .where(screening_prospects.c.batch_id == batch_id)
        .group_by("bin", screening_prospects.c.band)
    ).all()
    bins = [
        {"low": i * width, "high": (i + 1) * width, **dict.fromkeys(BANDS, 0)}
        for i in range(HISTOGRAM_BINS)
    ]
    for index, band, count in counts:
        bins[max(0, int(index))][band] += count
    return bins


def _counts(connection: Connection, batch_id: str, column: Any) -> dict[str, int]:
    rows = connection.execute(
        select(column, func.count())
        .where(screening_prospects.c.batch_id == batch_id)
        .group_by(column)
    ).all()
    return {str(value): count for value, count in rows}


def _batch_dict(row: Any) -> dict[str, Any]:
    batch = dict(row._mapping)
    batch["created_at"] = _iso(batch["created_at"])
    return batch


def get_batch(store: Store, batch_id: str) -> dict[str, Any] | None:
    """A batch's summary: name, time, weights, rows read and scored, its problems, how many
    prospects are at each status and in each band, and the overall-score histogram."""
    with store.engine.connect() as connection:
        row = connection.execute(
            select(screening_batches).where(screening_batches.c.batch_id == batch_id)
        ).first()
        if row is None:
            return None
        statuses = _counts(connection, batch_id, screening_prospects.c.status)
        bands = _counts(connection, batch_id, screening_prospects.c.band)
        histogram = _histogram(connection, batch_id)
    batch = _batch_dict(row)
    batch["rows_scored"] = sum(statuses.values())
    batch["status_counts"] = {status: statuses.get(status, 0) for status in PROSPECT_STATUSES}
    batch["band_counts"] = {band: bands.get(band, 0) for band in BANDS}
    batch["histogram"] = histogram
    return batch


def list_batches(
    store: Store, offset: int = 0, limit: int = 20
) -> tuple[list[dict[str, Any]], int]:
    """The newest batches first (name, time, rows, prospects per status) and how many exist."""
    with store.engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(screening_batches)).scalar()
        rows = connection.execute(
            select(screening_batches)
            .order_by(screening_batches.c.created_at.desc(), screening_batches.c.batch_id)
            .offset(offset)
            .limit(limit)
        ).all()
        batches = []
        for row in rows:
            batch = _batch_dict(row)
            statuses = _counts(connection, batch["batch_id"], screening_prospects.c.status)
            batch["rows_scored"] = sum(statuses.values())
            batch["status_counts"] = {s: statuses.get(s, 0) for s in PROSPECT_STATUSES}
            batch.pop("problems")
            batch["problem_count"] = len(row.problems)
            batches.append(batch)
    return batches, int(total or 0)


def _ordered(column_name: str) -> ColumnElement[Any]:
    c = screening_prospects.c
    if column_name == "band":  # weak < possible < strong, so "descending" is best first
        return case({band: rank for rank, band in enumerate(reversed(BANDS))}, value=c.band)
    if column_name == "status":
        return case({s: rank for rank, s in enumerate(PROSPECT_STATUSES)}, value=c.status)
    if column_name == "name":
        return func.lower(c.name)
    if column_name == "gaps":
        return c.gap_count
    return c[column_name]  # type: ignore[no-any-return]


def _filtered(batch_id: str, query: BatchQuery) -> list[ColumnElement[bool]]:
    c = screening_prospects.c
    conditions: list[ColumnElement[bool]] = [c.batch_id == batch_id]
    if query.q:
        needle = query.q.strip().lower()
        conditions.append(
            or_(
                func.lower(c.name).contains(needle, autoescape=True),
                func.lower(c.partner_id).contains(needle, autoescape=True),
            )
        )
    if query.status:
        conditions.append(c.status == query.status)
    if query.band:
        conditions.append(c.band == query.band)
    return conditions


def prospect_row(row: Any) -> dict[str, Any]:
    """A stored prospect as the API answers it: the score, name, line, status and note."""
    return {
        **row.score,
        "name": row.name,
        "line": row.line,
        "status": row.status,
        "status_changed_at": _iso(row.status_changed_at),
        "note": row.note,
    }


def _select_prospects(batch_id: str, query: BatchQuery) -> Any:
    order = _ordered(query.sort)
    return (
        select(screening_prospects)
        .where(*_filtered(batch_id, query))
        .order_by(
            order.desc() if query.descending else order.asc(), screening_prospects.c.line.asc()
        )
    )


def batch_page(store: Store, batch_id: str, query: BatchQuery) -> tuple[list[dict[str, Any]], int]:
    """One page of a batch's prospects and how many match the query in all."""
    with store.engine.connect() as connection:
        total = connection.execute(
            select(func.count()).select_from(screening_prospects).where(*_filtered(batch_id, query))
        ).scalar()
        rows = connection.execute(
            _select_prospects(batch_id, query).offset(query.offset).limit(query.limit)
        ).all()
    return [prospect_row(row) for row in rows], int(total or 0)


def batch_prospects(store: Store, batch_id: str, query: BatchQuery) -> Iterator[dict[str, Any]]:
    """Every prospect matching ``query`` (paging ignored), in its order: the CSV export."""
    with store.engine.connect() as connection:
        rows = connection.execution_options(stream_results=True, yield_per=500).execute(
            _select_prospects(batch_id, query)
        )
        for row in rows:
            yield prospect_row(row)


def set_status(
    store: Store, batch_id: str, partner_id: str, status: str, note: str | None = None
) -> dict[str, Any] | None:
    """Move one prospect to ``status`` (and set its note when given); ``None`` if unknown.

    Raises:
        ValueError: a status outside :data:`PROSPECT_STATUSES`.
    """
    if status not in PROSPECT_STATUSES:
        raise ValueError(f"status must be one of {', '.join(PROSPECT_STATUSES)}; got {status!r}")
    values: dict[str, Any] = {"status": status, "status_changed_at": datetime.now(UTC)}
    if note is not None:
        values["note"] = note[:MAX_NOTE_CHARS] or None
    where = (
        screening_prospects.c.batch_id == batch_id,
        screening_prospects.c.partner_id == partner_id,
    )
    with store.transaction() as connection:
        changed = connection.execute(update(screening_prospects).where(*where).values(**values))
        if not changed.rowcount:
            return None
        row = connection.execute(select(screening_prospects).where(*where)).one()
    return prospect_row(row)


def rescore_batch(
    store: Store,
    batch_id: str,
    weights: dict[str, float],
    score_many: Callable[[list[Prospect]], list[ProspectScore]],
) -> bool:
    """Score every stored profile of a batch again (new weights), keeping statuses and notes.

    ``score_many`` is the scorer's :meth:`~matcher.recruiting.ProspectScorer.score_many` for
    those weights. Returns ``False`` for an unknown batch.
    """
    with store.engine.connect() as connection:
        exists = connection.execute(
            select(screening_batches.c.batch_id).where(screening_batches.c.batch_id == batch_id)
        ).first()
        if exists is None:
            return False
        rows = connection.execute(
            select(screening_prospects.c.id, screening_prospects.c.profile).where(
                screening_prospects.c.batch_id == batch_id
            )
        ).all()
    prospects = [Prospect.model_validate(row.profile) for row in rows]
    scores = score_many(prospects)
    with store.transaction() as connection:
        connection.execute(
            update(screening_batches)
            .where(screening_batches.c.batch_id == batch_id)
            .values(weights=dict(weights))
        )
        for row, score in zip(rows, scores, strict=True):
            connection.execute(
                update(screening_prospects)
                .where(screening_prospects.c.id == row.id)
                .values(**_score_columns(score))
            )
    return True


def delete_batch(store: Store, batch_id: str) -> bool:
    """Delete a batch and its prospects; ``False`` if there was none."""
    with store.transaction() as connection:
        connection.execute(
            delete(screening_prospects).where(screening_prospects.c.batch_id == batch_id)
        )
        deleted = connection.execute(
            delete(screening_batches).where(screening_batches.c.batch_id == batch_id)
        )
    return bool(deleted.rowcount)


def csv_row(prospect: dict[str, Any]) -> dict[str, Any]:
    """A stored prospect (:func:`prospect_row`) as a row of the screening CSV (DESIGN.md 3.5:
    a column per C, overall, band, gaps joined by ``;``) plus its status and note."""
    return {
        "partner_id": prospect["partner_id"],
        "name": prospect["name"],
        **prospect["four_cs"],
        "overall": prospect["overall"],
        "band": prospect["band"],
        "gaps": ";".join(prospect["gaps"]),
        "suggested_tier": prospect["suggested_tier"],
        "confidence": prospect.get("confidence"),
        "looks_like": looks_like_text([LookAlike(**alike) for alike in prospect["looks_like"]]),
        "status": prospect["status"],
        "note": prospect["note"] or "",
    }
