"""The partner profile's reads: 4 Cs against the ICP, and the recent activity (each seller sees
its own recommendations and feedback, an admin everyone's, totals count every seller); the
website and contact fields."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from matcher import keys
from matcher.audit import recommendations_for_partner

pytestmark = pytest.mark.both_databases

PROFILE = {
    "partner_id": "P_1",
    "name": "Acme Integration",
    "partner_type": "system_integrator",
    "description": "ERP data migration for manufacturers",
    "languages": ["de"],
    "countries": ["DE"],
    "industries": ["manufacturing"],
    "employees": 40,
    "certified_staff": 6,
}
OTHER = {**PROFILE, "partner_id": "PX1", "name": "Other Integration"}
DEAL = {"description": "ERP data migration for a manufacturer", "top_k": 5}


@pytest.fixture
def profiled(client: TestClient, role_keys: dict[str, dict[str, str]]) -> TestClient:
    for profile in (PROFILE, OTHER):
        response = client.put(
            f"/v1/partners/{profile['partner_id']}", json=profile, headers=role_keys["admin"]
        )
        assert response.status_code == 200, response.text
    client.app.state.service.rebuild()  # type: ignore[attr-defined]  # the first write starts one aside
    return client


def _recommend(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post("/v1/recommendations", json=DEAL, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_four_cs_against_the_icp_with_evidence_per_c(profiled, role_keys) -> None:
    response = profiled.get("/v1/partners/P_1/four-cs", headers=role_keys["seller"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body["four_cs"]) == {"capacity", "capability", "commitment", "customer_fit"}
    assert all(0 <= v <= 100 for v in body["four_cs"].values())
    assert "6 certified staff of 40" in body["evidence"]["capacity"]
    assert any("target regions" in line for line in body["evidence"]["customer_fit"])
    assert body["model_version"] == "matrix-default"
    assert 0 <= body["confidence"] <= 1


def test_unknown_partners_are_404_problems(profiled, role_keys) -> None:
    for path in ("/v1/partners/P-NONE/four-cs", "/v1/partners/P-NONE/activity"):
        response = profiled.get(path, headers=role_keys["seller"])
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert "P-NONE" in response.json()["detail"]


def test_activity_shows_a_seller_its_own_deals_and_an_admin_everyones(
    profiled: TestClient, role_keys
) -> None:
    store = profiled.app.state.store  # type: ignore[attr-defined]
    mine = role_keys["seller"]
    theirs = {"Authorization": f"Bearer {keys.create_key(store, 'seller')[1]}"}
    asked = _recommend(profiled, mine)
    _recommend(profiled, theirs)
    for headers, reason in ((mine, "no_capacity"), (theirs, "wrong_region")):
        latest = _recommend(profiled, headers) if headers is theirs else asked
        sent = profiled.post(
            "/v1/feedback",
            json={
                "kind": "rejected",
                "reason": reason,
                "recommendation_id": latest["recommendation_id"],
                "partner_id": "P_1",
            },
            headers=headers,
        )
        assert sent.status_code == 201, sent.text

    seen = profiled.get("/v1/partners/P_1/activity", headers=mine).json()
    assert [r["recommendation_id"] for r in seen["recommendations"]] == [asked["recommendation_id"]]
    (record,) = seen["recommendations"]
    assert record["request"]["description"] == DEAL["description"]
    assert record["rank"] in (1, 2) and record["results"] == 2
    assert [(f["kind"], f["reason"]) for f in record["feedback"]] == [("rejected", "no_capacity")]
    assert [f["reason"] for f in seen["feedback"]] == ["no_capacity"]
    # the totals count every seller's answers, without saying whose
    assert seen["totals"] == {
        "accepted": 0,
        "rejected": 2,
        "rejected_by_reason": {"no_capacity": 1, "wrong_region": 1},
        "won": 0,
        "lost": 0,
    }

    everyone = profiled.get("/v1/partners/P_1/activity", headers=role_keys["admin"]).json()
    assert len(everyone["recommendations"]) == 3
    created = [r["created_at"] for r in everyone["recommendations"]]
    assert created == sorted(created, reverse=True)
    assert {f["reason"] for f in everyone["feedback"]} == {"no_capacity", "wrong_region"}
    limited = profiled.get("/v1/partners/P_1/activity?limit=1", headers=role_keys["admin"])
    assert len(limited.json()["recommendations"]) == 1
    assert profiled.get("/v1/partners/P_1/activity?limit=0", headers=mine).status_code == 422


def test_the_log_search_matches_the_whole_id_only(profiled, role_keys) -> None:
    """``P_1`` holds a LIKE wildcard: ``PX1`` in an answer must not count as ``P_1``."""
    store = profiled.app.state.store  # type: ignore[attr-defined]
    answer = _recommend(profiled, role_keys["seller"])
    assert {r["partner_id"] for r in answer["results"]} == {"P_1", "PX1"}
    profiled.delete("/v1/partners/P_1", headers=role_keys["admin"])
    _recommend(profiled, role_keys["seller"])  # PX1 alone now
    found = recommendations_for_partner(store, "P_1")
    assert [r["recommendation_id"] for r in found] == [answer["recommendation_id"]]
    assert len(recommendations_for_partner(store, "PX1")) == 2
    assert recommendations_for_partner(store, "P%1") == []


def test_website_and_contact_are_stored_with_a_scheme(profiled, role_keys) -> None:
    profile = {**PROFILE, "website": "acme.example/partners", "contact": "Jo Lind, jo@acme.example"}
    response = profiled.put("/v1/partners/P_1", json=profile, headers=role_keys["admin"])
    assert response.status_code == 200, response.text
    stored = profiled.get("/v1/partners/P_1", headers=role_keys["seller"]).json()
    assert stored["website"] == "https://acme.example/partners"
    assert stored["contact"] == "Jo Lind, jo@acme.example"
    bad = profiled.put(
        "/v1/partners/P_1",
        json={**PROFILE, "website": "ftp://acme.example"},
        headers=role_keys["admin"],
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["website"]


def test_the_page_routes_serve_the_profile_page(profiled) -> None:
    page = profiled.get("/partners/P_1")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/static/vendor/uplot/uPlot.iife.min.js" in page.text
    assert profiled.get("/static/vendor/uplot/LICENSE").status_code == 200
    options = profiled.get("/ui/options.json").json()
    assert options["score_bands"] == {"strong_fit": 65.0, "possible_fit": 45.0}
