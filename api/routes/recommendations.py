"""Recommendations for sellers and the audit record of each."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from api.deps import SellerKey, ServiceDep, StoreDep
from api.errors import Problem, problem_responses
from api.responses import Recommendation, RecommendationRecord
from matcher.audit import get_recommendation, record_recommendation
from matcher.schemas import Deal

router = APIRouter(
    prefix="/recommendations",
    tags=["recommendations"],
    responses=problem_responses(400, 401, 403, 413, 422, 503),
)

DEAL_EXAMPLE = {
    "description": "Roll out portfolio management for a mid-size German car-parts maker",
    "industry": "manufacturing",
    "country": "DE",
    "segment": "mid_market",
    "languages": ["de"],
    "partner_types": ["system_integrator", "consultancy"],
    "specialisms": ["portfolio management"],
    "deal_size": 120000,
    "top_k": 5,
    "strict": True,
}


@router.post("", response_model=Recommendation)
def recommend(
    deal: Annotated[Deal, Body(openapi_examples={"german_manufacturer": {"value": DEAL_EXAMPLE}})],
    service: ServiceDep,
    store: StoreDep,
    key: SellerKey,
) -> dict[str, Any]:
    """The partners that fit a deal, best first, each with its 4 Cs, evidence and reason.

    With `strict` (default) languages, certifications, partner types and country are hard
    constraints; an empty answer's `funnel` and `emptied_by` say which one emptied it.
    Partners at capacity or paused are left out (`funnel.at_capacity`) unless
    `include_at_capacity` is true.
    """
    answer = service.recommend(deal)
    record_recommendation(store, deal.model_dump(mode="json"), answer, key.key_id)
    return answer


@router.get(
    "/{recommendation_id}",
    response_model=RecommendationRecord,
    responses=problem_responses(404),
)
def recommendation_record(
    recommendation_id: Annotated[str, Path(max_length=64)], store: StoreDep, _key: SellerKey
) -> dict[str, Any]:
    """The audit record of a served recommendation."""
    record = get_recommendation(store, recommendation_id)
    if record is None:
        raise Problem(404, f"no recommendation with id {recommendation_id!r}")
    return record
