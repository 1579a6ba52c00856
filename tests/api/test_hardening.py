"""The adversarial probe's cases (issue 12): each answered 4xx or quickly, never 5xx."""

from __future__ import annotations

import csv
import io
import time

import pytest

from matcher import keys
from tests.api.test_recruiting import prospects_csv

SELLER_DEAL = {"description": "ERP data migration", "country": "DE"}


@pytest.mark.parametrize(
    "params",
    [{"country": "Atlantis"}, {"country": "EMEA"}, {"languages": "klingon"}],
)
def test_widget_with_an_unknown_country_or_language_is_a_422_naming_it(sample_api, params) -> None:
    response = sample_api.client.get(
        "/v1/widget/recommendations",
        params={"context": "resource planning templates", **params},
        headers=sample_api.headers["widget"],
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert next(iter(params)) in response.json()["detail"]


def test_an_offset_beyond_sqlite_integers_is_a_422(sample_api) -> None:
    response = sample_api.client.get(
        "/v1/partners",
        params={"offset": "10000000000000000000"},
        headers=sample_api.headers["admin"],
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "offset"


def test_a_certification_filter_with_no_letters_is_a_422(sample_api) -> None:
    response = sample_api.client.get(
        "/v1/partners", params={"certification": "!!!"}, headers=sample_api.headers["admin"]
    )
    assert response.status_code == 422, response.text
    assert "certification" in response.json()["detail"]


def test_all_zero_weights_are_a_422_when_scoring_and_screening(sample_api) -> None:
    zero = {"capacity": 0, "capability": 0, "commitment": 0, "customer_fit": 0}
    prospect = {"partner_id": "N-1", "name": "A", "partner_type": "msp", "countries": "DE"}
    headers = sample_api.headers["recruiter"]
    scored = sample_api.client.post(
        "/v1/prospects/score", params=zero, json=prospect, headers=headers
    )
    screened = sample_api.client.post(
        "/v1/prospects/screen", params=zero, json=[prospect], headers=headers
    )
    assert (scored.status_code, screened.status_code) == (422, 422), (scored.text, screened.text)


def test_json_nested_a_thousand_deep_is_a_4xx(sample_api) -> None:
    body = "[" * 5000 + "]" * 5000
    response = sample_api.client.post(
        "/v1/prospects/screen",
        content=body,
        headers={**sample_api.headers["recruiter"], "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize(
    ("field", "value"), [("top_k", True), ("deal_size", 1e308), ("exclude", ["P-1"] * 40_000)]
)
def test_loose_or_oversized_deal_fields_are_a_422(sample_api, field, value) -> None:
    started = time.perf_counter()
    response = sample_api.client.post(
        "/v1/recommendations",
        json={**SELLER_DEAL, field: value},
        headers=sample_api.headers["seller"],
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert time.perf_counter() - started < 1.0


def test_a_thousand_distinct_excluded_ids_are_accepted_quickly(sample_api) -> None:
    exclude = [f"P-{number}" for number in range(1000)]
    started = time.perf_counter()
    response = sample_api.client.post(
        "/v1/recommendations",
        json={**SELLER_DEAL, "exclude": exclude},
        headers=sample_api.headers["seller"],
    )
    assert response.status_code == 200, response.text
    assert time.perf_counter() - started < 1.0


FORMULAS = [
    '=HYPERLINK("http://evil")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
]


def test_a_scored_csv_runs_no_formula_from_a_prospect_name(sample_api) -> None:
    upload = prospects_csv(
        [
            {"partner_id": f"N-{n}", "name": name, "partner_type": "msp", "countries": "DE"}
            for n, name in enumerate(FORMULAS)
        ]
    )
    response = sample_api.client.post(
        "/v1/prospects/screen",
        params={"format": "csv"},
        files={"file": ("prospects.csv", upload, "text/csv")},
        headers=sample_api.headers["recruiter"],
    )
    assert response.status_code == 200, response.text
    names = [row["name"] for row in csv.DictReader(io.StringIO(response.text))]
    assert sorted(names) == sorted("'" + name.strip() for name in FORMULAS)


def test_an_audit_record_is_read_by_its_key_and_admins_only(sample_api) -> None:
    client = sample_api.client
    made = client.post(
        "/v1/recommendations", json=SELLER_DEAL, headers=sample_api.headers["seller"]
    )
    path = f"/v1/recommendations/{made.json()['recommendation_id']}"
    other_seller = {
        "Authorization": f"Bearer {keys.create_key(client.app.state.store, 'seller')[1]}"
    }
    assert client.get(path, headers=sample_api.headers["seller"]).status_code == 200
    assert client.get(path, headers=sample_api.headers["admin"]).status_code == 200
    refused = client.get(path, headers=other_seller)
    assert refused.status_code == 404
    assert "key_id" not in refused.text


def test_every_deal_list_documents_its_size_limit_in_the_openapi(sample_api) -> None:
    schemas = sample_api.client.get("/openapi.json").json()["components"]["schemas"]
    deal = schemas["Deal"]["properties"]
    for field in ("languages", "certifications", "partner_types", "specialisms", "exclude"):
        array = next(branch for branch in deal[field]["anyOf"] if branch.get("type") == "array")
        assert array["maxItems"] > 0, field
    assert deal["exclude"]["anyOf"][0]["maxItems"] == 1000


def test_a_webhook_naming_more_events_than_exist_is_a_422_and_not_stored(sample_api) -> None:
    admin = sample_api.headers["admin"]
    body = {"url": "http://127.0.0.1:9/hook", "events": ["feedback.recorded"] * 10_000}
    response = sample_api.client.post("/v1/webhooks", json=body, headers=admin)
    assert response.status_code == 422 and "events" in response.text
    stored = sample_api.client.get("/v1/webhooks", headers=admin).json()
    assert all(webhook["url"] != body["url"] for webhook in stored)


# Found by schemathesis (tests/api/test_fuzz_schemathesis.py)


def test_a_website_that_is_not_text_is_a_422_naming_it(sample_api) -> None:
    # `"website": {}` was accepted and stored as the address "https://{}"
    partner = {"partner_id": "P-FUZZ-1", "name": "Acme", "partner_type": "isv", "website": {}}
    response = sample_api.client.put(
        "/v1/partners/P-FUZZ-1", json=partner, headers=sample_api.headers["admin"]
    )
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["website"]


def test_webhook_registration_documents_its_400_for_a_body_that_is_not_json(sample_api) -> None:
    response = sample_api.client.post(
        "/v1/webhooks",
        content=b"`b\xff",
        headers={**sample_api.headers["admin"], "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    paths = sample_api.client.get("/openapi.json").json()["paths"]
    assert {"400", "413"} <= set(paths["/v1/webhooks"]["post"]["responses"])


def test_rebuild_requests_while_one_runs_share_it(sample_api) -> None:
    # 13 POST /v1/index/rebuild in a row queued 13 full rebuilds; other requests timed out
    service = sample_api.client.app.state.service
    running = service.rebuild_in_background()
    assert service.rebuild_in_background() is running
    running.join(timeout=60)
    assert service.rebuild_in_background() is not running


def test_every_v1_operation_documents_the_503_of_load_shedding(sample_api) -> None:
    # a 5-minute schemathesis run on 100k partners: 3,193 sheds, undocumented on 26 operations
    paths = sample_api.client.get("/openapi.json").json()["paths"]
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        if path.startswith("/v1/")
        for method, operation in operations.items()
        if "503" not in operation["responses"]
    ]
    assert undocumented == []
