"""Recommendations for sellers, the audit record of each, and the in-app widget."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from pydantic import BaseModel, ConfigDict

from api.deps import SellerKey, ServiceDep, StoreDep, WidgetKey
from api.errors import Problem, problem_responses
from api.limits import check_widget_origin, widget_rate_limit
from matcher.audit import get_recommendation, record_recommendation
from matcher.schemas import Deal
from matcher.widget import widget_suggestions

router = APIRouter(
    tags=["recommendations"], responses=problem_responses(400, 401, 403, 413, 422, 503)
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


class FourCsOut(BaseModel):
    """The 4 C sub-scores, 0–100."""

    capacity: float
    capability: float
    commitment: float
    customer_fit: float


class RankedPartner(BaseModel):
    """One recommended partner with the evidence and the reason (DESIGN.md 3.3)."""

    model_config = ConfigDict(extra="allow")

    partner_id: str
    name: str
    rank: int
    score: float
    four_cs: FourCsOut
    evidence: dict[str, Any]
    reason: str


class Recommendation(BaseModel):
    """Ranked partners for a deal; ``funnel`` says how many passed each hard filter."""

    model_config = ConfigDict(extra="allow")

    recommendation_id: str
    model_version: str
    index_version: str
    funnel: dict[str, int]
    results: list[RankedPartner]


class RecommendationRecord(BaseModel):
    """What was asked, who asked, which model and index answered, and what came back."""

    recommendation_id: str
    created_at: str
    key_id: str | None
    channel: str
    request: dict[str, Any]
    model_version: str
    index_version: str
    results: list[dict[str, Any]]


@router.post("/v1/recommendations", response_model=Recommendation)
def recommend(
    deal: Annotated[Deal, Body(openapi_examples={"german_manufacturer": {"value": DEAL_EXAMPLE}})],
    service: ServiceDep,
    store: StoreDep,
    key: SellerKey,
) -> dict[str, Any]:
    """The partners that fit a deal, best first, each with its 4 Cs, evidence and reason.

    With `strict` (default) languages, certifications, partner types and country are hard
    constraints; an empty answer's `funnel` and `emptied_by` say which one emptied it.
    """
    answer = service.recommend(deal)
    record_recommendation(store, deal.model_dump(mode="json"), answer, key.key_id)
    return answer


@router.get(
    "/v1/recommendations/{recommendation_id}",
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


class WidgetPartner(BaseModel):
    """A partner as a customer may see it: public profile fields only (DESIGN.md 3.1)."""

    model_config = ConfigDict(extra="forbid")

    partner_id: str
    name: str
    partner_type: str
    description: str | None
    specialisms: list[str]
    languages: list[str]
    industries: list[str]
    certifications: list[str]
    countries: list[str]
    tier: str | None
    assets: list[str]
    rank: int
    matching_assets: list[str]


class WidgetAnswer(BaseModel):
    """Suggestions for the in-app context."""

    partners: list[WidgetPartner]


@router.get(
    "/v1/widget/recommendations",
    response_model=WidgetAnswer,
    responses=problem_responses(429),
    tags=["widget"],
)
def widget_recommendations(
    request: Request,
    service: ServiceDep,
    key: WidgetKey,
    context: Annotated[
        str, Query(min_length=1, max_length=1000, description="What the customer is building.")
    ],
    country: Annotated[
        str | None, Query(description="ISO 3166-1 alpha-2 or a country name.")
    ] = None,
    languages: Annotated[
        list[str] | None, Query(description="Required languages, e.g. `de`.")
    ] = None,
    top_k: Annotated[int, Query(ge=1, le=10)] = 3,
) -> WidgetAnswer:
    """Partners, templates and integrations for what a customer is building in the product.

    Public profile fields only; allowed from the configured origins; rate-limited per key.
    """
    check_widget_origin(request)
    widget_rate_limit(request, key.key_id)
    suggestions = widget_suggestions(service, context, country, languages, top_k)
    return WidgetAnswer(partners=[WidgetPartner(**suggestion) for suggestion in suggestions])
