from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from matcher.settings import Settings


def test_healthz_answers_ok(settings: Settings) -> None:
    with TestClient(create_app()) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_app_creates_its_store_under_the_configured_home(settings: Settings) -> None:
    create_app()
    assert (settings.home / "partnermatch.db").is_file()
