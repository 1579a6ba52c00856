"""Recommendations for sellers and the audit record of each."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from api.deps import SellerKey, ServiceDep, StoreDep
from api.errors import Problem, problem_responses
from api.responses import Recommendation, RecommendationRecord, Teams
from matcher.audit import get_recommendation, record_recommendation, record_teams
from matcher.engine.teams import TeamDeal
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


TEAM_EXAMPLE = {**DEAL_EXAMPLE, "languages": ["de", "ja"], "max_team_size": 3}


@router.post("/teams", response_model=Teams)
def recommend_teams(
    deal: Annotated[TeamDeal, Body(openapi_examples={"two_languages": {"value": TEAM_EXAMPLE}})],
    service: ServiceDep,
    store: StoreDep,
    key: SellerKey,
) -> dict[str, Any]:
    """Teams of up to `max_team_size` partners (default 3) who together cover a deal that no
    single partner may: per requirement (each language, certification, partner type, the
    country, each specialism phrase) the member who covers it, and `missing` what none does.
    """
    answer = service.teams(deal, deal.max_team_size)
    record_teams(store, deal.model_dump(mode="json"), answer, key.key_id)
    return answer


@router.get(
    "/{recommendation_id}",
    response_model=RecommendationRecord,
    responses=problem_responses(404),
)
def recommendation_record(
    recommendation_id: Annotated[str, Path(max_length=64)], store: StoreDep, key: SellerKey
) -> dict[str, Any]:
    """The audit record of a served recommendation, for admins and the key that asked for it.

    Another seller's record is answered 404, as if it did not exist (object-level
    authorisation, OWASP API1): a record names the key, the deal and who was ranked.
    """
    record = get_recommendation(store, recommendation_id)
    if record is None or (key.role != "admin" and record["key_id"] != key.key_id):
        raise Problem(404, f"no recommendation with id {recommendation_id!r}")
    return record
