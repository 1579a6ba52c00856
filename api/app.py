"""The FastAPI application: HTTP over :mod:`matcher`, holding no matching logic of its own.

``create_app`` opens the store once, installs the error mapping (problem+json), the body
cap and the metrics middleware, and mounts one router per resource.
"""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from api.errors import install_error_handlers
from api.middleware import BodyLimit, Metrics
from api.routes import feedback, health, partners
from matcher.settings import Settings, get_settings
from matcher.store import Store

DESCRIPTION = """
Partner matching and recommendation for partner ecosystems.

Authenticate with an API key: `Authorization: Bearer pm_...` (create one with
`partnermatch keys create --role ROLE`). Roles: `admin` (partners write, keys, models),
`seller` (recommendations, feedback, scorecards), `recruiter` (prospects), `widget` (the
widget endpoint only). Errors are `application/problem+json` and name the field at fault.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    app = FastAPI(title="partnermatch", version="0.1.0", description=DESCRIPTION)
    app.state.settings = settings
    app.state.store = Store.from_settings(settings)
    app.state.metrics_registry = CollectorRegistry()
    app.state.readiness = lambda: {"store": app.state.store.count_partners() >= 0}
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(Metrics, registry=app.state.metrics_registry)
    for router in (health.router, partners.router, feedback.router):
        app.include_router(router)
    return app
