"""The page routes over HTTP (no browser): what is served, with which type, and what is not."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.embedding.base import FakeEmbedder
from matcher.feedback import REJECT_REASONS
from matcher.ipp.matrix import MatrixScorer
from matcher.settings import Settings


@pytest.fixture(scope="module")
def pages_client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    settings = Settings(home=tmp_path_factory.mktemp("pages-home"))
    app = create_app(settings, embedder=FakeEmbedder(), scorer_factory=MatrixScorer)
    return TestClient(app)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html"),
        ("/recruiter", "text/html"),
        ("/widget.js", "text/javascript"),
        ("/static/app.css", "text/css"),
        ("/static/console.js", "text/javascript"),
        ("/static/examples/prospects.csv", "text/csv"),
    ],
)
def test_pages_and_assets_are_served_without_a_key(pages_client, path, content_type) -> None:
    response = pages_client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)


def test_the_form_options_come_from_the_taxonomy(pages_client) -> None:
    options = pages_client.get("/ui/options.json").json()
    assert options["reject_reasons"] == list(REJECT_REASONS)
    assert "system_integrator" in options["partner_types"]
    assert options["industries"]["manufacturing"] == "Manufacturing"


@pytest.mark.parametrize("path", ["/static/../routes/pages.py", "/static/", "/static/nope.js"])
def test_nothing_outside_the_static_folder_is_served(pages_client, path) -> None:
    response = pages_client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_pages_are_not_in_the_api_schema(pages_client) -> None:
    paths = pages_client.get("/openapi.json").json()["paths"]
    assert not {"/", "/recruiter", "/widget.js", "/ui/options.json"} & set(paths)
