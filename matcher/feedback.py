"""Seller feedback on recommendations and later deal outcomes, kept as events for training.

A seller accepts or rejects a recommended partner (a rejection carries a reason code from a
fixed list, so reasons can be counted); later the deal's outcome arrives. Each is one row in
``feedback_events``; training turns them into rows (see ``training/features.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

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
    recommendation_id: Annotated[str, Field(max_length=64)] | None = None
    deal_id: Annotated[str, Field(max_length=64)] | None = None
    reason: RejectReason | None = None
    won: Flag = None
    deal_size: Money = None
    note: Annotated[str, Field(max_length=1_000)] | None = None

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


def record_feedback(store: Store, feedback: Feedback, key_id: str | None = None) -> int:
    """Store one feedback event; returns its id."""
    payload = feedback.model_dump(exclude_none=True, include={"deal_size", "note"})
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
        {"feedback_id": feedback_id, **feedback.model_dump(mode="json", exclude_none=True)},
    )
    return feedback_id


def feedback_for(store: Store, partner_id: str) -> list[dict[str, object]]:
    """Every feedback event about one partner, oldest first."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(feedback_events)
            .where(feedback_events.c.partner_id == partner_id)
            .order_by(feedback_events.c.id)
        ).all()
    return [dict(row._mapping) for row in rows]
