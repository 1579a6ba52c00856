from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from api.app import SERVING_GC_THRESHOLDS, create_app
from matcher.embedding.base import FakeEmbedder
from matcher.ipp.matrix import MatrixScorer
from matcher.settings import Settings


def test_healthz_answers_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_app_creates_its_store_under_the_configured_home(
    client: TestClient, settings: Settings
) -> None:
    assert (settings.home / "partnermatch.db").is_file()


def test_metrics_expose_request_latency_per_route(client: TestClient) -> None:
    client.get("/healthz")
    body = client.get("/metrics").text
    assert (
        'partnermatch_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz",status="200"}'
        in body
    )


def test_metrics_label_a_versioned_route_by_its_full_template(client: TestClient) -> None:
    # The resource routers are included under the one /v1 router: the label keeps the prefix.
    client.get("/v1/partners/P-000001")
    body = client.get("/metrics").text
    assert (
        'partnermatch_http_requests_total{method="GET",route="/v1/partners/{partner_id}",status="401"}'
        in body
    )


def test_unknown_path_is_a_problem_json_404(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["instance"] == "/v1/nothing-here"


def test_readyz_is_503_naming_the_index_and_model_until_an_engine_is_loaded(
    client: TestClient, sample_api
) -> None:  # type: ignore[no-untyped-def]
    empty = client.get("/readyz")  # a store with no partners: nothing to index yet
    assert empty.status_code == 503
    assert empty.json()["detail"] == "not ready: index, model"
    ready = sample_api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"store": True, "index": True, "model": True}


def test_a_serving_app_collects_garbage_in_larger_steps_and_restores_the_default_after(
    settings: Settings,
) -> None:
    # issue 12: full collections every few hundred ms held /healthz 150-200 ms during a screening
    before = gc.get_threshold()  # another test's app may be serving already
    gc.set_threshold(1234, 5, 6)
    try:
        app = create_app(
            settings, embedder=FakeEmbedder(), scorer_factory=MatrixScorer, load_in_background=False
        )
        with TestClient(app):
            assert gc.get_threshold() == SERVING_GC_THRESHOLDS
        assert gc.get_threshold() == (1234, 5, 6)
    finally:
        gc.set_threshold(*before)
