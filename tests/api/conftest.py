"""API fixtures: an app over a temporary store with the fast fake embedder, one key per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher import keys
from matcher.embedding import FakeEmbedder
from matcher.matrix import MatrixScorer
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
