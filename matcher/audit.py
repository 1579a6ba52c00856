"""The audit log of served recommendations: request, versions, returned ids and scores.

Sellers and partner managers ask "why did we get this partner last Tuesday?"; the log keeps
what is needed to answer, without storing whole profiles (those change; ids and scores don't).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, select

from matcher.store import Store, recommendations_served
from matcher.webhooks import emit


def record_recommendation(
    store: Store,
    request: dict[str, Any],
    answer: dict[str, Any],
    key_id: str | None,
    channel: str = "api",
) -> None:
    """Store one served answer (DESIGN.md 3.3 shape) under its ``recommendation_id``.

    Each result keeps its reason line, evidence and 4 Cs too: "why this partner?" must be
    answerable later from what was said then, not from a profile that has changed since.
    """
    results = [
        {
            "partner_id": r["partner_id"],
            "rank": r["rank"],
            "score": r["score"],
            "reason": r.get("reason"),
            "evidence": r.get("evidence"),
            "four_cs": r.get("four_cs"),
        }
        for r in answer["results"]
    ]
    with store.transaction() as connection:
        connection.execute(
            recommendations_served.insert().values(
                recommendation_id=answer["recommendation_id"],
                created_at=datetime.now(UTC),
                key_id=key_id,
                channel=channel,
                request=request,
                model_version=answer["model_version"],
                index_version=answer["index_version"],
                results=results,
            )
        )
    emit(
        store,
        "recommendation.served",
        {
            "recommendation_id": answer["recommendation_id"],
            "channel": channel,
            "model_version": answer["model_version"],
            "index_version": answer["index_version"],
            "results": results,
        },
    )


def record_teams(
    store: Store, request: dict[str, Any], answer: dict[str, Any], key_id: str | None
) -> None:
    """Store one served teams answer like a recommendation: each member is a result at its
    team's rank, so accept/reject feedback names the member and the answer's id as for one."""
    members = [
        {**member, "rank": team["rank"]} for team in answer["teams"] for member in team["members"]
    ]
    record_recommendation(store, request, {**answer, "results": members}, key_id, channel="teams")


def get_recommendation(store: Store, recommendation_id: str) -> dict[str, Any] | None:
    """The logged record of one served recommendation, or ``None``."""
    with store.engine.connect() as connection:
        row = connection.execute(
            select(recommendations_served).where(
                recommendations_served.c.recommendation_id == recommendation_id
            )
        ).first()
    if row is None:
        return None
    return _record(row)


def _record(row: Row[Any]) -> dict[str, Any]:
    record = dict(row._mapping)
    record["created_at"] = record["created_at"].isoformat()
    return record


def records_since(store: Store, since: datetime) -> Iterator[dict[str, Any]]:
    """Every record served at or after ``since``, oldest first, streamed (the log is long)."""
    with store.engine.connect() as connection:
        rows = connection.execution_options(stream_results=True).execute(
            select(recommendations_served)
            .where(recommendations_served.c.created_at >= since)
            .order_by(recommendations_served.c.created_at)
        )
        for row in rows:
            yield _record(row)


def purge_before(store: Store, cutoff: datetime) -> int:
    """Delete the records served before ``cutoff`` (the retention limit); returns how many."""
    with store.transaction() as connection:
        result = connection.execute(
            delete(recommendations_served).where(recommendations_served.c.created_at < cutoff)
        )
    return result.rowcount
