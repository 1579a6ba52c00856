"""Recommendations, their audit record, the widget, live updates and re-index over the API.

Runs on the committed sample ecosystem (1,000 partners) with the fast fake embedder; the real
model is exercised over HTTP in test_server.py.
"""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.responses import WidgetPartner
from matcher import keys
from matcher.embedding.base import FakeEmbedder
from matcher.ingest import ingest
from matcher.ipp.matrix import MatrixScorer
from matcher.schemas import Partner
from matcher.settings import Settings

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
GERMAN_DEAL = {
    "description": "Roll out portfolio management for a mid-size German car-parts maker",
    "industry": "manufacturing",
    "country": "DE",
    "languages": ["de"],
    "top_k": 5,
}


@pytest.fixture(scope="module")
def sample_app(sample_api) -> tuple[TestClient, dict[str, dict[str, str]]]:
    return sample_api.client, sample_api.headers


def test_strict_deal_returns_only_partners_meeting_every_constraint(sample_app) -> None:
    client, headers = sample_app
    response = client.post("/v1/recommendations", json=GERMAN_DEAL, headers=headers["seller"])
    assert response.status_code == 200, response.text
    answer = response.json()
    assert {"recommendation_id", "model_version", "index_version", "funnel", "results"} <= set(
        answer
    )
    assert 1 <= len(answer["results"]) <= 5
    assert answer["funnel"]["total"] == 1000
    for result in answer["results"]:
        partner = Partner.model_validate(
            client.get(f"/v1/partners/{result['partner_id']}", headers=headers["seller"]).json()
        )
        assert "de" in partner.languages and "DE" in partner.countries
        assert 0 <= result["score"] <= 1
        assert set(result["four_cs"]) == {"capacity", "capability", "commitment", "customer_fit"}
        assert result["reason"]
    # best first, but near-ties (within the tolerance) take turns and say so
    tolerance = Settings().exposure_tolerance
    for higher, lower in zip(answer["results"], answer["results"][1:], strict=False):
        assert higher["score"] >= lower["score"] or (
            lower["score"] - higher["score"] <= tolerance and "Level with" in higher["reason"]
        )


def test_every_served_recommendation_is_in_the_audit_log(sample_app) -> None:
    client, headers = sample_app
    answer = client.post("/v1/recommendations", json=GERMAN_DEAL, headers=headers["seller"]).json()
    record = client.get(
        f"/v1/recommendations/{answer['recommendation_id']}", headers=headers["seller"]
    )
    assert record.status_code == 200
    logged = record.json()
    assert [r["partner_id"] for r in logged["results"]] == [
        r["partner_id"] for r in answer["results"]
    ]
    assert logged["model_version"] == answer["model_version"]
    assert logged["index_version"] == answer["index_version"]
    assert logged["request"]["languages"] == ["de"]
    assert client.get("/v1/recommendations/r_nope", headers=headers["seller"]).status_code == 404


def test_an_impossible_deal_says_which_constraint_emptied_the_pool(sample_app) -> None:
    client, headers = sample_app
    deal = {**GERMAN_DEAL, "country": "JP", "languages": ["is"]}
    answer = client.post("/v1/recommendations", json=deal, headers=headers["seller"]).json()
    assert answer["results"] == []
    assert answer["emptied_by"] in {"country", "languages"}
    assert answer["funnel"][answer["emptied_by"]] == 0


def test_a_put_partner_is_findable_at_once_and_a_deleted_one_never_returns(sample_app) -> None:
    client, headers = sample_app
    profile = {
        "partner_id": "P-LIVE-1",
        "name": "Zyxwv Orbital Beekeeping",
        "partner_type": "consultancy",
        "description": "zyxwv orbital beekeeping telemetry for apiaries",
        "specialisms": ["orbital beekeeping"],
        "languages": ["en"],
        "countries": ["NZ"],
    }
    assert (
        client.put("/v1/partners/P-LIVE-1", json=profile, headers=headers["admin"]).status_code
        == 200
    )
    deal = {"description": "zyxwv orbital beekeeping telemetry", "country": "NZ", "top_k": 3}
    ranked = client.post("/v1/recommendations", json=deal, headers=headers["seller"]).json()[
        "results"
    ]
    assert ranked[0]["partner_id"] == "P-LIVE-1"
    assert client.delete("/v1/partners/P-LIVE-1", headers=headers["admin"]).status_code == 204
    ranked = client.post("/v1/recommendations", json=deal, headers=headers["seller"]).json()[
        "results"
    ]
    assert "P-LIVE-1" not in [r["partner_id"] for r in ranked]


def test_widget_shows_public_fields_only(sample_app) -> None:
    client, headers = sample_app
    response = client.get(
        "/v1/widget/recommendations",
        params={"context": "automate resource planning with templates", "top_k": 3},
        headers=headers["widget"],
    )
    assert response.status_code == 200, response.text
    partners = response.json()["partners"]
    assert partners
    allowed = set(Partner.PUBLIC_FIELDS) | {"rank", "matching_assets"}
    assert set(WidgetPartner.model_fields) == allowed
    internal = set(Partner.model_fields) - set(Partner.PUBLIC_FIELDS)
    for partner in partners:
        assert set(partner) == allowed
        assert not internal & set(partner)
        assert all(isinstance(name, str) for name in partner["certifications"])
    assert "score" not in response.text and "csat" not in response.text


