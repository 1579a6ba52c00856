"""The real thing: ``partnermatch serve`` in a subprocess, called over HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from matcher import keys
from matcher.settings import Settings
from matcher.store import Store


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    """A uvicorn server on a random loopback port over a fresh home; stopped after the test.

    Its output (the access log included) goes to ``server_log(settings)``: a file, not a pipe,
    so a long test cannot block the server on a full pipe.
    """
    settings = Settings(home=tmp_path / "home")
    port = free_port()
    cli = Path(sys.executable).with_name("partnermatch")
    env = {**os.environ, "PARTNERMATCH_HOME": str(settings.home)}
    log = server_log(settings).open("wb")
    process = subprocess.Popen(
        [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not start:\n{server_log(settings).read_text()}")
            time.sleep(0.2)
        yield base_url, settings
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def server_log(settings: Settings) -> Path:
    """Where the ``server`` fixture writes the server's output."""
    return settings.home.parent / "server.log"


def test_served_api_answers_over_http(server: tuple[str, Settings]) -> None:
    base_url, settings = server
    admin = {
        "Authorization": f"Bearer {keys.create_key(Store.from_settings(settings), 'admin')[1]}"
    }
    with httpx.Client(base_url=base_url, timeout=10) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        created = client.put(
            "/v1/partners/P-1",
            json={
                "partner_id": "P-1",
                "name": "Acme",
                "partner_type": "isv",
                "languages": ["German"],
            },
            headers=admin,
        )
        assert created.status_code == 200, created.text
        listed = client.get("/v1/partners", params={"language": "de"}, headers=admin)
        assert [p["partner_id"] for p in listed.json()["partners"]] == ["P-1"]
        refused = client.get("/v1/partners")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"


def test_access_log_redacts_a_key_sent_in_the_query_string(server: tuple[str, Settings]) -> None:
    base_url, settings = server
    secret = keys.create_key(Store.from_settings(settings), "seller")[1]
    response = httpx.get(f"{base_url}/v1/partners", params={"api_key": secret, "q": "acme"})
    assert response.status_code == 401
    time.sleep(0.5)  # uvicorn writes the access line after the response
    log = server_log(settings).read_text()
    assert "api_key=[redacted]&q=acme" in log
    assert secret not in log
