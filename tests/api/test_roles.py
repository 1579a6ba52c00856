"""The role matrix: every role against every endpoint (allowed → 2xx, else 403; no key → 401)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from matcher import keys
from matcher.webhooks import create_webhook

DEAL = {"description": "ERP data migration", "country": "DE", "top_k": 2}
PROFILE = {"partner_id": "P-ROLE", "name": "Role Test", "partner_type": "isv"}
PROSPECT = {"partner_id": "N-1", "name": "Newco", "partner_type": "msp", "countries": ["DE"]}

Call = Callable[[TestClient, dict[str, str]], Response]


def _recommendation_id(client: TestClient, admin: dict[str, str], route: str = "") -> str:
    answer = client.post(f"/v1/recommendations{route}", json=DEAL, headers=admin).json()
    return str(answer["recommendation_id"])


# A receiver on the discard port of loopback (allowed in the sample API's settings): deliveries
# to it fail fast, which this test does not look at.
HOOK = "http://127.0.0.1:9/hook"
EVENTS = ["feedback.recorded"]


def _webhook_id(client: TestClient) -> str:
    """A fresh subscription, registered directly, for the routes that need one."""
    store = client.app.state.store  # type: ignore[attr-defined]
    return str(create_webhook(store, HOOK, EVENTS, ["127.0.0.1"])["webhook_id"])


def _batch_id(client: TestClient) -> str:
    """A fresh saved screening batch of one prospect (N-1), made directly."""
    recruiting = client.app.state.recruiting  # type: ignore[attr-defined]
    return str(recruiting.save_batch("roles", [(2, PROSPECT)]))


ENDPOINTS: dict[str, tuple[set[str], Call]] = {
    "POST /v1/recommendations": (
        {"admin", "seller"},
        lambda c, h: c.post("/v1/recommendations", json=DEAL, headers=h),
    ),
    "POST /v1/recommendations/teams": (
        {"admin", "seller"},
        lambda c, h: c.post("/v1/recommendations/teams", json=DEAL, headers=h),
    ),
    "GET /v1/recommendations/{id}": (
        {"admin", "seller"},
        lambda c, h: c.get(f"/v1/recommendations/{c.app.state.recommendation_id}", headers=h),  # type: ignore[attr-defined]
    ),
    "GET /v1/widget/recommendations": (
        {"widget"},
        lambda c, h: c.get("/v1/widget/recommendations", params={"context": "crm"}, headers=h),
    ),
    "GET /v1/partners": (
        {"admin", "seller", "recruiter"},
        lambda c, h: c.get("/v1/partners", headers=h),
    ),
    "GET /v1/partners/{id}": (
        {"admin", "seller", "recruiter"},
        lambda c, h: c.get("/v1/partners/P-000001", headers=h),
    ),
    "PUT /v1/partners/{id}": (
        {"admin"},
        lambda c, h: c.put("/v1/partners/P-ROLE", json=PROFILE, headers=h),
    ),
    "DELETE /v1/partners/{id}": (
        {"admin"},
        lambda c, h: c.delete("/v1/partners/P-000999", headers=h),
    ),
    "POST /v1/feedback": (
        {"admin", "seller"},
        lambda c, h: c.post(
            "/v1/feedback",
            json={"kind": "outcome", "deal_id": "D-1", "partner_id": "P-000001", "won": True},
            headers=h,
        ),
    ),
    "POST /v1/feedback/teams": (
        {"admin", "seller"},
        lambda c, h: c.post(
            "/v1/feedback/teams",
            json={"kind": "accepted", "recommendation_id": c.app.state.teams_id, "team_rank": 1},  # type: ignore[attr-defined]
            headers=h,
        ),
    ),
    "POST /v1/index/rebuild": ({"admin"}, lambda c, h: c.post("/v1/index/rebuild", headers=h)),
    "GET /v1/partners/{id}/scorecard": (
        {"admin", "seller"},
        lambda c, h: c.get("/v1/partners/P-000001/scorecard", headers=h),
    ),
    "GET /v1/partners/{id}/four-cs": (
        {"admin", "seller"},
        lambda c, h: c.get("/v1/partners/P-000001/four-cs", headers=h),
    ),
    "GET /v1/partners/{id}/activity": (
        {"admin", "seller"},
        lambda c, h: c.get("/v1/partners/P-000001/activity", headers=h),
    ),
    "POST /v1/prospects/score": (
        {"admin", "recruiter"},
        lambda c, h: c.post("/v1/prospects/score", json=PROSPECT, headers=h),
    ),
    "POST /v1/prospects/screen": (
        {"admin", "recruiter"},
        lambda c, h: c.post("/v1/prospects/screen", json=[PROSPECT], headers=h),
    ),
    "POST /v1/screening-batches": (
        {"admin", "recruiter"},
        lambda c, h: c.post("/v1/screening-batches", json=[PROSPECT], headers=h),
    ),
    "GET /v1/screening-batches": (
        {"admin", "recruiter"},
        lambda c, h: c.get("/v1/screening-batches", headers=h),
    ),
    "GET /v1/screening-batches/{id}": (
        {"admin", "recruiter"},
        lambda c, h: c.get(f"/v1/screening-batches/{_batch_id(c)}", headers=h),
    ),
    "DELETE /v1/screening-batches/{id}": (
        {"admin", "recruiter"},
        lambda c, h: c.delete(f"/v1/screening-batches/{_batch_id(c)}", headers=h),
    ),
    "GET /v1/screening-batches/{id}/prospects": (
        {"admin", "recruiter"},
        lambda c, h: c.get(f"/v1/screening-batches/{_batch_id(c)}/prospects", headers=h),
    ),
    "GET /v1/screening-batches/{id}/csv": (
        {"admin", "recruiter"},
        lambda c, h: c.get(f"/v1/screening-batches/{_batch_id(c)}/csv", headers=h),
    ),
    "PATCH /v1/screening-batches/{id}/prospects/{id}": (
        {"admin", "recruiter"},
        lambda c, h: c.patch(
            f"/v1/screening-batches/{_batch_id(c)}/prospects/N-1",
            json={"status": "contacted"},
            headers=h,
        ),
    ),
    "PUT /v1/screening-batches/{id}/weights": (
        {"admin", "recruiter"},
        lambda c, h: c.put(
            f"/v1/screening-batches/{_batch_id(c)}/weights", json={"capacity": 50}, headers=h
        ),
    ),
    "GET /v1/models": ({"admin"}, lambda c, h: c.get("/v1/models", headers=h)),
    "POST /v1/models/{version}/promote": (
        {"admin"},
        lambda c, h: c.post("/v1/models/ipp-0001/promote", headers=h),
    ),
    "POST /v1/webhooks": (
        {"admin"},
        lambda c, h: c.post("/v1/webhooks", json={"url": HOOK, "events": EVENTS}, headers=h),
    ),
    "GET /v1/webhooks": ({"admin"}, lambda c, h: c.get("/v1/webhooks", headers=h)),
    "DELETE /v1/webhooks/{id}": (
        {"admin"},
        lambda c, h: c.delete(f"/v1/webhooks/{_webhook_id(c)}", headers=h),
    ),
    "POST /v1/webhooks/{id}/rotate": (
        {"admin"},
        lambda c, h: c.post(f"/v1/webhooks/{_webhook_id(c)}/rotate", headers=h),
    ),
    "GET /v1/webhooks/{id}/deliveries": (
        {"admin"},
        lambda c, h: c.get(f"/v1/webhooks/{_webhook_id(c)}/deliveries", headers=h),
    ),
}


@pytest.fixture(scope="module")
def matrix_app(sample_api) -> tuple[TestClient, dict[str, dict[str, str]]]:
    client, headers = sample_api.client, sample_api.headers
    client.app.state.recommendation_id = _recommendation_id(client, headers["seller"])  # type: ignore[attr-defined]
    client.app.state.teams_id = _recommendation_id(client, headers["seller"], "/teams")  # type: ignore[attr-defined]
    return client, headers


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("role", keys.ROLES)
def test_role_matrix(matrix_app, endpoint: str, role: str) -> None:
    client, headers = matrix_app
    allowed, call = ENDPOINTS[endpoint]
    response = call(client, headers[role])
    if role in allowed:
        assert 200 <= response.status_code < 300, (endpoint, role, response.text)
    else:
        assert response.status_code == 403, (endpoint, role, response.text)
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_no_key_is_401_everywhere(matrix_app, endpoint: str) -> None:
    client, _ = matrix_app
    _, call = ENDPOINTS[endpoint]
    assert call(client, {}).status_code == 401


def test_every_v1_route_is_in_the_matrix(matrix_app) -> None:
    client, _ = matrix_app
    paths = client.get("/openapi.json").json()["paths"]
    routes = {
        f"{method.upper()} {path}".replace("{partner_id}", "{id}")
        .replace("{recommendation_id}", "{id}")
        .replace("{webhook_id}", "{id}")
        .replace("{batch_id}", "{id}")
        for path, operations in paths.items()
        if path.startswith("/v1/")
        for method in operations
    }
    assert routes == set(ENDPOINTS)
