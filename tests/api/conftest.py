"""API fixtures: an app over a temporary store with the fast fake embedder, one key per role."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher import keys
from matcher.embedding.base import FakeEmbedder
from matcher.ingest import ingest
from matcher.ipp.matrix import MatrixScorer
from matcher.settings import Settings
from matcher.store import Store


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A test client over a fresh app and store (fake embedder, rule-based matrix)."""
    app = create_app(
        settings, embedder=FakeEmbedder(), scorer_factory=MatrixScorer, load_in_background=False
    )
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def role_keys(client: TestClient) -> dict[str, dict[str, str]]:
    """Authorization headers for one key of each role."""
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    return {
        role: {"Authorization": f"Bearer {keys.create_key(store, role)[1]}"} for role in keys.ROLES
    }


REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
WIDGET_ORIGIN = "http://shop.example.test"


@dataclass
class SampleApi:
    """A client over the committed sample ecosystem, with an Authorization header per role."""

    client: TestClient
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def sample_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleApi]:
    """The sample partners and outcomes, the committed model in the home registry, fake
    embedder; one per test module (building it takes a few seconds)."""
    settings = Settings(
        home=tmp_path_factory.mktemp("home"),
        widget_origins=[WIDGET_ORIGIN],
        widget_rate_per_minute=1000,
        webhook_allowed_hosts=["127.0.0.1"],
    )
    app = create_app(
        settings, embedder=FakeEmbedder(), scorer_factory=MatrixScorer, load_in_background=False
    )
    ingest(app.state.store, "partners", SAMPLE / "partners.csv")
    ingest(app.state.store, "outcomes", SAMPLE / "outcomes.csv")
    shutil.copytree(REPO / "models" / "ipp-0001", settings.resolved_models_dir / "ipp-0001")
    with TestClient(app) as client:
        headers = {
            role: {"Authorization": f"Bearer {keys.create_key(app.state.store, role)[1]}"}
            for role in keys.ROLES
        }
        yield SampleApi(client, headers)
