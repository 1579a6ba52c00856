"""Every answer names the change-log version it was served at (``X-Partnermatch-Version``)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from matcher.store import Store


def test_a_write_s_answer_carries_a_version_that_includes_it(
    client: TestClient, role_keys: dict[str, dict[str, str]]
) -> None:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    before = int(client.get("/healthz").headers["x-partnermatch-version"])
    body = {"partner_id": "P-1", "name": "Acme", "partner_type": "isv"}
    written = client.put("/v1/partners/P-1", json=body, headers=role_keys["admin"])
    assert written.status_code == 200
    version = int(written.headers["x-partnermatch-version"])
    assert version > before
    assert version == store.change_version()  # the write's own version, applied at once
