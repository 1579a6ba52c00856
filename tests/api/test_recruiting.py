"""Recruiter endpoints, partner scorecards and the model registry over the API."""

from __future__ import annotations

import csv
import io

PROSPECT = {
    "partner_id": "N-1",
    "name": "Newco Integration GmbH",
    "partner_type": "system_integrator",
    "description": "ERP data migration and portfolio management rollouts for manufacturers",
    "languages": ["de", "en"],
    "countries": ["DACH"],
    "industries": ["manufacturing"],
    "employees": 40,
    "certified_staff": 0,
}


def prospects_csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=["partner_id", "name", "partner_type", "countries", "employees"]
    )
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def test_score_returns_the_contract_shape_with_gaps_and_look_alikes(sample_api) -> None:
    response = sample_api.client.post(
        "/v1/prospects/score", json=PROSPECT, headers=sample_api.headers["recruiter"]
    )
    assert response.status_code == 200, response.text
    scored = response.json()
    assert set(scored["four_cs"]) == {"capacity", "capability", "commitment", "customer_fit"}
    assert set(scored["evidence"]) == set(scored["four_cs"])
    assert scored["band"] in {"strong_fit", "possible_fit", "weak_fit"}
    assert "no certified staff" in scored["gaps"]
    assert scored["looks_like"] and all(
        a["partner_id"].startswith("P-") for a in scored["looks_like"]
    )


def test_weights_change_the_overall_score(sample_api) -> None:
    client, recruiter = sample_api.client, sample_api.headers["recruiter"]
    equal = client.post("/v1/prospects/score", json=PROSPECT, headers=recruiter).json()
    fit_heavy = client.post(
        "/v1/prospects/score",
        json=PROSPECT,
        headers=recruiter,
        params={"customer_fit": 10, "capacity": 0.1, "capability": 0.1, "commitment": 0.1},
    ).json()
    assert fit_heavy["four_cs"] == equal["four_cs"]
    assert abs(fit_heavy["overall"] - fit_heavy["four_cs"]["customer_fit"]) < abs(
        equal["overall"] - equal["four_cs"]["customer_fit"]
    )


def test_screen_a_json_list_reports_bad_rows_by_line_and_column(sample_api) -> None:
    rows = [PROSPECT, {**PROSPECT, "partner_id": "N-2", "industries": ["manufactoring"]}]
    response = sample_api.client.post(
        "/v1/prospects/screen", json=rows, headers=sample_api.headers["recruiter"]
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["rows_read"], result["rows_scored"]) == (2, 1)
    assert [r["partner_id"] for r in result["results"]] == ["N-1"]
    assert [(p["line"], p["column"]) for p in result["problems"]] == [(2, "industries")]


def test_screen_a_csv_upload_and_download_the_scored_csv(sample_api) -> None:
    upload = prospects_csv(
        [
            {
                "partner_id": "N-1",
                "name": "A",
                "partner_type": "msp",
                "countries": "DE",
                "employees": "12",
            },
            {
                "partner_id": "N-2",
                "name": "B",
                "partner_type": "reseller",
                "countries": "Germny",
                "employees": "3",
            },
            {
                "partner_id": "N-3",
                "name": "C",
                "partner_type": "isv",
                "countries": "FR;BE",
                "employees": "",
            },
        ]
    )
    response = sample_api.client.post(
        "/v1/prospects/screen",
        params={"format": "csv"},
        files={"file": ("prospects.csv", upload, "text/csv")},
        headers=sample_api.headers["recruiter"],
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    scored = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["partner_id"] for row in scored] == ["N-1", "N-3"]
    assert {
        "capacity",
        "capability",
        "commitment",
        "customer_fit",
        "overall",
        "band",
        "gaps",
    } <= set(scored[0])
    as_json = sample_api.client.post(
        "/v1/prospects/screen",
        files={"file": ("prospects.csv", upload, "text/csv")},
        headers=sample_api.headers["recruiter"],
    ).json()
    assert [(p["line"], p["column"]) for p in as_json["problems"]] == [(3, "countries")]


def test_screen_refuses_a_file_without_required_columns(sample_api) -> None:
    response = sample_api.client.post(
        "/v1/prospects/screen",
        files={"file": ("p.csv", b"name,employees\nA,3\n", "text/csv")},
        headers=sample_api.headers["recruiter"],
    )
    assert response.status_code == 422
    assert "required column(s) missing: partner_id, partner_type" in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "file"


def test_screen_refuses_more_than_five_thousand_rows(sample_api) -> None:
    rows = [{**PROSPECT, "partner_id": f"N-{i}"} for i in range(5001)]
    response = sample_api.client.post(
        "/v1/prospects/screen", json=rows, headers=sample_api.headers["recruiter"]
    )
    assert response.status_code == 413
    assert "5,000" in response.json()["detail"]


def test_scorecard_lists_quarters_with_a_status(sample_api) -> None:
    response = sample_api.client.get(
        "/v1/partners/P-000809/scorecard", headers=sample_api.headers["seller"]
    )
    assert response.status_code == 200, response.text
    quarters = response.json()["quarters"]
    assert quarters
    assert [q["quarter"] for q in quarters] == sorted(q["quarter"] for q in quarters)
    assert all(q["status"] in {"red", "amber", "green"} for q in quarters)
    assert (
        sample_api.client.get(
            "/v1/partners/P-none/scorecard", headers=sample_api.headers["seller"]
        ).status_code
        == 404
    )


def test_models_list_and_promote_switch_the_serving_scorer(sample_api) -> None:
    client, admin = sample_api.client, sample_api.headers["admin"]
    listed = client.get("/v1/models", headers=admin).json()
    assert [v["version"] for v in listed["versions"]] == ["ipp-0001"]
    promoted = client.post("/v1/models/ipp-0001/promote", headers=admin)
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["versions"][0]["promoted"] is True
    assert client.post("/v1/models/ipp-0099/promote", headers=admin).status_code == 404