def test_widget_refuses_an_unlisted_origin_and_serves_a_listed_one(sample_app) -> None:
    client, headers = sample_app
    allowed_origin = client.app.state.settings.widget_origins[0]  # type: ignore[attr-defined]
    params = {"context": "integration with our CRM"}
    refused = client.get(
        "/v1/widget/recommendations",
        params=params,
        headers={**headers["widget"], "Origin": "http://evil.test"},
    )
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    served = client.get(
        "/v1/widget/recommendations",
        params=params,
        headers={**headers["widget"], "Origin": allowed_origin},
    )
    assert served.status_code == 200
    assert served.headers["access-control-allow-origin"] == allowed_origin
    preflight = client.options(
        "/v1/widget/recommendations",
        headers={
            "Origin": allowed_origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == allowed_origin


def test_widget_key_over_its_rate_gets_429_with_retry_after(settings: Settings) -> None:
    settings = settings.model_copy(update={"widget_rate_per_minute": 2})
    app = create_app(
        settings, embedder=FakeEmbedder(), scorer_factory=MatrixScorer, load_in_background=False
    )
    ingest(app.state.store, "partners", SAMPLE / "partners.csv")
    with TestClient(app) as client:
        widget = {"Authorization": f"Bearer {keys.create_key(app.state.store, 'widget')[1]}"}
        statuses = [
            client.get("/v1/widget/recommendations", params={"context": "crm"}, headers=widget)
            for _ in range(3)
        ]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert int(statuses[2].headers["retry-after"]) >= 1
    assert statuses[2].headers["content-type"] == "application/problem+json"


def test_a_partner_paused_through_put_leaves_recommendations_and_the_widget(sample_app) -> None:
    client, headers = sample_app
    profile = {
        "partner_id": "P-LIVE-PAUSE",
        "name": "Qwzrt Glacier Cartography",
        "partner_type": "consultancy",
        "description": "qwzrt glacier cartography and ice survey templates",
        "specialisms": ["glacier cartography"],
        "languages": ["en"],
        "countries": ["IS"],
        "assets": ["template:qwzrt glacier survey"],
    }
    deal = {"description": "qwzrt glacier cartography survey", "country": "IS", "top_k": 3}
    widget = {"context": "qwzrt glacier cartography survey", "country": "IS", "top_k": 3}

    def ask(**extra: object) -> dict:
        response = client.post(
            "/v1/recommendations", json={**deal, **extra}, headers=headers["seller"]
        )
        assert response.status_code == 200, response.text
        return response.json()

    def in_widget() -> bool:
        response = client.get(
            "/v1/widget/recommendations", params=widget, headers=headers["widget"]
        )
        assert response.status_code == 200, response.text
        assert "paused_until" not in response.text
        return "P-LIVE-PAUSE" in [p["partner_id"] for p in response.json()["partners"]]

    put = client.put("/v1/partners/P-LIVE-PAUSE", json=profile, headers=headers["admin"])
    assert put.status_code == 200, put.text
    free = ask()
    assert free["results"][0]["partner_id"] == "P-LIVE-PAUSE"
    assert in_widget()

    until = (date.today() + timedelta(days=14)).isoformat()
    paused = {**profile, "paused_until": until}
    put = client.put("/v1/partners/P-LIVE-PAUSE", json=paused, headers=headers["admin"])
    assert put.status_code == 200 and put.json()["paused_until"] == until
    read = client.get("/v1/partners/P-LIVE-PAUSE", headers=headers["seller"]).json()
    assert read["paused_until"] == until
    answer = ask()
    assert "P-LIVE-PAUSE" not in [r["partner_id"] for r in answer["results"]]
    assert answer["funnel"]["at_capacity"] == free["funnel"]["at_capacity"] + 1 >= 1
    assert list(answer["funnel"])[:2] == ["total", "at_capacity"]
    assert not in_widget()
    # the request may include them
    included = ask(include_at_capacity=True)
    assert included["results"][0]["partner_id"] == "P-LIVE-PAUSE"
    assert included["funnel"]["at_capacity"] == 0

    # a pause that is over counts for nothing
    over = {**profile, "paused_until": (date.today() - timedelta(days=1)).isoformat()}
    assert client.put("/v1/partners/P-LIVE-PAUSE", json=over, headers=headers["admin"]).is_success
    assert ask()["results"][0]["partner_id"] == "P-LIVE-PAUSE"
    assert client.delete("/v1/partners/P-LIVE-PAUSE", headers=headers["admin"]).status_code == 204


def test_a_deal_only_at_capacity_partners_fit_says_capacity_emptied_it(sample_app) -> None:
    client, headers = sample_app
    full = {
        "partner_id": "P-LIVE-FULL",
        "name": "Vbnmq Reindeer Logistics",
        "partner_type": "consultancy",
        "description": "vbnmq reindeer logistics",
        "languages": ["se"],
        "countries": ["SE"],
        "active_projects": 6,
        "max_projects": 6,
    }
    assert client.put("/v1/partners/P-LIVE-FULL", json=full, headers=headers["admin"]).is_success
    deal = {"description": "vbnmq reindeer logistics", "languages": ["se"], "top_k": 3}
    try:
        answer = client.post("/v1/recommendations", json=deal, headers=headers["seller"]).json()
        assert answer["results"] == []
        assert answer["funnel"]["languages"] == 0  # the only Northern Sami speaker is full
        assert answer["emptied_by"] == "at_capacity"
        included = client.post(
            "/v1/recommendations",
            json={**deal, "include_at_capacity": "yes"},
            headers=headers["seller"],
        ).json()
        assert [r["partner_id"] for r in included["results"]] == ["P-LIVE-FULL"]
    finally:
        client.delete("/v1/partners/P-LIVE-FULL", headers=headers["admin"])


def test_recommendations_keep_succeeding_while_a_full_reindex_swaps(sample_app) -> None:
    client, headers = sample_app
    service = client.app.state.service  # type: ignore[attr-defined]
    before = service.index_version
    failures: list[int] = []
    answered = 0
    stop = threading.Event()

    def keep_asking() -> None:
        nonlocal answered
        while not stop.is_set():
            response = client.post(
                "/v1/recommendations", json=GERMAN_DEAL, headers=headers["seller"]
            )
            if response.status_code != 200 or not response.json()["results"]:
                failures.append(response.status_code)
            answered += 1

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        started = client.post("/v1/index/rebuild", headers=headers["admin"])
        assert started.status_code == 202
        deadline = time.monotonic() + 120
        while service.index_version == before and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
    finally:
        stop.set()
        asker.join()
    assert service.index_version != before
    assert failures == []
    assert answered > 0


def test_a_strict_deal_needing_a_certification_nobody_holds_is_a_422_naming_it(
    sample_app,
) -> None:
    client, headers = sample_app
    deal = {**GERMAN_DEAL, "certifications": ["SAP Gold"]}
    response = client.post("/v1/recommendations", json=deal, headers=headers["seller"])
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["errors"][0]["field"] == "certifications"
    assert "SAP Gold" in problem["detail"] and "no partner holds" in problem["detail"]
    soft = client.post(
        "/v1/recommendations", json={**deal, "strict": False}, headers=headers["seller"]
    ).json()
    assert soft["results"] and any("SAP Gold" in warning for warning in soft["warnings"])


def test_metrics_report_how_concentrated_the_served_top_slots_are(sample_app) -> None:
    client, headers = sample_app
    client.post("/v1/recommendations", json=GERMAN_DEAL, headers=headers["seller"])
    lines = dict(
        line.split(" ", 1)
        for line in client.get("/metrics").text.splitlines()
        if line.startswith("partnermatch_exposure_")
    )
    assert float(lines["partnermatch_exposure_slots"]) >= 5
    assert 0 < float(lines["partnermatch_exposure_top_share"]) <= 1
    assert 0 <= float(lines["partnermatch_exposure_gini"]) < 1


def test_a_country_read_from_a_german_brief_can_be_ignored_and_the_answer_says_so(
    sample_app,
) -> None:
    client, headers = sample_app
    brief = {
        "description": "ERP-Einführung bei einem Maschinenbauer, der Partner muss in "
        "Deutschland sitzen",
        "top_k": 20,
    }
    read = client.post("/v1/recommendations", json=brief, headers=headers["seller"]).json()
    entries = {entry["key"]: entry for entry in read["read_from_description"]["entries"]}
    assert entries["countries:DE"]["applied"] == "constraint"
    assert entries["countries:DE"]["label"] == "Germany"
    assert entries["countries:DE"]["words"] == ["deutschland"]
    assert entries["industries:manufacturing"]["applied"] == "preference"
    assert read["funnel"]["country"] < read["funnel"]["total"]

    ignored = client.post(
        "/v1/recommendations",
        json={**brief, "ignore_read": ["countries:DE", "languages:xx"]},  # xx: not read, skipped
        headers=headers["seller"],
    ).json()
    report = ignored["read_from_description"]
    entries = {entry["key"]: entry for entry in report["entries"]}
    assert entries["countries:DE"]["applied"] == "ignored"
    assert entries["industries:manufacturing"]["applied"] == "preference"  # the rest still holds
    assert report["countries"] == [] and "countries" not in report["applied"]
    # no longer a constraint: every available partner passes it
    funnel = ignored["funnel"]
    assert funnel["country"] == funnel["total"] - funnel["at_capacity"]

    def serves_germany(result: dict[str, str]) -> bool:
        path = f"/v1/partners/{result['partner_id']}"
        return "DE" in client.get(path, headers=headers["admin"]).json()["countries"]

    assert all(serves_germany(result) for result in read["results"])
    assert not all(serves_germany(result) for result in ignored["results"])
    assert all(result["evidence"].get("country") != "DE" for result in ignored["results"])
