from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from matcher.audit import record_recommendation
from matcher.feedback import feedback_for
from matcher.schemas import Partner


@pytest.fixture(autouse=True)
def served(client: TestClient) -> None:
    """Partner P-1 and a served recommendation r_1 ranking it: what feedback may refer to."""
    store = client.app.state.store  # type: ignore[attr-defined]
    store.upsert_partners([Partner(partner_id="P-1", name="Acme", partner_type="isv")])
    answer = {
        "recommendation_id": "r_1",
        "model_version": "test",
        "index_version": "test",
        "results": [{"partner_id": "P-1", "rank": 1, "score": 0.5}],
    }
    record_recommendation(store, {"description": "ERP"}, answer, None)


def test_a_rejection_with_reason_is_stored(
    client: TestClient, role_keys: dict[str, dict[str, str]]
) -> None:
    body = {
        "kind": "rejected",
        "recommendation_id": "r_1",
        "partner_id": "P-1",
        "reason": "no_capacity",
    }
    response = client.post("/v1/feedback", json=body, headers=role_keys["seller"])
    assert response.status_code == 201, response.text
    events = feedback_for(client.app.state.store, "P-1")  # type: ignore[attr-defined]
    assert [(e["kind"], e["reason"], e["recommendation_id"]) for e in events] == [
        ("rejected", "no_capacity", "r_1")
    ]


def test_a_rejection_without_reason_is_refused(
    client: TestClient, role_keys: dict[str, dict[str, str]]
) -> None:
    body = {"kind": "rejected", "recommendation_id": "r_1", "partner_id": "P-1"}
    response = client.post("/v1/feedback", json=body, headers=role_keys["seller"])
    assert response.status_code == 422
    assert "needs a reason" in response.json()["detail"]


def test_an_unknown_reason_code_names_the_field(
    client: TestClient, role_keys: dict[str, dict[str, str]]
) -> None:
    body = {"kind": "rejected", "recommendation_id": "r_1", "partner_id": "P-1", "reason": "meh"}
    response = client.post("/v1/feedback", json=body, headers=role_keys["seller"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"


def test_an_outcome_needs_deal_and_result(
    client: TestClient, role_keys: dict[str, dict[str, str]]
) -> None:
    good = {"kind": "outcome", "deal_id": "D-1", "partner_id": "P-1", "won": True}
    assert client.post("/v1/feedback", json=good, headers=role_keys["seller"]).status_code == 201
    bad = {"kind": "outcome", "partner_id": "P-1"}
    assert client.post("/v1/feedback", json=bad, headers=role_keys["seller"]).status_code == 422


def test_recruiters_and_widgets_cannot_post_feedback(
    client: TestClient, role_keys: dict[str, dict[str, str]]
) -> None:
    body = {"kind": "outcome", "deal_id": "D-1", "partner_id": "P-1", "won": True}
    for role in ("recruiter", "widget"):
        assert client.post("/v1/feedback", json=body, headers=role_keys[role]).status_code == 403


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("partner_id", {"kind": "outcome", "deal_id": "D-1", "partner_id": "P-404", "won": True}),
        (
            "recommendation_id",
            {"kind": "accepted", "recommendation_id": "r_404", "partner_id": "P-1"},
        ),
    ],
)
def test_feedback_naming_an_unknown_partner_or_recommendation_is_refused_and_not_stored(
    client: TestClient, role_keys: dict[str, dict[str, str]], field: str, body: dict[str, object]
) -> None:
    response = client.post("/v1/feedback", json=body, headers=role_keys["seller"])
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    store = client.app.state.store  # type: ignore[attr-defined]
    assert feedback_for(store, str(body["partner_id"])) == []
