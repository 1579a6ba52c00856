"""Seller feedback on recommendations and later deal outcomes, kept as events for training.

A seller accepts or rejects a recommended partner (a rejection carries a reason code from a
fixed list, so reasons can be counted); later the deal's outcome arrives. Each is one row in
``feedback_events``; training turns them into rows (see ``training/features.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select

from matcher.audit import get_recommendation
from matcher.schemas import Flag, Money, PartnerId
from matcher.store import Store, feedback_events
from matcher.taxonomy import UnknownValueError
from matcher.webhooks import emit

FEEDBACK_KINDS: tuple[str, ...] = ("accepted", "rejected", "outcome")
REJECT_REASONS: tuple[str, ...] = (
    "no_capacity",
    "wrong_expertise",
    "no_language",
    "wrong_region",
    "conflict",
    "too_expensive",
    "other",
)
RejectReason = Literal[REJECT_REASONS]  # type: ignore[valid-type]
RecommendationId = Annotated[str, Field(max_length=64)]
Note = Annotated[str, Field(max_length=1_000)]


class Feedback(BaseModel):
    """One feedback event as a seller (or the CRM) reports it.

    ``accepted``/``rejected`` refer to a served recommendation; ``rejected`` needs a reason code.
    ``outcome`` reports whether the deal was won with that partner.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "rejected",
                    "recommendation_id": "r_4f1c2a9b",
                    "partner_id": "P-000042",
                    "reason": "no_capacity",
                    "note": "Fully booked until March",
                },
                {"kind": "outcome", "deal_id": "D-2026-114", "partner_id": "P-000042", "won": True},
            ]
        },
    )

    kind: Literal[FEEDBACK_KINDS]  # type: ignore[valid-type]
    partner_id: PartnerId
    recommendation_id: RecommendationId | None = None
    deal_id: Annotated[str, Field(max_length=64)] | None = None
    reason: RejectReason | None = None
    won: Flag = None
    deal_size: Money = None
    note: Note | None = None

    @model_validator(mode="after")
    def _fields_fit_the_kind(self) -> Feedback:
        if self.kind in ("accepted", "rejected") and not self.recommendation_id:
            raise ValueError(f"{self.kind} feedback needs the recommendation_id it refers to")
        if self.kind == "rejected" and self.reason is None:
            raise ValueError(f"a rejection needs a reason: one of {', '.join(REJECT_REASONS)}")
        if self.kind == "outcome" and (self.won is None or not self.deal_id):
            raise ValueError("outcome feedback needs deal_id and won")
        return self


def check_known(store: Store, feedback: Feedback) -> None:
    """Refuse feedback naming a partner or recommendation the store does not know.

    Such events were stored and then trained on as if they were real outcomes. Raises
    :class:`~matcher.taxonomy.UnknownValueError` naming the field.
    """
    if store.get_partner(feedback.partner_id) is None:
        raise UnknownValueError("partner_id", feedback.partner_id, [], "no such partner")
    recommendation_id = feedback.recommendation_id
    if recommendation_id is not None and get_recommendation(store, recommendation_id) is None:
        raise UnknownValueError(
            "recommendation_id", recommendation_id, [], "no such served recommendation"
        )


def record_feedback(
    store: Store,
    feedback: Feedback,
    key_id: str | None = None,
    context: dict[str, Any] | None = None,
) -> int:
    """Store one feedback event; returns its id. ``context`` is kept with the event (and sent
    with its webhook), e.g. the team rank of a whole-team verdict."""
    payload = {
        **feedback.model_dump(exclude_none=True, include={"deal_size", "note"}),
        **(context or {}),
    }
    with store.transaction() as connection:
        result = connection.execute(
            feedback_events.insert().values(
                kind=feedback.kind,
                recommendation_id=feedback.recommendation_id,
                deal_id=feedback.deal_id,
                partner_id=feedback.partner_id,
                reason=feedback.reason,
                won=feedback.won,
                key_id=key_id,
                payload=payload or None,
                created_at=datetime.now(UTC),
            )
        )
    inserted = result.inserted_primary_key
    assert inserted is not None  # an INSERT of one row always reports its key
    feedback_id = int(inserted[0])
    emit(
        store,
        "feedback.recorded",
        {
            "feedback_id": feedback_id,
            **feedback.model_dump(mode="json", exclude_none=True),
            **(context or {}),
        },
    )
    return feedback_id


