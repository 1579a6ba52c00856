"""The FastAPI application: HTTP over :mod:`matcher`, holding no matching logic of its own."""

from __future__ import annotations

from fastapi import FastAPI

from matcher.settings import get_settings
from matcher.store import Store


def create_app() -> FastAPI:
    """Build the app; the store is opened once here and shared by every request."""
    app = FastAPI(
        title="partnermatch",
        version="0.1.0",
        description="Partner matching and recommendation for partner ecosystems.",
    )
    app.state.store = Store.from_settings(get_settings())

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """Liveness: the process is up and answering."""
        return {"status": "ok"}

    return app
