from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.both_databases

PROFILE = {
    "partner_id": "P-1",
    "name": "Acme Integration",
    "partner_type": "System Integrator",
    "languages": ["German", "en"],
    "countries": ["DACH"],
    "industries": ["Manufacturing"],
    "certifications": ["Certified Solution Partner:3"],
    "revenue_12m": 1200000,
}


def test_admin_puts_then_anyone_internal_reads_the_normalised_partner(
    client: TestClient, role_keys: dict[str, dict[str, str]]
) -> None:
    response = client.put("/v1/partners/P-1", json=PROFILE, headers=role_keys["admin"])
    assert response.status_code == 200, response.text
    for role in ("admin", "seller", "recruiter"):
        fetched = client.get("/v1/partners/P-1", headers=role_keys[role])
        assert fetched.status_code == 200
        assert fetched.json()["languages"] == ["de", "en"]
        assert fetched.json()["countries"] == ["DE", "AT", "CH"]


def test_paused_until_round_trips_through_put(
    client: TestClient, role_keys: dict[str, dict[str, str]]
) -> None:
    paused = {**PROFILE, "paused_until": "2031-01-31"}
    response = client.put("/v1/partners/P-1", json=paused, headers=role_keys["admin"])
    assert response.status_code == 200, response.text
    assert response.json()["paused_until"] == "2031-01-31"
    assert client.get("/v1/partners/P-1", headers=role_keys["seller"]).json()["paused_until"] == (
        "2031-01-31"
    )
    # replacing the profile without it unpauses (PUT replaces the whole profile)
    client.put("/v1/partners/P-1", json=PROFILE, headers=role_keys["admin"])
    assert (
        client.get("/v1/partners/P-1", headers=role_keys["seller"]).json()["paused_until"] is None
    )
    bad = client.put(
        "/v1/partners/P-1", json={**PROFILE, "paused_until": "soon"}, headers=role_keys["admin"]
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["paused_until"]


def test_list_filters_normalise_their_values(
    client: TestClient, role_keys: dict[str, dict[str, str]]
) -> None:
    client.put("/v1/partners/P-1", json=PROFILE, headers=role_keys["admin"])
    client.put(
        "/v1/partners/P-2",
        json={**PROFILE, "partner_id": "P-2", "languages": ["fr"]},
        headers=role_keys["admin"],
    )
    response = client.get(
        "/v1/partners", params={"language": "German"}, headers=role_keys["seller"]
    )
    assert response.status_code == 200
    assert [p["partner_id"] for p in response.json()["partners"]] == ["P-1"]
    assert response.json()["total"] == 1


def test_unknown_filter_value_is_a_problem_naming_the_field(
    client: TestClient, role_keys: dict[str, dict[str, str]]
) -> None:
    response = client.get(
        "/v1/partners", params={"industry": "manufactoring"}, headers=role_keys["seller"]
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "industry"
    assert "manufacturing" in response.json()["detail"]


def test_invalid_body_names_every_bad_field(
    client: TestClient, role_keys: dict[str, dict[str, str]]
) -> None:
    body = {**PROFILE, "languages": ["Klingon"], "employees": -1}
    response = client.put("/v1/partners/P-1", json=body, headers=role_keys["admin"])
    assert response.status_code == 422
    problem = response.json()
    assert problem["status"] == 422
    assert {e["field"] for e in problem["errors"]} == {"languages", "employees"}
    assert "Traceback" not in response.text


def test_body_id_must_match_the_url(
    client: TestClient, role_keys: dict[str, dict[str, str]]
) -> None:
    response = client.put("/v1/partners/P-9", json=PROFILE, headers=role_keys["admin"])
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "partner_id", "message": "expected 'P-9'"}]


def test_delete_then_get_is_404(client: TestClient, role_keys: dict[str, dict[str, str]]) -> None:
    client.put("/v1/partners/P-1", json=PROFILE, headers=role_keys["admin"])
    assert client.delete("/v1/partners/P-1", headers=role_keys["admin"]).status_code == 204
    missing = client.get("/v1/partners/P-1", headers=role_keys["seller"])
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no partner with id 'P-1'"
    assert client.delete("/v1/partners/P-1", headers=role_keys["admin"]).status_code == 404


def test_only_admin_writes_partners(
    client: TestClient, role_keys: dict[str, dict[str, str]]
) -> None:
    for role in ("seller", "recruiter", "widget"):
        response = client.put("/v1/partners/P-1", json=PROFILE, headers=role_keys[role])
        assert response.status_code == 403, role
        assert client.delete("/v1/partners/P-1", headers=role_keys[role]).status_code == 403


def test_no_key_is_401_and_a_bad_key_is_401(client: TestClient) -> None:
    assert client.get("/v1/partners").status_code == 401
    response = client.get("/v1/partners", headers={"Authorization": "Bearer pm_nope_nope"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_oversized_body_is_413(client: TestClient, role_keys: dict[str, dict[str, str]]) -> None:
    limit = client.app.state.settings.max_request_bytes  # type: ignore[attr-defined]
    body = b'{"partner_id": "P-1", "description": "' + b"x" * limit + b'"}'
    response = client.put(
        "/v1/partners/P-1",
        content=body,
        headers={**role_keys["admin"], "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
