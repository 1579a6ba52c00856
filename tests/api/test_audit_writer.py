"""Over HTTP, served answers are logged off the request path: the record is readable the
moment the answer is out, and none is lost when the server shuts down cleanly. /metrics
counts the query-embedding cache's hits and misses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import matcher.audit as audit
from api.app import create_app
from matcher import keys
from matcher.embedding.base import FakeEmbedder
from matcher.ipp.matrix import MatrixScorer
from matcher.schemas import Partner
from matcher.settings import Settings
from matcher.store import Store, recommendations_served

DEAL = {"description": "ERP data migration for a manufacturer", "top_k": 3}


@pytest.fixture
def app_client(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """An app over three partners whose audit writer waits a minute for a batch to fill: a
    record is written only when read, flushed or shut down."""
    monkeypatch.setattr(audit, "AUDIT_LINGER_S", 60.0)
    Store.from_settings(settings).upsert_partners(
        [
            Partner(
                partner_id=f"P-{n}",
                name=f"Partner {n}",
                partner_type="consultancy",
                description=text,
            )
            for n, text in enumerate(["ERP data migration", "CRM rollout", "cloud hosting"])
        ]
    )
    app = create_app(
        settings, embedder=FakeEmbedder(), scorer_factory=MatrixScorer, load_in_background=False
    )
    with TestClient(app) as client:
        yield client


def _seller(client: TestClient) -> dict[str, str]:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {keys.create_key(store, 'seller')[1]}"}


def _logged(store: Store) -> int:
    with store.engine.connect() as connection:
        count = select(func.count()).select_from(recommendations_served)
        return int(connection.execute(count).scalar_one())


def test_the_audit_record_is_readable_right_after_the_answer(app_client: TestClient) -> None:
    headers = _seller(app_client)
    answer = app_client.post("/v1/recommendations", json=DEAL, headers=headers).json()

    record = app_client.get(f"/v1/recommendations/{answer['recommendation_id']}", headers=headers)

    assert record.status_code == 200
    assert [r["partner_id"] for r in record.json()["results"]] == [
        r["partner_id"] for r in answer["results"]
    ]


def test_answers_still_queued_are_logged_by_a_clean_shutdown(app_client: TestClient) -> None:
    headers = _seller(app_client)
    for _ in range(3):
        assert app_client.post("/v1/recommendations", json=DEAL, headers=headers).status_code == 200
    store: Store = app_client.app.state.store  # type: ignore[attr-defined]
    assert _logged(store) == 0  # queued, not written yet

    app_client.__exit__(None, None, None)  # the app's shutdown

    assert _logged(store) == 3


def test_metrics_count_query_cache_hits_and_misses(app_client: TestClient) -> None:
    headers = _seller(app_client)
    for _ in range(2):
        app_client.post("/v1/recommendations", json=DEAL, headers=headers)

    lines = dict(
        line.split(" ", 1)
        for line in app_client.get("/metrics").text.splitlines()
        if line.startswith("partnermatch_query_cache_")
    )

    # the deal's text and its two phrases ("ERP data migration", "a manufacturer"): missed
    # the first time, hit the second
    assert float(lines["partnermatch_query_cache_misses_total"]) == 3
    assert float(lines["partnermatch_query_cache_hits_total"]) == 3
    assert float(lines["partnermatch_query_cache_entries"]) == 3
