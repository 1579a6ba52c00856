"""POST /v1/recommendations/teams over the sample ecosystem: coverage, audit, bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from matcher.feedback import feedback_for

# no sample partner speaks both Chinese and Polish (no description: the fake embedder of the
# API tests matches no phrase to a specialism, so phrases would stay missing)
TWO_LANGUAGE_DEAL = {
    "industry": "manufacturing",
    "languages": ["zh", "pl"],
    "top_k": 3,
}


@pytest.fixture(scope="module")
def sample_app(sample_api) -> tuple[TestClient, dict[str, dict[str, str]]]:  # type: ignore[no-untyped-def]
    return sample_api.client, sample_api.headers


def test_a_deal_no_single_partner_meets_gets_a_team_covering_it(sample_app) -> None:  # type: ignore[no-untyped-def]
    client, headers = sample_app
    single = client.post("/v1/recommendations", json=TWO_LANGUAGE_DEAL, headers=headers["seller"])
    assert single.json()["results"] == []
    assert single.json()["team_available"] is True
    response = client.post(
        "/v1/recommendations/teams", json=TWO_LANGUAGE_DEAL, headers=headers["seller"]
    )
    assert response.status_code == 200
    answer = response.json()
    assert 1 <= len(answer["teams"]) <= 3
    best = answer["teams"][0]
    assert best["fully_covered"] and best["missing"] == []
    assert 2 <= len(best["members"]) <= 3
    store = client.app.state.store
    for key in ("languages:zh", "languages:pl"):
        member = best["covered_by"][key]
        assert any(m["partner_id"] == member and key in m["covers"] for m in best["members"])
        assert key.removeprefix("languages:") in store.get_partner(member).languages


def test_a_team_answer_is_in_the_audit_log_with_every_member(sample_app) -> None:  # type: ignore[no-untyped-def]
    client, headers = sample_app
    answer = client.post(
        "/v1/recommendations/teams", json=TWO_LANGUAGE_DEAL, headers=headers["seller"]
    ).json()
    record = client.get(
        f"/v1/recommendations/{answer['recommendation_id']}", headers=headers["seller"]
    ).json()
    assert record["channel"] == "teams"
    assert record["request"]["max_team_size"] == 3
    assert [r["partner_id"] for r in record["results"]] == [
        m["partner_id"] for team in answer["teams"] for m in team["members"]
    ]


@pytest.mark.parametrize("size", [0, 6, "three"])
def test_a_max_team_size_out_of_bounds_is_a_422_naming_the_field(sample_app, size) -> None:  # type: ignore[no-untyped-def]
    client, headers = sample_app
    response = client.post(
        "/v1/recommendations/teams",
        json={**TWO_LANGUAGE_DEAL, "max_team_size": size},
        headers=headers["seller"],
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "max_team_size" in response.text


def test_a_team_member_can_be_accepted_under_the_team_answer_id(sample_app) -> None:  # type: ignore[no-untyped-def]
    client, headers = sample_app
    answer = client.post(
        "/v1/recommendations/teams", json=TWO_LANGUAGE_DEAL, headers=headers["seller"]
    ).json()
    member = answer["teams"][0]["members"][1]["partner_id"]
    feedback = {"kind": "accepted", "recommendation_id": answer["recommendation_id"]}
    accepted = client.post(
        "/v1/feedback", json={**feedback, "partner_id": member}, headers=headers["seller"]
    )
    assert accepted.status_code in (200, 201), accepted.text


def test_a_whole_team_is_rejected_in_one_call_with_one_event_per_member(sample_app) -> None:  # type: ignore[no-untyped-def]
    client, headers = sample_app
    answer = client.post(
        "/v1/recommendations/teams", json=TWO_LANGUAGE_DEAL, headers=headers["seller"]
    ).json()
    team = answer["teams"][-1]
    body = {
        "kind": "rejected",
        "recommendation_id": answer["recommendation_id"],
        "team_rank": team["rank"],
        "reason": "wrong_region",
    }
    response = client.post("/v1/feedback/teams", json=body, headers=headers["seller"])
    assert response.status_code == 201, response.text
    recorded = response.json()["feedback_ids"]
    assert sorted(recorded) == sorted(m["partner_id"] for m in team["members"])
    store = client.app.state.store
    for partner_id, feedback_id in recorded.items():
        (event,) = [e for e in feedback_for(store, partner_id) if e["id"] == feedback_id]
        assert (event["kind"], event["reason"], event["recommendation_id"]) == (
            "rejected",
            "wrong_region",
            answer["recommendation_id"],
        )
        assert event["payload"] == {"team_rank": team["rank"]}


def test_team_feedback_on_a_rank_not_served_or_a_single_answer_is_a_422(sample_app) -> None:  # type: ignore[no-untyped-def]
    client, headers = sample_app
    teams = client.post(
        "/v1/recommendations/teams", json=TWO_LANGUAGE_DEAL, headers=headers["seller"]
    ).json()
    single = client.post(
        "/v1/recommendations", json={"industry": "manufacturing"}, headers=headers["seller"]
    ).json()
    cases = [
        ({"recommendation_id": teams["recommendation_id"], "team_rank": 99}, "team_rank"),
        ({"recommendation_id": single["recommendation_id"], "team_rank": 1}, "recommendation_id"),
        ({"recommendation_id": teams["recommendation_id"], "team_rank": "1"}, "team_rank"),
    ]
    for fields, named in cases:
        response = client.post(
            "/v1/feedback/teams", json={"kind": "accepted", **fields}, headers=headers["seller"]
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"].endswith(named)
    rejected = client.post(
        "/v1/feedback/teams",
        json={"kind": "rejected", "recommendation_id": teams["recommendation_id"], "team_rank": 1},
        headers=headers["seller"],
    )
    assert rejected.status_code == 422 and "reason" in rejected.text
