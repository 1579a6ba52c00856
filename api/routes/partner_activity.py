"""A partner's profile beyond its fields: its 4 Cs against the ICP and its recent activity.

Read-only, for the partner profile page (sellers and admins). The 4 Cs come from the live
engine's scorer (:meth:`matcher.engine.MatchingService.assess`); the activity from the audit
log and the feedback events (:func:`matcher.feedback.partner_activity`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import SellerKey, ServiceDep, StoreDep
from api.errors import Problem, problem_responses
from api.responses import PartnerActivity, PartnerFourCs
from api.routes.partners import PartnerIdPath
from matcher.feedback import partner_activity as activity_of

router = APIRouter(
    prefix="/partners",
    tags=["partners"],
    responses=problem_responses(400, 401, 403, 404, 422),
)


@router.get("/{partner_id}/four-cs", response_model=PartnerFourCs, responses=problem_responses(503))
def partner_four_cs(
    partner_id: PartnerIdPath, service: ServiceDep, _key: SellerKey
) -> dict[str, Any]:
    """The partner's Capacity, Capability, Commitment and Customer fit against the vendor's
    ideal customer profile (no deal), with the evidence behind each, by the ranking scorer."""
    assessed = service.assess(partner_id)
    if assessed is None:
        raise Problem(404, f"no partner with id {partner_id!r}")
    _, four_cs = assessed
    return {
        "partner_id": partner_id,
        "four_cs": four_cs.as_dict(),
        "evidence": {c: list(lines) for c, lines in four_cs.evidence.items()},
        "confidence": four_cs.confidence,
        "model_version": service.model_version or "",
    }


@router.get("/{partner_id}/activity", response_model=PartnerActivity)
def partner_activity(
    partner_id: PartnerIdPath,
    store: StoreDep,
    key: SellerKey,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    """The newest recommendations that ranked this partner (each with the feedback given on
    it), the newest feedback events about it, and feedback totals over every seller.

    A seller sees only the recommendations and feedback of its own key (another seller's deals
    stay private, as for `GET /v1/recommendations/{id}`); an admin sees everyone's.
    """
    if store.get_partner(partner_id) is None:
        raise Problem(404, f"no partner with id {partner_id!r}")
    return activity_of(store, partner_id, None if key.role == "admin" else key.key_id, limit)