class TeamFeedback(BaseModel):
    """A seller's verdict on a whole served team: every member is accepted or rejected at once.

    Sellers take or turn down a team as one proposal; recording it as one event per member (as
    if each had been judged alone, with the team's rank kept beside it) lets training and the
    partner pages use team verdicts exactly as single ones.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "accepted", "recommendation_id": "r_4f1c2a9b", "team_rank": 1},
                {
                    "kind": "rejected",
                    "recommendation_id": "r_4f1c2a9b",
                    "team_rank": 2,
                    "reason": "wrong_region",
                },
            ]
        },
    )

    kind: Literal["accepted", "rejected"]
    recommendation_id: RecommendationId
    team_rank: int = Field(ge=1, le=1_000, strict=True, description="The team's rank as served.")
    reason: RejectReason | None = None
    note: Note | None = None

    @model_validator(mode="after")
    def _rejection_has_a_reason(self) -> TeamFeedback:
        if self.kind == "rejected" and self.reason is None:
            raise ValueError(f"a rejection needs a reason: one of {', '.join(REJECT_REASONS)}")
        return self


def team_members(store: Store, feedback: TeamFeedback) -> list[str]:
    """The partner ids of the team ``feedback`` names, from the served answer's audit record.

    Raises :class:`~matcher.taxonomy.UnknownValueError` naming ``recommendation_id`` when no
    teams answer has that id, or ``team_rank`` when that answer had no team at that rank.
    """
    record = get_recommendation(store, feedback.recommendation_id)
    if record is None or record["channel"] != "teams":
        raise UnknownValueError(
            "recommendation_id", feedback.recommendation_id, [], "no such served teams answer"
        )
    members = [r["partner_id"] for r in record["results"] if r["rank"] == feedback.team_rank]
    if not members:
        served = sorted({str(r["rank"]) for r in record["results"]}, key=int)
        raise UnknownValueError("team_rank", str(feedback.team_rank), served, "no such team")
    return members


def record_team_feedback(
    store: Store, feedback: TeamFeedback, key_id: str | None = None
) -> dict[str, int]:
    """Record the verdict on every member of the named team; returns the event id by partner."""
    verdict = feedback.model_dump(include={"kind", "recommendation_id", "reason", "note"})
    return {
        partner_id: record_feedback(
            store,
            Feedback(**verdict, partner_id=partner_id),
            key_id,
            context={"team_rank": feedback.team_rank},
        )
        for partner_id in team_members(store, feedback)
    }


def feedback_for(store: Store, partner_id: str) -> list[dict[str, object]]:
    """Every feedback event about one partner, oldest first."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(feedback_events)
            .where(feedback_events.c.partner_id == partner_id)
            .order_by(feedback_events.c.id)
        ).all()
    return [dict(row._mapping) for row in rows]


def _event(row: Any) -> dict[str, Any]:
    event = dict(row._mapping)
    event["created_at"] = event["created_at"].isoformat()
    event.update(event.pop("payload") or {})
    return event


def feedback_totals(store: Store, partner_id: str) -> dict[str, Any]:
    """How sellers answered about one partner, over every key: accepted, rejected (and by which
    reason), and the deal outcomes reported won or lost. Counts only, no deal or seller."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(
                feedback_events.c.kind,
                feedback_events.c.reason,
                feedback_events.c.won,
                func.count(),
            )
            .where(feedback_events.c.partner_id == partner_id)
            .group_by(feedback_events.c.kind, feedback_events.c.reason, feedback_events.c.won)
        ).all()
    totals: dict[str, Any] = {
        "accepted": 0,
        "rejected": 0,
        "rejected_by_reason": {},
        "won": 0,
        "lost": 0,
    }
    for kind, reason, won, count in rows:
        if kind == "accepted":
            totals["accepted"] += count
        elif kind == "rejected":
            totals["rejected"] += count
            by_reason = totals["rejected_by_reason"]
            by_reason[reason or "other"] = by_reason.get(reason or "other", 0) + count
        elif kind == "outcome":
            totals["won" if won else "lost"] += count
    return totals


def partner_activity(
    store: Store, partner_id: str, key_id: str | None = None, limit: int = 10
) -> dict[str, Any]:
    """What happened around one partner lately (the partner profile page).

    ``recommendations``: the newest answers that ranked it, each with the feedback given on it
    for this partner; ``feedback``: the newest feedback events about it; ``totals``: counts
    over every seller (:func:`feedback_totals`). With ``key_id`` the two lists hold only what
    that key asked and said (a seller sees its own deals, never another seller's).
    """
    from matcher.audit import recommendations_for_partner

    query = select(feedback_events).where(feedback_events.c.partner_id == partner_id)
    if key_id is not None:
        query = query.where(feedback_events.c.key_id == key_id)
    with store.engine.connect() as connection:
        rows = connection.execute(query.order_by(feedback_events.c.id.desc()).limit(limit)).all()
    events = [_event(row) for row in rows]
    recommendations = recommendations_for_partner(store, partner_id, key_id, limit)
    ids = [r["recommendation_id"] for r in recommendations]
    given: dict[str, list[dict[str, Any]]] = {}
    if ids:
        with store.engine.connect() as connection:
            on_these = connection.execute(
                select(feedback_events)
                .where(
                    feedback_events.c.partner_id == partner_id,
                    feedback_events.c.recommendation_id.in_(ids),
                )
                .order_by(feedback_events.c.id)
            ).all()
        for row in on_these:
            event = _event(row)
            given.setdefault(str(event["recommendation_id"]), []).append(
                {k: event.get(k) for k in ("kind", "reason", "note", "created_at")}
            )
    for recommendation in recommendations:
        recommendation["feedback"] = given.get(recommendation["recommendation_id"], [])
    return {
        "partner_id": partner_id,
        "recommendations": recommendations,
        "feedback": [
            {
                k: event.get(k)
                for k in (
                    "id",
                    "kind",
                    "reason",
                    "note",
                    "recommendation_id",
                    "deal_id",
                    "won",
                    "deal_size",
                    "created_at",
                )
            }
            for event in events
        ],
        "totals": feedback_totals(store, partner_id),
    }
