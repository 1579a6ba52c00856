"""The MCP tools end to end with the SDK's own client: over HTTP at ``/mcp`` on a real uvicorn
server, and over stdio against ``partnermatch mcp`` in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters

from matcher import keys
from matcher.audit import get_recommendation
from matcher.ingest import ingest
from matcher.settings import Settings
from matcher.store import Store
from tests.api.conftest import REPO, SAMPLE
from tests.api.live import Served

DEAL = {
    "description": "Roll out portfolio management for a German manufacturer",
    "country": "DE",
    "languages": ["de"],
    "top_k": 5,
}
TOOLS = {
    "recommend_partners",
    "explain_recommendation",
    "score_prospect",
    "record_feedback",
    "get_partner",
    "get_scorecard",
    "recommend_teams",
    "record_team_feedback",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with Served(tmp_path_factory.mktemp("home")) as running:
        yield running


def payload(result: Any) -> Any:
    """A tool result's JSON (the text block the SDK sends alongside structured content)."""
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)


def error_text(result: Any) -> str:
    assert result.is_error
    return str(result.content[0].text)


@pytest.mark.anyio
async def test_http_tools_match_rest_and_are_audited(served: Served) -> None:
    rest = httpx.post(
        f"{served.url}/v1/recommendations",
        json=DEAL,
        headers={"Authorization": f"Bearer {served.keys['seller']}"},
        timeout=30,
    )
    assert rest.status_code == 200, rest.text
    async with served.client("seller") as client:
        listed = await client.list_tools()
        assert {tool.name for tool in listed.tools} == TOOLS
        schema = next(t for t in listed.tools if t.name == "recommend_partners").input_schema
        assert "deal" in schema["properties"]
        answer = payload(await client.call_tool("recommend_partners", {"deal": DEAL}))
    top = [r["partner_id"] for r in answer["results"]]
    assert top and top == [r["partner_id"] for r in rest.json()["results"]]
    record = get_recommendation(served.app.state.store, answer["recommendation_id"])
    assert record is not None and record["channel"] == "mcp"
    assert [r["partner_id"] for r in record["results"]] == top
    assert [r["reason"] for r in record["results"]] == [r["reason"] for r in answer["results"]]

    async with served.client("seller") as client:
        explained = payload(
            await client.call_tool(
                "explain_recommendation",
                {"recommendation_id": answer["recommendation_id"], "partner_id": top[0]},
            )
        )
        assert explained["result"]["rank"] == 1 and explained["request"]["country"] == "DE"
        assert explained["result"]["reason"] == answer["results"][0]["reason"]
        assert explained["result"]["evidence"] == answer["results"][0]["evidence"]
        feedback = payload(
            await client.call_tool(
                "record_feedback",
                {
                    "feedback": {
                        "kind": "accepted",
                        "recommendation_id": answer["recommendation_id"],
                        "partner_id": top[0],
                    }
                },
            )
        )
        assert feedback["feedback_id"] >= 1
        unknown = await client.call_tool(
            "record_feedback",
            {"feedback": {"kind": "accepted", "recommendation_id": "r_nope", "partner_id": top[0]}},
        )
        assert unknown.is_error and "recommendation_id" in error_text(unknown)
        card = payload(await client.call_tool("get_scorecard", {"partner_id": top[0]}))
        assert card["partner_id"] == top[0] and "quarters" in card

    # As GET /v1/recommendations/{id}: admins read any record, another seller none.
    asked = {"recommendation_id": answer["recommendation_id"], "partner_id": top[0]}
    async with served.client("admin") as admin:
        assert not (await admin.call_tool("explain_recommendation", asked)).is_error
    served.keys["other_seller"] = keys.create_key(served.app.state.store, "seller")[1]
    async with served.client("other_seller") as other:
        hidden = await other.call_tool("explain_recommendation", asked)
        assert error_text(hidden).endswith(
            f"no recommendation with id {asked['recommendation_id']!r}"
        )


