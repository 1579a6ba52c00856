"""Partnermatch as MCP tools, over the same ``matcher`` calls and role checks as REST.

An agent in a CRM asks "which partner for this opportunity?"; these tools answer it. Each
tool resolves the caller's key (stdio: ``PARTNERMATCH_API_KEY``; HTTP: the Bearer header of
the request), checks its role with :func:`api.deps.check_role`, the function the REST routes
use, and turns a :class:`api.errors.Problem` into a tool error with the same message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from api.deps import INTERNAL, RECRUITER, SELLER, check_role
from api.errors import Problem
from matcher.audit import get_recommendation, record_recommendation, record_teams
from matcher.engine import MatchingService, widget_suggestions
from matcher.engine.teams import TeamDeal
from matcher.feedback import (
    Feedback,
    TeamFeedback,
    check_known,
    record_feedback,
    record_team_feedback,
)
from matcher.ipp import partner_quarters
from matcher.keys import ApiKey, verify_key
from matcher.recruiting import RecruitingService
from matcher.schemas import Deal, Prospect
from matcher.store import Store
from matcher.taxonomy import UnknownValueError

T = TypeVar("T")
KeyResolver = Callable[[Context], ApiKey]
INSTRUCTIONS = """Partner matching for partner ecosystems. Use recommend_partners with a deal
(prose in `description` is enough) to get ranked partners with evidence and a reason each;
explain_recommendation to revisit a served answer; score_prospect to screen a would-be partner;
record_feedback when a seller accepts or rejects a suggested partner. When a deal needs what no
single partner has (recommend_partners says team_available), recommend_teams proposes partners
who together cover it, and record_team_feedback accepts or rejects a whole team."""


@dataclass(frozen=True)
class Backends:
    """What the tools call: the store and the long-lived services a server holds."""

    store: Store
    service: MatchingService
    recruiting: RecruitingService


def key_from_headers(store: Store, headers: Mapping[str, str] | None) -> ApiKey:
    """The active key named by an ``Authorization: Bearer`` header, else a 401 problem."""
    scheme, _, token = (headers or {}).get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "an API key is required: Authorization: Bearer <key>")
    key = verify_key(store, token.strip())
    if key is None:
        raise Problem(401, "the API key is unknown or revoked")
    return key


async def _serve(work: Callable[[], T]) -> T:
    """Run blocking ``matcher`` work off the event loop; a problem becomes a tool error."""
    try:
        return await anyio.to_thread.run_sync(work)
    except Problem as problem:
        raise ToolError(problem.detail) from problem
    except UnknownValueError as error:  # a 422 naming the field on REST
        raise ToolError(str(error)) from error


def build_mcp_server(backends: Backends, resolve_key: KeyResolver) -> MCPServer:
    """The MCP server with the partnermatch tools, keys resolved by ``resolve_key``."""
    server = MCPServer("partnermatch", instructions=INSTRUCTIONS)
    store, service = backends.store, backends.service

    async def authorised(ctx: Context, roles: tuple[str, ...]) -> ApiKey:
        return await _serve(lambda: check_role(resolve_key(ctx), roles))

    @server.tool()
    async def recommend_partners(deal: Deal, ctx: Context) -> dict[str, Any]:
        """Rank the partners that fit a deal, best first, with 4 Cs, evidence and a reason each.

        Give at least one of description (prose is fine), industry or specialisms. With
        strict (default) languages, certifications, partner types and country are hard
        constraints; an empty answer's funnel says which one emptied it. A widget key gets
        public profile fields only.
        """
        key = await authorised(ctx, (*SELLER, "widget"))
        if key.role == "widget":
            return {"partners": await _serve(lambda: _widget_answer(backends, key, deal))}

        def answer() -> dict[str, Any]:
            result = service.recommend(deal)
            record_recommendation(store, deal.model_dump(mode="json"), result, key.key_id, "mcp")
            return result

        return await _serve(answer)

    @server.tool()
    async def recommend_teams(deal: TeamDeal, ctx: Context) -> dict[str, Any]:
        """Teams of up to max_team_size partners (default 3) who together cover a deal no
        single partner may: for each requirement (language, certification, partner type,
        country, specialism phrase) the member who covers it, and what none covers."""
        key = await authorised(ctx, SELLER)

        def answer() -> dict[str, Any]:
            result = service.teams(deal, deal.max_team_size)
            record_teams(store, deal.model_dump(mode="json"), result, key.key_id)
            return result

        return await _serve(answer)

    @server.tool()
    async def explain_recommendation(
        recommendation_id: Annotated[
            str, Field(max_length=64, description="From recommend_partners.")
        ],
        partner_id: Annotated[str, Field(max_length=64, description="A partner in that answer.")],
        ctx: Context,
    ) -> dict[str, Any]:
        """What was served for one partner in a past recommendation: the deal, model and index
        versions, rank, score, reason, evidence and 4 Cs as they were then."""
        key = await authorised(ctx, SELLER)

        def explain() -> dict[str, Any]:
            record = get_recommendation(store, recommendation_id)
            # As GET /v1/recommendations/{id}: another seller's record does not exist for you.
            if record is None or (key.role != "admin" and record["key_id"] != key.key_id):
                raise Problem(404, f"no recommendation with id {recommendation_id!r}")
            served = [r for r in record["results"] if r["partner_id"] == partner_id]
            if not served:
                raise Problem(
                    404, f"partner {partner_id!r} is not in recommendation {recommendation_id!r}"
                )
            return {
                **{
                    k: record[k]
                    for k in (
                        "recommendation_id",
                        "created_at",
                        "request",
                        "model_version",
                        "index_version",
                    )
                },
                "result": served[0],
            }

        return await _serve(explain)

    @server.tool()
    async def score_prospect(prospect: Prospect, ctx: Context) -> dict[str, Any]:
        """Score a would-be partner against the Ideal Partner Profile: 4 Cs with evidence,
        overall, band, gaps, suggested tier and the existing top performers it looks like."""
        await authorised(ctx, RECRUITER)
        return await _serve(lambda: backends.recruiting.score(prospect, {}))

    @server.tool(name="record_feedback")
    async def feedback_tool(feedback: Feedback, ctx: Context) -> dict[str, int]:
        """Record that a seller accepted or rejected a recommended partner (a rejection needs a
        reason code), or a deal's outcome with that partner."""
        key = await authorised(ctx, SELLER)

        def store_known() -> int:
            # as POST /v1/feedback: an unknown partner or recommendation is refused, not trained on
            check_known(store, feedback)
            return record_feedback(store, feedback, key.key_id)

        return {"feedback_id": await _serve(store_known)}

    @server.tool(name="record_team_feedback")
    async def team_feedback_tool(feedback: TeamFeedback, ctx: Context) -> dict[str, Any]:
        """Accept or reject a whole team of a recommend_teams answer (its team_rank): one
        event per member; a rejection needs a reason code."""
        key = await authorised(ctx, SELLER)
        ids = await _serve(lambda: record_team_feedback(store, feedback, key.key_id))
        return {"feedback_ids": ids}

    @server.tool()
    async def get_partner(
        partner_id: Annotated[str, Field(max_length=64, description="The partner's stable id.")],
        ctx: Context,
    ) -> dict[str, Any]:
        """One partner's profile: internal fields for internal keys, public ones for widgets."""
        key = await authorised(ctx, (*INTERNAL, "widget"))
        partner = await _serve(lambda: _stored(store, partner_id))
        return partner.public() if key.role == "widget" else partner.model_dump(mode="json")

    @server.tool()
    async def get_scorecard(
        partner_id: Annotated[str, Field(max_length=64, description="The partner's stable id.")],
        ctx: Context,
    ) -> dict[str, Any]:
        """A partner's quarterly KPIs from the outcomes (deals, win rate, revenue, CSAT, status)."""
        await authorised(ctx, SELLER)
        quarters = await _serve(lambda: partner_quarters(store, _stored(store, partner_id)))
        return {"partner_id": partner_id, "quarters": quarters}

    return server


def _stored(store: Store, partner_id: str) -> Any:
    """The stored partner, or the REST API's 404 problem naming the id."""
    partner = store.get_partner(partner_id)
    if partner is None:
        raise Problem(404, f"no partner with id {partner_id!r}")
    return partner


def _widget_answer(backends: Backends, key: ApiKey, deal: Deal) -> list[dict[str, Any]]:
    """The widget's public-fields answer for a deal's description, as the widget route gives."""
    return widget_suggestions(
        backends.service,
        deal.description or "",
        deal.country,
        deal.languages,
        deal.top_k,
        key_id=key.key_id,
        channel="mcp",
    )
