"""Saved screening batches over HTTP: create from an upload, page/search/filter/sort, statuses
that persist, re-weighting that keeps them, the CSV export, problems as problem+json."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matcher.recruiting import batches
from matcher.store import Store

EXAMPLE = Path(__file__).resolve().parents[2] / "api" / "static" / "examples" / "prospects.csv"
DUPLICATE = "N-001,Nordwerk Again GmbH,system_integrator,,,,,,DE,,,,,,,,,,,\n"  # line 12


def _create(client: TestClient, headers: dict[str, str], text: str, **params: Any) -> Any:
    return client.post(
        "/v1/screening-batches",
        files={"file": ("pipeline.csv", text.encode(), "text/csv")},
        params=params,
        headers=headers,
    )


@pytest.fixture(scope="module")
def batch(sample_api) -> dict[str, Any]:
    response = _create(
        sample_api.client, sample_api.headers["recruiter"], EXAMPLE.read_text() + DUPLICATE
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/screening-batches/{body['batch_id']}"
    return body  # type: ignore[no-any-return]


def test_a_batch_keeps_every_good_row_and_names_the_repeated_one(batch) -> None:
    assert batch["name"] == "pipeline.csv"
    assert (batch["rows_read"], batch["rows_scored"]) == (11, 10)
    assert batch["problems"] == [
        {
            "line": 12,
            "column": "partner_id",
            "message": "'N-001' appears earlier in the file; the first row is kept",
        }
    ]
    assert batch["status_counts"] == {"new": 10, "contacted": 0, "onboarding": 0, "declined": 0}
    assert sum(batch["band_counts"].values()) == 10
    assert (
        sum(b["strong_fit"] + b["possible_fit"] + b["weak_fit"] for b in batch["histogram"]) == 10
    )
    assert batch["weights"] == {}


def test_pages_search_filter_and_sort(sample_api, batch) -> None:
    client, headers = sample_api.client, sample_api.headers["recruiter"]
    url = f"/v1/screening-batches/{batch['batch_id']}/prospects"
    first = client.get(url, params={"limit": 4}, headers=headers).json()
    second = client.get(url, params={"limit": 4, "offset": 4}, headers=headers).json()
    assert first["total"] == 10 and len(first["prospects"]) == 4
    overall = [p["overall"] for p in first["prospects"] + second["prospects"]]
    assert overall == sorted(overall, reverse=True)
    assert not {p["partner_id"] for p in first["prospects"]} & {
        p["partner_id"] for p in second["prospects"]
    }
    found = client.get(url, params={"q": "nordWERK"}, headers=headers).json()
    assert [p["partner_id"] for p in found["prospects"]] == ["N-001"]
    assert client.get(url, params={"q": "n-0"}, headers=headers).json()["total"] == 10
    assert client.get(url, params={"q": "50%"}, headers=headers).json()["total"] == 0
    names = client.get(url, params={"sort": "name", "order": "asc"}, headers=headers).json()
    ordered = [p["name"] for p in names["prospects"]]
    assert ordered == sorted(ordered, key=str.lower)
    weak = client.get(url, params={"band": "weak_fit"}, headers=headers).json()
    assert weak["total"] == batch["band_counts"]["weak_fit"]
    prospect = first["prospects"][0]
    assert prospect["status"] == "new" and prospect["line"] >= 2
    assert all(a["name"] and a["partner_id"].startswith("P-") for a in prospect["looks_like"])
    assert not any(g.startswith("no ") and g.endswith(" coverage") for g in prospect["gaps"])


def test_a_status_change_persists_and_filters(sample_api, batch) -> None:
    client, headers = sample_api.client, sample_api.headers["recruiter"]
    base = f"/v1/screening-batches/{batch['batch_id']}"
    changed = client.patch(
        f"{base}/prospects/N-002", json={"status": "contacted", "note": "Call Tue"}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "contacted" and changed.json()["note"] == "Call Tue"
    assert changed.json()["status_changed_at"]
    contacted = client.get(f"{base}/prospects", params={"status": "contacted"}, headers=headers)
    assert [p["partner_id"] for p in contacted.json()["prospects"]] == ["N-002"]
    summary = client.get(base, headers=headers).json()
    assert summary["status_counts"]["contacted"] == 1 and summary["status_counts"]["new"] == 9

    # re-weighting re-scores the stored profiles and keeps the statuses
    before = {p["partner_id"]: p["overall"] for p in _all(client, base, headers)}
    reweighted = client.put(f"{base}/weights", json={"customer_fit": 100}, headers=headers)
    assert reweighted.status_code == 200, reweighted.text
    assert reweighted.json()["weights"] == {"customer_fit": 100.0}
    after = {p["partner_id"]: (p["overall"], p["status"]) for p in _all(client, base, headers)}
    assert any(after[pid][0] != overall for pid, overall in before.items())
    assert after["N-002"][1] == "contacted"

    exported = client.get(f"{base}/csv", params={"status": "contacted"}, headers=headers)
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="scored-pipeline.csv"' in exported.headers["content-disposition"]
    (row,) = list(csv.DictReader(io.StringIO(exported.text)))
    assert (row["partner_id"], row["status"], row["note"]) == ("N-002", "contacted", "Call Tue")
    assert row["looks_like"] and " (P-" in row["looks_like"]


def _all(client: TestClient, base: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    return client.get(f"{base}/prospects", params={"limit": 200}, headers=headers).json()[  # type: ignore[no-any-return]
        "prospects"
    ]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("patch", "/prospects/N-001", {"status": "hired"}, 422, "status"),
        ("patch", "/prospects/N-404", {"status": "contacted"}, 404, None),
        (
            "put",
            "/weights",
            {"capacity": 0, "capability": 0, "commitment": 0, "customer_fit": 0},
            422,
            None,
        ),
        ("put", "/weights", {"capacity": 101}, 422, "capacity"),
    ],
)
def test_bad_requests_are_problems_naming_the_field(
    sample_api, batch, method, path, body, status, field
) -> None:
    client, headers = sample_api.client, sample_api.headers["recruiter"]
    url = f"/v1/screening-batches/{batch['batch_id']}{path}"
    response = getattr(client, method)(url, json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if field:
        assert field in [e["field"] for e in response.json()["errors"]]


def test_unknown_batches_and_bad_queries(sample_api, batch) -> None:
    client, headers = sample_api.client, sample_api.headers["recruiter"]
    missing = client.get("/v1/screening-batches/b_0000000000000000", headers=headers)
    assert missing.status_code == 404 and "b_0000000000000000" in missing.json()["detail"]
    assert client.get("/v1/screening-batches/nope", headers=headers).status_code == 422
    listing = f"/v1/screening-batches/{batch['batch_id']}/prospects"
    assert client.get(listing, params={"sort": "vibes"}, headers=headers).status_code == 422
    assert client.get(listing, params={"limit": 0}, headers=headers).status_code == 422
    empty = client.post(
        "/v1/screening-batches",
        files={"file": ("x.csv", b"company,city\nAcme,Berlin\n", "text/csv")},
        headers=headers,
    )
    assert empty.status_code == 422 and "required column" in empty.json()["detail"]


def _one_prospect_batch(client: TestClient, headers: dict[str, str], name: str) -> Any:
    """A batch of one prospect posted as JSON under ``name``; the response, checked created."""
    made = client.post(
        "/v1/screening-batches",
        json=[{"partner_id": "N-9", "name": "Json Co", "partner_type": "isv"}],
        params={"name": name},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return made


def test_a_batch_named_beyond_latin_1_downloads_under_its_name(sample_api) -> None:
    client, headers = sample_api.client, sample_api.headers["recruiter"]
    made = _one_prospect_batch(client, headers, "Ābo leads €.csv")
    exported = client.get(f"/v1/screening-batches/{made.json()['batch_id']}/csv", headers=headers)
    assert exported.status_code == 200, exported.text
    disposition = exported.headers["content-disposition"]
    assert 'filename="scored--bo-leads--.csv"' in disposition
    assert "filename*=UTF-8''scored-%C4%80bo-leads--.csv" in disposition


def test_batches_list_newest_first_and_delete(sample_api) -> None:
    client, headers = sample_api.client, sample_api.headers["admin"]
    made = _one_prospect_batch(client, headers, "From JSON")
    listed = client.get("/v1/screening-batches", headers=headers).json()
    assert listed["batches"][0]["name"] == "From JSON"
    assert listed["batches"][0]["status_counts"]["new"] == 1
    batch_id = made.json()["batch_id"]
    assert client.delete(f"/v1/screening-batches/{batch_id}", headers=headers).status_code == 204
    assert client.get(f"/v1/screening-batches/{batch_id}", headers=headers).status_code == 404
    assert client.delete(f"/v1/screening-batches/{batch_id}", headers=headers).status_code == 404


def test_a_batch_survives_reopening_the_store(sample_api, batch) -> None:
    """What the page shows after a reload: the batch is in the database, not in memory."""
    store: Store = sample_api.client.app.state.store  # type: ignore[attr-defined]
    reopened = Store(store.url)
    assert batches.get_batch(reopened, batch["batch_id"])["rows_scored"] == 10  # type: ignore[index]