@pytest.mark.anyio
async def test_http_teams_are_served_audited_and_judged_as_a_whole(served: Served) -> None:
    deal = {"industry": "manufacturing", "languages": ["zh", "pl"], "top_k": 2}
    async with served.client("seller") as client:
        answer = payload(await client.call_tool("recommend_teams", {"deal": deal}))
        best = answer["teams"][0]
        assert best["fully_covered"] and len(best["members"]) >= 2
        record = get_recommendation(served.app.state.store, answer["recommendation_id"])
        assert record is not None and record["channel"] == "teams"
        verdict = {"kind": "accepted", "recommendation_id": answer["recommendation_id"]}
        judged = payload(
            await client.call_tool(
                "record_team_feedback", {"feedback": {**verdict, "team_rank": best["rank"]}}
            )
        )
        assert sorted(judged["feedback_ids"]) == sorted(m["partner_id"] for m in best["members"])
        unserved = await client.call_tool(
            "record_team_feedback", {"feedback": {**verdict, "team_rank": 99}}
        )
        assert "team_rank" in error_text(unserved)
    async with served.client("widget") as client:
        refused = await client.call_tool("recommend_teams", {"deal": deal})
        assert "a widget key may not use this endpoint" in error_text(refused)


@pytest.mark.anyio
async def test_http_roles_limit_tools_as_rest_does(served: Served) -> None:
    partner_id = "P-000001"
    rest = httpx.post(
        f"{served.url}/v1/recommendations",
        json=DEAL,
        headers={"Authorization": f"Bearer {served.keys['recruiter']}"},
    )
    assert rest.status_code == 403
    async with served.client("recruiter") as client:
        refused = await client.call_tool("recommend_partners", {"deal": DEAL})
        assert rest.json()["detail"].startswith("a recruiter key may not use this endpoint")
        assert "a recruiter key may not use this endpoint" in error_text(refused)
    async with served.client("widget") as client:
        public = payload(await client.call_tool("get_partner", {"partner_id": partner_id}))
        assert public["name"] and "revenue_12m" not in public and "csat" not in public
        widget = payload(await client.call_tool("recommend_partners", {"deal": DEAL}))
        assert widget["partners"] and "revenue_12m" not in widget["partners"][0]
        scorecard = await client.call_tool("get_scorecard", {"partner_id": partner_id})
        assert "a widget key may not use this endpoint" in error_text(scorecard)
    async with served.client("admin") as client:
        missing = await client.call_tool("get_partner", {"partner_id": "P-NOPE"})
        assert error_text(missing).endswith("no partner with id 'P-NOPE'")
    async with served.client(None) as client:
        anonymous = await client.call_tool("get_partner", {"partner_id": partner_id})
        assert "API key is required" in error_text(anonymous)


@pytest.mark.anyio
async def test_stdio_server_answers_with_the_environment_key(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings(home=home)
    sample = tmp_path / "partners.csv"
    lines = (SAMPLE / "partners.csv").read_text().splitlines(keepends=True)
    sample.write_text("".join(lines[:121]))
    db = Store.from_settings(settings)
    ingest(db, "partners", sample)
    shutil.copytree(REPO / "models" / "ipp-0001", settings.resolved_models_dir / "ipp-0001")
    seller = keys.create_key(db, "seller")[1]
    params = StdioServerParameters(
        command=str(Path(sys.executable).with_name("partnermatch")),
        args=["mcp"],
        env={**os.environ, "PARTNERMATCH_HOME": str(home), "PARTNERMATCH_API_KEY": seller},
    )
    async with Client(params, read_timeout_seconds=120) as client:
        assert {tool.name for tool in (await client.list_tools()).tools} == TOOLS
        answer = payload(await client.call_tool("recommend_partners", {"deal": DEAL}))
    assert answer["results"]
    record = get_recommendation(db, answer["recommendation_id"])
    assert record is not None and record["channel"] == "mcp"
