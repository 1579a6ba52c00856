"""Partners: read (internal roles), create/replace and delete (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.deps import AdminKey, InternalKey, SellerKey, ServiceDep, StoreDep
from api.errors import Problem, problem_responses
from api.responses import PartnerList, QuarterScorecard, Scorecard
from matcher.ipp import partner_quarters
from matcher.schemas import PARTNER_ID_RE, Partner
from matcher.store import PartnerFilter, Store

router = APIRouter(
    prefix="/partners",
    tags=["partners"],
    responses=problem_responses(400, 401, 403, 404, 413, 422),
)
# SQLite integers are 64-bit: a larger OFFSET overflowed into a 500.
MAX_OFFSET = 2**63 - 1
PartnerIdPath = Annotated[str, Path(pattern=PARTNER_ID_RE, description="The partner's stable id.")]


def _stored_partner(store: Store, partner_id: str) -> Partner:
    """The stored partner, or a 404 problem naming the id."""
    partner = store.get_partner(partner_id)
    if partner is None:
        raise Problem(404, f"no partner with id {partner_id!r}")
    return partner


@router.get("", response_model=PartnerList)
def list_partners(
    store: StoreDep,
    _key: InternalKey,
    partner_type: str | None = None,
    tier: str | None = None,
    language: Annotated[str | None, Query(description="ISO 639-1 code, e.g. `de`")] = None,
    country: Annotated[str | None, Query(description="ISO 3166-1 alpha-2, e.g. `DE`")] = None,
    industry: str | None = None,
    segment: str | None = None,
    certification: Annotated[str | None, Query(description="certification name or key")] = None,
    q: Annotated[str | None, Query(max_length=200, description="name contains")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> PartnerList:
    """Partners matching every given filter, ordered by id, with pagination."""
    filters = PartnerFilter.parse(
        partner_type=partner_type,
        tier=tier,
        language=language,
        country=country,
        industry=industry,
        segment=segment,
        certification=certification,
        name_contains=q,
    )
    page = store.list_partners(filters, offset=offset, limit=limit)
    return PartnerList(partners=page.partners, total=page.total, offset=offset, limit=limit)


@router.get("/{partner_id}", response_model=Partner)
def get_partner(partner_id: PartnerIdPath, store: StoreDep, _key: InternalKey) -> Partner:
    """One partner's full profile (internal fields included)."""
    return _stored_partner(store, partner_id)


@router.get("/{partner_id}/scorecard", response_model=Scorecard)
def partner_scorecard(partner_id: PartnerIdPath, store: StoreDep, _key: SellerKey) -> Scorecard:
    """Quarterly KPIs from the outcomes: deals sourced/transacted/influenced, pipeline,
    revenue, win rate (raw and shrunk toward the average), deal size, CSAT and a status."""
    quarters = partner_quarters(store, _stored_partner(store, partner_id))
    return Scorecard(partner_id=partner_id, quarters=[QuarterScorecard(**q) for q in quarters])


@router.put("/{partner_id}", response_model=Partner)
def put_partner(
    partner_id: PartnerIdPath, partner: Partner, service: ServiceDep, _key: AdminKey
) -> Partner:
    """Create or replace a partner; the live index is updated at once."""
    if partner.partner_id != partner_id:
        raise Problem(
            422,
            "partner_id in the body must match the URL",
            errors=[{"field": "partner_id", "message": f"expected {partner_id!r}"}],
        )
    service.upsert_partner(partner)
    return partner


@router.delete("/{partner_id}", status_code=204)
def delete_partner(partner_id: PartnerIdPath, service: ServiceDep, _key: AdminKey) -> Response:
    """Delete a partner; it is never recommended again."""
    if not service.delete_partner(partner_id):
        raise Problem(404, f"no partner with id {partner_id!r}")
    return Response(status_code=204)
