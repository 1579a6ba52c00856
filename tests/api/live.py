"""A real uvicorn server in a thread over the sample ecosystem, for end-to-end tests."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from api.app import create_app
from matcher import keys
from matcher.embedding.base import FakeEmbedder
from matcher.ingest import ingest
from matcher.ipp.matrix import MatrixScorer
from matcher.settings import Settings
from tests.api.conftest import SAMPLE
from tests.api.test_server import free_port


class Served:
    """A uvicorn server in a thread over the sample ecosystem, with one key per role."""

    def __init__(self, home: Path, **overrides: Any) -> None:
        # Exposure rotation off: otherwise one call's own exposure reorders the next's near-ties.
        settings = Settings(home=home, exposure_tolerance=0, **overrides)
        self.app = create_app(
            settings, embedder=FakeEmbedder(), scorer_factory=MatrixScorer, load_in_background=False
        )
        ingest(self.app.state.store, "partners", SAMPLE / "partners.csv")
        ingest(self.app.state.store, "outcomes", SAMPLE / "outcomes.csv")
        self.keys = {role: keys.create_key(self.app.state.store, role)[1] for role in keys.ROLES}
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.1)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)

    def client(self, role: str | None) -> Client:
        """An MCP client over streamable HTTP sending ``role``'s key (none for ``None``)."""
        headers = {"Authorization": f"Bearer {self.keys[role]}"} if role else {}
        http = httpx2.AsyncClient(headers=headers, timeout=30)
        return Client(streamable_http_client(f"{self.url}/mcp", http_client=http))
